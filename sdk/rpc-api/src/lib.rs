//! Cairn's public JSON-RPC API, defined in one place.
//!
//! ```text
//!              #[rpc(server, client)] trait CairnApi
//!                 │                          │
//!   node/rpc implements CairnApiServer    sdk/client calls CairnApiClient
//! ```
//!
//! The node's server implements the generated `*Server` traits and every Rust client calls
//! the generated `*Client` traits, so the two cannot drift, and the SDK never depends on the
//! node. JSON conventions: bytes, hashes and addresses are `0x`-hex strings; amounts are
//! decimal strings; heights, nonces and gas are numbers (see `docs/protocol.md`).
//!
//! This first part carries the methods the chain needs end to end (`tx_send`,
//! `chain_getReceipt`, `state_getAccount`, `chain_head`, …); the RPC issue adds the rest.

mod abi;
mod api;
mod errors;
mod types;

pub use abi::*;
pub use api::*;
pub use errors::*;
pub use types::*;
