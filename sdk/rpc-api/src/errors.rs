//! Error codes: the JSON-RPC standard ones, and Cairn's own documented range.
//!
//! ```text
//! -32700 … -32600   JSON-RPC: parse error, invalid request, method not found, invalid params, internal
//!   4000 …   4099   the transaction was not admitted (fix the transaction)
//!   4100 …   4199   the query cannot be answered (unknown block, pruned state, range too large)
//!   4200 …   4299   execution failed (revert with message and data, out of gas)
//!   5000 …   5099   the node could not serve the request (timeout, overloaded, shutting down)
//! ```

use jsonrpsee::types::ErrorObjectOwned;
use serde::Serialize;

/// A Cairn error code. The numbers are part of the public API: never renumber one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorCode {
    /// The bytes are not a canonical `SignedTransaction` within the limits.
    InvalidTransaction = 4000,
    /// The signature does not verify.
    InvalidSignature = 4001,
    /// The transaction is for another chain.
    WrongChainId = 4002,
    /// The nonce is below the account's next nonce.
    NonceTooLow = 4003,
    /// The nonce is too far ahead of the account's next nonce.
    NonceTooHigh = 4004,
    /// The balance does not cover `gas_limit × gas_price + value`.
    InsufficientFunds = 4005,
    /// The gas price is below the node's minimum.
    GasPriceTooLow = 4006,
    /// The encoded transaction is larger than the limit.
    TransactionTooLarge = 4007,
    /// The same transaction is already pending.
    AlreadyKnown = 4008,
    /// A pending transaction has this nonce and the new gas price is not high enough.
    ReplacementUnderpriced = 4009,
    /// The pool is full and the transaction pays too little to evict another.
    PoolFull = 4010,
    /// The gas limit exceeds the block gas limit or is below the intrinsic cost.
    GasLimitInvalid = 4011,
    /// The sender already has the most pending transactions one sender may have.
    SenderFull = 4012,
    /// The sender already has the most gapped (future-nonce) transactions allowed.
    TooManyFuture = 4013,
    /// No block with this height or hash.
    UnknownBlock = 4100,
    /// The state at that block was pruned.
    PrunedState = 4101,
    /// The query spans more blocks than allowed.
    RangeTooLarge = 4102,
    /// Execution reverted; the error data holds the message and revert data.
    ExecutionReverted = 4200,
    /// Execution ran out of gas.
    OutOfGas = 4201,
    /// Execution trapped or failed otherwise.
    ExecutionFailed = 4202,
    /// A dev override was refused: the devnet has no dev authority (created before
    /// overrides existed), or the override failed (invalid code, unknown code hash).
    DevOverrideFailed = 4300,
    /// `dev_revert` names no live snapshot.
    UnknownSnapshot = 4301,
    /// Waiting for a result took longer than the timeout.
    Timeout = 5000,
    /// The node is overloaded; retry later.
    Overloaded = 5001,
    /// The node failed internally (storage, execution engine); the request may be retried.
    Internal = 5002,
}

impl ErrorCode {
    /// The numeric code sent in the JSON-RPC error object.
    #[must_use]
    pub const fn code(self) -> i32 {
        self as i32
    }

    /// An error object with this code, a message and no data.
    #[must_use]
    pub fn error(self, message: impl Into<String>) -> ErrorObjectOwned {
        ErrorObjectOwned::owned::<()>(self.code(), message.into(), None)
    }

    /// An error object with this code, a message and structured data.
    #[must_use]
    pub fn error_with_data<T: Serialize>(
        self,
        message: impl Into<String>,
        data: T,
    ) -> ErrorObjectOwned {
        ErrorObjectOwned::owned(self.code(), message.into(), Some(data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable() {
        assert_eq!(ErrorCode::InvalidTransaction.code(), 4000);
        assert_eq!(ErrorCode::NonceTooLow.code(), 4003);
        assert_eq!(ErrorCode::UnknownBlock.code(), 4100);
        assert_eq!(ErrorCode::ExecutionReverted.code(), 4200);
        assert_eq!(ErrorCode::Timeout.code(), 5000);
        let e = ErrorCode::ExecutionReverted.error_with_data(
            "execution reverted: no",
            serde_json::json!({"message": "no"}),
        );
        assert_eq!(e.code(), 4200);
        assert_eq!(e.message(), "execution reverted: no");
    }
}
