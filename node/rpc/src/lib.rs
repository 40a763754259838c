//! The node's JSON-RPC server: HTTP and WebSocket on one port (jsonrpsee), implementing the
//! `CairnApi` trait of `cairn-rpc-api` over a [`Chain`].
//!
//! ```text
//! client ──HTTP/WS──► jsonrpsee (limits: body, batch, connections, response)
//!                        └─► CairnApiServer for RpcNode ─► Chain (mempool, state, chain store)
//! ```
//!
//! Every read goes to the database through the chain store, never to in-memory results, so a
//! receipt is returned only once it is durably committed (the durability rule of
//! `docs/architecture.md`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use cairn_chain::{Chain, ChainStore, ChainStoreError, EventFilter, MAX_EVENT_QUERY_BLOCKS};

use cairn_executor::{BlockEnv, Simulation, TxRejection};
use cairn_mempool::RejectReason;
use cairn_primitives::{
    Address, Block, Hash, ReceiptStatus, SecretKey, SignedTransaction, Transaction, TxKind, limits,
};
use cairn_rpc_api::{
    AccountDiff, AccountState, CallFrameInfo, ESTIMATE_MARGIN_PERCENT, GasProfileInfo,
    MAX_PROOF_STORAGE_KEYS, ProofInfo, SimulationInfo, StorageDiff, StorageProof, TraceInfo,
    TraceStepInfo, TrieLeaf, TrieProof, TrieProofNode, TxRequest, ViewResult,
};
use cairn_rpc_api::{
    AccountInfo, BlockId, BlockInfo, BlockTransactions, Bytes, CairnApiServer, DevApiServer,
    ErrorCode, EventFields, EventLog, EventQuery, Head, MAX_SEND_BATCH, NodeHealth, NodeInfo,
    PendingTx, ReceiptInfo, SendError, SendOutcome, TxInfo, TxLocation,
};
use cairn_state::{Account, StateError, StateReader, StateView};
use cairn_storage::RocksStore;
use jsonrpsee::core::{RpcResult, SubscriptionResult, async_trait};
use jsonrpsee::server::{
    BatchRequestConfig, PendingSubscriptionSink, Server, ServerConfig, ServerHandle,
    SubscriptionMessage,
};
use jsonrpsee::types::ErrorObjectOwned;

mod dev;
pub use dev::MAX_RESTORE_TX_BYTES;

/// The default RPC port.
pub const DEFAULT_RPC_PORT: u16 = 8545;

/// Largest request body: room for a maximal transaction hex-encoded (×2) plus JSON framing.
pub const MAX_REQUEST_BODY_BYTES: u32 = 2 * 1024 * 1024;
const _: () = assert!(MAX_REQUEST_BODY_BYTES as usize >= 2 * limits::MAX_TX_SIZE + 64 * 1024);

/// Largest response body: a full block with its transactions (64 MiB binary) as hex.
pub const MAX_RESPONSE_BODY_BYTES: u32 = 160 * 1024 * 1024;

/// Most calls in one batch request.
pub const MAX_BATCH_LEN: u32 = 100;

/// Most simultaneous connections.
pub const MAX_CONNECTIONS: u32 = 512;

/// Most subscriptions one WebSocket connection may hold.
pub const MAX_SUBSCRIPTIONS_PER_CONNECTION: u32 = 64;

/// `tx_sendAndWait`'s default wait for the receipt.
pub const DEFAULT_WAIT_MS: u64 = 30_000;

/// `tx_sendAndWait`'s longest wait, whatever the caller asks.
pub const MAX_WAIT_MS: u64 = 300_000;

/// `contract_view`'s default wall-clock watchdog: past it the caller gets error 5000 at
/// once (the execution itself stays bounded by the view's gas).
pub const DEFAULT_VIEW_TIMEOUT_MS: u64 = 2_000;

/// Most blocks `dev_mine` produces in one call.
pub const MAX_DEV_MINE_BLOCKS: u64 = 1_000;

/// JSON-RPC's standard code for an internal error.
const INTERNAL_ERROR: i32 = -32603;

/// JSON-RPC's standard code for invalid params.
const INVALID_PARAMS: i32 = -32602;

/// Where and how the server listens.
#[derive(Clone, Debug)]
pub struct RpcConfig {
    /// Address to bind (loopback by default).
    pub addr: SocketAddr,
    /// Devnet: the dev accounts' keys; non-empty turns the `dev_*` methods on.
    pub dev_keys: Vec<SecretKey>,
    /// `contract_view`'s wall-clock watchdog.
    pub view_timeout: Duration,
}

impl Default for RpcConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], DEFAULT_RPC_PORT)),
            dev_keys: Vec::new(),
            view_timeout: Duration::from_millis(DEFAULT_VIEW_TIMEOUT_MS),
        }
    }
}

/// Why the server cannot start.
#[derive(Debug, thiserror::Error)]
#[error("cannot start the RPC server on {addr}: {source}")]
pub struct RpcStartError {
    /// The address.
    pub addr: SocketAddr,
    /// The cause (for example the port is taken).
    pub source: std::io::Error,
}

/// A running server.
#[derive(Debug)]
pub struct RpcServer {
    handle: ServerHandle,
    addr: SocketAddr,
}

