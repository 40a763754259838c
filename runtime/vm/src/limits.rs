//! Every bound the VM enforces, named in one place.
//!
//! Deploy-time limits ([`validate`](crate::validate)) keep compilation bounded and the
//! instance small; run-time limits bound every pointer/length a contract hands to a host
//! function. Changing any of them changes which contracts are valid or how they behave,
//! so a change here is a protocol change: bump [`GAS_SCHEDULE_VERSION`](crate::GAS_SCHEDULE_VERSION).

pub use cairn_primitives::limits::{
    MAX_ARGS_SIZE, MAX_CODE_SIZE, MAX_ERROR_MESSAGE_LEN, MAX_EVENT_DATA_SIZE, MAX_EVENT_TOPICS,
    MAX_EVENTS_PER_TX, MAX_METHOD_NAME_LEN, MAX_RETURN_DATA_SIZE,
};

/// Size of one wasm page in bytes.
pub const WASM_PAGE_SIZE: u64 = 65_536;

/// Most linear-memory pages a contract may declare or grow to (32 MiB). CosmWasm's cap;
/// enough for a Rust contract's 1 MiB shadow stack plus heap, small enough that a pool
/// of instances fits a validator's RAM.
pub const MAX_MEMORY_PAGES: u32 = 512;

/// Most table elements (declared minimum and maximum). Rust contracts use a handful for
/// `dyn` dispatch; a large table costs instantiation time (NEAR allows 10,000).
pub const MAX_TABLE_ELEMENTS: u32 = 4_096;

/// Most functions defined in a module (NEAR's cap). Bounds compile time.
pub const MAX_FUNCTIONS: u32 = 10_000;

/// Most imports. The host exports fewer than 40 functions; a module importing more is
/// malformed.
pub const MAX_IMPORTS: u32 = 64;

/// Most parameters of one function type (CWA-2023-004: params × functions exploded compile time).
pub const MAX_PARAMS: u32 = 32;

/// Most results of one function type (multi-value is allowed but kept small).
pub const MAX_RESULTS: u32 = 8;

/// Most declared locals in one function body (CosmWasm allows 100 params+locals; rustc
/// output at `opt-level = "z"` stays far below this).
pub const MAX_LOCALS_PER_FUNCTION: u32 = 1_024;

/// Most locals summed over all functions.
pub const MAX_TOTAL_LOCALS: u64 = 200_000;

/// Most bytes in one function body (NEAR caps bodies; big bodies compile superlinearly).
pub const MAX_FUNCTION_BODY_SIZE: u32 = 128 * 1024;

/// Deepest nesting of `block`/`loop`/`if` (wasmtime #4923: 15,000 nested blocks made
/// compilation quadratic).
pub const MAX_BLOCK_DEPTH: u32 = 256;

/// Most targets in one `br_table` (pallet-contracts allows 256; rustc `match` lowering
/// of large enums may need more).
pub const MAX_BR_TABLE_TARGETS: u32 = 1_024;

/// Most globals (rustc emits one: the shadow-stack pointer).
pub const MAX_GLOBALS: u32 = 256;

/// Most data segments.
pub const MAX_DATA_SEGMENTS: u32 = 1_024;

/// Most element segments.
pub const MAX_ELEMENT_SEGMENTS: u32 = 64;

/// Most exports (each method is one).
pub const MAX_EXPORTS: u32 = 512;

/// Most types in the type section.
pub const MAX_TYPES: u32 = 1_024;

/// Deepest chain of contract-to-contract calls. Each level holds one instance and up to
/// [`MAX_WASM_STACK`] of native stack: 32 × 256 KiB = 8 MiB, see [`MIN_NATIVE_STACK`].
pub const MAX_CALL_DEPTH: u32 = 32;

/// Most frames of a wasm backtrace kept (innermost first) when backtraces are on
/// (`VmConfig::backtraces`, devnets): enough to see a panic's origin, bounded for a stack
/// exhaustion that is thousands of frames deep.
pub const MAX_BACKTRACE_FRAMES: usize = 32;

/// Native stack wasm code may use per instance. Fixed with the engine pinned (wasmtime
/// 48, Cranelift, x86-64) so that stack exhaustion happens at the same point on every
/// node; see `docs/vm.md`.
pub const MAX_WASM_STACK: usize = 256 * 1024;

/// Native stack a thread must have to run a top-level call: every nested level may use
/// [`MAX_WASM_STACK`] plus host frames. The executor runs calls on threads this large.
pub const MIN_NATIVE_STACK: usize = 16 * 1024 * 1024;

/// Longest storage key (NEAR: 2 KiB). Keys are hashed into the trie; long keys only cost I/O.
pub const MAX_STORAGE_KEY_LEN: usize = 1_024;

/// Largest storage value (CosmWasm: 128 KiB).
pub const MAX_STORAGE_VALUE_LEN: usize = 128 * 1024;

/// Longest debug-log line.
pub const MAX_DEBUG_LOG_LEN: usize = 1_024;

/// Longest message that may be hashed or verified in one host call.
pub const MAX_HASH_INPUT_LEN: usize = 1024 * 1024;

/// Most instances alive at once in the pooling allocator (many threads × call depth).
pub const MAX_POOLED_INSTANCES: u32 = 256;
