//! A keccak-256 16-ary sparse Merkle tree (Jellyfish-style) over Cairn's key-value storage:
//! batched updates that rehash only dirty paths, inclusion and exclusion proofs, and every
//! recent version readable through versioned node keys.
//!
//! ```text
//!  changes (key hash → value hash | delete), sorted
//!        │ Trie::update(root@v, v+1, changes)
//!        ▼
//!  walk only the touched paths ── load node (LRU cache ─► KvRead) ── rebuild, rehash
//!        │                                   (root's 16 subtrees may go to 2 threads)
//!        ▼
//!  TrieUpdate { new root, new nodes keyed (v+1, path), stale node keys }
//!        │ caller writes the nodes into its block's WriteBatch, logs the stale keys
//!        ▼                 for the pruner, then Trie::cache_nodes
//!  KvStore (Column::TrieNodes)
//! ```
//!
//! The tree stores value *hashes*; values live in the state's flat index. `docs/state.md`
//! explains why this layout was chosen over a hexary Merkle-Patricia trie.
//! [`proof`] is `std`-free so light clients can reuse [`verify_proof`].

extern crate alloc;

mod error;
mod node;
pub mod proof;
mod trie;

pub use error::*;
pub use node::*;
pub use proof::{
    EMPTY_ROOT, KeyHash, Proof, ProofError, ProofNode, ValueHash, verify_proof, verify_proof_hashed,
};
pub use trie::*;

/// A version of the tree (the state uses the block height).
pub type Version = u64;