impl RpcServer {
    /// Starts serving `chain` (must be called inside a tokio runtime).
    ///
    /// # Errors
    /// When the address cannot be bound.
    pub async fn start(chain: Arc<Chain>, config: &RpcConfig) -> Result<Self, RpcStartError> {
        let err = |source| RpcStartError {
            addr: config.addr,
            source,
        };
        let server_config = ServerConfig::builder()
            .max_request_body_size(MAX_REQUEST_BODY_BYTES)
            .max_response_body_size(MAX_RESPONSE_BODY_BYTES)
            .max_connections(MAX_CONNECTIONS)
            .max_subscriptions_per_connection(MAX_SUBSCRIPTIONS_PER_CONNECTION)
            .set_batch_request_config(BatchRequestConfig::Limit(MAX_BATCH_LEN))
            .build();
        let server = Server::builder()
            .set_config(server_config)
            .build(config.addr)
            .await
            .map_err(err)?;
        let addr = server.local_addr().map_err(err)?;
        let dev = !config.dev_keys.is_empty();
        let mut module = RpcNode {
            chain: Arc::clone(&chain),
            dev,
            view_timeout: config.view_timeout,
        }
        .into_rpc();
        if dev {
            module
                .merge(dev::DevNode::new(chain, config.dev_keys.clone()).into_rpc())
                .map_err(|e| err(std::io::Error::other(e.to_string())))?;
        }
        let handle = server.start(module);
        Ok(Self { handle, addr })
    }

    /// The bound address (the real port when 0 was asked).
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting requests and waits for the server to finish.
    pub async fn stop(self) {
        let _ = self.handle.stop();
        self.handle.stopped().await;
    }
}

/// The `CairnApi` implementation.
struct RpcNode {
    chain: Arc<Chain>,
    dev: bool,
    view_timeout: Duration,
}

/// The state a read or a simulation runs on: the latest, or a kept older version.
enum Reader<'a> {
    Latest(&'a cairn_state::State<RocksStore>),
    At(StateView<'a, RocksStore>),
}

impl StateReader for Reader<'_> {
    fn account(&self, address: &Address) -> Result<Option<Account>, StateError> {
        match self {
            Self::Latest(s) => s.account(address),
            Self::At(v) => v.account(address),
        }
    }

    fn storage(&self, address: &Address, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        match self {
            Self::Latest(s) => s.storage(address, key),
            Self::At(v) => v.storage(address, key),
        }
    }

    fn code(&self, hash: &Hash) -> Result<Option<Vec<u8>>, StateError> {
        match self {
            Self::Latest(s) => s.code(hash),
            Self::At(v) => v.code(hash),
        }
    }
}

/// The block `block` names.
fn resolve_block(chain: &Chain, block: BlockId) -> RpcResult<Block> {
    let found = match block {
        BlockId::Latest | BlockId::Finalized => chain.block(chain.head().height),
        BlockId::Height(h) => chain.block(h),
        BlockId::Hash(h) => chain.block_by_hash(&h),
    }
    .map_err(|e| internal(&e))?;
    found.ok_or_else(|| ErrorCode::UnknownBlock.error(format!("unknown block {block}")))
}

/// The state after `block` and the environment of a block built on it.
fn reader_at(chain: &Chain, block: Option<BlockId>) -> RpcResult<(Reader<'_>, BlockEnv)> {
    let block = block.unwrap_or_default();
    let parent = resolve_block(chain, block)?;
    let reader = match block {
        BlockId::Latest | BlockId::Finalized => Reader::Latest(chain.state()),
        _ => Reader::At(chain.state().at(parent.header.height).map_err(|e| {
            ErrorCode::PrunedState.error(format!("state at block {}: {e}", parent.header.height))
        })?),
    };
    let g = chain.genesis();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let env = BlockEnv {
        chain_id: g.chain_id,
        height: parent.header.height + 1,
        timestamp_ms: now.max(parent.header.timestamp),
        proposer: g
            .validators
            .first()
            .map_or(Address::ZERO, |v| Address::from_public_key(&v.public_key)),
        gas_limit: g.block_gas_limit,
    };
    Ok((reader, env))
}

fn rejection_error(r: &TxRejection) -> ErrorObjectOwned {
    let code = match r {
        TxRejection::WrongChainId { .. } => ErrorCode::WrongChainId,
        TxRejection::NonceTooLow { .. } => ErrorCode::NonceTooLow,
        TxRejection::NonceTooHigh { .. } => ErrorCode::NonceTooHigh,
        TxRejection::InsufficientBalance { .. } => ErrorCode::InsufficientFunds,
        TxRejection::GasLimitTooLow { .. } | TxRejection::BlockGasExceeded { .. } => {
            ErrorCode::GasLimitInvalid
        }
        _ => ErrorCode::InvalidTransaction,
    };
    code.error(r.to_string())
}

/// The error of a failed execution (reverted, out of gas, trapped, failed).
fn execution_error(receipt: &cairn_primitives::Receipt) -> ErrorObjectOwned {
    let code = match receipt.status {
        ReceiptStatus::Reverted => ErrorCode::ExecutionReverted,
        ReceiptStatus::OutOfGas => ErrorCode::OutOfGas,
        _ => ErrorCode::ExecutionFailed,
    };
    let message = receipt
        .error
        .clone()
        .unwrap_or_else(|| format!("{:?}", receipt.status));
    code.error_with_data(
        message,
        serde_json::json!({
            "status": receipt.status,
            "gas_used": receipt.gas_used,
            "return_data": Bytes(receipt.return_data.clone()),
        }),
    )
}

