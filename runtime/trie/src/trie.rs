//! [`Trie`]: reads, batched updates and proofs over a [`KvRead`] store.

// A layer is only looked up by key, never iterated: its order cannot reach a root.
#[allow(clippy::disallowed_types)]
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use cairn_primitives::to_hex;
use cairn_storage::{Column, KvRead, KvStore, LruCache, WriteBatch};

use crate::proof::{KeyHash, Proof, ProofNode, ValueHash, nibble};
use crate::{Child, EMPTY_ROOT, Node, NodeKey, Result, TrieError, Version};

/// Below this many changes an update runs on one thread (spawning costs more than it saves).
pub const PARALLEL_THRESHOLD: usize = 2048;

/// Default number of decoded nodes kept in memory (≈ 1.7 KiB each when full).
pub const DEFAULT_NODE_CACHE: usize = 32_768;

/// A tree's root: its hash and the version of its root node (`None` for the empty tree).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RootRef {
    /// Root hash ([`EMPTY_ROOT`] for the empty tree).
    pub hash: [u8; 32],
    /// Version that wrote the root node.
    pub version: Option<Version>,
}

impl RootRef {
    /// The empty tree.
    pub const EMPTY: RootRef = RootRef {
        hash: EMPTY_ROOT,
        version: None,
    };

    /// 41 bytes: hash ‖ `0` or `1 ‖ version (u64 BE)` (padded to a fixed size with zeros).
    #[must_use]
    pub fn encode(&self) -> [u8; 41] {
        let mut out = [0u8; 41];
        out[..32].copy_from_slice(&self.hash);
        if let Some(v) = self.version {
            out[32] = 1;
            out[33..].copy_from_slice(&v.to_be_bytes());
        }
        out
    }

    /// Parses [`RootRef::encode`]'s output.
    ///
    /// # Errors
    /// [`TrieError::CorruptNode`] on malformed bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let bad = || TrieError::CorruptNode(format!("bad root record {}", to_hex(bytes)));
        if bytes.len() != 41 {
            return Err(bad());
        }
        let mut hash = [0u8; 32];
        hash.copy_from_slice(&bytes[..32]);
        let version = match bytes[32] {
            0 => None,
            1 => Some(u64::from_be_bytes(
                bytes[33..].try_into().map_err(|_| bad())?,
            )),
            _ => return Err(bad()),
        };
        Ok(Self { hash, version })
    }
}

/// Work done by one update: what the hashing bound of the benchmark counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UpdateStats {
    /// Internal nodes hashed.
    pub nodes_hashed: u64,
    /// Leaves hashed.
    pub leaves_hashed: u64,
    /// Bytes fed to keccak for internal nodes.
    pub node_bytes_hashed: u64,
    /// Nodes read from the store (cache misses).
    pub nodes_read: u64,
    /// keccak-f permutations spent on internal nodes: a node of `b` bytes (tag, bitmap,
    /// child hashes) costs `b / 136 + 1` (136-byte rate, padding included). Lets a
    /// benchmark price the hashing exactly instead of by the average node size.
    pub node_keccak_blocks: u64,
}

impl UpdateStats {
    fn add(&mut self, o: &UpdateStats) {
        self.nodes_hashed += o.nodes_hashed;
        self.leaves_hashed += o.leaves_hashed;
        self.node_bytes_hashed += o.node_bytes_hashed;
        self.nodes_read += o.nodes_read;
        self.node_keccak_blocks += o.node_keccak_blocks;
    }
}

/// The result of [`Trie::update`]: nothing is written until the caller writes it.
#[derive(Clone, Debug, Default)]
pub struct TrieUpdate {
    /// The new root.
    pub root: RootRef,
    /// Nodes created by this version (shared: the node cache and the [`NodeLayer`] of an
    /// update built on top of this one hold the same nodes).
    pub nodes: Vec<(NodeKey, Arc<Node>)>,
    /// Nodes of earlier versions this version no longer references.
    pub stale: Vec<NodeKey>,
    /// Work counters.
    pub stats: UpdateStats,
}

impl Default for RootRef {
    fn default() -> Self {
        Self::EMPTY
    }
}

/// The new nodes of an update not written yet, by key: what an update of the next version
/// reads through ([`Trie::update_on`]) before the update below it is committed.
#[allow(clippy::disallowed_types)] // lookups only (see the import)
pub type NodeLayer = HashMap<NodeKey, Arc<Node>>;

