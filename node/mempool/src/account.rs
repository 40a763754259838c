//! How the pool sees committed account state: a trait the pool owns and the node implements.
//!
//! ```text
//! node (state's flat index at the head) ──impl AccountView──► Mempool::insert / on_block_committed
//! ```
//!
//! The pool depends on no state crate: it only needs each sender's committed nonce and balance.

use std::collections::BTreeMap;

use cairn_primitives::{Address, Amount, Nonce};

/// A sender's committed account state, as the pool needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AccountInfo {
    /// The next nonce the account may use (number of its committed transactions).
    pub nonce: Nonce,
    /// Its balance of the native token.
    pub balance: Amount,
}

/// Read access to committed account state at the current head.
///
/// Obligations: answers reflect one committed state (not a block being executed); an
/// account that does not exist is `AccountInfo::default()` (nonce 0, balance 0); answers are
/// deterministic for a given state. The pool calls it only while holding its own lock, once
/// per admitted transaction and once per pooled sender per committed block.
pub trait AccountView {
    /// The committed nonce and balance of `address`.
    fn account(&self, address: &Address) -> AccountInfo;
}

impl<T: AccountView + ?Sized> AccountView for &T {
    fn account(&self, address: &Address) -> AccountInfo {
        (**self).account(address)
    }
}

/// An in-memory account table (tests, tools); missing accounts are empty.
impl AccountView for BTreeMap<Address, AccountInfo> {
    fn account(&self, address: &Address) -> AccountInfo {
        self.get(address).copied().unwrap_or_default()
    }
}
