//! Why a transaction was not admitted: one typed reason per admission rule.
//!
//! The RPC layer returns these to clients (`tx_send`), so each variant carries the offending
//! values and its message is short, lowercase and self-explanatory. [`RejectReason::kind`]
//! gives a stable machine-readable name for the JSON error's `data` field.

use cairn_primitives::{Address, Amount, ChainId, DecodeError, Gas, Hash, Nonce};

/// Why the mempool refused a transaction. Variants are listed in the order the rules are
/// checked (see `docs/mempool.md`); the first rule broken is the one reported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RejectReason {
    /// The encoded transaction is larger than the pool's per-transaction limit.
    #[error("transaction of {size} bytes exceeds the limit of {max}")]
    Oversized {
        /// Encoded size of the transaction.
        size: usize,
        /// The configured limit ([`crate::MempoolConfig::max_tx_bytes`]).
        max: usize,
    },
    /// The bytes are not a canonical encoding of a signed transaction.
    #[error("malformed transaction: {0}")]
    Malformed(DecodeError),
    /// The transaction is for another chain.
    #[error("wrong chain id {got}, this chain is {expected}")]
    WrongChainId {
        /// This node's chain id.
        expected: ChainId,
        /// The transaction's chain id.
        got: ChainId,
    },
    /// The gas price is below the node's minimum.
    #[error("gas price {got} is below the minimum of {min}")]
    GasPriceTooLow {
        /// The configured minimum.
        min: Amount,
        /// The transaction's gas price.
        got: Amount,
    },
    /// The gas limit is larger than any block could hold, so the transaction could never be
    /// included.
    #[error("gas limit {got} exceeds the maximum of {max}")]
    GasLimitTooHigh {
        /// The configured maximum (the block gas limit).
        max: Gas,
        /// The transaction's gas limit.
        got: Gas,
    },
    /// The gas limit is below the intrinsic gas of the transaction (base plus per byte), so
    /// it could only fail.
    #[error("gas limit {got} is below the intrinsic gas of {min}")]
    GasLimitTooLow {
        /// Intrinsic gas of this transaction.
        min: Gas,
        /// The transaction's gas limit.
        got: Gas,
    },
    /// `gas_limit × gas_price + value` does not fit in 256 bits.
    #[error(
        "maximum cost overflows 256 bits (gas limit {gas_limit}, gas price {gas_price}, value {value})"
    )]
    CostOverflow {
        /// The transaction's gas limit.
        gas_limit: Gas,
        /// The transaction's gas price.
        gas_price: Amount,
        /// The value it moves.
        value: Amount,
    },
    /// The pool already holds a transaction with this hash.
    #[error("transaction {0} is already known")]
    AlreadyKnown(Hash),
    /// The public key or the signature is invalid (strict ed25519).
    #[error("invalid signature")]
    BadSignature,
    /// A dev override not signed by the chain's dev authority (or on a chain without one).
    #[error("dev overrides are only accepted from the chain's dev authority (devnet only)")]
    DevOpNotAllowed,
    /// The nonce was already used by a committed transaction of the sender.
    #[error("nonce {got} is below the account nonce {account}")]
    NonceTooLow {
        /// The sender's committed nonce (the next nonce it may use).
        account: Nonce,
        /// The transaction's nonce.
        got: Nonce,
    },
    /// The nonce is further ahead of the account nonce than
    /// [`crate::MempoolConfig::max_nonce_ahead`].
    #[error("nonce {got} is too far ahead of the account nonce {account} (at most {max})")]
    NonceTooHigh {
        /// The sender's committed nonce.
        account: Nonce,
        /// The highest nonce accepted now.
        max: Nonce,
        /// The transaction's nonce.
        got: Nonce,
    },
    /// A transaction with the same sender and nonce is pooled and the newcomer does not pay
    /// enough more to replace it.
    #[error("replacement gas price {got} is below the required {required} (pooled: {pooled})")]
    ReplacementUnderpriced {
        /// Gas price of the pooled transaction.
        pooled: Amount,
        /// Lowest gas price that would replace it.
        required: Amount,
        /// The newcomer's gas price.
        got: Amount,
    },
    /// The sender's balance does not cover the maximum cost of all its pooled transactions
    /// plus this one.
    #[error("insufficient balance: {have} available, {need} needed")]
    InsufficientBalance {
        /// The sender's committed balance.
        have: Amount,
        /// Total maximum cost of the sender's pooled transactions with this one.
        need: Amount,
    },
    /// The sender already has the most transactions one sender may have pooled.
    #[error("sender {sender} already has {max} pooled transactions")]
    SenderFull {
        /// The sender.
        sender: Address,
        /// The per-sender limit.
        max: usize,
    },
    /// The sender already has the most non-executable (nonce-gapped) transactions allowed.
    #[error("sender {sender} already has {max} transactions waiting behind a nonce gap")]
    TooManyFuture {
        /// The sender.
        sender: Address,
        /// The per-sender limit of gapped transactions.
        max: usize,
    },
    /// The pool is full and the newcomer does not pay more than the cheapest evictable
    /// transaction.
    #[error("pool is full: gas price {got} must exceed {lowest}")]
    PoolFull {
        /// Gas price of the cheapest evictable transaction (zero if nothing is evictable).
        lowest: Amount,
        /// The newcomer's gas price.
        got: Amount,
    },
}

