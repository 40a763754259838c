//! The host imports of module `cairn`: gas first, then bounds, then work.
//!
//! ```text
//!   guest ──(i32 ptr, i32 len)──► charge(schedule cost)        OutOfGas → exit
//!                                  region(ptr, len ≤ MAX_*)    BadPointer / LengthTooLarge → trap
//!                                  copy in ─► Host method ─► copy out
//! ```
//!
//! Every import returns `Err(Exit)` to stop the guest; [`Exit`] is classified into an
//! [`Outcome`](crate::Outcome) by the executor loop in `vm.rs`. A guest can never make an
//! import panic: every length is checked, every addition is checked.

use std::ops::Range;
use std::ptr::NonNull;

use cairn_primitives::{Address, Amount, Event, Gas, Hash};
use sha2::Digest;
use wasmtime::{Caller, Linker, Memory, ResourceLimiter};

use crate::error::status;
use crate::gas::{GasMeter, GasSchedule};
use crate::limits::*;
use crate::{CallContext, DeployRequest, Host, HostError, Outcome, TrapKind, Vm};

/// The import module name every contract imports from.
pub const HOST_MODULE: &str = "cairn";

/// A value type in a host import signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    /// `i32` (pointers, lengths, status codes).
    I32,
    /// `i64` (gas, heights, timestamps).
    I64,
}

impl Ty {
    pub(crate) fn wasm(self) -> wasmparser::ValType {
        match self {
            Self::I32 => wasmparser::ValType::I32,
            Self::I64 => wasmparser::ValType::I64,
        }
    }
}

/// One host import: its name and signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HostImport {
    /// Field name in module `cairn`.
    pub name: &'static str,
    /// Parameter types.
    pub params: &'static [Ty],
    /// Result types.
    pub results: &'static [Ty],
}

const fn imp(name: &'static str, params: &'static [Ty], results: &'static [Ty]) -> HostImport {
    HostImport {
        name,
        params,
        results,
    }
}

use Ty::{I32, I64};

/// Every import the host provides, with its signature (see `docs/vm.md` for semantics).
/// Deploy-time validation refuses any other import.
pub const HOST_IMPORTS: &[HostImport] = &[
    imp("input_size", &[], &[I32]),
    imp("input_read", &[I32], &[]),
    imp("set_return", &[I32, I32], &[]),
    imp("revert", &[I32, I32], &[]),
    imp("storage_read", &[I32, I32, I32, I32], &[I32]),
    imp("storage_write", &[I32, I32, I32, I32], &[]),
    imp("storage_remove", &[I32, I32], &[I32]),
    imp("storage_has", &[I32, I32], &[I32]),
    imp("caller", &[I32], &[]),
    imp("origin", &[I32], &[]),
    imp("self_address", &[I32], &[]),
    imp("value", &[I32], &[]),
    imp("block_height", &[], &[I64]),
    imp("timestamp", &[], &[I64]),
    imp("chain_id", &[], &[I64]),
    imp("balance", &[I32, I32], &[]),
    imp("transfer", &[I32, I32], &[I32]),
    imp("emit_event", &[I32, I32, I32, I32], &[]),
    imp("call", &[I32, I32, I32, I32, I32, I32, I64], &[I32]),
    imp("result_size", &[], &[I32]),
    imp("result_read", &[I32], &[]),
    imp("deploy", &[I32, I32, I32, I32, I32, I64, I32], &[I32]),
    imp("keccak256", &[I32, I32, I32], &[]),
    imp("sha256", &[I32, I32, I32], &[]),
    imp("ed25519_verify", &[I32, I32, I32, I32], &[I32]),
    imp("gas_left", &[], &[I64]),
    imp("debug_log", &[I32, I32], &[]),
];

/// Why the guest stopped early (carried through wasmtime as the error of an import).
#[derive(Debug)]
pub(crate) enum Exit {
    /// `revert` was called.
    Revert(String),
    /// A charge did not fit.
    OutOfGas,
    /// The guest passed something invalid.
    Fault(TrapKind),
    /// The host failed; the error is in `StoreData::fatal`.
    Fatal,
}

