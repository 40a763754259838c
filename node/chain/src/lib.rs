//! The node's chain: where finalized blocks, receipts and their indexes live, and (with the
//! chain issue) the glue that turns consensus, mempool, executor and state into a node.
//!
//! ```text
//! finalized block ──► ChainStore::write_block(batch, block, receipts)   ─┐ one WriteBatch with
//!                                                                         ├ the state's changes
//! RPC reads ◄── ChainStore::{block, receipt, tx_location, events, head} ◄─┘ (State::commit_with)
//! ```

mod store;

pub use store::*;
