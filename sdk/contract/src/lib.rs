//! The Cairn contract SDK: write a contract as a Rust struct and an impl block, and get the
//! wasm exports, argument decoding, state persistence, events and an ABI generated.
//!
//! ```text
//!   #[contract] struct Token { balances: Map<Address, u128>, .. }     state: borsh under "STATE"
//!   #[contract] impl Token {                                          one wasm export per method:
//!       #[init] fn new(..) -> Self                                    refuses a second init
//!       #[view] fn balance_of(&self, who: Address) -> u128            read-only, never saved
//!       #[call] fn transfer(&mut self, ..) -> Result<(), Error>       Err ⇒ revert (message + data)
//!       #[call] #[payable] fn deposit(&mut self)                      others refuse value
//!   }
//!   #[event] struct Transfer { #[topic] from: Address, .. }           env::emit(&Transfer{..})
//!   #[interface] trait Token { fn transfer(&mut self, ..) -> bool; }  TokenRef::new(addr).transfer(..)
//! ```
//!
//! Arguments and return values use the protocol's canonical encoding (borsh): the
//! arguments of a method are encoded as the tuple of its parameters. The ABI (JSON, in the
//! wasm custom section `cairn:abi`) lists methods, argument and return types, events and
//! flags; `docs/protocol.md` specifies both.
//!
//! On `wasm32` the environment is the `cairn` host module; natively it is a mock
//! (feature `testing` exposes its controls in [`testing`]) so a contract's methods can be
//! unit-tested as plain Rust.
#![no_std]
#![cfg_attr(target_arch = "wasm32", allow(unsafe_code))]

extern crate alloc;
#[cfg(not(target_arch = "wasm32"))]
extern crate std;

mod backend;
pub mod call;
pub mod env;
mod error;
pub mod event;
pub mod storage;
#[cfg(feature = "testing")]
pub mod testing;

#[doc(hidden)]
pub mod __private;

pub use borsh;
pub use borsh::{BorshDeserialize, BorshSerialize};
pub use cairn_primitives::{Address, Hash};
pub use cairn_sdk_macros::{contract, error, event, interface};

pub use call::{CallError, CallStatus};
pub use error::ContractError;
pub use event::Event;
pub use storage::{Item, Lazy, Map, Set, Vector};

/// A native-token amount as contracts see it. The protocol carries 256-bit amounts; the SDK
/// uses `u128` (3.4 × 10³⁸ smallest units), and refuses a larger attached value.
pub type Balance = u128;

/// Everything a contract usually needs: `use cairn_sdk::prelude::*;`.
pub mod prelude {
    pub use crate::{
        Address, Balance, BorshDeserialize, BorshSerialize, CallError, Event, Hash, Item, Lazy,
        Map, Set, Vector, contract, error, event, interface, require,
    };
    pub use crate::{env, storage};
    pub use alloc::format;
    pub use alloc::string::{String, ToString};
    pub use alloc::vec;
    pub use alloc::vec::Vec;
}

/// Reverts with `msg` (a `&str` or a format string) unless `cond` holds.
///
/// ```ignore
/// require!(amount > 0, "amount must be positive");
/// require!(balance >= amount, "balance {} is below {}", balance, amount);
/// ```
#[macro_export]
macro_rules! require {
    ($cond:expr, $msg:literal $(,)?) => {
        if !$cond {
            $crate::env::revert($msg)
        }
    };
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            $crate::env::revert(&$crate::__private::format!($($fmt)+))
        }
    };
}
