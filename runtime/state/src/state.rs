//! [`State`]: the committed state of the chain. Reads of the latest state go to a flat
//! index (one store get, a hot-account cache in front); the Merkle trie is touched only by
//! commits (for the root) and proofs. Each commit writes trie nodes, the flat index, its
//! history and its change log in ONE atomic batch; the last `keep_versions` versions stay
//! readable and provable, older ones are pruned by a background thread.
//!
//! ```text
//! commit(changes) ─► trie.update (dirty paths only) ─► WriteBatch {
//!     TrieNodes   (v, path) → node            Flat        k → value | delete
//!     FlatHistory k ‖ v → 1‖value | 0          ChangeLog   v → stale node keys + changed keys
//!     Roots       v → root ref                 Meta        head → (v, root ref)
//!     Code        hash → code                  + caller's extra writes (block, receipts) }
//!   ─► store.write(batch, sync) ─► caches updated ─► pruner told the new window
//!
//! read latest:      cache ─► Flat get
//! read at version:  FlatHistory: last entry in [k‖0, k‖v]   proof: trie at Roots[v]
//! pruner:           for each ChangeLog[u], u ≤ oldest kept: delete its stale nodes,
//!                   history entries older than u (and a deletion marker at u), the log
//! ```

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use cairn_primitives::{Address, Canonical, Hash, keccak256, limits::MAX_CODE_SIZE};
use cairn_storage::{Column, Direction, KeyRange, KvRead, KvStore, LruCache, WriteBatch};
use cairn_trie::{
    DEFAULT_NODE_CACHE, KeyHash, NodeKey, NodeLayer, Proof, RootRef, Trie, TrieError, TrieUpdate,
    UpdateStats, ValueHash, Version,
};

use crate::keys::{check_storage_value, decode_account};
use crate::{
    Account, Result, StateChanges, StateError, StateReader, account_key, code_hash, storage_key,
};

/// Meta key of the head record: latest version ‖ its root reference.
const HEAD_KEY: &[u8] = b"state/head";
/// Meta key of the oldest readable version.
const OLDEST_KEY: &[u8] = b"state/oldest";
/// Change logs handled per prune batch: bounds the batch while keeping few writes.
const PRUNE_LOGS_PER_BATCH: usize = 4;
/// Keys whose newest pruned history version the pruner remembers (about 100 bytes each with
/// the cache's index, 26 MiB when full): a remembered key's superseded history entry is
/// deleted by its key, without a store scan.
const PRUNER_MEMORY_KEYS: usize = 1 << 18;
/// Tag of a history entry recording a deletion.
const HIST_DELETED: u8 = 0;
/// Tag of a history entry recording a value.
const HIST_VALUE: u8 = 1;

/// Tuning of a [`State`].
#[derive(Clone, Debug)]
pub struct StateConfig {
    /// How many versions (latest included) stay readable with proofs. At least 1.
    pub keep_versions: u64,
    /// Capacity of the hot-account cache (entries).
    pub account_cache: usize,
    /// Capacity of the trie's decoded-node cache (nodes).
    pub node_cache: usize,
    /// Prune on a background thread (`false`: only when [`State::prune`] is called).
    pub background_pruning: bool,
    /// fsync each commit (block commits do; bulk loads in tools may not).
    pub sync_commits: bool,
    /// Threads the trie may hash on.
    pub hash_threads: usize,
}

impl Default for StateConfig {
    fn default() -> Self {
        Self {
            keep_versions: 256,
            account_cache: 65_536,
            node_cache: DEFAULT_NODE_CACHE,
            background_pruning: true,
            sync_commits: true,
            hash_threads: 2,
        }
    }
}

/// What a commit produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Committed {
    /// The version just committed.
    pub version: Version,
    /// Its state root.
    pub root: Hash,
    /// Trie work counters.
    pub stats: UpdateStats,
    /// Writes in the batch.
    pub batch_len: usize,
    /// Whether the trie update was computed ahead by [`State::prepare_commit`] and reused
    /// (the timings' `prepare` and `root` are then zero).
    pub reused: bool,
    /// Where the time went (operational metrics; never part of any hash).
    pub timings: CommitTimings,
}

/// Wall-clock split of one commit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CommitTimings {
    /// Encoding and hashing keys and values.
    pub prepare: Duration,
    /// Trie update: reading and rehashing the dirty paths (the new root).
    pub root: Duration,
    /// Building the write batch.
    pub batch: Duration,
    /// `KvStore::write` (with fsync when configured); for large blocks the node cache is
    /// updated on a second thread during it.
    pub write: Duration,
    /// Publishing after the write: node and account caches, head, pruner signal.
    pub publish: Duration,
    /// The whole commit.
    pub total: Duration,
}

/// A commit computed but not written ([`State::prepare_commit`]): the hashed writes and
/// the trie update of one block's changes on a known base version and root.
pub struct PreparedCommit {
    base: Option<Version>,
    base_root: RootRef,
    version: Version,
    writes: usize,
    flat: Vec<FlatWrite>,
    update: TrieUpdate,
    /// The update's nodes by key, built when a commit is first prepared on top of this one.
    layer: OnceLock<NodeLayer>,
    prepare_time: Duration,
    root_time: Duration,
}