impl core::fmt::Display for Exit {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Revert(m) => write!(f, "revert: {m}"),
            Self::OutOfGas => f.write_str("out of gas"),
            Self::Fault(k) => write!(f, "{k}"),
            Self::Fatal => f.write_str("host failure"),
        }
    }
}

impl std::error::Error for Exit {}

type R<T> = Result<T, wasmtime::Error>;

/// Pointers to the host and the VM for the imports of one execution.
pub(crate) struct Ptrs {
    /// The host (lifetime-erased: valid until `Vm::execute` returns).
    pub(crate) host: NonNull<dyn Host>,
    /// The VM, for nested calls; outlives the store.
    pub(crate) vm: NonNull<Vm>,
}

// SAFETY: wasmtime requires store data to be `Send`. A store holding these pointers is
// created and dropped inside one `Vm::execute` call on one thread and never sent
// elsewhere, so the pointees are never touched from another thread.
unsafe impl Send for Ptrs {}

/// The per-execution state of a wasm store.
pub(crate) struct StoreData {
    /// The host and the VM, lifetime-erased: valid for the whole execution.
    pub(crate) ptrs: Ptrs,
    pub(crate) ctx: CallContext,
    pub(crate) meter: GasMeter,
    pub(crate) schedule: GasSchedule,
    pub(crate) memory: Option<Memory>,
    pub(crate) return_data: Vec<u8>,
    pub(crate) last_result: Vec<u8>,
    pub(crate) fatal: Option<HostError>,
    /// The import running now (for [`Host::on_gas`]; a tracer's step names).
    pub(crate) import: &'static str,
}

impl ResourceLimiter for StoreData {
    fn memory_growing(&mut self, current: usize, desired: usize, _max: Option<usize>) -> R<bool> {
        let cap = u64::from(MAX_MEMORY_PAGES) * WASM_PAGE_SIZE;
        if desired as u64 > cap {
            return Ok(false);
        }
        let pages = (desired.saturating_sub(current) as u64).div_ceil(WASM_PAGE_SIZE);
        let cost = pages.saturating_mul(self.schedule.memory_grow_page);
        self.meter.pending = self.meter.pending.saturating_add(cost);
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _max: Option<usize>) -> R<bool> {
        Ok(desired as u64 <= u64::from(MAX_TABLE_ELEMENTS))
    }
}

fn fault(kind: TrapKind) -> wasmtime::Error {
    wasmtime::Error::new(Exit::Fault(kind))
}

/// Charges `cost` (plus pending memory growth) before any work.
fn charge(caller: &mut Caller<'_, StoreData>, cost: Gas) -> R<()> {
    let fuel = caller.get_fuel()?;
    match caller.data_mut().meter.settle(fuel, cost) {
        Some(left) => {
            caller.set_fuel(left)?;
            let import = caller.data().import;
            // The import's own cost only: memory growth settled here is wasm work and stays
            // in the `wasm` remainder of the gas profile.
            host(caller).on_gas(import, cost, left);
            Ok(())
        }
        None => {
            caller.set_fuel(0)?;
            Err(wasmtime::Error::new(Exit::OutOfGas))
        }
    }
}

/// Base cost of an import plus `bytes` copied.
fn charge_copy(caller: &mut Caller<'_, StoreData>, extra: Gas, bytes: usize) -> R<()> {
    let s = caller.data().schedule;
    let cost = GasSchedule::linear(
        s.host_call_base.saturating_add(extra),
        s.copy_per_byte,
        bytes,
    );
    charge(caller, cost)
}

/// Checks a length against its named limit.
fn bounded(len: i32, max: usize, what: &'static str) -> R<usize> {
    let len = len as u32 as usize;
    if len > max {
        return Err(fault(TrapKind::LengthTooLarge(what)));
    }
    Ok(len)
}

