//! Named key spaces. Each column is a RocksDB column family (its own LSM tree, tuned for
//! its access pattern) and a separate `BTreeMap` in [`crate::MemStore`].

/// A key space. The set is fixed at compile time so a typo cannot create a new one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Column {
    /// Store-wide records: format version, latest committed version, pruning progress.
    Meta,
    /// Merkle trie nodes, keyed by `version ‖ nibble path` (immutable once written).
    TrieNodes,
    /// Flat state: `keccak(state key)` → latest value. One get per read.
    Flat,
    /// Flat history: `keccak(state key) ‖ version` → value as of that version (or a deletion).
    FlatHistory,
    /// Per-version change log: what the pruner must delete once a version leaves the window.
    ChangeLog,
    /// Per-version roots: `version` → root reference of the trie at that version.
    Roots,
    /// Contract code by its keccak hash (deduplicated, immutable).
    Code,
    /// Blocks by height / hash (written by the node in the same batch as the state).
    Blocks,
    /// Receipts (written by the node in the same batch as the state).
    Receipts,
    /// Secondary indexes (tx hash → location, ...), owned by the node.
    Indexes,
}

impl Column {
    /// Every column, in a fixed order.
    pub const ALL: [Column; 10] = [
        Column::Meta,
        Column::TrieNodes,
        Column::Flat,
        Column::FlatHistory,
        Column::ChangeLog,
        Column::Roots,
        Column::Code,
        Column::Blocks,
        Column::Receipts,
        Column::Indexes,
    ];

    /// The column family name on disk (never change one: it is part of the format).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Column::Meta => "meta",
            Column::TrieNodes => "trie_nodes",
            Column::Flat => "flat",
            Column::FlatHistory => "flat_history",
            Column::ChangeLog => "change_log",
            Column::Roots => "roots",
            Column::Code => "code",
            Column::Blocks => "blocks",
            Column::Receipts => "receipts",
            Column::Indexes => "indexes",
        }
    }

    /// Position in [`Column::ALL`].
    #[must_use]
    pub const fn index(self) -> usize {
        self as usize
    }
}
