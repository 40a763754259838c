//! The method traits. Method names are part of the public API: never rename one.

use cairn_primitives::{Address, Gas, Hash};
use jsonrpsee::core::{RpcResult, SubscriptionResult};
use jsonrpsee::proc_macros::rpc;

use crate::{
    AccountInfo, AmountDec, BlockId, BlockInfo, Bytes, DevAccount, DevTransaction, EventLog,
    EventQuery, Head, NodeHealth, NodeInfo, PendingTx, ProofInfo, ReceiptInfo, SendOutcome,
    SimulationInfo, TraceInfo, TxInfo, TxRequest, ViewResult,
};

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

    /// `tx_sendBatch(raws)`: submit up to `MAX_SEND_BATCH` encoded transactions in one call;
    /// their signatures are verified as one batch. One outcome per transaction, in order: the
    /// hash, or the error `tx_send` would have returned for it, as if sent one by one.
    #[method(name = "tx_sendBatch")]
    async fn tx_send_batch(&self, raws: Vec<Bytes>) -> RpcResult<Vec<SendOutcome>>;

    /// `tx_sendAndWait(raw, timeout_ms?)`: submit and wait for the receipt.
    #[method(name = "tx_sendAndWait")]
    async fn tx_send_and_wait(&self, raw: Bytes, timeout_ms: Option<u64>)
    -> RpcResult<ReceiptInfo>;

    /// `node_health`: whether the node is up and following the chain.
    #[method(name = "node_health")]
    async fn node_health(&self) -> RpcResult<NodeHealth>;

    /// `node_info`: version, chain id, validators, head, finalized height, devnet or not.
    #[method(name = "node_info")]
    async fn node_info(&self) -> RpcResult<NodeInfo>;

    /// `state_getStorage(contract, key, block?)`: one storage value of a contract; `null` if
    /// unset.
    #[method(name = "state_getStorage")]
    async fn state_get_storage(
        &self,
        contract: Address,
        key: Bytes,
        block: Option<BlockId>,
    ) -> RpcResult<Option<Bytes>>;

    /// `state_getProof(address, storage_keys, block?)`: the account and the given storage
    /// values with Merkle proofs against that block's state root.
    #[method(name = "state_getProof")]
    async fn state_get_proof(
        &self,
        address: Address,
        storage_keys: Vec<Bytes>,
        block: Option<BlockId>,
    ) -> RpcResult<ProofInfo>;

    /// `state_getCode(address, block?)`: the wasm code of a contract; `null` for an account
    /// without code.
    #[method(name = "state_getCode")]
    async fn state_get_code(
        &self,
        address: Address,
        block: Option<BlockId>,
    ) -> RpcResult<Option<Bytes>>;

    /// `events_get(filter)`: events of committed blocks by height range, contract and first
    /// topic, in (height, log index) order. The range is capped (error 4102 beyond it).
    #[method(name = "events_get")]
    async fn events_get(&self, filter: EventQuery) -> RpcResult<Vec<EventLog>>;

    /// `tx_pending(address?)`: transactions waiting in the mempool (of one sender, or all).
    #[method(name = "tx_pending")]
    async fn tx_pending(&self, address: Option<Address>) -> RpcResult<Vec<PendingTx>>;

    /// `tx_simulate(tx, block?)`: what `tx` (unsigned, from any address) would do on the state
    /// after `block`: status, gas used (identical to inclusion on that state), return data,
    /// events, the deployed address, and the state diff. Writes nothing.
    #[method(name = "tx_simulate")]
    async fn tx_simulate(&self, tx: TxRequest, block: Option<BlockId>)
    -> RpcResult<SimulationInfo>;

    /// `tx_trace(hash)`: re-executes an included transaction on its block's parent state
    /// (after the transactions before it in the block) and returns its call tree with every
    /// host call and its gas profile; `null` for an unknown hash. Error 4101 when the parent
    /// state was pruned.
    #[method(name = "tx_trace")]
    async fn tx_trace(&self, hash: Hash) -> RpcResult<Option<TraceInfo>>;

    /// `tx_estimateGas(tx)`: the gas limit that makes `tx` succeed on the latest state
    /// (binary search against the real VM) plus a documented margin
    /// (`ESTIMATE_MARGIN_PERCENT`); error 4200–4202 when no limit succeeds.
    #[method(name = "tx_estimateGas")]
    async fn tx_estimate_gas(&self, tx: TxRequest) -> RpcResult<Gas>;

    /// `contract_view(contract, method, args, block?)`: runs a method read-only (gas price 0,
    /// gas limit = the block gas limit); never changes state. Errors 4200–4202 when it fails.
    #[method(name = "contract_view")]
    async fn contract_view(
        &self,
        contract: Address,
        method: String,
        args: Bytes,
        block: Option<BlockId>,
    ) -> RpcResult<ViewResult>;

    /// `events_subscribe(filter)`: a notification (`events_event`, an `EventLog`) for every
    /// event of a newly committed block matching the filter's contract and topic (its block
    /// range is ignored).
    #[subscription(name = "events_subscribe" => "events_event", unsubscribe = "events_unsubscribe", item = EventLog)]
    async fn subscribe_events(&self, filter: EventQuery) -> SubscriptionResult;

    /// `tx_subscribePending`: a notification (`tx_newPending`, a transaction hash) for every
    /// transaction admitted to this node's mempool.
    #[subscription(name = "tx_subscribePending" => "tx_newPending", unsubscribe = "tx_unsubscribePending", item = Hash)]
    async fn subscribe_pending(&self) -> SubscriptionResult;

    /// `contract_getAbi(address, block?)`: the JSON ABI embedded in the contract's code (the
    /// `cairn:abi` custom section), or `null` when the account has no code or no ABI.
    #[method(name = "contract_getAbi")]
    async fn contract_get_abi(
        &self,
        address: Address,
        block: Option<BlockId>,
    ) -> RpcResult<Option<serde_json::Value>>;

    /// `chain_subscribeHeads`: a notification (`chain_newHead`, a `Head`) for every committed block.
    #[subscription(name = "chain_subscribeHeads" => "chain_newHead", unsubscribe = "chain_unsubscribeHeads", item = Head)]
    async fn subscribe_heads(&self) -> SubscriptionResult;
}