/// The byte range `[ptr, ptr + len)` if it lies inside memory.
fn region(caller: &Caller<'_, StoreData>, ptr: i32, len: usize) -> R<Range<usize>> {
    let mem = caller
        .data()
        .memory
        .ok_or_else(|| fault(TrapKind::BadPointer))?;
    let start = ptr as u32 as usize;
    let end = start
        .checked_add(len)
        .ok_or_else(|| fault(TrapKind::BadPointer))?;
    if end > mem.data_size(caller) {
        return Err(fault(TrapKind::BadPointer));
    }
    Ok(start..end)
}

fn read(caller: &Caller<'_, StoreData>, ptr: i32, len: usize) -> R<Vec<u8>> {
    let range = region(caller, ptr, len)?;
    let mem = caller
        .data()
        .memory
        .ok_or_else(|| fault(TrapKind::BadPointer))?;
    Ok(mem.data(caller)[range].to_vec())
}

fn read_array<const N: usize>(caller: &Caller<'_, StoreData>, ptr: i32) -> R<[u8; N]> {
    let range = region(caller, ptr, N)?;
    let mem = caller
        .data()
        .memory
        .ok_or_else(|| fault(TrapKind::BadPointer))?;
    let mut out = [0u8; N];
    out.copy_from_slice(&mem.data(caller)[range]);
    Ok(out)
}

fn write(caller: &mut Caller<'_, StoreData>, ptr: i32, bytes: &[u8]) -> R<()> {
    let range = region(caller, ptr, bytes.len())?;
    let mem = caller
        .data()
        .memory
        .ok_or_else(|| fault(TrapKind::BadPointer))?;
    mem.data_mut(caller)[range].copy_from_slice(bytes);
    Ok(())
}

fn read_address(caller: &Caller<'_, StoreData>, ptr: i32) -> R<Address> {
    read_array::<20>(caller, ptr).map(Address)
}

fn read_amount(caller: &Caller<'_, StoreData>, ptr: i32) -> R<Amount> {
    read_array::<32>(caller, ptr).map(|b| Amount::from_little_endian(&b))
}

fn amount_bytes(a: Amount) -> [u8; 32] {
    a.to_little_endian()
}

/// The host, for the duration of an import.
fn host<'a>(caller: &'a mut Caller<'_, StoreData>) -> &'a mut dyn Host {
    // SAFETY: `Vm::execute` stores a pointer to a `&mut dyn Host` that outlives the store
    // and is not used by anyone else while the guest runs; imports run one at a time on
    // the executing thread, and the returned borrow is tied to `caller`.
    unsafe { caller.data_mut().ptrs.host.as_mut() }
}

fn vm_ref<'a>(caller: &Caller<'_, StoreData>) -> &'a Vm {
    // SAFETY: `Vm::execute` takes `&self` for the whole life of the store, so the VM
    // outlives every import call; it is only read.
    unsafe { caller.data().ptrs.vm.as_ref() }
}

/// Stops the guest on a host failure, keeping the error for `Vm::execute`.
fn fatal(caller: &mut Caller<'_, StoreData>, e: HostError) -> wasmtime::Error {
    caller.data_mut().fatal = Some(e);
    wasmtime::Error::new(Exit::Fatal)
}

fn storage_key(caller: &Caller<'_, StoreData>, ptr: i32, len: i32) -> R<Vec<u8>> {
    let len = bounded(len, MAX_STORAGE_KEY_LEN, "MAX_STORAGE_KEY_LEN")?;
    read(caller, ptr, len)
}

fn as_i32(len: usize) -> i32 {
    i32::try_from(len).unwrap_or(i32::MAX)
}

