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

/// The contents of the custom sections named `name` in a wasm module, concatenated in
/// order; `None` when there is none or the module's framing is malformed. Reads only the
/// section framing (magic, version, section ids and LEB128 sizes).
#[must_use]
pub fn custom_section(wasm: &[u8], name: &str) -> Option<alloc::vec::Vec<u8>> {
    fn leb_u32(bytes: &[u8], pos: &mut usize) -> Option<u32> {
        let mut result = 0u32;
        for shift in (0..35).step_by(7) {
            let b = *bytes.get(*pos)?;
            *pos += 1;
            result |= u32::from(b & 0x7f).checked_shl(shift)?;
            if b & 0x80 == 0 {
                return Some(result);
            }
        }
        None
    }
    if wasm.get(..4)? != b"\0asm" || wasm.len() < 8 {
        return None;
    }
    let mut pos = 8;
    let mut found: Option<alloc::vec::Vec<u8>> = None;
    while pos < wasm.len() {
        let id = wasm[pos];
        pos += 1;
        let size = leb_u32(wasm, &mut pos)? as usize;
        let end = pos.checked_add(size)?;
        let body = wasm.get(pos..end)?;
        if id == 0 {
            let mut p = 0;
            let name_len = leb_u32(body, &mut p)? as usize;
            let section_name = body.get(p..p.checked_add(name_len)?)?;
            if section_name == name.as_bytes() {
                found
                    .get_or_insert_with(alloc::vec::Vec::new)
                    .extend_from_slice(&body[p + name_len..]);
            }
        }
        pos = end;
    }
    found
}

/// The text of a contract's ABI section ([`ABI_SECTION_NAME`]): one JSON object per line,
/// a `"kind":"contract"` line and one `"kind":"event"` line per event (`docs/protocol.md`).
/// NUL padding a linker may insert between lines is dropped.
#[must_use]
pub fn abi_section(wasm: &[u8]) -> Option<alloc::string::String> {
    let mut bytes = custom_section(wasm, ABI_SECTION_NAME)?;
    bytes.retain(|b| *b != 0);
    alloc::string::String::from_utf8(bytes).ok()
}