impl PreparedCommit {
    /// The state root the commit will have.
    #[must_use]
    pub fn root(&self) -> Hash {
        Hash(self.update.root.hash)
    }

    /// The version the commit will be.
    #[must_use]
    pub fn version(&self) -> Version {
        self.version
    }

    /// The version it builds on (`None`: the empty state).
    #[must_use]
    pub fn base(&self) -> Option<Version> {
        self.base
    }

    fn layer(&self) -> &NodeLayer {
        self.layer.get_or_init(|| self.update.layer())
    }
}

impl std::fmt::Debug for PreparedCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedCommit")
            .field("base", &self.base)
            .field("version", &self.version)
            .field("root", &self.root())
            .field("nodes", &self.update.nodes.len())
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Copy)]
struct Head {
    latest: Option<Version>,
    root: RootRef,
}

struct AccountCache {
    lru: LruCache<Address, Option<Account>>,
    /// Bumped by every commit: a read that started before a commit must not cache its value.
    generation: u64,
}

struct Inner<S> {
    store: Arc<S>,
    trie: Trie<Arc<S>>,
    config: StateConfig,
    head: RwLock<Head>,
    commit_lock: Mutex<()>,
    oldest: AtomicU64,
    cache: Mutex<AccountCache>,
    prune_error: Mutex<Option<String>>,
    /// For each key the pruner has seen in a change log: the version of that log, i.e. the
    /// key's newest history entry at or below the pruned window's start. Held for a whole
    /// [`prune_to`], which it thereby serializes.
    pruned: Mutex<LruCache<KeyHash, Version>>,
}

/// A prepared commit handed to [`State::write_prepared`].
// One short-lived value per commit, moved once: boxing the fresh commit would only add an
// allocation.
#[allow(clippy::large_enum_variant)]
enum ToWrite<'p> {
    /// Computed under the commit lock for this write: consumed by it.
    Fresh(PreparedCommit),
    /// Computed earlier ([`State::commit_prepared`]): shared with commits built on it.
    Reused(&'p PreparedCommit),
}

/// The committed state over a store `S` (RocksDB on a node, memory in tests).
pub struct State<S: KvStore + 'static> {
    inner: Arc<Inner<S>>,
    pruner_tx: Option<Sender<Version>>,
    pruner: Option<JoinHandle<()>>,
}

impl<S: KvStore + 'static> std::fmt::Debug for State<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("latest", &self.latest_version())
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn history_key(k: &KeyHash, version: Version) -> [u8; 40] {
    let mut out = [0u8; 40];
    out[..32].copy_from_slice(k);
    out[32..].copy_from_slice(&version.to_be_bytes());
    out
}

fn decode_version(bytes: &[u8], what: &str) -> Result<Version> {
    <[u8; 8]>::try_from(bytes)
        .map(u64::from_be_bytes)
        .map_err(|_| StateError::Corrupt(format!("{what}: {} bytes", bytes.len())))
}

/// A version's change log: the trie nodes it made stale, the keys it wrote, and (since this
/// section was added; `None` in older logs) which of those it deleted.
fn encode_log(stale: &[NodeKey], keys: &[KeyHash], deleted: &[KeyHash]) -> Vec<u8> {
    let mut out = Vec::with_capacity(12 + stale.len() * 14 + keys.len() * 32 + deleted.len() * 32);
    #[allow(clippy::cast_possible_truncation)] // a block cannot change 2^32 keys
    out.extend_from_slice(&(stale.len() as u32).to_be_bytes());
    for k in stale {
        let e = k.encode();
        #[allow(clippy::cast_possible_truncation)] // node keys are ≤ 41 bytes
        out.push(e.len() as u8);
        out.extend_from_slice(&e);
    }
    for list in [keys, deleted] {
        #[allow(clippy::cast_possible_truncation)] // as above
        out.extend_from_slice(&(list.len() as u32).to_be_bytes());
        for k in list {
            out.extend_from_slice(k);
        }
    }
    out
}

/// A decoded change log: stale node keys, written keys, deleted keys (sorted; `None` when
/// the log predates that section).
struct Log {
    nodes: Vec<Vec<u8>>,
    keys: Vec<KeyHash>,
    deleted: Option<Vec<KeyHash>>,
}

/// Reads a change log front to back; every read past the end is a corrupt log.
struct LogCursor<'a> {
    rest: &'a [u8],
    len: usize,
}