/// Defines every import of [`HOST_IMPORTS`] in `linker`.
#[allow(clippy::too_many_lines)] // one flat list of imports reads best
pub(crate) fn define(linker: &mut Linker<StoreData>) -> R<()> {
    let m = HOST_MODULE;

    // --- call input and output ---
    linker.func_wrap(m, "input_size", |mut c: Caller<'_, StoreData>| -> R<i32> {
        c.data_mut().import = "input_size";
        charge_copy(&mut c, 0, 0)?;
        Ok(as_i32(c.data().ctx.input.len()))
    })?;
    linker.func_wrap(
        m,
        "input_read",
        |mut c: Caller<'_, StoreData>, ptr: i32| -> R<()> {
            c.data_mut().import = "input_read";
            let len = c.data().ctx.input.len();
            charge_copy(&mut c, 0, len)?;
            let input = std::mem::take(&mut c.data_mut().ctx.input);
            let r = write(&mut c, ptr, &input);
            c.data_mut().ctx.input = input;
            r
        },
    )?;
    linker.func_wrap(
        m,
        "set_return",
        |mut c: Caller<'_, StoreData>, ptr: i32, len: i32| -> R<()> {
            c.data_mut().import = "set_return";
            let len = bounded(len, MAX_RETURN_DATA_SIZE, "MAX_RETURN_DATA_SIZE")?;
            charge_copy(&mut c, 0, len)?;
            let data = read(&c, ptr, len)?;
            c.data_mut().return_data = data;
            Ok(())
        },
    )?;
    linker.func_wrap(
        m,
        "revert",
        |mut c: Caller<'_, StoreData>, ptr: i32, len: i32| -> R<()> {
            c.data_mut().import = "revert";
            let len = bounded(len, MAX_ERROR_MESSAGE_LEN, "MAX_ERROR_MESSAGE_LEN")?;
            charge_copy(&mut c, 0, len)?;
            let msg = read(&c, ptr, len)?;
            Err(wasmtime::Error::new(Exit::Revert(
                String::from_utf8_lossy(&msg).into_owned(),
            )))
        },
    )?;

    // --- storage ---
    linker.func_wrap(
        m,
        "storage_read",
        |mut c: Caller<'_, StoreData>, kp: i32, kl: i32, op: i32, cap: i32| -> R<i32> {
            c.data_mut().import = "storage_read";
            let s = c.data().schedule;
            let klen = bounded(kl, MAX_STORAGE_KEY_LEN, "MAX_STORAGE_KEY_LEN")?;
            let base = s.host_call_base.saturating_add(s.storage_read_base);
            charge(
                &mut c,
                GasSchedule::linear(base, s.storage_read_per_byte, klen),
            )?;
            let key = storage_key(&c, kp, kl)?;
            // The whole destination buffer must be valid, whether or not the key exists.
            let cap = cap as u32 as usize;
            region(&c, op, cap)?;
            let contract = c.data().ctx.contract;
            let value = host(&mut c)
                .storage_read(&contract, &key)
                .map_err(|e| fatal(&mut c, e))?;
            let Some(value) = value else { return Ok(-1) };
            // The value's size is known only now: charge it before copying it.
            charge(
                &mut c,
                GasSchedule::linear(0, s.storage_read_per_byte, value.len()),
            )?;
            let n = value.len().min(cap);
            write(&mut c, op, &value[..n])?;
            Ok(as_i32(value.len()))
        },
    )?;
    linker.func_wrap(
        m,
        "storage_write",
        |mut c: Caller<'_, StoreData>, kp: i32, kl: i32, vp: i32, vl: i32| -> R<()> {
            c.data_mut().import = "storage_write";
            let s = c.data().schedule;
            let klen = bounded(kl, MAX_STORAGE_KEY_LEN, "MAX_STORAGE_KEY_LEN")?;
            let vlen = bounded(vl, MAX_STORAGE_VALUE_LEN, "MAX_STORAGE_VALUE_LEN")?;
            let base = s.host_call_base.saturating_add(s.storage_write_base);
            charge(
                &mut c,
                GasSchedule::linear(base, s.storage_write_per_byte, klen + vlen),
            )?;
            let key = read(&c, kp, klen)?;
            let value = read(&c, vp, vlen)?;
            let contract = c.data().ctx.contract;
            host(&mut c)
                .storage_write(&contract, &key, &value)
                .map_err(|e| fatal(&mut c, e))
        },
    )?;
    linker.func_wrap(
        m,
        "storage_remove",
        |mut c: Caller<'_, StoreData>, kp: i32, kl: i32| -> R<i32> {
            c.data_mut().import = "storage_remove";
            let s = c.data().schedule;
            let klen = bounded(kl, MAX_STORAGE_KEY_LEN, "MAX_STORAGE_KEY_LEN")?;
            let base = s.host_call_base.saturating_add(s.storage_write_base);
            charge(
                &mut c,
                GasSchedule::linear(base, s.storage_write_per_byte, klen),
            )?;
            let key = read(&c, kp, klen)?;
            let contract = c.data().ctx.contract;
            let existed = host(&mut c)
                .storage_remove(&contract, &key)
                .map_err(|e| fatal(&mut c, e))?;
            Ok(i32::from(existed))
        },
    )?;
    linker.func_wrap(
        m,
        "storage_has",
        |mut c: Caller<'_, StoreData>, kp: i32, kl: i32| -> R<i32> {
            c.data_mut().import = "storage_has";
            let s = c.data().schedule;
            let klen = bounded(kl, MAX_STORAGE_KEY_LEN, "MAX_STORAGE_KEY_LEN")?;
            let base = s.host_call_base.saturating_add(s.storage_read_base);
            charge(
                &mut c,
                GasSchedule::linear(base, s.storage_read_per_byte, klen),
            )?;
            let key = read(&c, kp, klen)?;
            let contract = c.data().ctx.contract;
            let has = host(&mut c)
                .storage_has(&contract, &key)
                .map_err(|e| fatal(&mut c, e))?;
            Ok(i32::from(has))
        },
    )?;

    // --- context ---
    linker.func_wrap(
        m,
        "caller",
        |mut c: Caller<'_, StoreData>, out: i32| -> R<()> {
            c.data_mut().import = "caller";
            charge_copy(&mut c, 0, 20)?;
            let a = c.data().ctx.caller;
            write(&mut c, out, &a.0)
        },
    )?;
    linker.func_wrap(
        m,
        "origin",
        |mut c: Caller<'_, StoreData>, out: i32| -> R<()> {
            c.data_mut().import = "origin";
            charge_copy(&mut c, 0, 20)?;
            let a = c.data().ctx.origin;
            write(&mut c, out, &a.0)
        },
    )?;
    linker.func_wrap(
        m,
        "self_address",
        |mut c: Caller<'_, StoreData>, out: i32| -> R<()> {
            c.data_mut().import = "self_address";
            charge_copy(&mut c, 0, 20)?;
            let a = c.data().ctx.contract;
            write(&mut c, out, &a.0)
        },
    )?;
    linker.func_wrap(
        m,
        "value",
        |mut c: Caller<'_, StoreData>, out: i32| -> R<()> {
            c.data_mut().import = "value";
            charge_copy(&mut c, 0, 32)?;
            let v = amount_bytes(c.data().ctx.value);
            write(&mut c, out, &v)
        },
    )?;
    linker.func_wrap(
        m,
        "block_height",
        |mut c: Caller<'_, StoreData>| -> R<i64> {
            c.data_mut().import = "block_height";
            charge_copy(&mut c, 0, 0)?;
            Ok(c.data().ctx.block.height as i64)
        },
    )?;
    linker.func_wrap(m, "timestamp", |mut c: Caller<'_, StoreData>| -> R<i64> {
        c.data_mut().import = "timestamp";
        charge_copy(&mut c, 0, 0)?;
        Ok(c.data().ctx.block.timestamp as i64)
    })?;
    linker.func_wrap(m, "chain_id", |mut c: Caller<'_, StoreData>| -> R<i64> {
        c.data_mut().import = "chain_id";
        charge_copy(&mut c, 0, 0)?;
        Ok(c.data().ctx.block.chain_id as i64)
    })?;

    // --- value ---
    linker.func_wrap(
        m,
        "balance",
        |mut c: Caller<'_, StoreData>, ap: i32, out: i32| -> R<()> {
            c.data_mut().import = "balance";
            let s = c.data().schedule;
            charge_copy(&mut c, s.storage_read_base, 52)?;
            let addr = read_address(&c, ap)?;
            region(&c, out, 32)?;
            let bal = host(&mut c).balance(&addr).map_err(|e| fatal(&mut c, e))?;
            write(&mut c, out, &amount_bytes(bal))
        },
    )?;
    linker.func_wrap(
        m,
        "transfer",
        |mut c: Caller<'_, StoreData>, ap: i32, vp: i32| -> R<i32> {
            c.data_mut().import = "transfer";
            let s = c.data().schedule;
            charge_copy(&mut c, s.transfer_base, 52)?;
            let to = read_address(&c, ap)?;
            let amount = read_amount(&c, vp)?;
            let from = c.data().ctx.contract;
            let ok = host(&mut c)
                .transfer(&from, &to, amount)
                .map_err(|e| fatal(&mut c, e))?;
            Ok(if ok {
                status::SUCCESS
            } else {
                status::INSUFFICIENT_BALANCE
            })
        },
    )?;

    // --- events ---
    linker.func_wrap(
        m,
        "emit_event",
        |mut c: Caller<'_, StoreData>, tp: i32, tn: i32, dp: i32, dl: i32| -> R<()> {
            c.data_mut().import = "emit_event";
            let s = c.data().schedule;
            let topics = bounded(tn, MAX_EVENT_TOPICS, "MAX_EVENT_TOPICS")?;
            let dlen = bounded(dl, MAX_EVENT_DATA_SIZE, "MAX_EVENT_DATA_SIZE")?;
            let cost = GasSchedule::linear(
                s.host_call_base
                    .saturating_add(s.event_base)
                    .saturating_add(s.event_per_topic.saturating_mul(topics as u64)),
                s.event_per_byte,
                dlen,
            );
            charge(&mut c, cost)?;
            let raw = read(&c, tp, topics * 32)?;
            let data = read(&c, dp, dlen)?;
            let topics = raw
                .chunks_exact(32)
                .map(|t| Hash::from_slice(t).unwrap_or_default())
                .collect();
            let event = Event {
                contract: c.data().ctx.contract,
                topics,
                data,
            };
            let ok = host(&mut c)
                .emit_event(event)
                .map_err(|e| fatal(&mut c, e))?;
            if ok {
                Ok(())
            } else {
                Err(fault(TrapKind::LengthTooLarge("MAX_EVENTS_PER_TX")))
            }
        },
    )?;

    // --- cross-contract ---
    linker.func_wrap(
        m,
        "call",
        |mut c: Caller<'_, StoreData>,
         ap: i32,
         mp: i32,
         ml: i32,
         argp: i32,
         argl: i32,
         vp: i32,
         gas: i64|
         -> R<i32> {
            c.data_mut().import = "call";
            let s = c.data().schedule;
            let mlen = bounded(ml, MAX_METHOD_NAME_LEN, "MAX_METHOD_NAME_LEN")?;
            let alen = bounded(argl, MAX_ARGS_SIZE, "MAX_ARGS_SIZE")?;
            charge_copy(&mut c, s.call_contract_base, 52 + mlen + alen)?;
            let to = read_address(&c, ap)?;
            let method = String::from_utf8(read(&c, mp, mlen)?)
                .map_err(|_| fault(TrapKind::InvalidArgument("method name")))?;
            let input = read(&c, argp, alen)?;
            let value = read_amount(&c, vp)?;
            c.data_mut().last_result.clear();
            let parent = &c.data().ctx;
            if parent.depth >= MAX_CALL_DEPTH {
                return Ok(status::CALL_DEPTH);
            }
            let ctx = nested(parent, to, method, input, value, callee_gas(&c, gas)?);
            let limit = ctx.gas_limit;
            let vm = vm_ref(&c);
            let exec = host(&mut c).call(vm, ctx).map_err(|e| fatal(&mut c, e))?;
            charge(&mut c, exec.gas_used.min(limit))?;
            let code = exec.outcome.status_code();
            c.data_mut().last_result = match exec.outcome {
                Outcome::Success => exec.return_data,
                Outcome::Reverted(msg) => msg.into_bytes(),
                _ => Vec::new(),
            };
            Ok(code)
        },
    )?;
    linker.func_wrap(m, "result_size", |mut c: Caller<'_, StoreData>| -> R<i32> {
        c.data_mut().import = "result_size";
        charge_copy(&mut c, 0, 0)?;
        Ok(as_i32(c.data().last_result.len()))
    })?;
    linker.func_wrap(
        m,
        "result_read",
        |mut c: Caller<'_, StoreData>, ptr: i32| -> R<()> {
            c.data_mut().import = "result_read";
            let len = c.data().last_result.len();
            charge_copy(&mut c, 0, len)?;
            let data = std::mem::take(&mut c.data_mut().last_result);
            let r = write(&mut c, ptr, &data);
            c.data_mut().last_result = data;
            r
        },
    )?;
    linker.func_wrap(
        m,
        "deploy",
        |mut c: Caller<'_, StoreData>,
         hp: i32,
         sp: i32,
         argp: i32,
         argl: i32,
         vp: i32,
         gas: i64,
         out: i32|
         -> R<i32> {
            c.data_mut().import = "deploy";
            let s = c.data().schedule;
            let alen = bounded(argl, MAX_ARGS_SIZE, "MAX_ARGS_SIZE")?;
            charge_copy(&mut c, s.deploy_base, 64 + 32 + alen)?;
            let code_hash = Hash(read_array::<32>(&c, hp)?);
            let salt = Hash(read_array::<32>(&c, sp)?);
            let input = read(&c, argp, alen)?;
            let value = read_amount(&c, vp)?;
            region(&c, out, 20)?;
            c.data_mut().last_result.clear();
            let parent = &c.data().ctx;
            if parent.depth >= MAX_CALL_DEPTH {
                return Ok(status::CALL_DEPTH);
            }
            let address = Address::for_create2(&parent.contract, &salt, &code_hash);
            let init = nested(
                parent,
                address,
                "init".into(),
                input,
                value,
                callee_gas(&c, gas)?,
            );
            let limit = init.gas_limit;
            let vm = vm_ref(&c);
            let exec = host(&mut c)
                .deploy(
                    vm,
                    DeployRequest {
                        code_hash,
                        salt,
                        init,
                    },
                )
                .map_err(|e| fatal(&mut c, e))?;
            charge(&mut c, exec.gas_used.min(limit))?;
            let code = exec.outcome.status_code();
            if code == status::SUCCESS {
                write(&mut c, out, &address.0)?;
            }
            c.data_mut().last_result = match exec.outcome {
                Outcome::Success => exec.return_data,
                Outcome::Reverted(msg) => msg.into_bytes(),
                _ => Vec::new(),
            };
            Ok(code)
        },
    )?;

    // --- crypto ---
    linker.func_wrap(
        m,
        "keccak256",
        |mut c: Caller<'_, StoreData>, p: i32, l: i32, out: i32| -> R<()> {
            c.data_mut().import = "keccak256";
            let s = c.data().schedule;
            let len = bounded(l, MAX_HASH_INPUT_LEN, "MAX_HASH_INPUT_LEN")?;
            charge(
                &mut c,
                GasSchedule::linear(s.host_call_base + s.keccak_base, s.keccak_per_byte, len),
            )?;
            let range = region(&c, p, len)?;
            region(&c, out, 32)?;
            let mem = c.data().memory.ok_or_else(|| fault(TrapKind::BadPointer))?;
            let digest = cairn_primitives::keccak256(&mem.data(&c)[range]);
            write(&mut c, out, &digest)
        },
    )?;
    linker.func_wrap(
        m,
        "sha256",
        |mut c: Caller<'_, StoreData>, p: i32, l: i32, out: i32| -> R<()> {
            c.data_mut().import = "sha256";
            let s = c.data().schedule;
            let len = bounded(l, MAX_HASH_INPUT_LEN, "MAX_HASH_INPUT_LEN")?;
            charge(
                &mut c,
                GasSchedule::linear(s.host_call_base + s.sha256_base, s.sha256_per_byte, len),
            )?;
            let range = region(&c, p, len)?;
            region(&c, out, 32)?;
            let mem = c.data().memory.ok_or_else(|| fault(TrapKind::BadPointer))?;
            let digest: [u8; 32] = sha2::Sha256::digest(&mem.data(&c)[range]).into();
            write(&mut c, out, &digest)
        },
    )?;
    linker.func_wrap(
        m,
        "ed25519_verify",
        |mut c: Caller<'_, StoreData>, kp: i32, mp: i32, ml: i32, sp: i32| -> R<i32> {
            c.data_mut().import = "ed25519_verify";
            let s = c.data().schedule;
            let len = bounded(ml, MAX_HASH_INPUT_LEN, "MAX_HASH_INPUT_LEN")?;
            let base = s.host_call_base + s.ed25519_verify_base;
            charge(&mut c, GasSchedule::linear(base, s.ed25519_per_byte, len))?;
            let key = read_array::<32>(&c, kp)?;
            let sig = read_array::<64>(&c, sp)?;
            let range = region(&c, mp, len)?;
            let mem = c.data().memory.ok_or_else(|| fault(TrapKind::BadPointer))?;
            let ok = cairn_primitives::verify(&key, &mem.data(&c)[range], &sig).is_ok();
            Ok(i32::from(ok))
        },
    )?;

    // --- misc ---
    linker.func_wrap(m, "gas_left", |mut c: Caller<'_, StoreData>| -> R<i64> {
        c.data_mut().import = "gas_left";
        charge_copy(&mut c, 0, 0)?;
        let fuel = c.get_fuel()?;
        Ok(i64::try_from(fuel).unwrap_or(i64::MAX))
    })?;
    linker.func_wrap(
        m,
        "debug_log",
        |mut c: Caller<'_, StoreData>, p: i32, l: i32| -> R<()> {
            c.data_mut().import = "debug_log";
            let s = c.data().schedule;
            let len = bounded(l, MAX_DEBUG_LOG_LEN, "MAX_DEBUG_LOG_LEN")?;
            charge_copy(&mut c, s.debug_log_base, len)?;
            // Bounds are checked whether or not the line is printed: execution must not
            // depend on the node's logging setting.
            let bytes = read(&c, p, len)?;
            let contract = c.data().ctx.contract;
            let h = host(&mut c);
            if h.debug_log_enabled() {
                h.debug_log(&contract, &String::from_utf8_lossy(&bytes));
            }
            Ok(())
        },
    )?;
    Ok(())
}

/// Gas for a nested call: the requested amount, or everything left when 0 or more than left.
fn callee_gas(c: &Caller<'_, StoreData>, requested: i64) -> R<Gas> {
    let left = c.get_fuel()?.saturating_sub(c.data().meter.pending);
    let requested = requested as u64;
    Ok(if requested == 0 || requested > left {
        left
    } else {
        requested
    })
}

fn nested(
    parent: &CallContext,
    to: Address,
    method: String,
    input: Vec<u8>,
    value: Amount,
    gas: Gas,
) -> CallContext {
    let mut call_stack = parent.call_stack.clone();
    call_stack.push(parent.contract);
    CallContext {
        contract: to,
        caller: parent.contract,
        origin: parent.origin,
        value,
        method,
        input,
        gas_limit: gas,
        block: parent.block,
        depth: parent.depth + 1,
        call_stack,
    }
}
