//! The method traits. Method names are part of the public API: never rename one.

use cairn_primitives::{Address, Hash};
use jsonrpsee::core::RpcResult;
use jsonrpsee::proc_macros::rpc;

use crate::{AccountInfo, BlockId, BlockInfo, Bytes, Head, NodeHealth, ReceiptInfo, TxInfo};

/// The core methods: chain, state and transaction submission.
#[rpc(server, client)]
pub trait CairnApi {
    /// `chain_id`: the chain id every transaction must carry.
    #[method(name = "chain_id")]
    async fn chain_id(&self) -> RpcResult<u64>;

    /// `chain_head`: height, hash and timestamp of the latest block.
    #[method(name = "chain_head")]
    async fn chain_head(&self) -> RpcResult<Head>;

    /// `chain_getBlock(block, full_txs?)`: a block by height, hash or tag; `null` if unknown.
    /// With `full_txs` the transactions are returned whole, otherwise their hashes.
    #[method(name = "chain_getBlock")]
    async fn chain_get_block(
        &self,
        block: BlockId,
        full_txs: Option<bool>,
    ) -> RpcResult<Option<BlockInfo>>;

    /// `chain_getTransaction(hash)`: an included transaction and where it is; `null` if unknown.
    #[method(name = "chain_getTransaction")]
    async fn chain_get_transaction(&self, hash: Hash) -> RpcResult<Option<TxInfo>>;

    /// `chain_getReceipt(hash)`: the receipt of an included transaction; `null` if unknown.
    #[method(name = "chain_getReceipt")]
    async fn chain_get_receipt(&self, hash: Hash) -> RpcResult<Option<ReceiptInfo>>;

    /// `state_getAccount(address, block?)`: balance, nonce and code hash (an account that was
    /// never touched has balance 0, nonce 0 and no code).
    #[method(name = "state_getAccount")]
    async fn state_get_account(
        &self,
        address: Address,
        block: Option<BlockId>,
    ) -> RpcResult<AccountInfo>;

    /// `tx_send(raw)`: submit an encoded `SignedTransaction`; returns its hash once admitted
    /// to the mempool. Admission failures are errors with a Cairn code (see [`crate::ErrorCode`]).
    #[method(name = "tx_send")]
    async fn tx_send(&self, raw: Bytes) -> RpcResult<Hash>;

    /// `tx_sendAndWait(raw, timeout_ms?)`: submit and wait for the receipt.
    #[method(name = "tx_sendAndWait")]
    async fn tx_send_and_wait(&self, raw: Bytes, timeout_ms: Option<u64>)
    -> RpcResult<ReceiptInfo>;

    /// `node_health`: whether the node is up and following the chain.
    #[method(name = "node_health")]
    async fn node_health(&self) -> RpcResult<NodeHealth>;
}

/// Every method name of [`CairnApi`], for documentation checks and method listings.
pub const CORE_METHODS: &[&str] = &[
    "chain_id",
    "chain_head",
    "chain_getBlock",
    "chain_getTransaction",
    "chain_getReceipt",
    "state_getAccount",
    "tx_send",
    "tx_sendAndWait",
    "node_health",
];
