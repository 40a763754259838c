//! Cairn's core types and their one canonical binary encoding.
//!
//! Everything that reaches a block hash, a transaction hash or a state root is defined
//! here, so that the node, the clients and the contracts agree byte for byte:
//!
//! ```text
//!  SecretKey ──sign(signing_message(tx))──► SignedTransaction ──encode──► bytes ──keccak256──► tx hash
//!      │                                         │
//!      └─ public key ──keccak256[12..]──► Address (sender)
//!
//!  BlockHeader { parent, height, …, tx_root, receipts_root, state_root } ──encode──► keccak256 = block hash
//! ```
//!
//! The encoding is [borsh](https://borsh.io) with explicit size limits: [`Canonical::decode`]
//! rejects oversized input, truncated input, trailing bytes, unknown enum tags and
//! non-canonical forms with a typed [`DecodeError`]. `docs/protocol.md` specifies every byte.
//!
//! Without default features the crate is `no_std + alloc` and builds for
//! `wasm32-unknown-unknown`, so contracts reuse [`Address`], [`Hash`] and the encoding.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

mod address;
mod amount;
mod block;
mod codec;
mod error;
mod hash;
#[cfg(feature = "crypto")]
mod keys;
pub mod limits;
mod receipt;
#[cfg(feature = "serde")]
pub mod serde_helpers;
mod tx;

pub use address::*;
pub use amount::*;
pub use block::*;
pub use codec::*;
pub use error::*;
pub use hash::*;
#[cfg(feature = "crypto")]
pub use keys::*;
pub use receipt::*;
pub use tx::*;

/// Gas units: the measure of work a transaction may do and pays for.
pub type Gas = u64;
/// A block height; the genesis block is height 0.
pub type Height = u64;
/// An account's transaction counter; a transaction must carry exactly the sender's next nonce.
pub type Nonce = u64;
/// Identifies a chain; part of every signed message so a transaction is valid on one chain only.
pub type ChainId = u64;
/// Milliseconds since the Unix epoch, as proposed in a block header.
pub type Timestamp = u64;

/// Name of the wasm custom section holding a contract's JSON ABI (the contract SDK writes it;
/// the node serves it through `contract_getAbi`). Custom sections never affect execution.
pub const ABI_SECTION_NAME: &str = "cairn:abi";
