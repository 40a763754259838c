//! The VM's error and outcome types.
//!
//! Three families, kept apart in the types (STYLE §6):
//!
//! ```text
//!   deploy  ──► ValidationError      the code is rejected; nothing is stored
//!   execute ──► Execution{Outcome}   contract-visible: success, revert, out of gas, trap, ...
//!           └─► VmError              node-side: storage I/O, engine resources — never a
//!                                    receipt; the node stops or retries the block
//! ```
//!
//! Every string that can reach a receipt comes from these enums' `Display`, which prints
//! only deterministic values (no backtraces, addresses or wasmtime messages).

use cairn_primitives::{Gas, ReceiptStatus};

/// Why a module was rejected at deploy. Deterministic: the same bytes give the same error.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    /// The code is larger than [`MAX_CODE_SIZE`](crate::limits::MAX_CODE_SIZE).
    #[error("code size {0} exceeds the limit")]
    CodeTooLarge(usize),
    /// Not a valid WebAssembly module for the enabled features (the parser's message).
    #[error("malformed module: {0}")]
    Malformed(String),
    /// A limit on the module's shape was broken.
    #[error("{what}: {count} exceeds the limit {max}")]
    TooMany {
        /// The limit's name (e.g. `functions`, `params`, `br_table targets`).
        what: &'static str,
        /// What the module has.
        count: u64,
        /// The limit.
        max: u64,
    },
    /// The module must define exactly one memory (imports of memories are refused).
    #[error("module defines {0} memories, exactly one is required")]
    MemoryCount(u32),
    /// The memory declares no maximum size.
    #[error("memory has no declared maximum")]
    MemoryWithoutMaximum,
    /// The memory's declared minimum or maximum is above the page cap.
    #[error("memory of {0} pages exceeds the page cap")]
    MemoryTooLarge(u64),
    /// Shared or 64-bit memories are not allowed.
    #[error("shared or 64-bit memory is not allowed")]
    MemoryKind,
    /// More than one table.
    #[error("module has {0} tables, at most one is allowed")]
    TableCount(u32),
    /// A table's declared size is above the cap, or it has no maximum.
    #[error("table of {0} elements exceeds the limit")]
    TableTooLarge(u64),
    /// An import that the host does not provide.
    #[error("unknown import {module}.{name}")]
    UnknownImport {
        /// Import module name.
        module: String,
        /// Import field name.
        name: String,
    },
    /// An import with the right name but the wrong kind or signature.
    #[error("import cairn.{0} has the wrong type")]
    ImportType(String),
    /// No exported memory named `memory`.
    #[error("no exported memory named \"memory\"")]
    MissingMemoryExport,
    /// No callable method: an exported function of type `() -> ()`.
    #[error("no exported method")]
    NoMethods,
    /// A start function runs at instantiation, outside any method: refused.
    #[error("start function is not allowed")]
    StartFunction,
    /// An instruction the VM refuses (e.g. `table.grow`, `table.fill`).
    #[error("instruction {0} is not allowed")]
    ForbiddenInstruction(&'static str),
}