/// How often a simulation with a defaulted nonce is retried when a block committed between
/// reading the nonce and the pre-check (the latest state is read live).
const NONCE_RACE_RETRIES: usize = 3;

/// Fills a request's defaults and simulates it on `reader`.
fn simulate(
    chain: &Chain,
    reader: &Reader<'_>,
    env: &BlockEnv,
    req: &TxRequest,
    traced: bool,
) -> RpcResult<Simulation> {
    let mut attempt = 0;
    loop {
        let nonce = match req.nonce {
            Some(n) => n,
            None => reader
                .account(&req.from)
                .map_err(|e| internal(&e))?
                .map_or(0, |a| a.nonce),
        };
        let tx = Transaction {
            chain_id: env.chain_id,
            nonce,
            gas_limit: req.gas_limit.unwrap_or(env.gas_limit),
            gas_price: req.gas_price.unwrap_or(chain.genesis().min_gas_price),
            kind: req.kind.clone(),
        };
        let executor = chain.executor();
        let result = if traced {
            executor.simulate_traced(reader, env, req.from, &tx)
        } else {
            executor.simulate(reader, env, req.from, &tx)
        }
        .map_err(|e| internal(&e))?;
        match result {
            Err(TxRejection::NonceTooLow { .. } | TxRejection::NonceTooHigh { .. })
                if req.nonce.is_none() && attempt < NONCE_RACE_RETRIES =>
            {
                attempt += 1;
            }
            other => return other.map_err(|r| rejection_error(&r)),
        }
    }
}

fn trie_proof(p: &cairn_state::Proof) -> TrieProof {
    TrieProof {
        nodes: p
            .nodes
            .iter()
            .map(|n| TrieProofNode {
                bitmap: n.bitmap,
                siblings: n.siblings.iter().map(|h| Hash(*h)).collect(),
            })
            .collect(),
        leaf: p.leaf.map(|(k, v)| TrieLeaf {
            key_hash: Hash(k),
            value_hash: Hash(v),
        }),
    }
}

fn account_state(a: Option<Account>) -> Option<AccountState> {
    a.map(|a| AccountState {
        balance: a.balance,
        nonce: a.nonce,
        code_hash: a.code_hash,
        admin: a.admin,
    })
}

/// The simulation as the API shows it, with before/after values read from `reader`.
fn simulation_info(reader: &Reader<'_>, sim: Simulation) -> RpcResult<SimulationInfo> {
    let mut accounts = Vec::new();
    for (address, after) in &sim.changes.accounts {
        let before = reader.account(address).map_err(|e| internal(&e))?;
        accounts.push(AccountDiff {
            address: *address,
            before: account_state(before),
            after: account_state(*after),
        });
    }
    let mut storage = Vec::new();
    for ((contract, key), after) in &sim.changes.storage {
        let before = reader.storage(contract, key).map_err(|e| internal(&e))?;
        storage.push(StorageDiff {
            contract: *contract,
            key: Bytes(key.clone()),
            before: before.map(Bytes),
            after: after.clone().map(Bytes),
        });
    }
    let r = sim.receipt;
    Ok(SimulationInfo {
        status: r.status,
        gas_used: r.gas_used,
        return_data: r.return_data,
        events: r.events.into_iter().map(EventFields::from).collect(),
        error: r.error,
        contract_address: sim.contract_address,
        accounts,
        storage,
        calls: sim.calls.iter().map(frame_info).collect(),
        gas_profile: profile_info(sim.gas_profile),
    })
}

fn profile_info(p: cairn_executor::GasProfile) -> GasProfileInfo {
    GasProfileInfo {
        intrinsic: p.intrinsic,
        wasm: p.wasm,
        storage: p.storage,
        events: p.events,
        calls: p.calls,
        crypto: p.crypto,
        host: p.host,
    }
}

fn frame_info(f: &cairn_executor::CallFrame) -> CallFrameInfo {
    CallFrameInfo {
        caller: f.caller,
        contract: f.contract,
        method: f.method.clone(),
        value: f.value,
        gas_limit: f.gas_limit,
        gas_used: f.gas_used,
        outcome: f.outcome.clone(),
        return_data: f.return_data.clone(),
        steps: f.steps.iter().map(step_info).collect(),
        calls: f.calls.iter().map(frame_info).collect(),
    }
}

fn step_info(s: &cairn_executor::TraceStep) -> TraceStepInfo {
    use cairn_executor::StepDetail;
    let mut info = TraceStepInfo {
        op: s.import.to_owned(),
        gas: s.gas,
        gas_left: s.gas_left,
        ..TraceStepInfo::default()
    };
    match &s.detail {
        StepDetail::None => {}
        StepDetail::Callee => info.op = "callee".into(),
        StepDetail::StorageRead { key, value } => {
            info.key = Some(Bytes(key.clone()));
            info.value = Some(value.clone().map(Bytes));
        }
        StepDetail::StorageWrite { key, value } => {
            info.key = Some(Bytes(key.clone()));
            info.value = Some(Some(Bytes(value.clone())));
        }
        StepDetail::StorageRemove { key, existed } => {
            info.key = Some(Bytes(key.clone()));
            info.ok = Some(*existed);
        }
        StepDetail::Event { topics, data } => {
            info.topics = Some(topics.clone());
            info.data = Some(Bytes(data.clone()));
        }
        StepDetail::Balance { address, balance } => {
            info.address = Some(*address);
            info.amount = Some(balance.to_string());
        }
        StepDetail::Transfer {
            from,
            to,
            amount,
            ok,
        } => {
            info.address = Some(*from);
            info.to = Some(*to);
            info.amount = Some(amount.to_string());
            info.ok = Some(*ok);
        }
    }
    info
}

