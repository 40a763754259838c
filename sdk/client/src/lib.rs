//! The Rust client SDK for Cairn: everything a DApp needs to talk to a node.
//!
//! ```text
//!   Client::connect(url)            typed JSON-RPC over HTTP (WebSocket for subscriptions)
//!     └─ Signer::new(client, wallet)  nonces tracked locally, gas estimated with a margin,
//!          │                          gas price from the node, "nonce too low" recovered
//!          ├─ send(kind) ─► PendingTx ─► wait(timeout) ─► receipt | ClientError::Reverted
//!          └─ deploy(wasm, init, args) ─► Contract
//!   Contract::at(client, address)    methods, args and events from the on-chain ABI:
//!     call("transfer", json!({"to": .., "amount": "5"})), view("balance_of", ..),
//!     events("Transfer") ─► Stream of decoded events
//!   Wallet: generate | from hex | dev account i | encrypted keystore (scrypt + ChaCha20-Poly1305)
//! ```
//!
//! Errors are typed ([`ClientError`]): a revert carries its message, its raw data and the
//! error decoded from the ABI; a refused transaction carries the node's error code.

mod abi;
mod client;
mod contract;
mod error;
mod wallet;

pub use abi::{
    Abi, AbiError, AbiType, EventAbi, Method, Param, Variant, decode_value, encode_args,
    encode_value,
};
pub use client::{BACKOFF, Client, DEFAULT_WAIT, PendingTx, SendOptions, Signer};
pub use contract::{CallOutcome, Contract, DecodedEvent};
pub use error::ClientError;
pub use wallet::{KEYSTORE_VERSION, KdfParams, Keystore, Wallet};

pub use cairn_primitives::{Address, Amount, Hash, ReceiptStatus, TxKind};
pub use cairn_rpc_api::{EventLog, EventQuery, ReceiptInfo};

/// The result type of this crate.
pub type Result<T, E = ClientError> = std::result::Result<T, E>;
