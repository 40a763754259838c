//! Cairn's key-value storage: the traits every stateful crate is written against, an
//! in-memory store for tests and the RocksDB store every node runs on.
//!
//! ```text
//!   cairn-trie / cairn-state / executor
//!        │ KvRead::get / iter / last_in      KvStore::write(WriteBatch, sync)
//!        ▼
//!   ┌──────────── KvStore ─────────────┐
//!   │ MemStore (BTreeMap per column)   │  tests, tools
//!   │ RocksStore (one column family    │  every node: WAL on, fsync per block
//!   │   per Column, format version)    │
//!   └──────────────────────────────────┘
//! ```
//!
//! Both stores pass one conformance suite (`tests/it/conformance.rs`), so code tested on
//! [`MemStore`] behaves the same on [`RocksStore`]. This is the only crate that names
//! `rocksdb`: everything above it compiles and tests without the C++ build.

mod batch;
mod column;
mod error;
mod kv;
mod lru;
mod mem;
mod rocks;

pub use batch::*;
pub use column::*;
pub use error::*;
pub use kv::*;
pub use lru::*;
pub use mem::*;
pub use rocks::*;