/// A trap: the contract did something invalid. Its gas is charged and its state reverted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrapKind {
    /// `unreachable` executed (also Rust's `panic!` with `panic = "abort"`).
    Unreachable,
    /// Integer division or remainder by zero.
    DivisionByZero,
    /// Integer overflow (`i32.div_s` of `MIN / -1`).
    IntegerOverflow,
    /// Float to integer conversion out of range or NaN.
    BadConversion,
    /// A load or store outside linear memory.
    MemoryOutOfBounds,
    /// `call_indirect` or a table access out of bounds.
    TableOutOfBounds,
    /// `call_indirect` to an uninitialised element.
    IndirectCallToNull,
    /// `call_indirect` with the wrong signature.
    BadSignature,
    /// A host import was given a region outside linear memory, or `ptr + len` overflowed.
    BadPointer,
    /// A host import was given a length above the named limit.
    LengthTooLarge(&'static str),
    /// A host import was given an invalid value (e.g. a method name that is not UTF-8).
    InvalidArgument(&'static str),
    /// Any other trap code of the pinned engine.
    Other,
}

impl core::fmt::Display for TrapKind {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Unreachable => f.write_str("unreachable executed"),
            Self::DivisionByZero => f.write_str("integer division by zero"),
            Self::IntegerOverflow => f.write_str("integer overflow"),
            Self::BadConversion => f.write_str("invalid conversion to integer"),
            Self::MemoryOutOfBounds => f.write_str("memory access out of bounds"),
            Self::TableOutOfBounds => f.write_str("table access out of bounds"),
            Self::IndirectCallToNull => f.write_str("indirect call to null"),
            Self::BadSignature => f.write_str("indirect call signature mismatch"),
            Self::BadPointer => f.write_str("host call with a region outside memory"),
            Self::LengthTooLarge(what) => write!(f, "host call length exceeds {what}"),
            Self::InvalidArgument(what) => write!(f, "host call with invalid {what}"),
            Self::Other => f.write_str("trap"),
        }
    }
}

/// How one execution ended, as the contract and the receipt see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The method returned normally.
    Success,
    /// The contract called `revert` with this message (lossy UTF-8, at most
    /// [`MAX_ERROR_MESSAGE_LEN`](crate::limits::MAX_ERROR_MESSAGE_LEN) bytes).
    Reverted(String),
    /// Gas ran out. Always reports `gas_used == gas_limit`.
    OutOfGas,
    /// A trap; see [`TrapKind`].
    Trapped(TrapKind),
    /// The wasm stack ([`MAX_WASM_STACK`](crate::limits::MAX_WASM_STACK)) was exhausted.
    /// Reports `gas_used == gas_limit`.
    StackExhausted,
    /// The call would nest deeper than [`MAX_CALL_DEPTH`](crate::limits::MAX_CALL_DEPTH).
    CallDepthExceeded,
    /// The callee is already on the call stack and did not opt in to re-entry.
    ReentrancyDenied,
    /// The contract has no such method.
    MethodNotFound,
    /// The address has no contract, or the code hash has no code.
    ContractNotFound,
    /// A deploy's address is already taken.
    AddressInUse,
    /// The value attached to a call or deploy exceeds the sender's balance.
    InsufficientBalance,
}

/// Status codes returned to a contract by the `call` and `deploy` imports.
pub mod status {
    /// The callee returned normally.
    pub const SUCCESS: i32 = 0;
    /// The callee reverted; its message is the call result.
    pub const REVERTED: i32 = 1;
    /// The callee ran out of gas.
    pub const OUT_OF_GAS: i32 = 2;
    /// The callee trapped or exhausted its stack.
    pub const TRAPPED: i32 = 3;
    /// The call depth limit was reached.
    pub const CALL_DEPTH: i32 = 4;
    /// The callee is on the call stack and did not opt in to re-entry.
    pub const REENTRANCY: i32 = 5;
    /// No such contract, method or code.
    pub const NOT_FOUND: i32 = 6;
    /// The attached value exceeds the balance.
    pub const INSUFFICIENT_BALANCE: i32 = 7;
    /// The deploy address is taken.
    pub const ADDRESS_IN_USE: i32 = 8;
}

impl Outcome {
    /// The code the `call` import returns for this outcome.
    #[must_use]
    pub fn status_code(&self) -> i32 {
        match self {
            Self::Success => status::SUCCESS,
            Self::Reverted(_) => status::REVERTED,
            Self::OutOfGas => status::OUT_OF_GAS,
            Self::Trapped(_) | Self::StackExhausted => status::TRAPPED,
            Self::CallDepthExceeded => status::CALL_DEPTH,
            Self::ReentrancyDenied => status::REENTRANCY,
            Self::MethodNotFound | Self::ContractNotFound => status::NOT_FOUND,
            Self::InsufficientBalance => status::INSUFFICIENT_BALANCE,
            Self::AddressInUse => status::ADDRESS_IN_USE,
        }
    }