impl TrieUpdate {
    /// Indexes the new nodes for [`Trie::update_on`].
    #[must_use]
    pub fn layer(&self) -> NodeLayer {
        self.nodes
            .iter()
            .map(|(k, n)| (*k, Arc::clone(n)))
            .collect()
    }

    /// Queues the new nodes into `batch`.
    pub fn write_nodes(&self, batch: &mut WriteBatch) {
        for (k, n) in &self.nodes {
            batch.put(Column::TrieNodes, k.encode(), n.encode());
        }
    }

    /// As [`TrieUpdate::write_nodes`], encoding on up to 2 threads when there are at least
    /// [`PARALLEL_THRESHOLD`] nodes. The batch is the same, in the same order.
    pub fn write_nodes_with(&self, batch: &mut WriteBatch, threads: usize) {
        if threads < 2 || self.nodes.len() < PARALLEL_THRESHOLD {
            self.write_nodes(batch);
            return;
        }
        let encode = |nodes: &[(NodeKey, Arc<Node>)]| -> Vec<(Vec<u8>, Vec<u8>)> {
            nodes
                .iter()
                .map(|(k, n)| (k.encode(), n.encode()))
                .collect()
        };
        let (first, second) = self.nodes.split_at(self.nodes.len() / 2);
        let (a, b) = std::thread::scope(|s| {
            let h = s.spawn(|| encode(second));
            let a = encode(first);
            (a, h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
        });
        for (k, v) in a.into_iter().chain(b) {
            batch.put(Column::TrieNodes, k, v);
        }
    }
}

/// Per-thread accumulator of an update.
struct Ctx<'l> {
    version: Version,
    /// Uncommitted updates below this one, newest first: read before the cache and store.
    layers: &'l [&'l NodeLayer],
    nodes: Vec<(NodeKey, Arc<Node>)>,
    stale: Vec<NodeKey>,
    stats: UpdateStats,
}

impl<'l> Ctx<'l> {
    fn new(version: Version, layers: &'l [&'l NodeLayer]) -> Self {
        Self {
            version,
            layers,
            nodes: Vec::new(),
            stale: Vec::new(),
            stats: UpdateStats::default(),
        }
    }

    /// Hashes `node`, records it at `(version, path of key at depth)`, returns its child entry.
    fn store(&mut self, key: &KeyHash, depth: usize, node: Node) -> Child {
        let hash = node.hash();
        self.stats.nodes_hashed += 1;
        let bytes = 3 + 32 * node.children.len() as u64;
        self.stats.node_bytes_hashed += bytes;
        self.stats.node_keccak_blocks += bytes / 136 + 1;
        self.nodes
            .push((NodeKey::new(self.version, key, depth), Arc::new(node)));
        Child::Node {
            hash,
            version: self.version,
        }
    }

    fn leaf(&mut self, key: KeyHash, value: ValueHash) -> Child {
        self.stats.leaves_hashed += 1;
        Child::leaf(key, value)
    }
}

type Change = (KeyHash, Option<ValueHash>);

/// New contents of touched slots, by nibble.
/// `touched[n]` is `Some(new content of slot n)` for each touched slot, `None` for the
/// others. A fixed array on the stack: an update builds one per rewritten node, and a heap
/// allocation each was a large part of the update's time.
type Touched = [Option<Option<Child>>; 16];

/// Splits sorted `changes` into runs sharing the nibble at `depth`.
fn groups(changes: &[Change], depth: usize) -> impl Iterator<Item = (u8, &[Change])> {
    let mut rest = changes;
    std::iter::from_fn(move || {
        let first = rest.first()?;
        let n = nibble(&first.0, depth);
        let len = rest
            .iter()
            .take_while(|(k, _)| nibble(k, depth) == n)
            .count();
        let (g, r) = rest.split_at(len);
        rest = r;
        Some((n, g))
    })
}

/// A 16-ary sparse Merkle tree over `S`. Cheap reads share a node cache; updates do not
/// write, they return a [`TrieUpdate`].
pub struct Trie<S> {
    store: S,
    /// The node cache in [`CACHE_SHARDS`] shards: roots, then one per first path nibble.
    /// An update's threads take disjoint runs of the root's children, so they never
    /// contend for a shard.
    cache: Vec<Mutex<LruCache<NodeKey, Arc<Node>>>>,
    parallelism: usize,
}

/// Shards of the node cache: one for root nodes and one per first nibble of the path.
const CACHE_SHARDS: usize = 17;

