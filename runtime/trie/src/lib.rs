//! Keccak Merkle trie over Cairn's key-value storage: roots, batched updates, proofs.
//!
//! (Being built: see the state and VM issues.)