impl<'a> LogCursor<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self {
            rest: bytes,
            len: bytes.len(),
        }
    }

    fn corrupt(&self) -> StateError {
        StateError::Corrupt(format!("change log of {} bytes", self.len))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.rest.len() < n {
            return Err(self.corrupt());
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn count(&mut self) -> Result<usize> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes(b.try_into().expect("took 4 bytes")) as usize)
    }

    /// A count, then that many 32-byte keys.
    fn keys(&mut self) -> Result<Vec<KeyHash>> {
        let n = self.count()?;
        let mut keys = Vec::with_capacity(n.min(self.rest.len() / 32));
        for _ in 0..n {
            keys.push(<KeyHash>::try_from(self.take(32)?).expect("took 32 bytes"));
        }
        Ok(keys)
    }

    fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }
}

fn decode_log(bytes: &[u8]) -> Result<Log> {
    let mut cursor = LogCursor::new(bytes);
    let n = cursor.count()?;
    let mut nodes = Vec::with_capacity(n.min(bytes.len()));
    for _ in 0..n {
        let len = usize::from(cursor.take(1)?[0]);
        nodes.push(cursor.take(len)?.to_vec());
    }
    let keys = cursor.keys()?;
    // What is left is the deleted-keys section, absent from older logs.
    let deleted = if cursor.is_empty() {
        None
    } else {
        Some(cursor.keys()?)
    };
    if !cursor.is_empty() {
        return Err(cursor.corrupt());
    }
    Ok(Log {
        nodes,
        keys,
        deleted,
    })
}

/// One state write ready for the batch: flat key and encoded value (`None` = delete).
type FlatWrite = (KeyHash, Option<Vec<u8>>);
/// One trie change: key hash and value hash (`None` = delete).
type TrieChange = (KeyHash, Option<ValueHash>);
/// A contract storage write borrowed from [`StateChanges::storage`].
type StorageWrite<'a> = (&'a (Address, Vec<u8>), &'a Option<Vec<u8>>);
/// What [`prepare`] produces: the flat writes and the trie changes, in the same order.
type Prepared = (Vec<FlatWrite>, Vec<TrieChange>);

/// Below this many writes [`prepare`] runs on the committing thread.
const PARALLEL_PREPARE: usize = 2048;

/// Encodes and hashes every write of `changes` (key hash, value bytes, value hash), on up to
/// `threads` threads for large blocks. Output order is the input order (accounts, then
/// storage) whatever the thread count, and the first invalid write (in that order) is the
/// error reported.
fn prepare(changes: &StateChanges, threads: usize) -> Result<Prepared> {
    let accounts: Vec<_> = changes.accounts.iter().collect();
    let storage: Vec<_> = changes.storage.iter().collect();
    let one_account = |(addr, acct): &(&Address, &Option<Account>)| -> FlatWrite {
        (account_key(addr), acct.as_ref().map(Canonical::encode))
    };
    let one_storage = |((addr, key), value): &StorageWrite<'_>| -> Result<FlatWrite> {
        if let Some(v) = value {
            check_storage_value(v)?;
        }
        Ok((storage_key(addr, key)?, (*value).clone()))
    };
    let hashed = |w: &FlatWrite| (w.0, w.1.as_deref().map(keccak256));
    let run =
        |acc: &[(&Address, &Option<Account>)], sto: &[StorageWrite<'_>]| -> Result<Prepared> {
            let mut flat = Vec::with_capacity(acc.len() + sto.len());
            flat.extend(acc.iter().map(one_account));
            for s in sto {
                flat.push(one_storage(s)?);
            }
            let hashes = flat.iter().map(hashed).collect();
            Ok((flat, hashes))
        };
    let n = accounts.len() + storage.len();
    if threads < 2 || n < PARALLEL_PREPARE {
        return run(&accounts, &storage);
    }
    // Two contiguous halves of (accounts ++ storage).
    let half = n / 2;
    let (a1, a2) = accounts.split_at(half.min(accounts.len()));
    let (s1, s2) = storage.split_at(half.saturating_sub(accounts.len()).min(storage.len()));
    let (first, second) = std::thread::scope(|s| {
        let h = s.spawn(|| run(a2, s2));
        let first = run(a1, s1);
        let second = h.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        (first, second)
    });
    let (mut flat, mut hashes) = first?;
    let (flat2, hashes2) = second?;
    flat.extend(flat2);
    hashes.extend(hashes2);
    Ok((flat, hashes))
}

