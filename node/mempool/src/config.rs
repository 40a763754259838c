//! The pool's limits, each named and bounded for a reason (see the table in `docs/mempool.md`).

use cairn_primitives::{Amount, ChainId, Gas, limits::MAX_TX_SIZE};

/// Default most transactions pooled: 20,000, about one second of the ~20–30k tx/s a 2-core
/// node can verify, i.e. several full blocks of transfers; memory stays bounded by
/// [`DEFAULT_MAX_POOL_BYTES`] whatever their size.
pub const DEFAULT_MAX_POOL_TXS: usize = 20_000;

/// Default most encoded bytes pooled: 64 MiB, one maximum block
/// ([`cairn_primitives::limits::MAX_BLOCK_SIZE`]) — enough to fill any block, bounded memory.
pub const DEFAULT_MAX_POOL_BYTES: usize = 64 * 1024 * 1024;

/// Default most transactions pooled per sender: 256 — a script or an exchange hot wallet can
/// queue a burst, while one key holds at most ~1% of the default pool.
pub const DEFAULT_MAX_TXS_PER_SENDER: usize = 256;

/// Default most non-executable (nonce-gapped) transactions per sender: 16 — enough for
/// out-of-order delivery over concurrent connections, little room to park junk.
pub const DEFAULT_MAX_FUTURE_PER_SENDER: usize = 16;

/// Default bound on how far a nonce may be ahead of the account nonce: 1,024, four times the
/// default sender slots — such a transaction cannot run before at least four full queues of
/// the sender commit, so anything further is parked junk rather than a queue.
pub const DEFAULT_MAX_NONCE_AHEAD: u64 = 1024;

/// Default price bump for replacing a pooled transaction: 10%, the Ethereum convention, so a
/// sender cannot make every node re-verify and re-gossip a transaction for a negligible fee.
pub const DEFAULT_PRICE_BUMP_PERCENT: u32 = 10;

/// Default number of threads verifying signatures in [`crate::Mempool::insert_batch`]; `0`
/// means `std::thread::available_parallelism`.
pub const DEFAULT_VERIFY_THREADS: usize = 0;

/// Signatures per `verify_batch` call: 64 gets most of the batch speed-up (~53k sig/s vs
/// ~77k at 1024 on this machine) while a bad signature costs re-checking only 64.
pub const VERIFY_CHUNK: usize = 64;

/// How the pool is bounded and what it accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MempoolConfig {
    /// The chain's id; transactions for any other chain are rejected.
    pub chain_id: ChainId,
    /// Largest encoded transaction admitted, at most the protocol's
    /// [`MAX_TX_SIZE`] (the default).
    pub max_tx_bytes: usize,
    /// Lowest gas price admitted (the node's minimum, from genesis).
    pub min_gas_price: Amount,
    /// Largest `gas_limit` admitted: the block gas limit, since a bigger transaction could
    /// never be included and would block its sender's later nonces forever.
    pub max_tx_gas: Gas,
    /// Intrinsic gas every transaction pays before running (the executor's base cost); a
    /// `gas_limit` below `intrinsic_gas_base + intrinsic_gas_per_byte × size` is rejected.
    pub intrinsic_gas_base: Gas,
    /// Intrinsic gas per encoded byte (the executor's per-byte cost).
    pub intrinsic_gas_per_byte: Gas,
    /// Extra intrinsic gas of a deploy (the executor's deploy base cost).
    pub intrinsic_gas_deploy_base: Gas,
    /// Extra intrinsic gas per byte of deployed code (the executor's per-code-byte cost).
    pub intrinsic_gas_per_code_byte: Gas,
    /// Most transactions in the pool.
    pub max_txs: usize,
    /// Most encoded bytes in the pool.
    pub max_bytes: usize,
    /// Most transactions one sender may have pooled (ready and gapped together).
    pub max_txs_per_sender: usize,
    /// Highest accepted nonce is the account nonce plus this.
    pub max_nonce_ahead: u64,
    /// Most gapped (not yet executable) transactions one sender may have pooled.
    pub max_future_per_sender: usize,
    /// The only sender whose dev overrides (`TxKind::Dev`) are admitted; `None` (every
    /// real network) refuses them all.
    pub dev_authority: Option<cairn_primitives::Address>,
    /// A replacement must pay at least this many percent more gas price than the pooled one.
    pub price_bump_percent: u32,
    /// Threads for batch signature verification (`0` = available parallelism): the caller
    /// and this many less one long-lived verifier threads, started by the first batch.
    pub verify_threads: usize,
}

impl MempoolConfig {
    /// The defaults for a chain: the `DEFAULT_*` constants, a minimum gas price of 1, no
    /// gas-limit bound beyond `u64` and no intrinsic gas (the node sets [`Self::max_tx_gas`] to
    /// the block gas limit and the intrinsic costs to the executor's schedule).
    #[must_use]
    pub fn new(chain_id: ChainId) -> Self {
        Self {
            chain_id,
            max_tx_bytes: MAX_TX_SIZE,
            min_gas_price: Amount::one(),
            max_tx_gas: Gas::MAX,
            intrinsic_gas_base: 0,
            intrinsic_gas_per_byte: 0,
            intrinsic_gas_deploy_base: 0,
            intrinsic_gas_per_code_byte: 0,
            max_txs: DEFAULT_MAX_POOL_TXS,
            max_bytes: DEFAULT_MAX_POOL_BYTES,
            max_txs_per_sender: DEFAULT_MAX_TXS_PER_SENDER,
            max_nonce_ahead: DEFAULT_MAX_NONCE_AHEAD,
            max_future_per_sender: DEFAULT_MAX_FUTURE_PER_SENDER,
            price_bump_percent: DEFAULT_PRICE_BUMP_PERCENT,
            verify_threads: DEFAULT_VERIFY_THREADS,
            dev_authority: None,
        }
    }

    /// The number of verification threads to use.
    #[must_use]
    pub fn verify_threads(&self) -> usize {
        if self.verify_threads == 0 {
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        } else {
            self.verify_threads
        }
    }
}
