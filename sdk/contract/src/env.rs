//! What a contract can ask of the chain: who called, with what value, in which block; native
//! balances and transfers; hashing and signature checks; storage bytes; events; reverting.

use alloc::vec::Vec;

use cairn_primitives::{Address, Hash};

use crate::Balance;
use crate::backend;
use crate::event::Event;

/// The immediate caller: the signing account, or the contract that called this one.
#[must_use]
pub fn caller() -> Address {
    backend::caller()
}

/// The account that signed the transaction (the start of the call chain).
#[must_use]
pub fn origin() -> Address {
    backend::origin()
}

/// This contract's address.
#[must_use]
pub fn self_address() -> Address {
    backend::self_address()
}

/// The native value attached to this call (already credited to this contract). Reverts if
/// it does not fit in a [`Balance`].
#[must_use]
pub fn value() -> Balance {
    to_balance(&backend::value()).unwrap_or_else(|| revert("attached value exceeds u128"))
}

/// The height of the block being executed.
#[must_use]
pub fn block_height() -> u64 {
    backend::block_height()
}

/// The block's timestamp, in milliseconds since the Unix epoch (the same on every node).
#[must_use]
pub fn timestamp() -> u64 {
    backend::timestamp()
}

/// The chain id.
#[must_use]
pub fn chain_id() -> u64 {
    backend::chain_id()
}

/// The native balance of `address` (saturating at `u128::MAX`).
#[must_use]
pub fn balance(address: &Address) -> Balance {
    to_balance(&backend::balance(address)).unwrap_or(u128::MAX)
}

/// Why [`transfer`] did not move the value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransferError {
    /// This contract's balance is below the amount.
    InsufficientBalance,
}

impl core::fmt::Display for TransferError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("insufficient balance for the transfer")
    }
}

/// Sends `amount` of the native token from this contract to `to`.
///
/// # Errors
/// [`TransferError::InsufficientBalance`] when this contract holds less than `amount`.
pub fn transfer(to: &Address, amount: Balance) -> Result<(), TransferError> {
    match backend::transfer(to, &from_balance(amount)) {
        0 => Ok(()),
        _ => Err(TransferError::InsufficientBalance),
    }
}

/// Gas left for this call.
#[must_use]
pub fn gas_left() -> u64 {
    backend::gas_left()
}

/// keccak-256 of `data` (as Ethereum's; not NIST SHA3).
#[must_use]
pub fn keccak256(data: &[u8]) -> Hash {
    Hash(backend::keccak256(data))
}

/// SHA-256 of `data`.
#[must_use]
pub fn sha256(data: &[u8]) -> Hash {
    Hash(backend::sha256(data))
}

/// Whether `signature` is a valid strict ed25519 signature of `message` by `public_key`.
#[must_use]
pub fn ed25519_verify(public_key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
    backend::ed25519_verify(public_key, message, signature)
}

/// Prints a line on a devnet's console (ignored by validators; costs the same either way).
pub fn log(message: &str) {
    backend::debug_log(message);
}

/// Emits `event`: its topics (signature, then `#[topic]` fields) and its encoded fields.
pub fn emit<E: Event>(event: &E) {
    let topics = event.topics();
    let raw: Vec<[u8; 32]> = topics.iter().map(|t| t.0).collect();
    backend::emit_event(&raw, &crate::__private::encode(event));
}

/// Stops the call, reverting every change it made, with `message` as the reason (shown in
/// the receipt, at most 1 KiB).
pub fn revert(message: &str) -> ! {
    backend::revert(message)
}

/// [`revert`] with `data` (at most 64 KiB) as the revert data: the receipt's return data,
/// for clients to decode (a method's `Err` reverts this way with the error's encoding).
pub fn revert_with_data(message: &str, data: &[u8]) -> ! {
    backend::set_return(data);
    backend::revert(message)
}

/// The raw bytes under `key` in this contract's storage.
#[must_use]
pub fn storage_read(key: &[u8]) -> Option<Vec<u8>> {
    backend::storage_read(key)
}

/// Writes raw bytes under `key` in this contract's storage.
pub fn storage_write(key: &[u8], value: &[u8]) {
    backend::storage_write(key, value);
}

/// Removes `key` from this contract's storage; whether it existed.
pub fn storage_remove(key: &[u8]) -> bool {
    backend::storage_remove(key)
}

/// Whether `key` exists in this contract's storage.
#[must_use]
pub fn storage_has(key: &[u8]) -> bool {
    backend::storage_has(key)
}

/// A protocol amount (32 bytes little-endian) as a [`Balance`], `None` if it is larger.
pub(crate) fn to_balance(v: &[u8; 32]) -> Option<Balance> {
    if v[16..].iter().any(|b| *b != 0) {
        return None;
    }
    let mut low = [0u8; 16];
    low.copy_from_slice(&v[..16]);
    Some(u128::from_le_bytes(low))
}

/// A [`Balance`] as a protocol amount.
pub(crate) fn from_balance(v: Balance) -> [u8; 32] {
    let mut out = [0u8; 32];
    out[..16].copy_from_slice(&v.to_le_bytes());
    out
}