/// The JSON ABI in `code`'s [`cairn_primitives::ABI_SECTION_NAME`] custom section, merged
/// into one document ([`cairn_rpc_api::parse_abi`]), if any.
fn abi_of(code: &[u8]) -> RpcResult<Option<serde_json::Value>> {
    let Some(text) = cairn_vm::abi_section(code) else {
        return Ok(None);
    };
    cairn_rpc_api::parse_abi(&text).map(Some).map_err(|e| {
        ErrorCode::ExecutionFailed.error(format!("the contract's ABI section is malformed: {e}"))
    })
}

/// Sends `item` to a subscriber; `Ok(false)` once the subscriber is gone.
async fn push<T: serde::Serialize>(
    sink: &jsonrpsee::SubscriptionSink,
    item: &T,
) -> Result<bool, serde_json::Error> {
    let msg: SubscriptionMessage = serde_json::value::to_raw_value(item)?.into();
    Ok(sink.send(msg).await.is_ok())
}

/// Runs `f` with the chain on a blocking thread (execution is CPU work).
async fn blocking<T: Send + 'static>(
    chain: &Arc<Chain>,
    f: impl FnOnce(&Chain) -> RpcResult<T> + Send + 'static,
) -> RpcResult<T> {
    let chain = Arc::clone(chain);
    tokio::task::spawn_blocking(move || f(&chain))
        .await
        .map_err(|e| internal(&e))?
}

fn invalid_params(message: String) -> ErrorObjectOwned {
    ErrorObjectOwned::owned::<()>(INVALID_PARAMS, message, None)
}

fn internal(e: &impl std::fmt::Display) -> ErrorObjectOwned {
    tracing::error!(error = %e, "rpc request failed inside the node");
    ErrorObjectOwned::owned::<()>(INTERNAL_ERROR, format!("internal error: {e}"), None)
}

/// The RPC error of a mempool rejection: a Cairn code, the message, and
/// `data.reason` = [`RejectReason::kind`].
#[must_use]
pub fn reject_error(reason: &RejectReason) -> ErrorObjectOwned {
    let code = match reason {
        RejectReason::Oversized { .. } => ErrorCode::TransactionTooLarge,
        RejectReason::Malformed(_) | RejectReason::CostOverflow { .. } => {
            ErrorCode::InvalidTransaction
        }
        RejectReason::WrongChainId { .. } => ErrorCode::WrongChainId,
        RejectReason::GasPriceTooLow { .. } => ErrorCode::GasPriceTooLow,
        RejectReason::GasLimitTooHigh { .. } | RejectReason::GasLimitTooLow { .. } => {
            ErrorCode::GasLimitInvalid
        }
        RejectReason::AlreadyKnown(_) => ErrorCode::AlreadyKnown,
        RejectReason::BadSignature => ErrorCode::InvalidSignature,
        RejectReason::NonceTooLow { .. } => ErrorCode::NonceTooLow,
        RejectReason::NonceTooHigh { .. } => ErrorCode::NonceTooHigh,
        RejectReason::ReplacementUnderpriced { .. } => ErrorCode::ReplacementUnderpriced,
        RejectReason::InsufficientBalance { .. } => ErrorCode::InsufficientFunds,
        RejectReason::SenderFull { .. } => ErrorCode::SenderFull,
        RejectReason::TooManyFuture { .. } => ErrorCode::TooManyFuture,
        RejectReason::PoolFull { .. } => ErrorCode::PoolFull,
        _ => ErrorCode::InvalidTransaction,
    };
    code.error_with_data(
        reason.to_string(),
        serde_json::json!({ "reason": reason.kind() }),
    )
}

impl RpcNode {
    /// Runs `f` on the state after `block` (latest by default).
    fn read_state<T>(
        &self,
        block: Option<BlockId>,
        f: impl FnOnce(&dyn StateReader) -> Result<T, StateError>,
    ) -> RpcResult<T> {
        match block.unwrap_or_default() {
            BlockId::Latest | BlockId::Finalized => f(self.chain.state()).map_err(|e| internal(&e)),
            other => {
                let height = self.resolve(other)?.header.height;
                let view = self.chain.state().at(height).map_err(|e| {
                    ErrorCode::PrunedState.error(format!("state at block {height}: {e}"))
                })?;
                f(&view).map_err(|e| internal(&e))
            }
        }
    }

    fn resolve(&self, block: BlockId) -> RpcResult<Block> {
        resolve_block(&self.chain, block)
    }

