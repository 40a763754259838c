//! The node's chain: where finalized blocks, receipts and their indexes live, and the glue
//! that turns consensus, mempool, executor and state into a node.
//!
//! ```text
//! genesis.json ─► Genesis ─► Chain::open(data_dir) ─► RocksDB {state columns, chain columns}
//!                                 │
//!       ChainApp (consensus) ─────┤ build / executed / commit
//!       RPC server ───────────────┘ submit / head / receipt / account / block
//!
//! finalized block ──► ChainStore::write_block(batch, block, receipts)   ─┐ one WriteBatch with
//!                                                                         ├ the state's changes
//! RPC reads ◄── ChainStore::{block, receipt, tx_location, events, head} ◄─┘ (State::commit_with)
//! ```

mod app;
mod genesis;
mod node;
mod store;

pub use app::*;
pub use genesis::*;
pub use node::*;
pub use store::*;
