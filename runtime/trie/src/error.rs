//! Trie errors.

use cairn_storage::StorageError;

/// What a trie operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum TrieError {
    /// The key-value store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A node the tree refers to is not in the store (pruned, or never written).
    #[error("missing trie node {0}")]
    MissingNode(String),
    /// Stored bytes do not parse as a node.
    #[error("corrupt trie node: {0}")]
    CorruptNode(String),
    /// An update's version is not newer than the tree it updates.
    #[error("update version {version} is not newer than root version {root}")]
    StaleVersion {
        /// Version requested for the update.
        version: u64,
        /// Version of the root being updated.
        root: u64,
    },
}

/// Result alias for trie operations.
pub type Result<T, E = TrieError> = std::result::Result<T, E>;