    /// Waits up to `wait` for `hash`'s receipt; `heads` must be subscribed before the
    /// transaction was submitted, so no commit is missed.
    async fn wait_receipt(
        &self,
        hash: &Hash,
        mut heads: tokio::sync::watch::Receiver<cairn_chain::CommittedBlock>,
        wait: Duration,
    ) -> RpcResult<ReceiptInfo> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(r) = self.receipt_info(hash)? {
                return Ok(r);
            }
            match tokio::time::timeout_at(deadline, heads.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) => return Err(internal(&"the node is shutting down")),
                Err(_) => {
                    return Err(ErrorCode::Timeout.error_with_data(
                        format!("no receipt for {hash} within {} ms", wait.as_millis()),
                        serde_json::json!({ "tx_hash": hash }),
                    ));
                }
            }
        }
    }

    /// A receipt by transaction hash in O(1): the transaction's location record, the
    /// transaction itself read out of its block without decoding the rest, and the receipt.
    fn receipt_info(&self, hash: &Hash) -> RpcResult<Option<ReceiptInfo>> {
        let Some(included) = self.chain.included_tx(hash).map_err(|e| internal(&e))? else {
            return Ok(None);
        };
        let loc = included.location;
        let receipt =
            cairn_chain::ChainStore::receipt_at(self.chain.store(), loc.height, loc.index)
                .map_err(|e| internal(&e))?
                .ok_or_else(|| {
                    internal(&format!(
                        "receipt {}/{} of {hash} is missing",
                        loc.height, loc.index
                    ))
                })?;
        Ok(Some(receipt_info(&included, receipt)))
    }
}

fn location(block: &Block, index: u32) -> TxLocation {
    TxLocation {
        block_height: block.header.height,
        block_hash: block.hash(),
        index,
    }
}

fn included_location(included: &cairn_chain::IncludedTx) -> TxLocation {
    TxLocation {
        block_height: included.location.height,
        block_hash: included.block_hash,
        index: included.location.index,
    }
}

/// The account a dev override writes to, shown as its receipt's `to`.
fn dev_target(op: &cairn_primitives::DevOp) -> Option<Address> {
    use cairn_primitives::DevOp;
    match op {
        DevOp::SetAccount(a) => Some(a.address),
        DevOp::SetStorage(s) => Some(s.contract),
        DevOp::SetCode(c) => Some(c.address),
        DevOp::Impersonate(i) => Some(i.from),
        DevOp::Restore(_) => None,
    }
}

fn receipt_info(
    included: &cairn_chain::IncludedTx,
    receipt: cairn_primitives::Receipt,
) -> ReceiptInfo {
    let tx = &included.tx;
    // An impersonated transaction (devnet) reads as sent by the account it acts for.
    let from = tx.origin();
    let tx_hash = tx.tx_hash();
    let (to, contract_address) = match tx.effective_kind() {
        TxKind::Transfer(t) => (Some(t.to), None),
        TxKind::Call(call) => (Some(call.to), None),
        TxKind::Upgrade(u) => (Some(u.contract), None),
        TxKind::SetAdmin(a) => (Some(a.contract), None),
        TxKind::Dev(op) => (dev_target(op), None),
        TxKind::Deploy(deploy) => {
            let address = match deploy.salt {
                Some(salt) => Address::for_create2(
                    &from,
                    &salt,
                    &cairn_primitives::Hash(cairn_primitives::keccak256(&deploy.code)),
                ),
                None => Address::for_create(&from, tx.origin_nonce()),
            };
            (
                None,
                (receipt.status == ReceiptStatus::Success).then_some(address),
            )
        }
    };
    let events = receipt
        .events
        .into_iter()
        .zip(included.location.first_log_index..)
        .map(|(event, log_index)| EventLog {
            event: EventFields::from(event),
            tx_hash,
            block_height: included.location.height,
            log_index,
        })
        .collect();
    ReceiptInfo {
        tx_hash,
        from,
        to,
        contract_address,
        status: receipt.status,
        gas_used: receipt.gas_used,
        return_data: receipt.return_data,
        events,
        error: receipt.error,
        gas_profile: profile_info(receipt.gas_profile),
        location: included_location(included),
    }
}

#[async_trait]
impl CairnApiServer for RpcNode {
    async fn chain_id(&self) -> RpcResult<u64> {
        Ok(self.chain.genesis().chain_id)
    }

    async fn chain_head(&self) -> RpcResult<Head> {
        let head = self.chain.head();
        Ok(Head {
            height: head.height,
            hash: head.hash,
            timestamp: head.timestamp,
        })
    }

    async fn chain_get_block(
        &self,
        block: BlockId,
        full_txs: Option<bool>,
    ) -> RpcResult<Option<BlockInfo>> {
        let found = match self.resolve(block) {
            Ok(b) => b,
            Err(e) if e.code() == ErrorCode::UnknownBlock.code() => return Ok(None),
            Err(e) => return Err(e),
        };
        let transactions = if full_txs.unwrap_or(false) {
            BlockTransactions::Full(found.txs.clone())
        } else {
            BlockTransactions::Hashes(found.txs.iter().map(SignedTransaction::tx_hash).collect())
        };
        Ok(Some(BlockInfo {
            hash: found.hash(),
            header: found.header,
            transactions,
        }))
    }

