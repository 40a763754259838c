//! The node's core: one RocksDB database holding the state and the chain store, the
//! mempool, the executor, and the cache of executed-but-uncommitted blocks that consensus
//! builds on. The consensus [`Application`](cairn_consensus::Application) (see `app.rs`) and
//! the RPC server both work through [`Chain`].
//!
//! ```text
//! tx_send ──► Chain::submit ──► mempool ──► work_ready ─► propose: execute on parent's pending
//!                                                          state, cache by block hash
//!                                  verify: re-execute (or hit the cache), compare the header
//!           finalized: ONE synced batch {state changes, block, receipts, indexes}
//!                      ──► mempool cleanup ──► head watchers (RPC: receipts become visible)
//! ```
//!
//! Durability: a receipt is only ever read from the database, and it reaches the database
//! in the same synced batch as the block and state that produced it, so a receipt a client
//! has seen survives any crash.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use cairn_executor::{
    ExecutionOutcome, Executor, ExecutorConfig, ExecutorError, PendingState, merge_changes,
};
use cairn_mempool::{AccountInfo as PoolAccount, AccountView, AdmitResult, Mempool, MempoolConfig};
use cairn_primitives::{
    Address, Block, BlockHeader, Hash, Height, Nonce, Receipt, SignedTransaction,
};
use cairn_state::{Account, PreparedCommit, State, StateConfig, StateError, StateReader};
use cairn_storage::{MemStore, RocksStore, StorageError, WriteBatch};
use cairn_vm::{Vm, VmConfig};
use tokio::sync::{Notify, broadcast, watch};

use crate::genesis::{Genesis, GenesisFileError};
use crate::{ChainStore, ChainStoreError};

/// Uncommitted executed blocks kept at most (a fork longer than this is re-executed).
pub const MAX_PENDING_BLOCKS: usize = 1024;

/// Uncommitted ancestors a block's prepared commit may build on. A prepared commit holds
/// the block's new trie nodes (tens of MB for a full block); past this depth (finality
/// stalled while blocks keep coming) blocks get a dry-run root instead, so memory stays
/// bounded, and their commits compute the trie update themselves.
pub const MAX_PREPARED_DEPTH: usize = 8;

/// Name of the database directory inside a node's data dir.
pub const DB_DIR: &str = "db";

/// Name of the consensus journal directory inside a node's data dir.
pub const CONSENSUS_DIR: &str = "consensus";