    /// The receipt status for this outcome.
    #[must_use]
    pub fn receipt_status(&self) -> ReceiptStatus {
        match self {
            Self::Success => ReceiptStatus::Success,
            Self::Reverted(_) => ReceiptStatus::Reverted,
            Self::OutOfGas => ReceiptStatus::OutOfGas,
            Self::Trapped(_) | Self::StackExhausted => ReceiptStatus::Trapped,
            _ => ReceiptStatus::Failed,
        }
    }

    /// The deterministic message for a receipt's `error` field (`None` on success).
    #[must_use]
    pub fn error_message(&self) -> Option<String> {
        Some(match self {
            Self::Success => return None,
            Self::Reverted(msg) => msg.clone(),
            Self::OutOfGas => "out of gas".into(),
            Self::Trapped(kind) => format!("trap: {kind}"),
            Self::StackExhausted => "stack exhausted".into(),
            Self::CallDepthExceeded => "call depth exceeded".into(),
            Self::ReentrancyDenied => "reentrancy denied".into(),
            Self::MethodNotFound => "method not found".into(),
            Self::ContractNotFound => "contract not found".into(),
            Self::AddressInUse => "address in use".into(),
            Self::InsufficientBalance => "insufficient balance".into(),
        })
    }

    /// Whether the execution succeeded (state changes are kept).
    #[must_use]
    pub fn is_success(&self) -> bool {
        matches!(self, Self::Success)
    }
}

/// The result of one execution: how it ended, the gas it used, what it returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Execution {
    /// How it ended.
    pub outcome: Outcome,
    /// Gas used, including host costs and nested calls; never more than the limit.
    pub gas_used: Gas,
    /// Return data: what `set_return` last set, kept on `Success` and on `Reverted` (where
    /// it is the revert's encoded error data); empty for every other outcome.
    pub return_data: Vec<u8>,
    /// For a trap, stack exhaustion or gas exhaustion with backtraces on
    /// (`VmConfig::backtraces`): the wasm functions on the stack, innermost first, at most
    /// `MAX_BACKTRACE_FRAMES`. Empty otherwise.
    pub backtrace: Vec<String>,
}

impl Execution {
    /// An execution that ended before running any code.
    #[must_use]
    pub fn early(outcome: Outcome, gas_used: Gas) -> Self {
        Self {
            outcome,
            gas_used,
            return_data: Vec::new(),
            backtrace: Vec::new(),
        }
    }
}

/// A node-fatal failure reported by the [`Host`](crate::Host) (storage I/O and the
/// like). It aborts the whole block; it never becomes a receipt.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("host failure: {0}")]
pub struct HostError(pub String);

/// A node-side VM failure: never a receipt, never the contract's fault.
#[derive(Debug, thiserror::Error)]
pub enum VmError {
    /// Deploy-time validation failed (returned by `prepare`; the deploy transaction fails).
    #[error("invalid module: {0}")]
    Invalid(#[from] ValidationError),
    /// Cranelift could not compile a module that passed validation.
    #[error("compile failed: {0}")]
    Compile(String),
    /// The engine could not be built, or failed in a way no contract can cause
    /// (e.g. the instance pool is exhausted).
    #[error("engine failure: {0}")]
    Engine(String),
    /// The on-disk module cache failed.
    #[error("module cache i/o at {path}: {source}")]
    Cache {
        /// The file or directory.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The host failed (storage I/O): the block cannot be executed.
    #[error(transparent)]
    Host(#[from] HostError),
}

/// `Result` with [`VmError`].
pub type Result<T, E = VmError> = core::result::Result<T, E>;

/// The gas a failure outcome reports, given the limit and what was used so far.
#[must_use]
pub(crate) fn failure_gas(outcome: &Outcome, limit: Gas, used: Gas) -> Gas {
    match outcome {
        Outcome::OutOfGas | Outcome::StackExhausted => limit,
        _ => used.min(limit),
    }
}
