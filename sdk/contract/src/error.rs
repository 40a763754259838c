//! [`ContractError`]: what a method's `Err` turns into. A revert carries two things: the
//! message (what explorers, logs and `CallError` show) and the encoded error (the
//! receipt's return data), so a client can decode the exact variant instead of parsing text.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt::Display;

use borsh::BorshSerialize;

/// An error a contract method may return in `Result<T, E>`: `Err(e)` reverts with
/// [`message`](Self::message) and sets [`data`](Self::data) as the revert data. Every type
/// that is `Display + BorshSerialize` is one (derive `BorshSerialize` on your error enum).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a contract method's error",
    note = "an error type needs `Display` (the revert message) and `BorshSerialize` (the revert data): add `#[derive(BorshSerialize)]` and implement `Display`"
)]
pub trait ContractError {
    /// The revert message.
    fn message(&self) -> String;
    /// The revert data: the error's canonical encoding.
    fn data(&self) -> Vec<u8>;
}

impl<E: Display + BorshSerialize> ContractError for E {
    fn message(&self) -> String {
        self.to_string()
    }

    fn data(&self) -> Vec<u8> {
        crate::__private::encode(self)
    }
}