    async fn chain_get_transaction(&self, hash: Hash) -> RpcResult<Option<TxInfo>> {
        let Some(included) = self.chain.included_tx(&hash).map_err(|e| internal(&e))? else {
            return Ok(None);
        };
        Ok(Some(TxInfo {
            hash,
            from: included.tx.origin(),
            location: included_location(&included),
            transaction: included.tx,
        }))
    }

    async fn chain_get_receipt(&self, hash: Hash) -> RpcResult<Option<ReceiptInfo>> {
        self.receipt_info(&hash)
    }

    async fn state_get_account(
        &self,
        address: Address,
        block: Option<BlockId>,
    ) -> RpcResult<AccountInfo> {
        let account = self.read_state(block, |r| r.account(&address))?;
        let account = account.unwrap_or_default();
        Ok(AccountInfo {
            address,
            balance: account.balance,
            nonce: account.nonce,
            code_hash: account.code_hash,
            admin: account.admin,
        })
    }

    async fn tx_send(&self, raw: Bytes) -> RpcResult<Hash> {
        let chain = Arc::clone(&self.chain);
        // Admission verifies a signature: keep it off the async workers.
        tokio::task::spawn_blocking(move || chain.submit(raw.0))
            .await
            .map_err(|e| internal(&e))?
            .map_err(|r| reject_error(&r))
    }

    async fn tx_send_batch(&self, raws: Vec<Bytes>) -> RpcResult<Vec<SendOutcome>> {
        if raws.len() > MAX_SEND_BATCH {
            return Err(invalid_params(format!(
                "{} transactions in one tx_sendBatch; the most is {MAX_SEND_BATCH}",
                raws.len()
            )));
        }
        let chain = Arc::clone(&self.chain);
        let raws = raws.into_iter().map(|b| b.0).collect();
        // Signature checks: keep them off the async workers.
        let results = tokio::task::spawn_blocking(move || chain.submit_batch(raws))
            .await
            .map_err(|e| internal(&e))?;
        Ok(results
            .into_iter()
            .map(|r| match r {
                Ok(hash) => SendOutcome {
                    hash: Some(hash),
                    error: None,
                },
                Err(reason) => {
                    let e = reject_error(&reason);
                    SendOutcome {
                        hash: None,
                        error: Some(SendError {
                            code: e.code(),
                            message: e.message().to_owned(),
                        }),
                    }
                }
            })
            .collect())
    }

    async fn tx_send_and_wait(
        &self,
        raw: Bytes,
        timeout_ms: Option<u64>,
    ) -> RpcResult<ReceiptInfo> {
        let heads = self.chain.subscribe_head();
        let hash = self.tx_send(raw).await?;
        let wait = Duration::from_millis(timeout_ms.unwrap_or(DEFAULT_WAIT_MS).min(MAX_WAIT_MS));
        self.wait_receipt(&hash, heads, wait).await
    }

    async fn node_info(&self) -> RpcResult<NodeInfo> {
        let g = self.chain.genesis();
        let head = self.chain.head().height;
        Ok(NodeInfo {
            version: env!("CARGO_PKG_VERSION").to_string(),
            chain_id: g.chain_id,
            validators: g
                .validators
                .iter()
                .map(|v| Bytes(v.public_key.to_vec()))
                .collect(),
            peers: self.chain.peers(),
            head,
            finalized: head,
            syncing: self.chain.syncing(),
            dev: self.dev,
            block_gas_limit: g.block_gas_limit,
            min_gas_price: g.min_gas_price,
        })
    }

    async fn state_get_storage(
        &self,
        contract: Address,
        key: Bytes,
        block: Option<BlockId>,
    ) -> RpcResult<Option<Bytes>> {
        if key.0.len() > cairn_state::MAX_STORAGE_KEY_SIZE {
            return Err(invalid_params(format!(
                "key of {} bytes is over the limit of {}",
                key.0.len(),
                cairn_state::MAX_STORAGE_KEY_SIZE
            )));
        }
        Ok(self
            .read_state(block, |r| r.storage(&contract, &key.0))?
            .map(Bytes))
    }

    async fn state_get_proof(
        &self,
        address: Address,
        storage_keys: Vec<Bytes>,
        block: Option<BlockId>,
    ) -> RpcResult<ProofInfo> {
        if storage_keys.len() > MAX_PROOF_STORAGE_KEYS {
            return Err(invalid_params(format!(
                "{} storage keys, more than the limit of {MAX_PROOF_STORAGE_KEYS}",
                storage_keys.len()
            )));
        }
        if let Some(k) = storage_keys
            .iter()
            .find(|k| k.0.len() > cairn_state::MAX_STORAGE_KEY_SIZE)
        {
            return Err(invalid_params(format!(
                "a storage key of {} bytes is over the limit of {}",
                k.0.len(),
                cairn_state::MAX_STORAGE_KEY_SIZE
            )));
        }
        blocking(&self.chain, move |chain| {
            let block = resolve_block(chain, block.unwrap_or_default())?;
            let height = block.header.height;
            let view = chain.state().at(height).map_err(|e| {
                ErrorCode::PrunedState.error(format!("state at block {height}: {e}"))
            })?;
            let (account, proof) = view.prove_account(&address).map_err(|e| internal(&e))?;
            let mut storage = Vec::with_capacity(storage_keys.len());
            for key in storage_keys {
                let (value, proof) = view
                    .prove_storage(&address, &key.0)
                    .map_err(|e| internal(&e))?;
                storage.push(StorageProof {
                    key,
                    value: value.map(Bytes),
                    proof: trie_proof(&proof),
                });
            }
            Ok(ProofInfo {
                block_height: height,
                state_root: view.root(),
                account: account_state(account),
                account_proof: trie_proof(&proof),
                storage,
            })
        })
        .await
    }

