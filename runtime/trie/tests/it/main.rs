//! Integration tests of cairn-trie: the tree against a `BTreeMap` model, proofs, the golden
//! root, and agreement between stores and thread counts.
// Test indices and sizes are small: casts between integer types cannot truncate here.
#![allow(clippy::cast_possible_truncation, clippy::cast_lossless)]

mod golden;
mod model;
mod proofs;

use std::collections::BTreeMap;

use cairn_primitives::keccak256;
use cairn_storage::KvStore;
use cairn_trie::{KeyHash, RootRef, Trie};

/// One version's writes: key hash → value (`None` deletes).
pub type Batch = Vec<(KeyHash, Option<Vec<u8>>)>;

/// Applies `batches` one version each, returning the final root.
pub fn apply_batches<S: KvStore>(trie: &Trie<S>, batches: &[Batch]) -> RootRef {
    let mut root = RootRef::EMPTY;
    for (i, b) in batches.iter().enumerate() {
        let changes = b.iter().map(|(k, v)| (*k, v.as_deref().map(keccak256)));
        let up = trie.update(&root, i as u64 + 1, changes).unwrap();
        root = trie.apply(up).unwrap();
    }
    root
}

/// The root of a tree freshly built from `model` in one batch.
pub fn fresh_root(model: &BTreeMap<KeyHash, Vec<u8>>) -> RootRef {
    let trie = Trie::new(cairn_storage::MemStore::new(), 0);
    let batch: Vec<_> = model.iter().map(|(k, v)| (*k, Some(v.clone()))).collect();
    apply_batches(&trie, &[batch])
}
