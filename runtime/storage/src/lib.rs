//! Key-value storage traits, an in-memory store and the RocksDB store.
//!
//! (Being built: see the state and VM issues.)