/// Devnet-only methods: absent on a node that is not a devnet (calls get "method not found").
#[rpc(server, client)]
pub trait DevApi {
    /// `dev_accounts`: the prefunded dev accounts with their secret keys and balances.
    #[method(name = "dev_accounts")]
    async fn dev_accounts(&self) -> RpcResult<Vec<DevAccount>>;

    /// `dev_send(tx)`: the node fills the nonce, gas and chain id, signs with the dev
    /// account's key (like Anvil's unlocked accounts) and submits; returns the hash.
    #[method(name = "dev_send")]
    async fn dev_send(&self, tx: DevTransaction) -> RpcResult<Hash>;

    /// `dev_mine(blocks?)`: produces `blocks` (default 1) blocks now, empty or not, and
    /// returns the new head.
    #[method(name = "dev_mine")]
    async fn dev_mine(&self, blocks: Option<u64>) -> RpcResult<Head>;

    /// `dev_increaseTime(seconds)`: moves the timestamp of the next blocks forward; returns
    /// the total offset in seconds. Takes effect from the next block (`dev_mine` for one now).
    #[method(name = "dev_increaseTime")]
    async fn dev_increase_time(&self, seconds: u64) -> RpcResult<u64>;

    /// `dev_setBlockTime(timestamp_ms)`: the next blocks' timestamps continue from
    /// `timestamp_ms` (milliseconds since the Unix epoch; not before the head's timestamp or
    /// the node's clock: block time never goes back). Returns the offset now applied, ms.
    #[method(name = "dev_setBlockTime")]
    async fn dev_set_block_time(&self, timestamp_ms: u64) -> RpcResult<u64>;