/// Root nodes kept in the cache (recent versions' roots are read by proofs and commits).
const ROOT_CACHE: usize = 64;

type Shard = Mutex<LruCache<NodeKey, Arc<Node>>>;

fn lock_shard(m: &Shard) -> std::sync::MutexGuard<'_, LruCache<NodeKey, Arc<Node>>> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn shard_index(key: &NodeKey) -> usize {
    if key.depth == 0 {
        0
    } else {
        1 + usize::from(key.path[0] >> 4)
    }
}

impl<S> std::fmt::Debug for Trie<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trie")
            .field("parallelism", &self.parallelism)
            .finish_non_exhaustive()
    }
}

impl<S: KvRead + Sync> Trie<S> {
    /// A trie reading `store`, caching up to `cache_nodes` decoded nodes, hashing on up to
    /// 2 threads.
    pub fn new(store: S, cache_nodes: usize) -> Self {
        Self {
            store,
            cache: (0..CACHE_SHARDS)
                .map(|i| {
                    Mutex::new(LruCache::new(if i == 0 {
                        ROOT_CACHE.min(cache_nodes)
                    } else {
                        cache_nodes.div_ceil(CACHE_SHARDS - 1)
                    }))
                })
                .collect(),
            parallelism: 2,
        }
    }

    /// Sets how many threads an update may use (1 = never spawn). Results never depend on it.
    #[must_use]
    pub fn with_parallelism(mut self, threads: usize) -> Self {
        self.parallelism = threads.max(1);
        self
    }

    /// The underlying store.
    pub fn store(&self) -> &S {
        &self.store
    }

