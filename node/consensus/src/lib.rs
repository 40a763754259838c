//! Cairn's consensus: Commonware's Simplex BFT engine, marshal (ordered, durable delivery of
//! finalized blocks with backfill), authenticated p2p and runtime, behind a small interface of
//! our own. No Commonware type appears in the public API.
//!
//! ```text
//!  node (mempool + executor + chain store) implements Application
//!        ▲ propose / verify / finalized                         │ genesis, last_finalized_height
//!        │                                                      ▼
//!  cairn-consensus::start(Config, app) ─► thread running the Commonware tokio runtime:
//!        authenticated p2p (lookup) ─► Simplex (ed25519 votes) ─► marshal ─► commit task ─► ack
//! ```
//!
//! A devnet is one validator on exactly this path ([`Config::devnet`]). `docs/consensus.md`
//! describes the wiring, the timeouts and the restart behaviour.

mod adapter;
mod application;
mod block;
mod config;
mod engine;
mod error;
mod gossip;
mod keys;
mod node;

pub use application::*;
pub use block::{BlockDecodeError, ChainBlock, MAX_BLOCK_BYTES};
pub use config::*;
pub use error::*;
pub use gossip::MAX_GOSSIP_BYTES;
pub use keys::public_key;
pub use node::*;

#[cfg(test)]
mod sim;