    async fn state_get_code(
        &self,
        address: Address,
        block: Option<BlockId>,
    ) -> RpcResult<Option<Bytes>> {
        let code = self.read_state(block, |r| match r.account(&address)? {
            Some(cairn_state::Account {
                code_hash: Some(h), ..
            }) => r.code(&h),
            _ => Ok(None),
        })?;
        Ok(code.map(Bytes))
    }

    async fn events_get(&self, filter: EventQuery) -> RpcResult<Vec<EventLog>> {
        let head = self.chain.head().height;
        let to = filter.to_block.unwrap_or(head);
        let from = filter
            .from_block
            .unwrap_or_else(|| to.saturating_sub(MAX_EVENT_QUERY_BLOCKS - 1));
        let query = EventFilter {
            from,
            to,
            contract: filter.contract,
            topic0: filter.topic,
        };
        let found = ChainStore::events(self.chain.store(), &query).map_err(|e| match e {
            ChainStoreError::RangeTooLarge { .. } => ErrorCode::RangeTooLarge.error_with_data(
                e.to_string(),
                serde_json::json!({ "max_blocks": MAX_EVENT_QUERY_BLOCKS }),
            ),
            ChainStoreError::EmptyRange { .. } => invalid_params(e.to_string()),
            other => internal(&other),
        })?;
        Ok(found
            .into_iter()
            .map(|e| EventLog {
                event: EventFields::from(e.event),
                tx_hash: e.tx_hash,
                block_height: e.height,
                log_index: e.log_index,
            })
            .collect())
    }

    async fn tx_pending(&self, address: Option<Address>) -> RpcResult<Vec<PendingTx>> {
        Ok(self
            .chain
            .mempool()
            .pending(address.as_ref())
            .into_iter()
            .map(|p| PendingTx {
                hash: p.hash,
                from: p.sender,
                nonce: p.tx.tx.nonce,
                gas_price: p.tx.tx.gas_price,
                ready: p.ready,
            })
            .collect())
    }

    async fn tx_simulate(
        &self,
        tx: TxRequest,
        block: Option<BlockId>,
    ) -> RpcResult<SimulationInfo> {
        blocking(&self.chain, move |chain| {
            let (reader, env) = reader_at(chain, block)?;
            let sim = simulate(chain, &reader, &env, &tx, true)?;
            simulation_info(&reader, sim)
        })
        .await
    }

    async fn tx_trace(&self, hash: Hash) -> RpcResult<Option<TraceInfo>> {
        blocking(&self.chain, move |chain| {
            let Some((loc, receipt)) = chain.receipt(&hash).map_err(|e| internal(&e))? else {
                return Ok(None);
            };
            let block = chain
                .block(loc.height)
                .map_err(|e| internal(&e))?
                .ok_or_else(|| internal(&format!("block {} of {hash} is missing", loc.height)))?;
            let parent = loc.height.saturating_sub(1);
            let view = chain.state().at(parent).map_err(|e| {
                ErrorCode::PrunedState.error(format!("state before block {}: {e}", loc.height))
            })?;
            let env = chain.block_env(&block.header);
            let sim = chain
                .executor()
                .trace(&view, &env, &block.txs, loc.index as usize)
                .map_err(|e| internal(&e))?;
            if sim.receipt != receipt {
                return Err(internal(&format!(
                    "re-executing {hash} did not reproduce its receipt"
                )));
            }
            Ok(Some(TraceInfo {
                tx_hash: hash,
                location: location(&block, loc.index),
                status: receipt.status,
                gas_used: receipt.gas_used,
                error: receipt.error,
                gas_profile: profile_info(sim.gas_profile),
                calls: sim.calls.iter().map(frame_info).collect(),
            }))
        })
        .await
    }

