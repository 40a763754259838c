//! [`StateChanges`]: the plain-data result of executing a block, ordered so that applying
//! it is deterministic.

use std::collections::BTreeMap;

use cairn_primitives::{Address, Hash};

use crate::Account;

/// Everything a block changes. `None` deletes. Produced by [`crate::Overlay::into_changes`],
/// consumed by [`crate::State::commit`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StateChanges {
    /// Account writes.
    pub accounts: BTreeMap<Address, Option<Account>>,
    /// Contract storage writes, by (contract, key).
    pub storage: BTreeMap<(Address, Vec<u8>), Option<Vec<u8>>>,
    /// New code by its hash (storing known code again is harmless).
    pub code: BTreeMap<Hash, Vec<u8>>,
}

impl StateChanges {
    /// True when nothing changes.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty() && self.storage.is_empty() && self.code.is_empty()
    }

    /// Number of account and storage writes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.accounts.len() + self.storage.len()
    }

    /// Applies `later` on top of `self` (later writes win).
    pub fn merge(&mut self, later: StateChanges) {
        self.accounts.extend(later.accounts);
        self.storage.extend(later.storage);
        self.code.extend(later.code);
    }
}
