//! [`StateChanges`]: the plain-data result of executing a block, ordered so that applying
//! it is deterministic.

use std::borrow::Borrow;
use std::cmp::Ordering;
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

    /// The write of contract `address`'s storage `key`, if there is one (`Some(None)` is a
    /// deletion), found without copying the key.
    #[must_use]
    pub fn written_storage(&self, address: &Address, key: &[u8]) -> Option<&Option<Vec<u8>>> {
        self.storage.get(&(address, key) as &dyn SlotKey)
    }

    /// Applies `later` on top of `self` (later writes win).
    pub fn merge(&mut self, later: StateChanges) {
        self.accounts.extend(later.accounts);
        self.storage.extend(later.storage);
        self.code.extend(later.code);
    }
}

/// A storage slot seen as borrowed (contract, key), so [`StateChanges::storage`], keyed by
/// owned slots, is searched with a borrowed one. Ordered as the owned tuple is.
trait SlotKey {
    fn slot(&self) -> (&Address, &[u8]);
}

impl SlotKey for (Address, Vec<u8>) {
    fn slot(&self) -> (&Address, &[u8]) {
        (&self.0, &self.1)
    }
}

impl SlotKey for (&Address, &[u8]) {
    fn slot(&self) -> (&Address, &[u8]) {
        (self.0, self.1)
    }
}

impl<'a> Borrow<dyn SlotKey + 'a> for (Address, Vec<u8>) {
    fn borrow(&self) -> &(dyn SlotKey + 'a) {
        self
    }
}

impl PartialEq for dyn SlotKey + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.slot() == other.slot()
    }
}

impl Eq for dyn SlotKey + '_ {}

impl PartialOrd for dyn SlotKey + '_ {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for dyn SlotKey + '_ {
    fn cmp(&self, other: &Self) -> Ordering {
        self.slot().cmp(&other.slot())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_borrowed_slot_finds_the_owned_one_in_every_order() {
        let mut changes = StateChanges::default();
        let (a, b) = (Address([1; 20]), Address([2; 20]));
        // Keys that order differently by length and by bytes, under two contracts.
        let keys: [&[u8]; 5] = [b"", b"a", b"ab", b"b", b"\xff"];
        for (n, k) in (0u8..).zip(keys) {
            changes.storage.insert((a, k.to_vec()), Some(vec![n]));
            changes
                .storage
                .insert((b, k.to_vec()), n.is_multiple_of(2).then(|| vec![9]));
        }
        for (n, k) in (0u8..).zip(keys) {
            assert_eq!(changes.written_storage(&a, k), Some(&Some(vec![n])));
            assert_eq!(
                changes.written_storage(&b, k),
                Some(&n.is_multiple_of(2).then(|| vec![9]))
            );
        }
        assert_eq!(changes.written_storage(&a, b"abc"), None);
        assert_eq!(changes.written_storage(&Address([3; 20]), b"a"), None);
    }
}