impl<S: KvStore + 'static> State<S> {
    /// Opens the state in `store`, at its last committed version (or empty).
    ///
    /// # Errors
    /// On a store failure or a corrupt head record.
    pub fn open(store: S, config: StateConfig) -> Result<Self> {
        let store = Arc::new(store);
        let mut config = config;
        config.keep_versions = config.keep_versions.max(1);
        let head = match store.get(Column::Meta, HEAD_KEY)? {
            None => Head {
                latest: None,
                root: RootRef::EMPTY,
            },
            Some(b) if b.len() == 49 => Head {
                latest: Some(decode_version(&b[..8], "head")?),
                root: RootRef::decode(&b[8..])?,
            },
            Some(b) => {
                return Err(StateError::Corrupt(format!(
                    "head record of {} bytes",
                    b.len()
                )));
            }
        };
        let persisted_oldest = match store.get(Column::Meta, OLDEST_KEY)? {
            None => 0,
            Some(b) => decode_version(&b, "oldest")?,
        };
        let trie =
            Trie::new(Arc::clone(&store), config.node_cache).with_parallelism(config.hash_threads);
        let inner = Arc::new(Inner {
            store,
            trie,
            head: RwLock::new(head),
            commit_lock: Mutex::new(()),
            oldest: AtomicU64::new(persisted_oldest),
            cache: Mutex::new(AccountCache {
                lru: LruCache::new(config.account_cache),
                generation: 0,
            }),
            prune_error: Mutex::new(None),
            pruned: Mutex::new(LruCache::new(PRUNER_MEMORY_KEYS)),
            config,
        });
        let mut state = Self {
            inner,
            pruner_tx: None,
            pruner: None,
        };
        if state.inner.config.background_pruning {
            let (tx, rx) = channel();
            let inner = Arc::clone(&state.inner);
            state.pruner = Some(
                std::thread::Builder::new()
                    .name("cairn-state-pruner".into())
                    .spawn(move || pruner_loop(&inner, &rx))
                    .map_err(|e| StateError::Corrupt(format!("cannot start pruner: {e}")))?,
            );
            state.pruner_tx = Some(tx);
        }
        state.schedule_prune();
        Ok(state)
    }

    /// The underlying store (for the node's own columns and for benchmarks).
    pub fn store(&self) -> &S {
        &self.inner.store
    }

    /// The trie (for benchmarks and diagnostics).
    pub fn trie(&self) -> &Trie<Arc<S>> {
        &self.inner.trie
    }

    /// The latest committed version, or `None` before the first commit.
    pub fn latest_version(&self) -> Option<Version> {
        self.head().latest
    }

    /// The latest state root ([`cairn_trie::EMPTY_ROOT`] before the first commit).
    pub fn root(&self) -> Hash {
        Hash(self.head().root.hash)
    }

    /// The oldest version still readable.
    pub fn oldest_version(&self) -> Version {
        self.inner.oldest.load(Ordering::SeqCst)
    }

    /// The last background pruning failure, if any (pruning retries on the next commit).
    pub fn prune_error(&self) -> Option<String> {
        lock(&self.inner.prune_error).clone()
    }

    fn head(&self) -> Head {
        *self
            .inner
            .head
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn window_start(&self, latest: Option<Version>) -> Version {
        latest.map_or(0, |l| l.saturating_sub(self.inner.config.keep_versions - 1))
    }

    fn schedule_prune(&self) {
        let target = self.window_start(self.latest_version());
        if target > 0
            && let Some(tx) = &self.pruner_tx
        {
            // A closed channel only means the pruner is gone; commits must not fail for it.
            let _ = tx.send(target);
        }
    }

    /// Prunes every version older than the window now, on this thread. Returns the number
    /// of change logs processed.
    ///
    /// # Errors
    /// On a store failure.
    pub fn prune(&self) -> Result<usize> {
        prune_to(&self.inner, self.window_start(self.latest_version()))
    }

    /// Commits `changes` as the next version (0 for the first) and returns its root.
    ///
    /// # Errors
    /// Limit violations in `changes` (nothing written), store or trie failures.
    pub fn commit(&self, changes: &StateChanges) -> Result<Committed> {
        self.commit_with(changes, WriteBatch::new())
    }

    /// As [`State::commit`], with `extra` writes (block, receipts, indexes) in the same
    /// atomic batch. `extra` must not touch the state's own columns.
    ///
    /// # Errors
    /// As [`State::commit`].
    pub fn commit_with(&self, changes: &StateChanges, extra: WriteBatch) -> Result<Committed> {
        let _guard = lock(&self.inner.commit_lock);
        let prepared = self.prepare_on(changes, &[], Some(self.head()))?;
        self.write_prepared(changes, ToWrite::Fresh(prepared), extra)
    }

    /// Computes the commit of `changes` without writing it: key and value hashing and the
    /// trie update, as the version after `on.last()` (uncommitted prepared commits, oldest
    /// first, each built on the one before) or, with `on` empty, after the committed head.
    /// [`PreparedCommit::root`] is the root the commit will have; [`State::commit_prepared`]
    /// later writes it without computing it again.
    ///
    /// # Errors
    /// As [`State::commit`]; [`StateError::Corrupt`] if `on` is not a chain.
    pub fn prepare_commit(
        &self,
        changes: &StateChanges,
        on: &[Arc<PreparedCommit>],
    ) -> Result<PreparedCommit> {
        for pair in on.windows(2) {
            if pair[1].base != Some(pair[0].version) || pair[1].base_root != pair[0].update.root {
                return Err(StateError::Corrupt(format!(
                    "prepared commit {} does not build on {}",
                    pair[1].version, pair[0].version
                )));
            }
        }
        self.prepare_on(changes, on, None)
    }

    /// Writes `prepared`, which [`State::prepare_commit`] computed for these `changes`,
    /// with `extra` in the same atomic batch. If the head is no longer the version
    /// `prepared` built on (another commit came first), the commit is computed again on the
    /// head, so the result is always that of [`State::commit_with`].
    ///
    /// # Errors
    /// As [`State::commit`].
    pub fn commit_prepared(
        &self,
        changes: &StateChanges,
        prepared: &PreparedCommit,
        extra: WriteBatch,
    ) -> Result<Committed> {
        let _guard = lock(&self.inner.commit_lock);
        let head = self.head();
        if head.latest != prepared.base
            || head.root != prepared.base_root
            || prepared.writes != changes.len()
        {
            let fresh = self.prepare_on(changes, &[], Some(head))?;
            return self.write_prepared(changes, ToWrite::Fresh(fresh), extra);
        }
        self.write_prepared(changes, ToWrite::Reused(prepared), extra)
    }

    /// Validates and hashes `changes` and updates the trie on `on.last()` (its nodes and
    /// those of the commits below it read first), or on `head` (the committed head when
    /// `None`) if `on` is empty.
    fn prepare_on(
        &self,
        changes: &StateChanges,
        on: &[Arc<PreparedCommit>],
        head: Option<Head>,
    ) -> Result<PreparedCommit> {
        let t0 = Instant::now();
        for (hash, code) in &changes.code {
            if code.len() > MAX_CODE_SIZE {
                return Err(StateError::CodeTooLarge {
                    len: code.len(),
                    max: MAX_CODE_SIZE,
                });
            }
            let actual = code_hash(code);
            if actual != *hash {
                return Err(StateError::CodeHashMismatch {
                    claimed: *hash,
                    actual,
                });
            }
        }
        let (base, base_root) = match on.last() {
            Some(parent) => (Some(parent.version), parent.update.root),
            None => {
                let head = head.unwrap_or_else(|| self.head());
                (head.latest, head.root)
            }
        };
        let version = base.map_or(0, |v| v + 1);
        let (flat, trie_changes) = prepare(changes, self.inner.config.hash_threads)?;
        let t1 = Instant::now();
        let layers: Vec<&NodeLayer> = on.iter().rev().map(|p| p.layer()).collect();
        let update = self
            .inner
            .trie
            .update_on(&layers, &base_root, version, trie_changes)?;
        Ok(PreparedCommit {
            base,
            base_root,
            version,
            writes: changes.len(),
            flat,
            update,
            layer: OnceLock::new(),
            prepare_time: t1 - t0,
            root_time: t1.elapsed(),
        })
    }

    /// Writes a prepared commit (its base is the head: the caller holds the commit lock and
    /// checked) and publishes it. A fresh one is consumed: its values and nodes move into
    /// the batch and the node cache. A reused one stays shared with the blocks built on it.
    fn write_prepared(
        &self,
        changes: &StateChanges,
        prepared: ToWrite<'_>,
        extra: WriteBatch,
    ) -> Result<Committed> {
        let t2 = Instant::now();
        // A reused commit was computed before this call: it spends no time on it here. A
        // fresh one's values move into the batch; a shared one's are copied.
        let (reused, prepare, root_time, version, update, flat) = match prepared {
            ToWrite::Fresh(p) => (
                false,
                p.prepare_time,
                p.root_time,
                p.version,
                Cow::Owned(p.update),
                Cow::Owned(p.flat),
            ),
            ToWrite::Reused(p) => (
                true,
                Duration::ZERO,
                Duration::ZERO,
                p.version,
                Cow::Borrowed(&p.update),
                Cow::Borrowed(&p.flat[..]),
            ),
        };
        let n = flat.len();
        let mut batch = WriteBatch::with_capacity(update.nodes.len() + 2 * n + 4 + extra.len());
        update.write_nodes_with(&mut batch, self.inner.config.hash_threads);
        let mut keys = Vec::with_capacity(n);
        // Each key's history record and latest value.
        let mut put = |k: KeyHash, v: Option<Vec<u8>>| {
            keys.push((k, v.is_none()));
            let hk = history_key(&k, version);
            match v {
                Some(v) => {
                    let mut h = Vec::with_capacity(v.len() + 1);
                    h.push(HIST_VALUE);
                    h.extend_from_slice(&v);
                    batch.put(Column::FlatHistory, hk, h);
                    batch.put(Column::Flat, k, v);
                }
                None => {
                    batch.put(Column::FlatHistory, hk, [HIST_DELETED]);
                    batch.delete(Column::Flat, k);
                }
            }
        };
        match flat {
            Cow::Owned(flat) => flat.into_iter().for_each(|(k, v)| put(k, v)),
            Cow::Borrowed(flat) => flat.iter().for_each(|(k, v)| put(*k, v.clone())),
        }
        // The change log's keys, sorted, each with whether its last write deleted it (the
        // sort is stable, and a duplicate takes the later write's flag).
        keys.sort_by_key(|a| a.0);
        keys.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                kept.1 = later.1;
            }
            same
        });
        let deleted: Vec<KeyHash> = keys.iter().filter(|(_, d)| *d).map(|(k, _)| *k).collect();
        let keys: Vec<KeyHash> = keys.into_iter().map(|(k, _)| k).collect();
        let vkey = version.to_be_bytes();
        batch.put(
            Column::ChangeLog,
            vkey,
            encode_log(&update.stale, &keys, &deleted),
        );
        batch.put(Column::Roots, vkey, update.root.encode());
        let mut head_rec = Vec::with_capacity(49);
        head_rec.extend_from_slice(&vkey);
        head_rec.extend_from_slice(&update.root.encode());
        batch.put(Column::Meta, HEAD_KEY, head_rec);
        for (hash, code) in &changes.code {
            batch.put(Column::Code, hash.0, code.clone());
        }
        batch.extend(extra);
        let batch_len = batch.len();
        let t3 = Instant::now();
        let stats = update.stats;
        let root = update.root;
        let trie = &self.inner.trie;
        let sync = self.inner.config.sync_commits;
        if self.inner.config.hash_threads > 1 && update.nodes.len() >= PARALLEL_PREPARE {
            // The node cache is updated on a second thread while RocksDB writes (mostly
            // waiting on the fsync). That is safe before the write is durable: node keys
            // carry the version, and nothing reads version `version` before the head is
            // published below; the stale nodes stay in the store for older versions. If the
            // write fails, the new keys are dropped again, because a retry of this version
            // may build different nodes under the same keys.
            let written = std::thread::scope(|s| {
                let update = &update;
                let publisher = s.spawn(move || {
                    trie.forget_nodes(&update.stale);
                    trie.cache_nodes(update.nodes.clone());
                });
                let written = self.inner.store.write(batch, sync);
                publisher
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p));
                written
            });
            if let Err(e) = written {
                let new_keys: Vec<NodeKey> = update.nodes.iter().map(|(k, _)| *k).collect();
                trie.forget_nodes(&new_keys);
                return Err(e.into());
            }
        } else {
            self.inner.store.write(batch, sync)?;
            trie.forget_nodes(&update.stale);
            trie.cache_nodes(match update {
                Cow::Owned(update) => update.nodes,
                Cow::Borrowed(update) => update.nodes.clone(),
            });
        }
        let t4 = Instant::now();

        // Durable: publish.
        {
            let mut cache = lock(&self.inner.cache);
            cache.generation += 1;
            for (addr, acct) in &changes.accounts {
                cache.lru.insert(*addr, *acct);
            }
        }
        *self
            .inner
            .head
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Head {
            latest: Some(version),
            root,
        };
        self.schedule_prune();
        Ok(Committed {
            version,
            root: Hash(root.hash),
            stats,
            batch_len,
            reused,
            timings: CommitTimings {
                prepare,
                root: root_time,
                batch: t3 - t2,
                write: t4 - t3,
                publish: t4.elapsed(),
                total: prepare + root_time + t2.elapsed(),
            },
        })
    }

    /// The latest account at `address`, bypassing the hot-account cache (benchmarks).
    ///
    /// # Errors
    /// On a store failure or a corrupt record.
    pub fn account_uncached(&self, address: &Address) -> Result<Option<Account>> {
        self.inner
            .store
            .get_with(Column::Flat, &account_key(address), decode_account)?
            .transpose()
    }

    /// A read-only view of version `version`, with proofs against its root.
    ///
    /// # Errors
    /// [`StateError::Pruned`] below the window, [`StateError::UnknownVersion`] above the latest.
    pub fn at(&self, version: Version) -> Result<StateView<'_, S>> {
        let latest = self.latest_version();
        if latest.is_none_or(|l| version > l) {
            return Err(StateError::UnknownVersion { version, latest });
        }
        let window = self.window_start(latest);
        if version < window {
            return Err(StateError::Pruned {
                version,
                oldest: window.max(self.oldest_version()),
            });
        }
        let view = StateView {
            inner: &self.inner,
            version,
            root: RootRef::EMPTY,
        };
        view.check_kept()?;
        let rec = self
            .inner
            .store
            .get(Column::Roots, &version.to_be_bytes())?;
        view.check_kept()?;
        let root = match rec {
            Some(b) => RootRef::decode(&b)?,
            None => {
                return Err(StateError::Corrupt(format!(
                    "no root recorded for version {version}"
                )));
            }
        };
        Ok(StateView { root, ..view })
    }
}