    fn shard(&self, key: &NodeKey) -> std::sync::MutexGuard<'_, LruCache<NodeKey, Arc<Node>>> {
        lock_shard(&self.cache[shard_index(key)])
    }

    fn load(&self, key: &NodeKey, stats: &mut UpdateStats) -> Result<Arc<Node>> {
        self.load_through(&[], key, stats, true)
    }

    /// Reads a node from `layers` (uncommitted updates' nodes, newest first), then the
    /// cache, then the store. `promote = false` leaves a cached node's recency alone (an
    /// update reads nodes it then makes stale: the commit drops them from the cache anyway).
    fn load_through(
        &self,
        layers: &[&NodeLayer],
        key: &NodeKey,
        stats: &mut UpdateStats,
        promote: bool,
    ) -> Result<Arc<Node>> {
        for layer in layers {
            if let Some(n) = layer.get(key) {
                return Ok(Arc::clone(n));
            }
        }
        {
            let mut shard = self.shard(key);
            let hit = if promote {
                shard.get(key)
            } else {
                shard.peek(key)
            };
            if let Some(n) = hit {
                return Ok(Arc::clone(n));
            }
        }
        let enc = key.encode();
        let bytes = self
            .store
            .get(Column::TrieNodes, &enc)?
            .ok_or_else(|| TrieError::MissingNode(to_hex(&enc)))?;
        stats.nodes_read += 1;
        let node = Arc::new(Node::decode(&bytes)?);
        self.shard(key).insert(*key, Arc::clone(&node));
        Ok(node)
    }

    /// Adds freshly written nodes to the cache (call after the batch holding them is written).
    pub fn cache_nodes(&self, nodes: Vec<(NodeKey, Arc<Node>)>) {
        let mut shards: Vec<_> = self.cache.iter().map(lock_shard).collect();
        for (k, n) in nodes {
            shards[shard_index(&k)].insert(k, n);
        }
    }

    /// Drops `keys` from the node cache. A commit calls it with the nodes its update made
    /// stale: they stay readable from the store (older versions, proofs), but no longer take
    /// cache room from the live tree, so a cache larger than the live tree never misses.
    pub fn forget_nodes(&self, keys: &[NodeKey]) {
        let mut shards: Vec<_> = self.cache.iter().map(lock_shard).collect();
        for k in keys {
            shards[shard_index(k)].remove(k);
        }
    }

    /// Empties the node cache (benchmarks measuring cold reads).
    pub fn clear_cache(&self) {
        for shard in &self.cache {
            lock_shard(shard).clear();
        }
    }

    /// The value hash stored under `key` in the tree `root`, or `None`.
    ///
    /// # Errors
    /// On a store failure or a missing/corrupt node.
    pub fn get(&self, root: &RootRef, key: &KeyHash) -> Result<Option<ValueHash>> {
        let Some(version) = root.version else {
            return Ok(None);
        };
        let mut stats = UpdateStats::default();
        let mut node = self.load(&NodeKey::root(version), &mut stats)?;
        let mut depth = 0;
        loop {
            match node.child(nibble(key, depth)) {
                None => return Ok(None),
                Some(Child::Leaf { key: k, value, .. }) => {
                    return Ok((k == key).then_some(*value));
                }
                Some(Child::Node { version, .. }) => {
                    depth += 1;
                    let nk = NodeKey::new(*version, key, depth);
                    node = self.load(&nk, &mut stats)?;
                }
            }
        }
    }

    /// A proof of `key`'s value (or absence) in the tree `root`.
    ///
    /// # Errors
    /// On a store failure or a missing/corrupt node.
    pub fn prove(&self, root: &RootRef, key: &KeyHash) -> Result<Proof> {
        let mut proof = Proof::default();
        let Some(version) = root.version else {
            return Ok(proof);
        };
        let mut stats = UpdateStats::default();
        let mut node = self.load(&NodeKey::root(version), &mut stats)?;
        let mut depth = 0;
        loop {
            let slot = nibble(key, depth);
            proof.nodes.push(ProofNode {
                bitmap: node.bitmap(),
                siblings: node
                    .children
                    .iter()
                    .filter(|(i, _)| *i != slot)
                    .map(|(_, c)| *c.hash())
                    .collect(),
            });
            match node.child(slot) {
                None => return Ok(proof),
                Some(Child::Leaf { key: k, value, .. }) => {
                    proof.leaf = Some((*k, *value));
                    return Ok(proof);
                }
                Some(Child::Node { version, .. }) => {
                    depth += 1;
                    let nk = NodeKey::new(*version, key, depth);
                    node = self.load(&nk, &mut stats)?;
                }
            }
        }
    }

    /// Applies `changes` (key hash → `Some(value hash)` to set, `None` to delete) to the
    /// tree `root`, as version `version`. Only the paths of changed keys are read and
    /// rehashed. The result is the same for any order or grouping of the same final
    /// contents (a later change to the same key in `changes` wins).
    ///
    /// # Errors
    /// [`TrieError::StaleVersion`] if `version` is not newer than `root`'s, or on a store
    /// failure or a missing/corrupt node.
    pub fn update(
        &self,
        root: &RootRef,
        version: Version,
        changes: impl IntoIterator<Item = (KeyHash, Option<ValueHash>)>,
    ) -> Result<TrieUpdate> {
        self.update_on(&[], root, version, changes)
    }

    /// As [`Trie::update`], on a `root` that uncommitted updates created: `layers` holds
    /// their new nodes ([`TrieUpdate::layer`]), newest first, and is read before the cache
    /// and the store. Lets the update of version `v + 1` run before version `v` is written;
    /// the result is the update the same call would return once `v` is written, since a
    /// layer holds exactly the nodes the store will hold under the same keys.
    ///
    /// # Errors
    /// As [`Trie::update`].
    pub fn update_on(
        &self,
        layers: &[&NodeLayer],
        root: &RootRef,
        version: Version,
        changes: impl IntoIterator<Item = (KeyHash, Option<ValueHash>)>,
    ) -> Result<TrieUpdate> {
        if let Some(rv) = root.version
            && version <= rv
        {
            return Err(TrieError::StaleVersion { version, root: rv });
        }
        let mut changes: Vec<Change> = changes.into_iter().collect();
        // Stable sort, then keep the last change of each key: same result as collecting
        // into a map, without a tree of 10⁴ nodes per block.
        changes.sort_by_key(|c| c.0);
        changes.dedup_by(|later, kept| {
            if later.0 == kept.0 {
                *kept = *later;
                true
            } else {
                false
            }
        });
        let mut ctx = Ctx::new(version, layers);
        if changes.is_empty() {
            return Ok(TrieUpdate {
                root: *root,
                ..TrieUpdate::default()
            });
        }
        let old = match root.version {
            Some(v) => {
                let key = NodeKey::root(v);
                Some((key, self.load_through(layers, &key, &mut ctx.stats, true)?))
            }
            None => None,
        };
        let empty = Node::default();
        let old_node: &Node = old.as_ref().map_or(&empty, |(_, n)| &**n);
        let old_ref = old.as_ref().map(|(k, _)| (*k, root.hash));

        let results = if self.parallelism > 1 && changes.len() >= PARALLEL_THRESHOLD {
            self.root_groups_parallel(&mut ctx, old_node, &changes)?
        } else {
            self.update_groups(&mut ctx, old_node, 0, &changes)?
        };
        let new = Self::finish_node(&mut ctx, old_ref, old_node, 0, &changes[0].0, results, true);
        let root = match new {
            None => RootRef::EMPTY,
            Some(Child::Node { hash, version }) => RootRef {
                hash,
                version: Some(version),
            },
            Some(Child::Leaf { .. }) => unreachable_leaf_root(),
        };
        Ok(TrieUpdate {
            root,
            nodes: ctx.nodes,
            stale: ctx.stale,
            stats: ctx.stats,
        })
    }

    /// Runs the root's child groups on up to `parallelism` threads, split into contiguous
    /// runs of about equal change counts; results come back in nibble order, so the tree
    /// is the same as the sequential one.
    fn root_groups_parallel(
        &self,
        ctx: &mut Ctx,
        old: &Node,
        changes: &[Change],
    ) -> Result<Touched> {
        let all: Vec<(u8, &[Change])> = groups(changes, 0).collect();
        let per = changes.len().div_ceil(self.parallelism);
        let mut chunks: Vec<Vec<(u8, &[Change])>> = vec![Vec::new()];
        let mut count = 0;
        for g in all {
            if count >= per {
                chunks.push(Vec::new());
                count = 0;
            }
            count += g.1.len();
            if let Some(c) = chunks.last_mut() {
                c.push(g);
            }
        }
        let version = ctx.version;
        let layers = ctx.layers;
        type Run = Vec<(u8, Option<Child>)>;
        let outs: Vec<Result<(Ctx, Run)>> = std::thread::scope(|s| {
            let handles: Vec<_> = chunks
                .iter()
                .map(|chunk| {
                    s.spawn(move || {
                        let mut c = Ctx::new(version, layers);
                        let mut res: Run = Vec::with_capacity(chunk.len());
                        for (n, g) in chunk {
                            let child = self.update_slot(&mut c, old.child(*n).copied(), 1, g)?;
                            res.push((*n, child));
                        }
                        Ok((c, res))
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        });
        let mut results: Touched = [None; 16];
        for out in outs {
            let (c, res) = out?;
            ctx.nodes.extend(c.nodes);
            ctx.stale.extend(c.stale);
            ctx.stats.add(&c.stats);
            for (n, c) in res {
                results[usize::from(n & 0x0f)] = Some(c);
            }
        }
        Ok(results)
    }

    /// New content of each touched slot of `old` (at `depth`), in nibble order.
    fn update_groups(
        &self,
        ctx: &mut Ctx,
        old: &Node,
        depth: usize,
        changes: &[Change],
    ) -> Result<Touched> {
        let mut slots: [Option<&Child>; 16] = [None; 16];
        for (n, c) in &old.children {
            slots[usize::from(*n & 0x0f)] = Some(c);
        }
        let mut res: Touched = [None; 16];
        for (n, g) in groups(changes, depth) {
            let i = usize::from(n & 0x0f);
            res[i] = Some(self.update_slot(ctx, slots[i].copied(), depth + 1, g)?);
        }
        Ok(res)
    }

    /// Builds the node replacing `old` from the touched slots' new contents. Returns the
    /// old entry untouched when nothing changed, collapses a non-root node left with a
    /// single leaf into that leaf, and records the old node as stale otherwise.
    #[allow(clippy::too_many_arguments)] // one internal step; a struct would only rename them
    fn finish_node(
        ctx: &mut Ctx,
        old_ref: Option<(NodeKey, [u8; 32])>,
        old: &Node,
        depth: usize,
        path_key: &KeyHash,
        touched: Touched,
        is_root: bool,
    ) -> Option<Child> {
        // The old children by nibble: one pass instead of a search per slot.
        let mut slots: [Option<&Child>; 16] = [None; 16];
        for (n, c) in &old.children {
            slots[usize::from(*n & 0x0f)] = Some(c);
        }
        let changed = touched
            .iter()
            .zip(&slots)
            .any(|(t, old)| t.as_ref().is_some_and(|new| new.as_ref() != *old));
        if !changed {
            return old_ref.map(|(k, hash)| Child::Node {
                hash,
                version: k.version,
            });
        }
        let count = touched
            .iter()
            .zip(&slots)
            .filter(|(t, old)| match t {
                Some(new) => new.is_some(),
                None => old.is_some(),
            })
            .count();
        let mut children: Vec<(u8, Child)> = Vec::with_capacity(count);
        for n in 0..16u8 {
            let i = usize::from(n);
            match touched[i] {
                Some(Some(c)) => children.push((n, c)),
                Some(None) => {}
                None => {
                    if let Some(c) = slots[i] {
                        children.push((n, *c));
                    }
                }
            }
        }
        if let Some((k, _)) = old_ref {
            ctx.stale.push(k);
        }
        let single_leaf = match children.as_slice() {
            [(_, leaf @ Child::Leaf { .. })] if !is_root => Some(*leaf),
            _ => None,
        };
        if children.is_empty() {
            None
        } else if single_leaf.is_some() {
            single_leaf
        } else {
            Some(ctx.store(path_key, depth, Node { children }))
        }
    }

    /// New content of a slot at `depth` (its would-be node's depth) holding `existing`.
    fn update_slot(
        &self,
        ctx: &mut Ctx,
        existing: Option<Child>,
        depth: usize,
        changes: &[Change],
    ) -> Result<Option<Child>> {
        match existing {
            None => {
                let items: Vec<(KeyHash, ValueHash)> = changes
                    .iter()
                    .filter_map(|(k, v)| v.map(|v| (*k, v)))
                    .collect();
                Ok(self.build_fresh(ctx, depth, &items))
            }
            Some(leaf @ Child::Leaf { key, value, .. }) => {
                if let [(k, v)] = changes
                    && *k == key
                {
                    return Ok(match v {
                        None => None,
                        Some(v) if *v == value => Some(leaf),
                        Some(v) => Some(ctx.leaf(key, *v)),
                    });
                }
                let mut items: Vec<(KeyHash, ValueHash)> = Vec::with_capacity(changes.len() + 1);
                let mut placed = changes.iter().any(|(k, _)| *k == key);
                for (k, v) in changes {
                    if !placed && key < *k {
                        items.push((key, value));
                        placed = true;
                    }
                    if let Some(v) = v {
                        items.push((*k, *v));
                    }
                }
                if !placed {
                    items.push((key, value));
                }
                Ok(self.build_fresh(ctx, depth, &items))
            }
            Some(Child::Node { hash, version }) => {
                let path_key = changes[0].0;
                let nk = NodeKey::new(version, &path_key, depth);
                let old = self.load_through(ctx.layers, &nk, &mut ctx.stats, false)?;
                let touched = self.update_groups(ctx, &old, depth, changes)?;
                Ok(Self::finish_node(
                    ctx,
                    Some((nk, hash)),
                    &old,
                    depth,
                    &path_key,
                    touched,
                    false,
                ))
            }
        }
    }

    /// The canonical subtree for sorted `items` in a slot at `depth`: nothing, one leaf,
    /// or a node whose slots hold the items grouped by their next nibble.
    fn build_fresh(
        &self,
        ctx: &mut Ctx,
        depth: usize,
        items: &[(KeyHash, ValueHash)],
    ) -> Option<Child> {
        match items {
            [] => None,
            [(k, v)] => Some(ctx.leaf(*k, *v)),
            _ => {
                let mut children = Vec::new();
                let mut rest = items;
                while let Some(first) = rest.first() {
                    let n = nibble(&first.0, depth);
                    let len = rest
                        .iter()
                        .take_while(|(k, _)| nibble(k, depth) == n)
                        .count();
                    let (g, r) = rest.split_at(len);
                    rest = r;
                    if let Some(c) = self.build_fresh(ctx, depth + 1, g) {
                        children.push((n, c));
                    }
                }
                Some(ctx.store(&items[0].0, depth, Node { children }))
            }
        }
    }
}

impl<S: KvStore> Trie<S> {
    /// Writes `update`'s nodes, deletes its stale nodes at once (no old versions kept) and
    /// caches the new nodes. For tools and tests; the state keeps versions instead.
    ///
    /// # Errors
    /// On a store failure.
    pub fn apply(&self, update: TrieUpdate) -> Result<RootRef> {
        let mut batch = WriteBatch::with_capacity(update.nodes.len() + update.stale.len());
        for k in &update.stale {
            batch.delete(Column::TrieNodes, k.encode());
        }
        update.write_nodes(&mut batch);
        self.store.write(batch, false)?;
        self.forget_nodes(&update.stale);
        self.cache_nodes(update.nodes);
        Ok(update.root)
    }
}

/// The root is always a node: `finish_node` never collapses it.
fn unreachable_leaf_root() -> RootRef {
    // Not reachable: kept total so a bug shows as a wrong root in tests, not a panic.
    RootRef::EMPTY
}