impl RejectReason {
    /// A stable, machine-readable name of the rule broken, e.g. `"nonce_too_low"`; the RPC
    /// puts it in the error's `data.reason` so clients can branch without parsing messages.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Oversized { .. } => "oversized",
            Self::Malformed(_) => "malformed",
            Self::WrongChainId { .. } => "wrong_chain_id",
            Self::GasPriceTooLow { .. } => "gas_price_too_low",
            Self::GasLimitTooHigh { .. } => "gas_limit_too_high",
            Self::GasLimitTooLow { .. } => "gas_limit_too_low",
            Self::CostOverflow { .. } => "cost_overflow",
            Self::AlreadyKnown(_) => "already_known",
            Self::BadSignature => "bad_signature",
            Self::DevOpNotAllowed => "dev_op_not_allowed",
            Self::NonceTooLow { .. } => "nonce_too_low",
            Self::NonceTooHigh { .. } => "nonce_too_high",
            Self::ReplacementUnderpriced { .. } => "replacement_underpriced",
            Self::InsufficientBalance { .. } => "insufficient_balance",
            Self::SenderFull { .. } => "sender_full",
            Self::TooManyFuture { .. } => "too_many_future",
            Self::PoolFull { .. } => "pool_full",
        }
    }

    /// Whether the same transaction could be admitted later without changing it (the pool
    /// drains, a gap is filled, the balance grows), as opposed to being invalid forever.
    #[must_use]
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::NonceTooHigh { .. }
                | Self::InsufficientBalance { .. }
                | Self::SenderFull { .. }
                | Self::TooManyFuture { .. }
                | Self::PoolFull { .. }
        )
    }
}

/// The result of one admission.
pub type AdmitResult = Result<Hash, RejectReason>;

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn kinds_are_distinct() {
        let one = Amount::one();
        let all = [
            RejectReason::Oversized { size: 2, max: 1 },
            RejectReason::Malformed(DecodeError::Truncated { what: "x" }),
            RejectReason::WrongChainId {
                expected: 1,
                got: 2,
            },
            RejectReason::GasPriceTooLow { min: one, got: one },
            RejectReason::GasLimitTooHigh { max: 1, got: 2 },
            RejectReason::GasLimitTooLow { min: 2, got: 1 },
            RejectReason::CostOverflow {
                gas_limit: 1,
                gas_price: one,
                value: one,
            },
            RejectReason::AlreadyKnown(Hash::ZERO),
            RejectReason::BadSignature,
            RejectReason::DevOpNotAllowed,
            RejectReason::NonceTooLow { account: 1, got: 0 },
            RejectReason::NonceTooHigh {
                account: 0,
                max: 1,
                got: 2,
            },
            RejectReason::ReplacementUnderpriced {
                pooled: one,
                required: one,
                got: one,
            },
            RejectReason::InsufficientBalance {
                have: one,
                need: one,
            },
            RejectReason::SenderFull {
                sender: Address([0; 20]),
                max: 1,
            },
            RejectReason::TooManyFuture {
                sender: Address([0; 20]),
                max: 1,
            },
            RejectReason::PoolFull {
                lowest: one,
                got: one,
            },
        ];
        let kinds: BTreeSet<&str> = all.iter().map(RejectReason::kind).collect();
        assert_eq!(kinds.len(), all.len());
        for r in &all {
            let msg = r.to_string();
            assert!(
                !msg.is_empty() && msg.chars().next().is_some_and(char::is_lowercase),
                "{msg}"
            );
        }
    }
}
