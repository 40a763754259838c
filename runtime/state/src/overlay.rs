//! [`Overlay`]: buffered writes over a [`StateReader`], with nested checkpoints for
//! sub-calls and failed transactions. Nothing reaches storage: the overlay ends as plain
//! [`StateChanges`].
//!
//! ```text
//!  tx:   cp0 = checkpoint()
//!          set_account(..)            journal: [old a]
//!          call: cp1 = checkpoint()
//!                set_storage(..)      journal: [old a, old s]
//!                fails ─► revert_to(cp1)   journal: [old a]   (s restored)
//!          ok ─► commit(cp0)          writes kept, checkpoint closed
//!  block: into_changes() ─► StateChanges (BTreeMap order) ─► State::commit
//! ```

use std::collections::BTreeMap;

use cairn_primitives::{Address, Hash, limits::MAX_CODE_SIZE};

use crate::keys::{check_storage_key, check_storage_value, code_hash};
use crate::{Account, Result, StateChanges, StateError};

/// Read access to some state: the latest committed one, a kept version, or an overlay.
pub trait StateReader {
    /// The account at `address`, or `None` if it does not exist.
    ///
    /// # Errors
    /// Node-fatal storage failures, or a version that is no longer readable.
    fn account(&self, address: &Address) -> Result<Option<Account>>;

    /// The value of contract `address`'s storage `key`, or `None`.
    ///
    /// # Errors
    /// As [`StateReader::account`], and [`StateError::KeyTooLarge`].
    fn storage(&self, address: &Address, key: &[u8]) -> Result<Option<Vec<u8>>>;

    /// The code with hash `hash`, or `None` if unknown.
    ///
    /// # Errors
    /// Node-fatal storage failures.
    fn code(&self, hash: &Hash) -> Result<Option<Vec<u8>>>;
}

impl<T: StateReader + ?Sized> StateReader for &T {
    fn account(&self, address: &Address) -> Result<Option<Account>> {
        (**self).account(address)
    }
    fn storage(&self, address: &Address, key: &[u8]) -> Result<Option<Vec<u8>>> {
        (**self).storage(address, key)
    }
    fn code(&self, hash: &Hash) -> Result<Option<Vec<u8>>> {
        (**self).code(hash)
    }
}

/// An open checkpoint of an [`Overlay`] (its nesting depth).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checkpoint(usize);

/// One undo record: the overlay's previous entry for a key (`None`: it had none).
enum Undo {
    Account(Address, Option<Option<Account>>),
    Storage((Address, Vec<u8>), Option<Option<Vec<u8>>>),
    Code(Hash),
}

/// Buffered state writes over `base`, with nested checkpoints.
pub struct Overlay<R> {
    base: R,
    changes: StateChanges,
    journal: Vec<Undo>,
    checkpoints: Vec<usize>,
}

impl<R: StateReader> Overlay<R> {
    /// An overlay with no writes over `base`.
    pub fn new(base: R) -> Self {
        Self {
            base,
            changes: StateChanges::default(),
            journal: Vec::new(),
            checkpoints: Vec::new(),
        }
    }

    /// The state below the overlay.
    pub fn base(&self) -> &R {
        &self.base
    }

    /// Sets (`Some`) or deletes (`None`) the account at `address`.
    pub fn set_account(&mut self, address: Address, account: Option<Account>) {
        let prev = self.changes.accounts.insert(address, account);
        self.record(Undo::Account(address, prev));
    }

    /// Sets (`Some`) or deletes (`None`) contract `address`'s storage `key`.
    ///
    /// # Errors
    /// [`StateError::KeyTooLarge`] / [`StateError::ValueTooLarge`] over the limits
    /// (contract-visible: nothing is written).
    pub fn set_storage(
        &mut self,
        address: Address,
        key: Vec<u8>,
        value: Option<Vec<u8>>,
    ) -> Result<()> {
        check_storage_key(&key)?;
        if let Some(v) = &value {
            check_storage_value(v)?;
        }
        let k = (address, key);
        let prev = self.changes.storage.insert(k.clone(), value);
        self.record(Undo::Storage(k, prev));
        Ok(())
    }

