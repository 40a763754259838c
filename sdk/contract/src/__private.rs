//! Support for the code `#[contract]`, `#[event]` and `#[interface]` generate. Not a public
//! API: names and signatures may change with the macros.

use alloc::string::ToString;

use core::fmt::Display;

use borsh::{BorshDeserialize, BorshSerialize};

pub use alloc::format;
pub use alloc::vec;
pub use alloc::vec::Vec;

use crate::{backend, env};

/// The storage key of the contract struct.
pub const STATE_KEY: &[u8] = b"STATE";

/// Borsh encoding into a vector (writing to a vector cannot fail).
pub fn encode<T: BorshSerialize + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    if value.serialize(&mut out).is_err() {
        env::revert("encoding failed");
    }
    out
}

/// The call's arguments decoded as the tuple of the method's parameters.
pub fn input<T: BorshDeserialize>(method: &str) -> T {
    let bytes = backend::input();
    match borsh::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) => env::revert(&format!("invalid arguments for `{method}`: {e}")),
    }
}

/// Reverts when value is attached to a method that is not `#[payable]`.
pub fn check_not_payable(method: &str) {
    if backend::value().iter().any(|b| *b != 0) {
        env::revert(&format!("method `{method}` is not payable"));
    }
}

/// The contract state; reverts when the contract was never initialized.
pub fn load_state<S: BorshDeserialize>() -> S {
    let Some(bytes) = backend::storage_read(STATE_KEY) else {
        env::revert("contract is not initialized");
    };
    match borsh::from_slice(&bytes) {
        Ok(s) => s,
        Err(e) => env::revert(&format!("contract state does not decode: {e}")),
    }
}

/// Reverts when the contract is already initialized (`#[init]` runs once).
pub fn init_guard() {
    if backend::storage_has(STATE_KEY) {
        env::revert("contract is already initialized");
    }
}

/// Stores the contract state.
pub fn save_state<S: BorshSerialize>(state: &S) {
    backend::storage_write(STATE_KEY, &encode(state));
}

/// Sets the call's return data to `value`'s encoding.
pub fn return_value<T: BorshSerialize>(value: &T) {
    let bytes = encode(value);
    if !bytes.is_empty() {
        backend::set_return(&bytes);
    }
}

/// `Ok` passes through; `Err` reverts with the error's message.
pub fn unwrap_result<T, E: Display>(result: Result<T, E>) -> T {
    match result {
        Ok(v) => v,
        Err(e) => env::revert(&e.to_string()),
    }
}

pub use crate::call::{CallOptions, call as call_method};
pub use crate::event::topic_of;
