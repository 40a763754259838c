//! What the executor is told: the block it builds or verifies ([`BlockEnv`]) and the
//! protocol's intrinsic gas costs ([`ExecutorConfig`]).
//!
//! ```text
//!   intrinsic(tx) = TX_BASE_GAS
//!                 + TX_BYTE_GAS       × len(encode(SignedTransaction))
//!                 + DEPLOY_BASE_GAS + DEPLOY_CODE_BYTE_GAS × len(code)   (deploys only)
//! ```

use cairn_primitives::{Address, ChainId, Gas, Height, SignedTransaction, Timestamp};
use cairn_vm::BlockInfo;

/// Gas every transaction pays before anything runs: signature check, nonce and fee
/// bookkeeping, two account writes. 21,000 as on Ethereum, so the familiar transfer gas
/// limit (and `docs/protocol.md`'s transfer vector) is exactly enough.
pub const TX_BASE_GAS: Gas = 21_000;

/// Gas per byte of the encoded signed transaction: it is gossiped, stored in the block
/// and re-hashed by every validator (Ethereum's non-zero calldata byte price).
pub const TX_BYTE_GAS: Gas = 16;

/// Extra gas of a deploy transaction: a new account and a code record (Ethereum's CREATE).
pub const DEPLOY_BASE_GAS: Gas = 32_000;

/// Gas per byte of deployed code: validation, compilation and storing it forever
/// (Ethereum's code-deposit price). Compilation costs more CPU per byte than this pays
/// for at the VM's calibration; it runs once per distinct code (module cache), see
/// `docs/executor.md`.
pub const DEPLOY_CODE_BYTE_GAS: Gas = 200;

/// The protocol's intrinsic gas costs (part of consensus: every validator must use the
/// same values for a given height).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExecutorConfig {
    /// Paid by every transaction.
    pub tx_base_gas: Gas,
    /// Per byte of the encoded signed transaction.
    pub tx_byte_gas: Gas,
    /// Extra for a deploy.
    pub deploy_base_gas: Gas,
    /// Per byte of deployed code.
    pub deploy_code_byte_gas: Gas,
    /// The only signer of dev overrides ([`cairn_primitives::TxKind::Dev`]); `None` (every
    /// real network) refuses them. Comes from the genesis.
    pub dev_authority: Option<cairn_primitives::Address>,
}

impl Default for ExecutorConfig {
    fn default() -> Self {
        Self {
            tx_base_gas: TX_BASE_GAS,
            tx_byte_gas: TX_BYTE_GAS,
            deploy_base_gas: DEPLOY_BASE_GAS,
            deploy_code_byte_gas: DEPLOY_CODE_BYTE_GAS,
            dev_authority: None,
        }
    }
}

impl ExecutorConfig {
    /// The intrinsic gas of `tx` whose canonical encoding is `encoded_len` bytes
    /// (saturating: a result of `u64::MAX` can never fit a gas limit).
    #[must_use]
    pub fn intrinsic_gas(&self, tx: &SignedTransaction, encoded_len: usize) -> Gas {
        let len = u64::try_from(encoded_len).unwrap_or(u64::MAX);
        let mut gas = self
            .tx_base_gas
            .saturating_add(self.tx_byte_gas.saturating_mul(len));
        if let Some(code) = tx.tx.code() {
            let code = u64::try_from(code.len()).unwrap_or(u64::MAX);
            gas = gas
                .saturating_add(self.deploy_base_gas)
                .saturating_add(self.deploy_code_byte_gas.saturating_mul(code));
        }
        gas
    }
}

/// The block being executed. Everything here comes from the block (header or proposal),
/// never from the local clock: every node must see the same values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockEnv {
    /// The chain id every transaction must carry.
    pub chain_id: ChainId,
    /// Height of the block.
    pub height: Height,
    /// The block's timestamp (milliseconds since the Unix epoch).
    pub timestamp_ms: Timestamp,
    /// Receives the fees.
    pub proposer: Address,
    /// Most gas the block's transactions may use together.
    pub gas_limit: Gas,
}

impl BlockEnv {
    /// The block fields contracts can read.
    #[must_use]
    pub fn block_info(&self) -> BlockInfo {
        BlockInfo {
            height: self.height,
            timestamp: self.timestamp_ms,
            chain_id: self.chain_id,
        }
    }
}
