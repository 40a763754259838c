//! The executor's errors, in three families kept apart in the types (STYLE §6):
//!
//! ```text
//!   TxRejection    a transaction fails the pre-check: never executed, no receipt, no fee
//!                  (building: skipped and reported; verifying: the block is invalid)
//!   receipt        a transaction executed and failed: fee charged, state reverted
//!                  (not an error at all: a `Receipt` with a failing status)
//!   ExecutorError  the node could not execute the block (storage, engine) or the block
//!                  is invalid (`InvalidBlock`); `is_fatal` tells them apart
//! ```

use cairn_primitives::{Amount, ChainId, Gas, Hash, Nonce};
use cairn_state::StateError;
use cairn_vm::{HostError, VmError};

/// Why a transaction cannot be executed in this block at all. Deterministic: the same
/// state and transaction give the same rejection on every node.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TxRejection {
    /// The transaction is signed for another chain.
    #[error("chain id {got} does not match {expected}")]
    WrongChainId {
        /// The block's chain id.
        expected: ChainId,
        /// The transaction's.
        got: ChainId,
    },
    /// The nonce is below the account's (already used).
    #[error("nonce {got} is below the account nonce {expected}")]
    NonceTooLow {
        /// The sender's next nonce.
        expected: Nonce,
        /// The transaction's.
        got: Nonce,
    },
    /// The nonce is above the account's (an earlier transaction is missing).
    #[error("nonce {got} is above the account nonce {expected}")]
    NonceTooHigh {
        /// The sender's next nonce.
        expected: Nonce,
        /// The transaction's.
        got: Nonce,
    },
    /// `gas_limit × gas_price + value` does not fit in 256 bits.
    #[error("maximum cost overflows 256 bits (gas limit {gas_limit}, gas price {gas_price})")]
    CostOverflow {
        /// The gas limit.
        gas_limit: Gas,
        /// The gas price.
        gas_price: Amount,
    },
    /// The sender cannot pay `gas_limit × gas_price + value`.
    #[error("balance {balance} is below the maximum cost {cost}")]
    InsufficientBalance {
        /// The sender's balance.
        balance: Amount,
        /// `gas_limit × gas_price + value`.
        cost: Amount,
    },
    /// The gas limit does not cover the intrinsic gas.
    #[error("gas limit {got} is below the intrinsic gas {min}")]
    GasLimitTooLow {
        /// The intrinsic gas.
        min: Gas,
        /// The transaction's gas limit.
        got: Gas,
    },
    /// The gas limit is above what is left of the block's gas limit.
    #[error("gas limit {got} exceeds the remaining block gas {remaining}")]
    BlockGasExceeded {
        /// Block gas left.
        remaining: Gas,
        /// The transaction's gas limit.
        got: Gas,
    },
    /// The block already holds `MAX_BLOCK_TXS` transactions.
    #[error("block already holds {0} transactions")]
    TooManyTxs(usize),
    /// A dev override on a chain without a dev authority, or not signed by it.
    #[error("dev overrides are only accepted from the chain's dev authority (devnet only)")]
    DevOpNotAllowed,
}

impl TxRejection {
    /// True when the transaction can never become valid on this chain from this state
    /// onwards (the proposer should drop it from the mempool); false when it may be valid
    /// later (a nonce gap, a balance that may be topped up, a full block).
    #[must_use]
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            Self::WrongChainId { .. }
                | Self::NonceTooLow { .. }
                | Self::CostOverflow { .. }
                | Self::GasLimitTooLow { .. }
                | Self::DevOpNotAllowed
        )
    }
}

/// A block that breaks a rule: one of its transactions fails the pre-check, or it is too
/// large. Returned only when verifying; the block must be rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("transaction {index} ({tx_hash}) is invalid: {reason}")]
pub struct InvalidBlock {
    /// Position of the offending transaction in the block.
    pub index: usize,
    /// Its hash.
    pub tx_hash: Hash,
    /// Why.
    pub reason: TxRejection,
}

/// Why a block could not be executed.
#[derive(Debug, thiserror::Error)]
pub enum ExecutorError {
    /// The block is invalid (verification only): reject it, the node is fine.
    #[error(transparent)]
    InvalidBlock(#[from] InvalidBlock),
    /// The state failed (node-fatal: storage I/O, corruption).
    #[error(transparent)]
    State(#[from] StateError),
    /// The VM failed on the node's side (engine, compile, cache).
    #[error(transparent)]
    Vm(#[from] VmError),
    /// The host failed during a contract call (storage I/O).
    #[error(transparent)]
    Host(#[from] HostError),
    /// The execution thread could not be started or panicked.
    #[error("execution thread failed: {0}")]
    Thread(String),
}

impl ExecutorError {
    /// True for failures of the node itself (stop or retry), false for an invalid block
    /// (reject it and carry on).
    #[must_use]
    pub fn is_fatal(&self) -> bool {
        !matches!(self, Self::InvalidBlock(_))
    }
}

/// `Result` with [`ExecutorError`].
pub type Result<T, E = ExecutorError> = core::result::Result<T, E>;
