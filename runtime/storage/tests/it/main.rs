//! Integration tests of cairn-storage: one conformance suite run against every store, and
//! the RocksDB-specific open/recovery behaviour.
// Test indices and sizes are small: casts between integer types cannot truncate here.
#![allow(clippy::cast_possible_truncation, clippy::cast_lossless)]

mod conformance;
mod rocks;