/// Why the node cannot start or go on.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The genesis file is unusable.
    #[error(transparent)]
    Genesis(#[from] GenesisFileError),
    /// The database cannot be opened or read.
    #[error("database: {0}")]
    Storage(#[from] StorageError),
    /// The state failed.
    #[error("state: {0}")]
    State(#[from] StateError),
    /// The chain store failed.
    #[error("chain store: {0}")]
    ChainStore(#[from] ChainStoreError),
    /// The executor failed.
    #[error("executor: {0}")]
    Executor(#[from] ExecutorError),
    /// The VM could not start.
    #[error("vm: {0}")]
    Vm(#[from] cairn_vm::VmError),
    /// The data dir holds another chain, or a database the node cannot trust.
    #[error("{0}")]
    Inconsistent(String),
}

/// `Result` with [`NodeError`].
pub type NodeResult<T, E = NodeError> = std::result::Result<T, E>;
use NodeResult as Result;

/// A block the node executed: the block and what executing it produced.
#[derive(Debug)]
pub struct Executed {
    /// The block.
    pub block: Arc<Block>,
    /// Its execution outcome (receipts, changes, roots).
    pub outcome: ExecutionOutcome,
    /// For each sender in the block, the nonce after its last transaction there: derived
    /// once here, because block building and `work_ready` ask for it of every uncommitted
    /// block, and deriving a sender hashes its public key.
    pub next_nonces: BTreeMap<Address, Nonce>,
    /// The block's state commit, computed with its state root (trie update included), so
    /// that committing the block only writes it. `None` when an ancestor had none (the
    /// root then came from a dry run of all pending changes, and the commit recomputes).
    pub prepared: Option<Arc<PreparedCommit>>,
}

impl Executed {
    fn new(
        block: Arc<Block>,
        outcome: ExecutionOutcome,
        prepared: Option<Arc<PreparedCommit>>,
    ) -> Self {
        let mut next_nonces = BTreeMap::new();
        for tx in &block.txs {
            let next = tx.tx.nonce.saturating_add(1);
            let entry = next_nonces.entry(tx.sender()).or_insert(next);
            *entry = (*entry).max(next);
        }
        Self {
            block,
            outcome,
            next_nonces,
            prepared,
        }
    }
}

/// Merges per-block next nonces (each sender's highest wins).
fn merge_next_nonces<'a>(
    into: &mut BTreeMap<Address, Nonce>,
    from: impl IntoIterator<Item = (&'a Address, &'a Nonce)>,
) {
    for (addr, &next) in from {
        let entry = into.entry(*addr).or_insert(next);
        *entry = (*entry).max(next);
    }
}

/// What a commit did, for logs and watchers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommittedBlock {
    /// Its height.
    pub height: Height,
    /// Its hash.
    pub hash: Hash,
    /// Its timestamp (ms).
    pub timestamp: u64,
}

/// Mempool view of the committed state.
struct CommittedAccounts<'a>(&'a State<RocksStore>);

impl AccountView for CommittedAccounts<'_> {
    fn account(&self, address: &Address) -> PoolAccount {
        match self.0.account(address) {
            Ok(Some(a)) => PoolAccount {
                nonce: a.nonce,
                balance: a.balance,
            },
            Ok(None) => PoolAccount::default(),
            Err(e) => {
                tracing::error!(%address, error = %e, "account read failed");
                PoolAccount::default()
            }
        }
    }
}

/// The node's core. Shared (`Arc`) by the consensus application and the RPC server.
pub struct Chain {
    genesis: Genesis,
    genesis_block: Block,
    state: State<RocksStore>,
    executor: Executor,
    mempool: Mempool,
    pending: Mutex<BTreeMap<Hash, Arc<Executed>>>,
    work: Notify,
    head: watch::Sender<CommittedBlock>,
    data_dir: PathBuf,
    /// Blocks asked for by `dev_mine` that are not committed yet.
    mine_requests: AtomicU64,
    /// Hashes of newly admitted transactions (RPC `tx_subscribePending`).
    admitted: broadcast::Sender<Hash>,
    /// Devnet clock offset added to proposed timestamps (`dev_increaseTime`), ms.
    time_offset_ms: AtomicU64,
    /// Forwards transactions admitted through this node to the other validators.
    gossip: std::sync::OnceLock<Box<dyn Fn(Vec<u8>) + Send + Sync>>,
    /// Devnet snapshots (`dev_snapshot` / `dev_revert`): what to write back.
    snapshots: Mutex<DevSnapshots>,
    /// Other validators connected, as the p2p layer last reported.
    peers: AtomicU32,
    /// Highest finalized height consensus has heard of (may be ahead of the head while
    /// missed blocks are fetched).
    network_tip: AtomicU64,
}

/// How far the network's finalized tip may be ahead of the executed head before the node
/// says it is syncing (one block is always briefly in flight).
pub const SYNC_LAG: u64 = 2;

/// Most devnet snapshots kept at once; taking one more forgets the oldest.
pub const MAX_DEV_SNAPSHOTS: usize = 256;

/// Most distinct keys a devnet snapshot remembers; past it the snapshot is dropped (and
/// reverting to it says so) rather than growing without bound.
pub const MAX_SNAPSHOT_KEYS: usize = 1_000_000;

/// One devnet snapshot: the height it was taken at, and the committed value of every key
/// changed since, as it was when the snapshot was taken (an undo log).
#[derive(Debug, Default)]
struct DevSnapshot {
    id: u64,
    height: Height,
    accounts: BTreeMap<Address, Option<Account>>,
    storage: BTreeMap<(Address, Vec<u8>), Option<Vec<u8>>>,
}

/// The devnet's snapshots, oldest first.
#[derive(Debug, Default)]
struct DevSnapshots {
    next_id: u64,
    list: Vec<DevSnapshot>,
}

/// Why `dev_revert` cannot proceed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SnapshotError {
    /// No such snapshot: never taken, reverted past, or forgotten.
    #[error("no snapshot {0} (unknown, or dropped by a revert to an earlier one)")]
    Unknown(u64),
}

/// A contract's storage slot (contract, key) and its value (`None`: empty).
pub type SlotValue = ((Address, Vec<u8>), Option<Vec<u8>>);

/// The writes that restore a devnet snapshot, and the height it was taken at.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Restore {
    /// The snapshot's height (the head does not go back: finalized blocks stay final).
    pub height: Height,
    /// Accounts to write back (`None`: the account did not exist).
    pub accounts: Vec<(Address, Option<Account>)>,
    /// Storage slots to write back (`None`: the slot was empty).
    pub storage: Vec<SlotValue>,
}

/// Admitted-transaction notifications buffered per slow subscriber before it lags.
pub const ADMITTED_CHANNEL_CAPACITY: usize = 4096;

