//! Cross-contract calls. `#[interface]` on a trait generates a typed handle
//! (`TokenRef::new(addr).transfer(to, amount)`) built on [`call`]; a callee's revert comes
//! back as `Err(CallError)` with the callee's message, and everything the callee did is
//! already undone. The caller decides: handle the error, or revert too.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use borsh::{BorshDeserialize, BorshSerialize};
use cairn_primitives::{Address, Hash};

use crate::__private::encode;
use crate::{Balance, backend, env};

/// How a nested call ended, when it did not succeed (the host's status codes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum CallStatus {
    /// The callee reverted (or panicked, or returned `Err`).
    Reverted,
    /// The callee ran out of the gas given to it.
    OutOfGas,
    /// The callee trapped or exhausted its stack.
    Trapped,
    /// The call chain is too deep.
    CallDepthExceeded,
    /// The callee is already executing higher up the chain and does not allow re-entry.
    ReentrancyDenied,
    /// No contract, no such method, or no such code.
    NotFound,
    /// The caller could not pay the attached value.
    InsufficientBalance,
    /// A deploy's address is taken.
    AddressInUse,
    /// The callee succeeded but its return data did not decode as the expected type.
    BadReturn,
    /// A status code this SDK does not know.
    Other(u32),
}

impl CallStatus {
    fn from_code(code: u32) -> Self {
        match code {
            1 => Self::Reverted,
            2 => Self::OutOfGas,
            3 => Self::Trapped,
            4 => Self::CallDepthExceeded,
            5 => Self::ReentrancyDenied,
            6 => Self::NotFound,
            7 => Self::InsufficientBalance,
            8 => Self::AddressInUse,
            c => Self::Other(c),
        }
    }
}

/// A nested call that did not succeed (returned as a method's error, it reverts with this
/// encoding as data).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct CallError {
    /// How it ended.
    pub status: CallStatus,
    /// The callee's revert message, or a description of the failure.
    pub message: String,
}

impl core::fmt::Display for CallError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.status {
            CallStatus::Reverted => write!(f, "call reverted: {}", self.message),
            s => write!(f, "call failed ({s:?}): {}", self.message),
        }
    }
}

/// Options of one call: value attached and gas given (0 = all that is left).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CallOptions {
    /// Native value moved from this contract to the callee before it runs.
    pub value: Balance,
    /// Gas the callee may use; 0 gives it all this call has left.
    pub gas: u64,
}

/// Calls `method` of contract `to` with encoded `args`; the callee's return data.
///
/// # Errors
/// The callee's failure, with its revert message.
pub fn call_raw(
    to: &Address,
    method: &str,
    args: &[u8],
    options: CallOptions,
) -> Result<Vec<u8>, CallError> {
    let (status, result) = backend::call(
        to,
        method,
        args,
        &env::from_balance(options.value),
        options.gas,
    );
    if status == 0 {
        return Ok(result);
    }
    Err(CallError {
        status: CallStatus::from_code(status),
        message: String::from_utf8_lossy(&result).into_owned(),
    })
}

/// Calls `method` of `to` with `args` (the tuple of its parameters) and decodes its return.
///
/// # Errors
/// The callee's failure, or [`CallStatus::BadReturn`].
pub fn call<A: BorshSerialize, R: BorshDeserialize>(
    to: &Address,
    method: &str,
    args: &A,
    options: CallOptions,
) -> Result<R, CallError> {
    let data = call_raw(to, method, &encode(args), options)?;
    borsh::from_slice(&data).map_err(|e| CallError {
        status: CallStatus::BadReturn,
        message: e.to_string(),
    })
}

/// Deploys a new contract from code already on chain (`code_hash`) at
/// `Address::for_create2(self, salt, code_hash)`, running its `init` with `args`.
///
/// # Errors
/// The constructor's failure, [`CallStatus::NotFound`] (unknown code) or
/// [`CallStatus::AddressInUse`].
pub fn deploy<A: BorshSerialize>(
    code_hash: &Hash,
    salt: &Hash,
    args: &A,
    options: CallOptions,
) -> Result<Address, CallError> {
    backend::deploy(
        code_hash,
        salt,
        &encode(args),
        &env::from_balance(options.value),
        options.gas,
    )
    .map_err(|(status, result)| CallError {
        status: CallStatus::from_code(status),
        message: String::from_utf8_lossy(&result).into_owned(),
    })
}