impl<S: KvStore + 'static> Drop for State<S> {
    fn drop(&mut self) {
        self.pruner_tx = None;
        if let Some(h) = self.pruner.take() {
            // A pruner that panicked has nothing left to clean up.
            let _ = h.join();
        }
    }
}

impl<S: KvStore + 'static> StateReader for State<S> {
    fn account(&self, address: &Address) -> Result<Option<Account>> {
        let generation = {
            let mut cache = lock(&self.inner.cache);
            if let Some(a) = cache.lru.get(address) {
                return Ok(*a);
            }
            cache.generation
        };
        let acct = self.account_uncached(address)?;
        let mut cache = lock(&self.inner.cache);
        if cache.generation == generation {
            cache.lru.insert(*address, acct);
        }
        Ok(acct)
    }

    fn storage(&self, address: &Address, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self
            .inner
            .store
            .get(Column::Flat, &storage_key(address, key)?)?)
    }

    fn code(&self, hash: &Hash) -> Result<Option<Vec<u8>>> {
        Ok(self.inner.store.get(Column::Code, &hash.0)?)
    }
}

/// The state as of one kept version: values from the flat history, proofs from the trie.
pub struct StateView<'a, S> {
    inner: &'a Inner<S>,
    version: Version,
    root: RootRef,
}

