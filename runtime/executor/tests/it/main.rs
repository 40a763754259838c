//! Integration tests of the executor over the real VM and the real state (memory and
//! RocksDB stores).

mod common;
mod contracts;
mod determinism;
mod fees;
mod transactions;