    /// `dev_setBalance(address, amount)`: sets an account's balance (creating the account).
    /// Applied in a block like any transaction; visible when the call returns.
    #[method(name = "dev_setBalance")]
    async fn dev_set_balance(&self, address: Address, amount: AmountDec) -> RpcResult<Head>;

    /// `dev_setNonce(address, nonce)`: sets an account's next nonce.
    #[method(name = "dev_setNonce")]
    async fn dev_set_nonce(&self, address: Address, nonce: u64) -> RpcResult<Head>;

    /// `dev_setStorage(contract, key, value)`: writes one storage slot (`value` null
    /// deletes it).
    #[method(name = "dev_setStorage")]
    async fn dev_set_storage(
        &self,
        contract: Address,
        key: Bytes,
        value: Option<Bytes>,
    ) -> RpcResult<Head>;

    /// `dev_setCode(address, wasm)`: installs validated code at `address`, keeping its
    /// balance, nonce and storage.
    #[method(name = "dev_setCode")]
    async fn dev_set_code(&self, address: Address, wasm: Bytes) -> RpcResult<Head>;

    /// `dev_impersonate(address)`: from now on `dev_send` from `address` works without its
    /// key (the node's dev authority signs for it; fees are the authority's).
    #[method(name = "dev_impersonate")]
    async fn dev_impersonate(&self, address: Address) -> RpcResult<bool>;

    /// `dev_stopImpersonating(address)`: undoes `dev_impersonate`; returns whether it was on.
    #[method(name = "dev_stopImpersonating")]
    async fn dev_stop_impersonating(&self, address: Address) -> RpcResult<bool>;

    /// `dev_snapshot()`: remembers the current state; returns the snapshot's id.
    #[method(name = "dev_snapshot")]
    async fn dev_snapshot(&self) -> RpcResult<u64>;

    /// `dev_revert(id)`: puts every account and storage slot back as it was at snapshot `id`
    /// and empties the mempool. The snapshot stays (revert to it again at will); later ones
    /// are dropped. Blocks are final, so the head moves forward: the restoring block's head
    /// is returned.
    #[method(name = "dev_revert")]
    async fn dev_revert(&self, id: u64) -> RpcResult<Head>;
}

/// Largest single `dev_increaseTime` jump, in seconds (100 years).
pub const MAX_DEV_TIME_JUMP_SECONDS: u64 = 100 * 365 * 24 * 3600;

/// Margin `tx_estimateGas` adds to the smallest gas limit that succeeds, in percent: state
/// may change between the estimate and inclusion, and unused gas is refunded anyway.
pub const ESTIMATE_MARGIN_PERCENT: u64 = 10;

/// Most storage keys one `state_getProof` call proves.
pub const MAX_PROOF_STORAGE_KEYS: usize = 256;

/// Every method name of [`DevApi`].
pub const DEV_METHODS: &[&str] = &[
    "dev_accounts",
    "dev_send",
    "dev_mine",
    "dev_increaseTime",
    "dev_setBlockTime",
    "dev_setBalance",
    "dev_setNonce",
    "dev_setStorage",
    "dev_setCode",
    "dev_impersonate",
    "dev_stopImpersonating",
    "dev_snapshot",
    "dev_revert",
];

/// Every method name of [`CairnApi`], for documentation checks and method listings.
pub const CORE_METHODS: &[&str] = &[
    "chain_id",
    "chain_head",
    "chain_getBlock",
    "chain_getTransaction",
    "chain_getReceipt",
    "state_getAccount",
    "tx_send",
    "tx_sendBatch",
    "tx_sendAndWait",
    "node_health",
    "node_info",
    "state_getStorage",
    "state_getCode",
    "state_getProof",
    "events_get",
    "tx_pending",
    "tx_simulate",
    "tx_trace",
    "tx_estimateGas",
    "contract_view",
    "contract_getAbi",
    "chain_subscribeHeads",
    "events_subscribe",
    "tx_subscribePending",
];