impl<S: KvStore + 'static> StateView<'_, S> {
    /// The version viewed.
    #[must_use]
    pub fn version(&self) -> Version {
        self.version
    }

    /// The state root of this version.
    #[must_use]
    pub fn root(&self) -> Hash {
        Hash(self.root.hash)
    }

    fn check_kept(&self) -> Result<()> {
        let oldest = self.inner.oldest.load(Ordering::SeqCst);
        if self.version < oldest {
            return Err(StateError::Pruned {
                version: self.version,
                oldest,
            });
        }
        Ok(())
    }

    /// The raw value of trie key `k` at this version.
    fn value(&self, k: &KeyHash) -> Result<Option<Vec<u8>>> {
        let found = self.inner.store.last_in(
            Column::FlatHistory,
            &history_key(k, 0),
            &history_key(k, self.version),
        )?;
        // The pruner raises `oldest` before deleting: re-checking after the read proves
        // the read did not race with a deletion.
        self.check_kept()?;
        match found {
            None => Ok(None),
            Some((_, v)) => match v.split_first() {
                Some((&HIST_VALUE, rest)) => Ok(Some(rest.to_vec())),
                Some((&HIST_DELETED, [])) => Ok(None),
                _ => Err(StateError::Corrupt(format!(
                    "history entry of {} bytes",
                    v.len()
                ))),
            },
        }
    }

