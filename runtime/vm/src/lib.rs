//! The gas-metered, deterministic WebAssembly sandbox (wasmtime 48) and its host API.
//!
//! Cairn contracts are wasm modules importing module `cairn`. This crate validates them at
//! deploy, compiles them once (cached in memory and on disk), and runs one method per
//! execution in a fresh pooled instance, with fuel as gas and every host import charging
//! gas before it works. It is the only crate that names wasmtime.
//!
//! ```text
//!   executor ──► Vm::prepare(code) ─► validate ─► compile ─► cache (LRU + disk)
//!            └─► Vm::execute(&mut dyn Host, module, CallContext)
//!                   ├─ Store{fuel = gas}, InstancePre::instantiate (pooling, CoW)
//!                   ├─ method() ─► imports (gas, bounds) ─► Host (state overlay)
//!                   │               └─ call/deploy ─► Host ─► Vm::execute (nested)
//!                   └─► Ok(Execution{Outcome, gas_used, return_data}) | Err(VmError)
//! ```
//!
//! See `docs/vm.md` (engine, limits, imports, failure modes) and `docs/gas.md` (schedule).

mod cache;
mod error;
mod gas;
mod host;
mod imports;
pub mod limits;
mod mem_host;
mod validate;
mod vm;

pub use error::*;
pub use gas::*;
pub use host::*;
pub use imports::{HOST_IMPORTS, HOST_MODULE, HostImport, Ty};
pub use mem_host::*;
pub use validate::{
    MIGRATE_EXPORT, ModuleInfo, REENTRANT_MARKER, RESERVED_PREFIX, abi_section, features, validate,
};
pub use vm::*;
