//! Unit-testing a contract natively: set who calls, with what value, in which block and with
//! which balances; then call the contract's methods as plain Rust and inspect storage and
//! events. Each test thread has its own environment; [`reset`] starts afresh.
//!
//! ```ignore
//! use cairn_sdk::testing;
//! testing::reset();
//! testing::set_caller(alice);
//! let mut token = Token::new("Gold".into(), "GLD".into(), 1_000);
//! token.transfer(bob, 10).unwrap();
//! assert_eq!(testing::events_of::<Transfer>().len(), 1);
//! ```

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use cairn_primitives::Address;

pub use crate::backend::mock::RecordedEvent;
use crate::backend::mock::{self, MockEnv};
use crate::{Balance, Event};

/// Clears storage, events, logs and balances and restores the default context (contract
/// `0xcc…cc`, caller and origin `0xaa…aa`, height 1, no value).
pub fn reset() {
    mock::with(|e| *e = MockEnv::default());
}

/// Sets the immediate caller (and the origin, as for a transaction's own call).
pub fn set_caller(caller: Address) {
    mock::with(|e| {
        e.caller = caller;
        e.origin = caller;
    });
}

/// Sets the origin alone (a call made through another contract).
pub fn set_origin(origin: Address) {
    mock::with(|e| e.origin = origin);
}

/// Sets the contract's own address.
pub fn set_self_address(address: Address) {
    mock::with(|e| e.contract = address);
}

/// Attaches `value` to the next calls and credits it to the contract's balance, as the
/// host does before running a payable method.
pub fn set_value(value: Balance) {
    mock::with(|e| {
        e.value = value;
        let contract = e.contract;
        let b = e.balances.entry(contract).or_insert(0);
        *b = b.saturating_add(value);
    });
}

/// Sets the block height and timestamp (milliseconds).
pub fn set_block(height: u64, timestamp_ms: u64) {
    mock::with(|e| {
        e.height = height;
        e.timestamp = timestamp_ms;
    });
}

/// Sets the chain id.
pub fn set_chain_id(chain_id: u64) {
    mock::with(|e| e.chain_id = chain_id);
}

/// Sets the native balance of `address`.
pub fn set_balance(address: Address, balance: Balance) {
    mock::with(|e| {
        e.balances.insert(address, balance);
    });
}

/// The native balance of `address`.
#[must_use]
pub fn balance(address: Address) -> Balance {
    mock::with(|e| e.balances.get(&address).copied().unwrap_or(0))
}

/// Sets the gas `env::gas_left()` reports.
pub fn set_gas_left(gas: u64) {
    mock::with(|e| e.gas_left = gas);
}

/// A copy of the contract's storage.
#[must_use]
pub fn storage() -> BTreeMap<Vec<u8>, Vec<u8>> {
    mock::with(|e| e.storage.clone())
}

/// Every event emitted since the last [`reset`] or [`take_events`].
#[must_use]
pub fn events() -> Vec<RecordedEvent> {
    mock::with(|e| e.events.clone())
}

/// Removes and returns the events emitted so far.
pub fn take_events() -> Vec<RecordedEvent> {
    mock::with(|e| core::mem::take(&mut e.events))
}

/// The events of type `E` emitted so far, decoded, in order.
#[must_use]
pub fn events_of<E: Event>() -> Vec<E> {
    events()
        .iter()
        .filter_map(|ev| E::decode(&ev.topics, &ev.data))
        .collect()
}

/// The lines passed to `env::log`.
#[must_use]
pub fn logs() -> Vec<String> {
    mock::with(|e| e.logs.clone())
}

/// Runs `f` and returns the message it reverted (or panicked) with, `None` if it returned.
/// The environment is left as `f` left it: a reverted call's writes are NOT undone in the
/// mock (the real VM does undo them; test that with cairn-testkit).
pub fn expect_revert<T>(f: impl FnOnce() -> T) -> Option<String> {
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    match result {
        Ok(_) => None,
        Err(p) => Some(
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| String::from(*s)))
                .unwrap_or_default(),
        ),
    }
}