    fn prove_key(&self, k: &KeyHash) -> Result<(Option<Vec<u8>>, Proof)> {
        let value = self.value(k)?;
        let proof = match self.inner.trie.prove(&self.root, k) {
            Ok(p) => p,
            Err(TrieError::MissingNode(_)) if self.check_kept().is_err() => {
                return Err(self
                    .check_kept()
                    .err()
                    .unwrap_or(StateError::Corrupt(String::new())));
            }
            Err(e) => return Err(e.into()),
        };
        self.check_kept()?;
        Ok((value, proof))
    }

    /// The account at `address` in this version and a proof of it (or of its absence)
    /// against [`StateView::root`]. The proof's key is [`account_key`]`(address)` and its
    /// value the account's canonical encoding.
    ///
    /// # Errors
    /// [`StateError::Pruned`] if the version was pruned meanwhile; store failures.
    pub fn prove_account(&self, address: &Address) -> Result<(Option<Account>, Proof)> {
        let (v, p) = self.prove_key(&account_key(address))?;
        Ok((v.as_deref().map(decode_account).transpose()?, p))
    }

    /// Contract storage `key` of `address` in this version and a proof against
    /// [`StateView::root`] (key [`storage_key`]`(address, key)`, value the raw bytes).
    ///
    /// # Errors
    /// As [`StateView::prove_account`], and [`StateError::KeyTooLarge`].
    pub fn prove_storage(&self, address: &Address, key: &[u8]) -> Result<(Option<Vec<u8>>, Proof)> {
        self.prove_key(&storage_key(address, key)?)
    }
}

impl<S: KvStore + 'static> StateReader for StateView<'_, S> {
    fn account(&self, address: &Address) -> Result<Option<Account>> {
        self.value(&account_key(address))?
            .as_deref()
            .map(decode_account)
            .transpose()
    }

    fn storage(&self, address: &Address, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.value(&storage_key(address, key)?)
    }

    fn code(&self, hash: &Hash) -> Result<Option<Vec<u8>>> {
        Ok(self.inner.store.get(Column::Code, &hash.0)?)
    }
}

fn pruner_loop<S: KvStore>(inner: &Inner<S>, rx: &Receiver<Version>) {
    while let Ok(mut target) = rx.recv() {
        // Coalesce: only the newest window matters.
        while let Ok(t) = rx.try_recv() {
            target = target.max(t);
        }
        if let Err(e) = prune_to(inner, target) {
            *lock(&inner.prune_error) = Some(e.to_string());
        }
    }
}

