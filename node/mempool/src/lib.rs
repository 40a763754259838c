//! Cairn's transaction pool: what a node accepts from clients and peers, and the order in
//! which it offers transactions to the block proposer.
//!
//! ```text
//! rpc tx_send(bytes) ──► Mempool::insert / insert_batch
//!      stateless:  size ─► decode ─► chain id ─► min gas price ─► gas bounds ─► cost fits ─► known? ─► signature
//!      stateful:   nonce ≥ account ─► nonce not too far ─► replacement +10% ─► balance covers all
//!                  ─► sender slots ─► gapped slots ─► pool count/bytes (evict cheapest tail or PoolFull)
//!                           │
//!                           ▼
//!   per sender: BTreeMap<nonce, tx>   (ready run from the account nonce, then gapped ones)
//!                           │ ready(max_gas, max_txs): by gas price, then arrival, nonce order per sender
//!                           ▼
//! consensus propose ──► executor ──► commit ──► Mempool::on_block_committed(hashes, &state)
//!                                                  removes included + stale, promotes gapped
//! ```
//!
//! The pool reads committed account state only through [`AccountView`], a trait it owns, so
//! it depends on no state, storage or VM crate. Every rejection is a typed [`RejectReason`]
//! the RPC returns as is. `docs/mempool.md` documents the rules, limits and choices.

mod account;
mod config;
mod error;
mod input;
mod keys;
mod mempool;
mod pool;

pub use account::*;
pub use config::*;
pub use error::*;
pub use input::TxInput;
pub use keys::KEY_CACHE_ENTRIES;
pub use mempool::*;
pub use pool::{BlockUpdate, PooledTx};
