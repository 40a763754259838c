//! Integration tests of cairn-storage: one conformance suite run against every store, and
//! the RocksDB-specific open/recovery behaviour.

mod conformance;
mod rocks;