/// Makes `target` the oldest readable version and deletes what only older versions used.
/// Idempotent and crash-safe: each change log is deleted in the batch that deletes what it
/// lists, and `oldest` is raised (durably) before anything is deleted.
fn prune_to<S: KvStore>(inner: &Inner<S>, target: Version) -> Result<usize> {
    let store = &inner.store;
    let mut pruned = lock(&inner.pruned);
    if target > inner.oldest.load(Ordering::SeqCst) {
        let mut b = WriteBatch::new();
        b.put(Column::Meta, OLDEST_KEY, target.to_be_bytes());
        store.write(b, false)?;
        inner.oldest.store(target, Ordering::SeqCst);
    }
    let mut processed = 0;
    // Change logs are taken in ascending order; after the first batch, from past the last one
    // handled (a forward scan from the start would step over the tombstones of every log
    // already pruned).
    let mut from = std::ops::Bound::Unbounded;
    loop {
        let logs: Vec<(Vec<u8>, Vec<u8>)> = store
            .iter(
                Column::ChangeLog,
                KeyRange {
                    lower: from.clone(),
                    upper: std::ops::Bound::Included(target.to_be_bytes().to_vec()),
                },
                Direction::Forward,
            )?
            .take(PRUNE_LOGS_PER_BATCH)
            .collect::<Result<_, _>>()?;
        let Some((last, _)) = logs.last() else {
            break;
        };
        from = std::ops::Bound::Excluded(last.clone());
        let mut batch = WriteBatch::new();
        // What this batch teaches the memory, applied once the batch is written.
        let mut learned: BTreeMap<KeyHash, Version> = BTreeMap::new();
        for (vkey, log) in &logs {
            let v = decode_version(vkey, "change log key")?;
            let Log {
                nodes,
                keys,
                deleted,
            } = decode_log(log)?;
            for n in nodes {
                batch.delete(Column::TrieNodes, n);
            }
            for k in keys {
                // The entry at `v` supersedes every older one of `k`. Each older entry was
                // written with a change log listing `k`, handled before this one (logs go
                // in ascending order), which deleted what preceded it: so only the newest
                // entry below `v` can be left. It is the one of the last log that listed
                // `k`, when the memory has it; otherwise a reverse scan finds it, stopping
                // there instead of stepping over the tombstones of the key's pruned past.
                let previous = learned
                    .get(&k)
                    .or_else(|| pruned.get(&k))
                    .copied()
                    .filter(|&u| u < v);
                match previous {
                    Some(u) => batch.delete(Column::FlatHistory, history_key(&k, u)),
                    None => {
                        let older = KeyRange::between(&history_key(&k, 0), &history_key(&k, v));
                        if let Some(item) = store
                            .iter(Column::FlatHistory, older, Direction::Reverse)?
                            .next()
                        {
                            batch.delete(Column::FlatHistory, item?.0);
                        }
                    }
                }
                // A deletion marker at `v` goes too (absence reads the same without it). The
                // log says which keys it deleted; an older log, without that section, costs
                // a read.
                let at = history_key(&k, v);
                let marker = match &deleted {
                    Some(deleted) => deleted.binary_search(&k).is_ok(),
                    None => {
                        store.get(Column::FlatHistory, &at)?.as_deref() == Some(&[HIST_DELETED][..])
                    }
                };
                if marker {
                    batch.delete(Column::FlatHistory, at);
                }
                learned.insert(k, v);
            }
            batch.delete(Column::ChangeLog, vkey.clone());
            // Every version has a change log and a root, written together: the root of the
            // version before `v` and, below the target, `v`'s own are no longer readable.
            if let Some(before) = v.checked_sub(1) {
                batch.delete(Column::Roots, before.to_be_bytes());
            }
            if v < target {
                batch.delete(Column::Roots, vkey.clone());
            }
            processed += 1;
        }
        store.write(batch, false)?;
        for (k, v) in learned {
            pruned.insert(k, v);
        }
    }
    Ok(processed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_logs_round_trip_and_older_logs_have_no_deleted_section() {
        let stale = [NodeKey::new(3, &[7u8; 32], 1)];
        let keys = [[1u8; 32], [2u8; 32], [3u8; 32]];
        let log = decode_log(&encode_log(&stale, &keys, &[[2u8; 32]])).unwrap();
        assert_eq!(log.nodes, vec![stale[0].encode()]);
        assert_eq!(log.keys, keys.to_vec());
        assert_eq!(log.deleted, Some(vec![[2u8; 32]]));
        let log = decode_log(&encode_log(&stale, &keys, &[])).unwrap();
        assert_eq!(log.deleted, Some(Vec::new()));
        // A log written before the deleted-keys section: stale nodes and keys only.
        let mut old = encode_log(&stale, &keys, &[]);
        old.truncate(old.len() - 4);
        let log = decode_log(&old).unwrap();
        assert_eq!(log.keys, keys.to_vec());
        assert_eq!(log.deleted, None);
        // Cut inside a section: corrupt, not misread.
        let new = encode_log(&stale, &keys, &[[2u8; 32]]);
        for cut in [3, 10, new.len() - 1] {
            assert!(matches!(
                decode_log(&new[..cut]),
                Err(StateError::Corrupt(_))
            ));
        }
        // Bytes after the last section: corrupt too.
        let mut long = new.clone();
        long.push(0);
        assert!(matches!(decode_log(&long), Err(StateError::Corrupt(_))));
    }
}