    /// Stores `code` (once: known code is not stored again) and returns its hash.
    ///
    /// # Errors
    /// [`StateError::CodeTooLarge`] over `MAX_CODE_SIZE`; storage failures.
    pub fn put_code(&mut self, code: Vec<u8>) -> Result<Hash> {
        if code.len() > MAX_CODE_SIZE {
            return Err(StateError::CodeTooLarge {
                len: code.len(),
                max: MAX_CODE_SIZE,
            });
        }
        let hash = code_hash(&code);
        if !self.changes.code.contains_key(&hash) && self.base.code(&hash)?.is_none() {
            self.changes.code.insert(hash, code);
            self.record(Undo::Code(hash));
        }
        Ok(hash)
    }

    /// Journals an undo record; without an open checkpoint nothing could use it.
    fn record(&mut self, undo: Undo) {
        if !self.checkpoints.is_empty() {
            self.journal.push(undo);
        }
    }

    /// Opens a checkpoint: a later [`Overlay::revert_to`] undoes every write after it.
    pub fn checkpoint(&mut self) -> Checkpoint {
        self.checkpoints.push(self.journal.len());
        Checkpoint(self.checkpoints.len() - 1)
    }

    /// Undoes every write since `cp` and closes `cp` and the checkpoints nested in it.
    ///
    /// # Errors
    /// [`StateError::UnknownCheckpoint`] if `cp` is already closed.
    pub fn revert_to(&mut self, cp: Checkpoint) -> Result<()> {
        let mark = *self
            .checkpoints
            .get(cp.0)
            .ok_or(StateError::UnknownCheckpoint(cp.0))?;
        while self.journal.len() > mark {
            match self.journal.pop() {
                Some(Undo::Account(a, prev)) => restore(&mut self.changes.accounts, a, prev),
                Some(Undo::Storage(k, prev)) => restore(&mut self.changes.storage, k, prev),
                Some(Undo::Code(h)) => {
                    self.changes.code.remove(&h);
                }
                None => break,
            }
        }
        self.checkpoints.truncate(cp.0);
        Ok(())
    }

    /// Keeps every write since `cp` and closes `cp` and the checkpoints nested in it (an
    /// enclosing checkpoint can still revert them).
    ///
    /// # Errors
    /// [`StateError::UnknownCheckpoint`] if `cp` is already closed.
    pub fn commit(&mut self, cp: Checkpoint) -> Result<()> {
        if cp.0 >= self.checkpoints.len() {
            return Err(StateError::UnknownCheckpoint(cp.0));
        }
        self.checkpoints.truncate(cp.0);
        if self.checkpoints.is_empty() {
            self.journal.clear();
        }
        Ok(())
    }

    /// The writes so far, as plain data.
    #[must_use]
    pub fn changes(&self) -> &StateChanges {
        &self.changes
    }

    /// Ends the overlay, returning its writes.
    #[must_use]
    pub fn into_changes(self) -> StateChanges {
        self.changes
    }
}

fn restore<K: Ord, V>(map: &mut BTreeMap<K, V>, k: K, prev: Option<V>) {
    match prev {
        Some(v) => {
            map.insert(k, v);
        }
        None => {
            map.remove(&k);
        }
    }
}

impl<R: StateReader> StateReader for Overlay<R> {
    fn account(&self, address: &Address) -> Result<Option<Account>> {
        match self.changes.accounts.get(address) {
            Some(a) => Ok(*a),
            None => self.base.account(address),
        }
    }

    fn storage(&self, address: &Address, key: &[u8]) -> Result<Option<Vec<u8>>> {
        check_storage_key(key)?;
        match self.changes.written_storage(address, key) {
            Some(v) => Ok(v.clone()),
            None => self.base.storage(address, key),
        }
    }

    fn code(&self, hash: &Hash) -> Result<Option<Vec<u8>>> {
        match self.changes.code.get(hash) {
            Some(c) => Ok(Some(c.clone())),
            None => self.base.code(hash),
        }
    }
}
