//! Support for the code `#[contract]`, `#[event]` and `#[interface]` generate. Not a public
//! API: names and signatures may change with the macros.

use borsh::{BorshDeserialize, BorshSerialize};

pub use alloc::format;
pub use alloc::vec;
pub use alloc::vec::Vec;

use crate::{ContractError, backend, env};

/// The storage key of the contract struct.
pub const STATE_KEY: &[u8] = b"STATE";

/// The storage key of the code version (`u32`) that last wrote the state: set by `#[init]`
/// and by every migration, read by the next migration.
pub const VERSION_KEY: &[u8] = b"VERSION";

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

/// The code version that last wrote the state (0 when none was recorded).
pub fn stored_version() -> u32 {
    backend::storage_read(VERSION_KEY)
        .and_then(|b| borsh::from_slice::<u32>(&b).ok())
        .unwrap_or(0)
}

/// Records `version` as the code version of the state.
pub fn set_version(version: u32) {
    backend::storage_write(VERSION_KEY, &encode(&version));
}

/// The migration of a contract without `#[migrate]`: the state stays as it is; a
/// downgrade, or arguments nobody takes, revert the upgrade.
pub fn default_migrate(version: u32) {
    let from = stored_version();
    if from > version {
        env::revert(&format!(
            "cannot downgrade from version {from} to {version}: the new code has no #[migrate] method"
        ));
    }
    if !backend::input().is_empty() {
        env::revert("the new code has no #[migrate] method to take migration arguments");
    }
    set_version(version);
}

/// Sets the call's return data to `value`'s encoding.
pub fn return_value<T: BorshSerialize>(value: &T) {
    let bytes = encode(value);
    if !bytes.is_empty() {
        backend::set_return(&bytes);
    }
}

/// Compiles only for a valid method error type (its diagnostic explains what is missing).
pub fn assert_contract_error<E: ContractError>() {}

/// `Ok` passes through; `Err` reverts with the error's message, its encoding as the data.
pub fn unwrap_result<T, E: ContractError>(result: Result<T, E>) -> T {
    match result {
        Ok(v) => v,
        Err(e) => env::revert_with_data(&e.message(), &e.data()),
    }
}

pub use crate::call::{CallOptions, call as call_method};
pub use crate::event::topic_of;
