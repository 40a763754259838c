//! State errors. Contract-visible input errors (a key or value over its limit) are
//! separate variants from node-fatal ones (storage, trie) so the executor can tell them apart
//! with [`StateError::is_fatal`].

use cairn_primitives::Hash;
use cairn_storage::StorageError;
use cairn_trie::{TrieError, Version};

/// What a state operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The store failed (node-fatal).
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The trie failed (node-fatal).
    #[error(transparent)]
    Trie(#[from] TrieError),
    /// A stored record does not decode (node-fatal).
    #[error("corrupt state record: {0}")]
    Corrupt(String),
    /// The version was pruned: only the last `keep` versions are readable.
    #[error("version {version} is pruned; oldest readable version is {oldest}")]
    Pruned {
        /// Version asked for.
        version: Version,
        /// Oldest version still readable.
        oldest: Version,
    },
    /// The version was never committed.
    #[error("version {version} is not committed; latest is {latest:?}")]
    UnknownVersion {
        /// Version asked for.
        version: Version,
        /// Latest committed version (`None`: nothing committed yet).
        latest: Option<Version>,
    },
    /// A contract storage key is longer than [`crate::MAX_STORAGE_KEY_SIZE`].
    #[error("storage key of {len} bytes exceeds {max}")]
    KeyTooLarge {
        /// Length given.
        len: usize,
        /// Limit.
        max: usize,
    },
    /// A contract storage value is longer than [`crate::MAX_STORAGE_VALUE_SIZE`].
    #[error("storage value of {len} bytes exceeds {max}")]
    ValueTooLarge {
        /// Length given.
        len: usize,
        /// Limit.
        max: usize,
    },
    /// Code is larger than `MAX_CODE_SIZE`.
    #[error("code of {len} bytes exceeds {max}")]
    CodeTooLarge {
        /// Length given.
        len: usize,
        /// Limit.
        max: usize,
    },
    /// A code entry is stored under a hash that is not its keccak.
    #[error("code under {claimed} hashes to {actual}")]
    CodeHashMismatch {
        /// Hash it was filed under.
        claimed: Hash,
        /// Its keccak.
        actual: Hash,
    },
    /// `revert_to` / `commit` with a checkpoint that is no longer open.
    #[error("checkpoint {0} is not open")]
    UnknownCheckpoint(usize),
}

impl StateError {
    /// True for failures of the node itself (storage, corruption), false for errors caused
    /// by the input (limits, checkpoints, versions asked for).
    #[must_use]
    pub fn is_fatal(&self) -> bool {
        matches!(self, Self::Storage(_) | Self::Trie(_) | Self::Corrupt(_))
    }
}

/// Result alias for state operations.
pub type Result<T, E = StateError> = std::result::Result<T, E>;