    async fn tx_estimate_gas(&self, tx: TxRequest) -> RpcResult<u64> {
        blocking(&self.chain, move |chain| {
            let (reader, env) = reader_at(chain, None)?;
            let req = tx;
            let run = |req: &TxRequest, gas| {
                let mut r = req.clone();
                r.gas_limit = Some(gas);
                simulate(chain, &reader, &env, &r, false)
            };
            let mut hi = req.gas_limit.unwrap_or(env.gas_limit).min(env.gas_limit);
            // Never search above what the sender can pay for: the pre-check would refuse
            // the whole search although a smaller limit fits the balance.
            let price = req.gas_price.unwrap_or(chain.genesis().min_gas_price);
            if !price.is_zero() {
                let balance = reader
                    .account(&req.from)
                    .map_err(|e| internal(&e))?
                    .map_or(cairn_primitives::Amount::zero(), |a| a.balance);
                let value = cairn_primitives::Transaction {
                    chain_id: 0,
                    nonce: 0,
                    gas_limit: 0,
                    gas_price: price,
                    kind: req.kind.clone(),
                }
                .value();
                let affordable = balance.saturating_sub(value) / price;
                if affordable < cairn_primitives::Amount::from(hi) {
                    hi = affordable.as_u64();
                }
            }
            let at_hi = run(&req, hi)?;
            if at_hi.receipt.status != ReceiptStatus::Success {
                return Err(execution_error(&at_hi.receipt));
            }
            // Success is monotonic in the gas limit: the smallest limit that succeeds lies in
            // (gas used − 1, hi].
            let mut lo = at_hi.receipt.gas_used.saturating_sub(1);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                match run(&req, mid) {
                    Ok(s) if s.receipt.status == ReceiptStatus::Success => hi = mid,
                    _ => lo = mid,
                }
            }
            let margin = hi / 100 * ESTIMATE_MARGIN_PERCENT;
            Ok(hi.saturating_add(margin).min(env.gas_limit))
        })
        .await
    }

    async fn contract_view(
        &self,
        contract: Address,
        method: String,
        args: Bytes,
        block: Option<BlockId>,
    ) -> RpcResult<ViewResult> {
        let view = blocking(&self.chain, move |chain| {
            let (reader, env) = reader_at(chain, block)?;
            let req = TxRequest {
                from: Address::ZERO,
                kind: TxKind::Call(cairn_primitives::Call {
                    to: contract,
                    method,
                    args: args.0,
                    value: cairn_primitives::Amount::zero(),
                }),
                nonce: None,
                gas_limit: Some(env.gas_limit),
                gas_price: Some(cairn_primitives::Amount::zero()),
            };
            let sim = simulate(chain, &reader, &env, &req, false)?;
            if sim.receipt.status != ReceiptStatus::Success {
                return Err(execution_error(&sim.receipt));
            }
            Ok(ViewResult {
                return_data: sim.receipt.return_data,
                gas_used: sim.receipt.gas_used,
                events: sim
                    .receipt
                    .events
                    .into_iter()
                    .map(EventFields::from)
                    .collect(),
            })
        });
        // The watchdog answers the caller; the execution itself is bounded by its gas.
        tokio::time::timeout(self.view_timeout, view)
            .await
            .map_err(|_| {
                ErrorCode::Timeout.error(format!(
                    "the view ran past the {} ms watchdog",
                    self.view_timeout.as_millis()
                ))
            })?
    }

    async fn contract_get_abi(
        &self,
        address: Address,
        block: Option<BlockId>,
    ) -> RpcResult<Option<serde_json::Value>> {
        let Some(code) = self.state_get_code(address, block).await? else {
            return Ok(None);
        };
        abi_of(&code.0)
    }

    async fn subscribe_events(
        &self,
        pending: PendingSubscriptionSink,
        filter: EventQuery,
    ) -> SubscriptionResult {
        let mut heads = self.chain.subscribe_head();
        let mut next = heads.borrow_and_update().height + 1;
        let sink = pending.accept().await?;
        loop {
            tokio::select! {
                () = sink.closed() => break,
                changed = heads.changed() => {
                    if changed.is_err() {
                        break;
                    }
                    let head = heads.borrow_and_update().height;
                    if head < next {
                        continue;
                    }
                    let query = EventFilter {
                        from: next,
                        to: head,
                        contract: filter.contract,
                        topic0: filter.topic,
                    };
                    next = head + 1;
                    let found = match ChainStore::events(self.chain.store(), &query) {
                        Ok(found) => found,
                        Err(e) => {
                            tracing::error!(error = %e, "event subscription read failed");
                            break;
                        }
                    };
                    for e in found {
                        let log = EventLog {
                            event: EventFields::from(e.event),
                            tx_hash: e.tx_hash,
                            block_height: e.height,
                            log_index: e.log_index,
                        };
                        if !push(&sink, &log).await? {
                            return Ok(());
                        }
                    }
                }
            }
        }
        Ok(())
    }

    async fn subscribe_pending(&self, pending: PendingSubscriptionSink) -> SubscriptionResult {
        let mut admitted = self.chain.subscribe_admitted();
        let sink = pending.accept().await?;
        loop {
            tokio::select! {
                () = sink.closed() => break,
                next = admitted.recv() => match next {
                    Ok(hash) => {
                        if !push(&sink, &hash).await? {
                            break;
                        }
                    }
                    // A slow subscriber skips what it missed rather than stalling admission.
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                        tracing::debug!(missed = n, "pending-transaction subscriber lagged");
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                },
            }
        }
        Ok(())
    }

    async fn subscribe_heads(&self, pending: PendingSubscriptionSink) -> SubscriptionResult {
        let mut heads = self.chain.subscribe_head();
        let sink = pending.accept().await?;
        loop {
            tokio::select! {
                () = sink.closed() => break,
                changed = heads.changed() => {
                    if changed.is_err() {
                        break;
                    }
                    let h = *heads.borrow_and_update();
                    let head = Head { height: h.height, hash: h.hash, timestamp: h.timestamp };
                    if !push(&sink, &head).await? {
                        break;
                    }
                }
            }
        }
        Ok(())
    }

    async fn node_health(&self) -> RpcResult<NodeHealth> {
        let head = self.chain.head().height;
        let syncing = self.chain.syncing();
        Ok(NodeHealth {
            healthy: !syncing,
            head,
            finalized: head,
            syncing,
        })
    }
}