impl std::fmt::Debug for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chain")
            .field("chain_id", &self.genesis.chain_id)
            .field("head", &*self.head.borrow())
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Chain {
    /// Opens (or creates from `genesis`) the database under `data_dir/db`. A new database
    /// gets the genesis state and block at height 0; an existing one must hold the same
    /// genesis block, and its state version must equal its stored head.
    ///
    /// # Errors
    /// A locked, corrupt or foreign database; a state/chain mismatch.
    pub fn open(data_dir: &Path, genesis: Genesis) -> Result<Self> {
        genesis.validate()?;
        std::fs::create_dir_all(data_dir).map_err(|e| {
            NodeError::Inconsistent(format!("cannot create {}: {e}", data_dir.display()))
        })?;
        let store = RocksStore::open(data_dir.join(DB_DIR))?;
        let state = State::open(store, StateConfig::default())?;
        let genesis_changes = genesis.state_changes().map_err(GenesisFileError::from)?;
        // The genesis root, computed on an empty in-memory state: what block 0 must hold.
        let genesis_root = {
            let scratch = State::open(
                MemStore::new(),
                StateConfig {
                    background_pruning: false,
                    sync_commits: false,
                    ..StateConfig::default()
                },
            )?;
            scratch.prepare_commit(&genesis_changes, &[])?.root()
        };
        let genesis_block = genesis.block(genesis_root);
        match state.latest_version() {
            None => {
                let mut batch = WriteBatch::new();
                ChainStore::write_block(&mut batch, &genesis_block, &[])?;
                let committed = state.commit_with(&genesis_changes, batch)?;
                if committed.root != genesis_root {
                    return Err(NodeError::Inconsistent(format!(
                        "genesis root {} differs from its dry run {genesis_root}",
                        committed.root
                    )));
                }
            }
            Some(_) => {
                let stored = ChainStore::block(state.store(), 0)?.ok_or_else(|| {
                    NodeError::Inconsistent("database has state but no genesis block".into())
                })?;
                if stored != genesis_block {
                    return Err(NodeError::Inconsistent(format!(
                        "{} holds another chain (genesis block {}, this genesis file gives {}); \
                         use a new data dir or the genesis file it was created with",
                        data_dir.display(),
                        stored.hash(),
                        genesis_block.hash()
                    )));
                }
            }
        }
        let head_height = ChainStore::head(state.store())?.unwrap_or(0);
        if state.latest_version() != Some(head_height) {
            return Err(NodeError::Inconsistent(format!(
                "state version {:?} does not match the chain head {head_height}",
                state.latest_version()
            )));
        }
        let head_block = ChainStore::block(state.store(), head_height)?.ok_or_else(|| {
            NodeError::Inconsistent(format!("head block {head_height} is missing"))
        })?;
        if head_block.header.state_root != state.root() {
            return Err(NodeError::Inconsistent(format!(
                "state root {} differs from the head block's {}",
                state.root(),
                head_block.header.state_root
            )));
        }
        // A devnet (a genesis with a dev authority) records wasm backtraces in trap receipts;
        // every validator of a chain reads the same genesis, so all agree on the receipts.
        let vm = Arc::new(Vm::new(VmConfig {
            backtraces: genesis.dev_authority.is_some(),
            ..VmConfig::default()
        })?);
        let executor = Executor::new(
            vm,
            ExecutorConfig {
                dev_authority: genesis.dev_authority,
                ..ExecutorConfig::default()
            },
        );
        let mut pool_config = MempoolConfig::new(genesis.chain_id);
        pool_config.min_gas_price = genesis.min_gas_price;
        pool_config.max_tx_gas = genesis.block_gas_limit;
        pool_config.intrinsic_gas_base = executor.config().tx_base_gas;
        pool_config.intrinsic_gas_per_byte = executor.config().tx_byte_gas;
        pool_config.intrinsic_gas_deploy_base = executor.config().deploy_base_gas;
        pool_config.intrinsic_gas_per_code_byte = executor.config().deploy_code_byte_gas;
        pool_config.dev_authority = genesis.dev_authority;
        let (head, _) = watch::channel(CommittedBlock {
            height: head_height,
            hash: head_block.hash(),
            timestamp: head_block.header.timestamp,
        });
        Ok(Self {
            genesis,
            genesis_block,
            state,
            executor,
            mempool: Mempool::new(pool_config),
            pending: Mutex::new(BTreeMap::new()),
            work: Notify::new(),
            head,
            data_dir: data_dir.to_path_buf(),
            mine_requests: AtomicU64::new(0),
            admitted: broadcast::channel(ADMITTED_CHANNEL_CAPACITY).0,
            time_offset_ms: AtomicU64::new(0),
            gossip: std::sync::OnceLock::new(),
            snapshots: Mutex::new(DevSnapshots::default()),
            peers: AtomicU32::new(0),
            network_tip: AtomicU64::new(0),
        })
    }

    /// The genesis this chain was created from.
    #[must_use]
    pub fn genesis(&self) -> &Genesis {
        &self.genesis
    }

    /// The genesis block.
    #[must_use]
    pub fn genesis_block(&self) -> &Block {
        &self.genesis_block
    }

    /// The node's data dir.
    #[must_use]
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The committed state (reads: latest; `at(height)` for a kept older block).
    #[must_use]
    pub fn state(&self) -> &State<RocksStore> {
        &self.state
    }

    /// The database (chain store reads).
    #[must_use]
    pub fn store(&self) -> &RocksStore {
        self.state.store()
    }

    /// The mempool.
    #[must_use]
    pub fn mempool(&self) -> &Mempool {
        &self.mempool
    }

    /// The executor.
    #[must_use]
    pub fn executor(&self) -> &Executor {
        &self.executor
    }

    /// The latest committed block.
    #[must_use]
    pub fn head(&self) -> CommittedBlock {
        *self.head.borrow()
    }

    /// A receiver of the hash of every transaction admitted from now on.
    #[must_use]
    pub fn subscribe_admitted(&self) -> broadcast::Receiver<Hash> {
        self.admitted.subscribe()
    }

    /// A receiver that changes whenever a block is committed.
    #[must_use]
    pub fn subscribe_head(&self) -> watch::Receiver<CommittedBlock> {
        self.head.subscribe()
    }

    /// Other validators this node is connected to (0 for a lone validator).
    #[must_use]
    pub fn peers(&self) -> u32 {
        self.peers.load(Ordering::Relaxed)
    }

    /// Records the p2p layer's connected-peer count.
    pub fn set_peers(&self, peers: u32) {
        self.peers.store(peers, Ordering::Relaxed);
    }

    /// Records a finalized height consensus learned of.
    pub fn note_network_tip(&self, height: u64) {
        self.network_tip.fetch_max(height, Ordering::Relaxed);
    }

    /// Whether the node is catching up: the network finalized more than [`SYNC_LAG`] blocks
    /// beyond the executed head.
    #[must_use]
    pub fn syncing(&self) -> bool {
        self.network_tip.load(Ordering::Relaxed) > self.head().height + SYNC_LAG
    }

    /// Sets where transactions admitted through [`Self::submit`] are forwarded (the other
    /// validators). Set once, when consensus starts; later calls are ignored.
    pub fn set_gossip(&self, forward: impl Fn(Vec<u8>) + Send + Sync + 'static) {
        let _ = self.gossip.set(Box::new(forward));
    }

    /// Admits a transaction (canonical bytes) from a client to the mempool, wakes the
    /// proposer, and forwards it to the other validators so whichever leads next includes it.
    ///
    /// # Errors
    /// The mempool's typed rejection.
    pub fn submit(&self, raw: Vec<u8>) -> AdmitResult {
        let forward = self.gossip.get().map(|_| raw.clone());
        let hash = self.submit_from_peer(raw)?;
        if let (Some(bytes), Some(gossip)) = (forward, self.gossip.get()) {
            gossip(bytes);
        }
        Ok(hash)
    }

    /// Admits many encoded transactions at once: decoding and signature checks run as one
    /// batch (see [`Mempool::insert_batch`]); result `i` is what [`Self::submit`] would have
    /// returned for `raws[i]` sent one by one. Admitted ones are gossiped like `submit`'s.
    pub fn submit_batch(&self, raws: Vec<Vec<u8>>) -> Vec<AdmitResult> {
        let forward = self.gossip.get().map(|_| raws.clone());
        let results = self
            .mempool
            .insert_batch(raws, &CommittedAccounts(&self.state));
        if results.iter().any(Result::is_ok) {
            self.work.notify_one();
        }
        for hash in results.iter().flatten() {
            let _ = self.admitted.send(*hash);
        }
        if let (Some(raws), Some(gossip)) = (forward, self.gossip.get()) {
            for (raw, result) in raws.into_iter().zip(&results) {
                if result.is_ok() {
                    gossip(raw);
                }
            }
        }
        results
    }

    /// Admits a transaction another validator forwarded (never forwarded again: validators
    /// are fully connected).
    ///
    /// # Errors
    /// The mempool's typed rejection.
    pub fn submit_from_peer(&self, raw: Vec<u8>) -> AdmitResult {
        let hash = self.mempool.insert(raw, &CommittedAccounts(&self.state))?;
        self.work.notify_one();
        let _ = self.admitted.send(hash);
        Ok(hash)
    }

    /// Admits a decoded transaction (gossip, in-process clients).
    ///
    /// # Errors
    /// The mempool's typed rejection.
    pub fn submit_decoded(&self, tx: SignedTransaction) -> AdmitResult {
        let hash = self.mempool.insert(tx, &CommittedAccounts(&self.state))?;
        self.work.notify_one();
        let _ = self.admitted.send(hash);
        Ok(hash)
    }

    /// The committed account (or `None` if never touched).
    ///
    /// # Errors
    /// Node-fatal state failures.
    pub fn account(&self, address: &Address) -> Result<Option<Account>> {
        Ok(self.state.account(address)?)
    }

    /// For each sender with transactions in the cached uncommitted blocks above the
    /// committed head, the nonce after its last one there.
    fn in_flight_nonces(&self) -> BTreeMap<Address, Nonce> {
        let committed = self.head().height;
        let pending = lock(&self.pending);
        let mut out = BTreeMap::new();
        for e in pending
            .values()
            .filter(|e| e.block.header.height > committed)
        {
            merge_next_nonces(&mut out, &e.next_nonces);
        }
        out
    }

    /// Moves this node's proposal clock forward by `ms` (devnet `dev_increaseTime`); returns
    /// the total offset. Timestamps never go back: after a restart the offset is gone and
    /// blocks keep their parent's timestamp until the clock catches up.
    pub fn increase_time(&self, ms: u64) -> u64 {
        let before = self
            .time_offset_ms
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |t| {
                Some(t.saturating_add(ms))
            })
            .unwrap_or(0);
        before.saturating_add(ms)
    }

    /// Sets this node's proposal clock offset to `ms` (devnet `dev_setBlockTime`).
    pub fn set_time_offset(&self, ms: u64) {
        self.time_offset_ms.store(ms, Ordering::SeqCst);
    }

    /// Drops every pending transaction (devnet `dev_revert`); returns how many.
    pub fn clear_mempool(&self) -> usize {
        let hashes: Vec<Hash> = self.mempool.pending(None).iter().map(|p| p.hash).collect();
        self.mempool.remove(&hashes).len()
    }

    /// The current proposal clock offset (ms).
    #[must_use]
    pub fn time_offset_ms(&self) -> u64 {
        self.time_offset_ms.load(Ordering::SeqCst)
    }

    /// Asks for `blocks` more blocks to be produced at once, empty or not (devnet `dev_mine`).
    pub fn request_blocks(&self, blocks: u64) {
        self.mine_requests.fetch_add(blocks, Ordering::SeqCst);
        self.work.notify_one();
    }

    /// Resolves once the mempool holds a transaction that could go into the next block, or a
    /// block was asked for with [`Self::request_blocks`].
    pub async fn work_ready(&self) {
        loop {
            let notified = self.work.notified();
            // Blocks asked for by `dev_mine` and not yet built: a block built but not yet
            // committed already answers one request (else `dev_mine(1)` could yield two).
            let building = u64::try_from(lock(&self.pending).len()).unwrap_or(u64::MAX);
            if self.mine_requests.load(Ordering::SeqCst) > building
                || self.mempool.has_ready_after(&self.in_flight_nonces())
            {
                return;
            }
            notified.await;
        }
    }

    /// The executed form of `block` (cached, or executed now on `parent_chain`, the
    /// uncommitted ancestors of `block` oldest first, each executed in turn).
    ///
    /// # Errors
    /// An invalid block ([`ExecutorError::InvalidBlock`]) or a node failure.
    pub fn executed(&self, block: &Arc<Block>, ancestors: &[Arc<Block>]) -> Result<Arc<Executed>> {
        let hash = block.hash();
        if let Some(e) = lock(&self.pending).get(&hash) {
            return Ok(Arc::clone(e));
        }
        let changes = self.uncommitted(ancestors)?;
        let base = Self::pending_state(&self.state, &changes);
        let env = self.block_env(&block.header);
        let outcome = self.executor.execute(&base, &env, &block.txs)?;
        let executed = Arc::new(Executed::new(
            Arc::clone(block),
            outcome,
            base.take_prepared(),
        ));
        self.remember(hash, &executed);
        Ok(executed)
    }

    /// The executed forms of the blocks of `ancestors` (oldest first) above the committed
    /// head, from the cache or executed now. The head is read under the cache's lock: a
    /// commit publishes its new head before it evicts its block from the cache, so every
    /// block above the head read here that was cached is still found. (Read apart, a commit
    /// in between could evict an ancestor that then re-executes on a state that already
    /// holds it, and fails.)
    fn uncommitted(&self, ancestors: &[Arc<Block>]) -> Result<Vec<Arc<Executed>>> {
        // (index in `ancestors`, cached form) of each ancestor above the head.
        let above: Vec<(usize, Option<Arc<Executed>>)> = {
            let pending = lock(&self.pending);
            let committed = self.head().height;
            ancestors
                .iter()
                .enumerate()
                .filter(|(_, a)| a.header.height > committed)
                .map(|(i, a)| (i, pending.get(&a.hash()).cloned()))
                .collect()
        };
        let mut chain = Vec::with_capacity(above.len());
        for (i, cached) in above {
            chain.push(match cached {
                Some(e) => e,
                None => self.executed(&ancestors[i], &ancestors[..i])?,
            });
        }
        Ok(chain)
    }

    /// The state a block executes on: the committed state and its uncommitted ancestors
    /// (`chain`, oldest first). When every ancestor kept its prepared commit, the block's
    /// own commit is prepared on them while its root is computed.
    fn pending_state<'s>(
        state: &'s State<RocksStore>,
        chain: &[Arc<Executed>],
    ) -> PendingState<'s, RocksStore> {
        let merged = merge_changes(chain.iter().map(|e| &e.outcome.changes));
        let on: Option<Vec<Arc<PreparedCommit>>> = if chain.len() < MAX_PREPARED_DEPTH {
            chain.iter().map(|e| e.prepared.clone()).collect()
        } else {
            None
        };
        match on {
            Some(on) => PendingState::prepared_on(state, merged, on),
            None => PendingState::new(state, merged),
        }
    }

    fn remember(&self, hash: Hash, executed: &Arc<Executed>) {
        let mut pending = lock(&self.pending);
        if pending.len() >= MAX_PENDING_BLOCKS {
            // Drop the lowest blocks: the ones consensus is least likely to build on.
            let mut by_height: Vec<_> = pending
                .iter()
                .map(|(h, e)| (e.block.header.height, *h))
                .collect();
            by_height.sort_unstable();
            for (_, h) in by_height.iter().take(pending.len() / 2) {
                pending.remove(h);
            }
        }
        pending.insert(hash, Arc::clone(executed));
    }

    /// The execution environment of a block with this header.
    #[must_use]
    pub fn block_env(&self, header: &BlockHeader) -> cairn_executor::BlockEnv {
        cairn_executor::BlockEnv {
            chain_id: self.genesis.chain_id,
            height: header.height,
            timestamp_ms: header.timestamp,
            proposer: header.proposer,
            gas_limit: header.gas_limit,
        }
    }

    /// Builds a block on `parent` (with its uncommitted ancestors `ancestors`, oldest first,
    /// ending with `parent` itself when it is uncommitted) from the mempool.
    ///
    /// # Errors
    /// Node failures only.
    pub fn build(
        &self,
        parent: &Arc<Block>,
        ancestors: &[Arc<Block>],
        height: Height,
        timestamp: u64,
        proposer: Address,
    ) -> Result<Arc<Executed>> {
        let chain = self.uncommitted(ancestors)?;
        let mut next_nonces: BTreeMap<Address, Nonce> = BTreeMap::new();
        for e in &chain {
            merge_next_nonces(&mut next_nonces, &e.next_nonces);
        }
        let base = Self::pending_state(&self.state, &chain);
        let gas_limit = self.genesis.block_gas_limit;
        let candidates: Vec<Arc<SignedTransaction>> = self
            .mempool
            .ready_after(gas_limit, crate::genesis::MAX_BLOCK_TXS, &next_nonces)
            .into_iter()
            .map(|p| p.tx)
            .collect();
        let mut header = BlockHeader {
            parent_hash: parent.hash(),
            height,
            timestamp: timestamp
                .saturating_add(self.time_offset_ms())
                .max(parent.header.timestamp),
            proposer,
            tx_root: Hash::ZERO,
            receipts_root: Hash::ZERO,
            state_root: Hash::ZERO,
            gas_used: 0,
            gas_limit,
        };
        let built = self
            .executor
            .build(&base, &self.block_env(&header), &candidates)?;
        let permanent: Vec<Hash> = built
            .skipped
            .iter()
            .filter(|s| s.reason.is_permanent())
            .map(|s| s.tx_hash)
            .collect();
        if !permanent.is_empty() {
            for s in &built.skipped {
                tracing::info!(tx = %s.tx_hash, reason = %s.reason, "dropped from the pool");
            }
            self.mempool.remove(&permanent);
        }
        header.tx_root = built.outcome.tx_root;
        header.receipts_root = built.outcome.receipts_root;
        header.state_root = built.outcome.state_root;
        header.gas_used = built.outcome.gas_used;
        let block = Arc::new(Block {
            header,
            txs: built.txs,
        });
        let executed = Arc::new(Executed::new(
            Arc::clone(&block),
            built.outcome,
            base.take_prepared(),
        ));
        self.remember(block.hash(), &executed);
        Ok(executed)
    }

    /// Commits a finalized block: state changes, block, receipts and indexes in one synced
    /// batch; then cleans the mempool and wakes head watchers. The block must extend the
    /// committed head.
    ///
    /// # Errors
    /// A block that does not extend the head, does not re-execute to its header, or a
    /// storage failure. All are fatal to the node: nothing is written.
    pub fn commit(&self, block: &Arc<Block>) -> Result<CommittedBlock> {
        let started = Instant::now();
        let head = self.head();
        let height = block.header.height;
        if height != head.height + 1 || block.header.parent_hash != head.hash {
            return Err(NodeError::Inconsistent(format!(
                "finalized block {height} ({}) does not extend the head {} ({})",
                block.hash(),
                head.height,
                head.hash
            )));
        }
        let executed = self.executed(block, &[])?;
        let outcome = &executed.outcome;
        let h = &block.header;
        if outcome.state_root != h.state_root
            || outcome.tx_root != h.tx_root
            || outcome.receipts_root != h.receipts_root
            || outcome.gas_used != h.gas_used
        {
            return Err(NodeError::Inconsistent(format!(
                "finalized block {height} does not re-execute to its header (state root {} vs {})",
                outcome.state_root, h.state_root
            )));
        }
        self.record_undo(&outcome.changes)?;
        let mut batch = WriteBatch::new();
        ChainStore::write_block(&mut batch, block, &outcome.receipts)?;
        let committed = match &executed.prepared {
            Some(prepared) => self
                .state
                .commit_prepared(&outcome.changes, prepared, batch)?,
            None => self.state.commit_with(&outcome.changes, batch)?,
        };
        if committed.root != h.state_root {
            return Err(NodeError::Inconsistent(format!(
                "committed root {} differs from block {height}'s {}",
                committed.root, h.state_root
            )));
        }
        let hash = block.hash();
        let info = CommittedBlock {
            height,
            hash,
            timestamp: h.timestamp,
        };
        let _ = self
            .mine_requests
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        // The pool forgets the block's transactions before the head is published: whoever
        // sees the new head (or a receipt in it) and resends one gets "nonce too low".
        let senders: BTreeSet<Address> = executed.next_nonces.keys().copied().collect();
        let update = self.mempool.on_block_committed_senders(
            &outcome.tx_hashes,
            &senders,
            &CommittedAccounts(&self.state),
        );
        self.head.send_replace(info);
        lock(&self.pending).retain(|_, e| e.block.header.height > height);
        if !self.mempool.is_empty() || self.mine_requests.load(Ordering::SeqCst) > 0 {
            self.work.notify_one();
        }
        let failed = outcome
            .receipts
            .iter()
            .filter(|r| r.status != cairn_primitives::ReceiptStatus::Success)
            .count();
        // Each transaction's line, when its target is on (skipping the status's formatting
        // when it is off: a block holds thousands).
        let tx_lines = tracing::enabled!(target: "cairn::tx", tracing::Level::INFO);
        for ((receipt, tx_hash), contract) in outcome
            .receipts
            .iter()
            .zip(&outcome.tx_hashes)
            .zip(&outcome.contract_addresses)
            .filter(|_| tx_lines)
        {
            let status = format!("{:?}", receipt.status);
            match (contract, &receipt.error) {
                (Some(address), _) => {
                    tracing::info!(target: "cairn::tx", height, tx = %tx_hash, status, gas = receipt.gas_used, contract = %address, "deployed");
                }
                (None, Some(error)) => {
                    tracing::info!(target: "cairn::tx", height, tx = %tx_hash, status, gas = receipt.gas_used, error = %error, "failed");
                }
                (None, None) => {
                    tracing::info!(target: "cairn::tx", height, tx = %tx_hash, status, gas = receipt.gas_used, "executed");
                }
            }
        }
        let micros = started.elapsed().as_micros();
        if block.txs.is_empty() {
            tracing::debug!(height, hash = %hash, micros, "empty block committed");
        } else {
            tracing::info!(
                height,
                hash = %hash,
                txs = block.txs.len(),
                failed,
                gas = h.gas_used,
                stale = update.stale.len(),
                pool = self.mempool.len(),
                commit_us = micros,
                root_us = u64::try_from(committed.timings.root.as_micros()).unwrap_or(u64::MAX),
                prepared = committed.reused,
                "block committed"
            );
        }
        Ok(info)
    }

    /// Takes a devnet snapshot of the committed state; returns its id.
    pub fn snapshot(&self) -> u64 {
        let mut snaps = lock(&self.snapshots);
        let id = snaps.next_id;
        snaps.next_id += 1;
        if snaps.list.len() >= MAX_DEV_SNAPSHOTS {
            snaps.list.remove(0);
        }
        let height = self.head().height;
        snaps.list.push(DevSnapshot {
            id,
            height,
            ..DevSnapshot::default()
        });
        id
    }

    /// What restores snapshot `id`: the committed values, as of the snapshot, of every
    /// key changed since. Snapshots taken after `id` are dropped; `id` stays, so it can be
    /// reverted to again. The caller applies the writes (a dev override in a block) and
    /// clears the mempool.
    ///
    /// # Errors
    /// [`SnapshotError::Unknown`].
    pub fn restore(&self, id: u64) -> std::result::Result<Restore, SnapshotError> {
        let mut snaps = lock(&self.snapshots);
        let pos = snaps
            .list
            .iter()
            .position(|s| s.id == id)
            .ok_or(SnapshotError::Unknown(id))?;
        snaps.list.truncate(pos + 1);
        let snap = &snaps.list[pos];
        Ok(Restore {
            height: snap.height,
            accounts: snap.accounts.iter().map(|(a, v)| (*a, *v)).collect(),
            storage: snap
                .storage
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        })
    }

    /// Before a commit: each live snapshot remembers the committed value of every key the
    /// block changes for the first time since the snapshot.
    fn record_undo(&self, changes: &cairn_state::StateChanges) -> Result<()> {
        let mut snaps = lock(&self.snapshots);
        if snaps.list.is_empty() {
            return Ok(());
        }
        for snap in &mut snaps.list {
            for address in changes.accounts.keys() {
                if let std::collections::btree_map::Entry::Vacant(e) = snap.accounts.entry(*address)
                {
                    e.insert(self.state.account_uncached(address)?);
                }
            }
            for (address, key) in changes.storage.keys() {
                if let std::collections::btree_map::Entry::Vacant(e) =
                    snap.storage.entry((*address, key.clone()))
                {
                    e.insert(self.state.storage(address, key)?);
                }
            }
        }
        snaps
            .list
            .retain(|s| s.accounts.len() + s.storage.len() <= MAX_SNAPSHOT_KEYS);
        Ok(())
    }

    /// The receipt of an included transaction, with its block and position.
    ///
    /// # Errors
    /// Node-fatal storage failures.
    pub fn receipt(&self, tx: &Hash) -> Result<Option<(crate::TxLocation, Receipt)>> {
        let head = self.head().height;
        Ok(ChainStore::receipt(self.store(), tx)?.filter(|(loc, _)| loc.height <= head))
    }

    /// An included transaction with its location and block hash, read without decoding
    /// the rest of its block.
    ///
    /// Like [`Chain::receipt`], it sees only blocks up to the published head: a block's
    /// records are in the store a moment before its commit has cleaned the pool and
    /// published the head, and a client that saw a receipt must find the node past it
    /// (resending the transaction is "nonce too low", not "already known").
    ///
    /// # Errors
    /// Node-fatal storage failures.
    pub fn included_tx(&self, tx: &Hash) -> Result<Option<crate::IncludedTx>> {
        let head = self.head().height;
        Ok(ChainStore::included_tx(self.store(), tx)?.filter(|i| i.location.height <= head))
    }

    /// The committed block at `height`.
    ///
    /// # Errors
    /// Node-fatal storage failures.
    pub fn block(&self, height: Height) -> Result<Option<Block>> {
        Ok(ChainStore::block(self.store(), height)?)
    }

    /// The committed block with this hash.
    ///
    /// # Errors
    /// Node-fatal storage failures.
    pub fn block_by_hash(&self, hash: &Hash) -> Result<Option<Block>> {
        match ChainStore::height_of(self.store(), hash)? {
            Some(h) => self.block(h),
            None => Ok(None),
        }
    }

    /// Uncommitted executed blocks in the cache (diagnostics).
    #[must_use]
    pub fn pending_blocks(&self) -> usize {
        lock(&self.pending).len()
    }
}
