//! Executing on top of blocks that are not committed yet, and the state root of the
//! result without writing anything.
//!
//! ```text
//!   committed State (version v) ◄── PendingState { pending: changes of the uncommitted
//!        │                                         ancestors, merged oldest first }
//!        │                              reads: pending first, then the flat index
//!        ▼
//!   root_after(changes) = State::prepare_commit(pending ⊕ changes, on the head)  (dry
//!        run: the new nodes stay in memory and are dropped; nothing reaches the store)
//!
//!   with the ancestors' prepared commits (PendingState::prepared_on):
//!   root_after(changes) = State::prepare_commit(changes, on the ancestors' commits)
//!        (this block's changes only, reading the ancestors' new nodes from memory; the
//!        prepared commit is kept, and the block's commit writes it without recomputing)
//! ```
//!
//! The trie's root depends only on its final contents (property-tested in cairn-trie), so
//! the root of `committed + ancestors + this block` computed in one dry run equals the
//! root each block gets when the blocks are later committed one by one.

use std::sync::{Arc, Mutex, PoisonError};

use cairn_primitives::{Address, Hash};
use cairn_state::{Account, PreparedCommit, State, StateChanges, StateError, StateReader};
use cairn_storage::KvStore;

/// A [`StateReader`] that can also tell the state root after more changes: what
/// [`crate::Executor::execute`] needs to fill the outcome's state root.
pub trait RootedReader: StateReader + Sync {
    /// The state root of this state with `changes` applied on top, computed without
    /// writing anything.
    ///
    /// # Errors
    /// Node-fatal storage or trie failures; a storage key over the limit.
    fn root_after(&self, changes: &StateChanges) -> Result<Hash, StateError>;
}

impl<S: KvStore + 'static> RootedReader for State<S> {
    fn root_after(&self, changes: &StateChanges) -> Result<Hash, StateError> {
        Ok(self.prepare_commit(changes, &[])?.root())
    }
}

/// The committed state plus the changes of uncommitted ancestor blocks.
pub struct PendingState<'a, S: KvStore + 'static> {
    state: &'a State<S>,
    pending: StateChanges,
    /// The ancestors' prepared commits, oldest first, when every uncommitted ancestor has
    /// one: `root_after` then prepares this block's commit on top of them.
    on: Option<Vec<Arc<PreparedCommit>>>,
    /// What the last `root_after` prepared.
    prepared: Mutex<Option<Arc<PreparedCommit>>>,
}

impl<'a, S: KvStore + 'static> PendingState<'a, S> {
    /// `state` with `pending` (the merged changes of the uncommitted ancestors, oldest
    /// first: see [`merge_changes`]) on top.
    #[must_use]
    pub fn new(state: &'a State<S>, pending: StateChanges) -> Self {
        Self {
            state,
            pending,
            on: None,
            prepared: Mutex::new(None),
        }
    }

    /// As [`PendingState::new`], with `on`: the prepared commits of the uncommitted
    /// ancestors whose changes `pending` merges, oldest first (empty when the parent is
    /// committed). [`RootedReader::root_after`] then prepares the block's own commit on
    /// them instead of a dry run of all pending changes, and
    /// [`PendingState::take_prepared`] hands it out for the block's commit.
    #[must_use]
    pub fn prepared_on(
        state: &'a State<S>,
        pending: StateChanges,
        on: Vec<Arc<PreparedCommit>>,
    ) -> Self {
        Self {
            on: Some(on),
            ..Self::new(state, pending)
        }
    }

    /// The commit the last [`RootedReader::root_after`] prepared (only with
    /// [`PendingState::prepared_on`]).
    pub fn take_prepared(&self) -> Option<Arc<PreparedCommit>> {
        self.prepared
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// The committed state below.
    #[must_use]
    pub fn state(&self) -> &State<S> {
        self.state
    }

    /// The pending changes.
    #[must_use]
    pub fn pending(&self) -> &StateChanges {
        &self.pending
    }
}

impl<S: KvStore + 'static> StateReader for PendingState<'_, S> {
    fn account(&self, address: &Address) -> Result<Option<Account>, StateError> {
        match self.pending.accounts.get(address) {
            Some(a) => Ok(*a),
            None => self.state.account(address),
        }
    }

    fn storage(&self, address: &Address, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        match self.pending.written_storage(address, key) {
            Some(v) => Ok(v.clone()),
            None => self.state.storage(address, key),
        }
    }

    fn code(&self, hash: &Hash) -> Result<Option<Vec<u8>>, StateError> {
        match self.pending.code.get(hash) {
            Some(c) => Ok(Some(c.clone())),
            None => self.state.code(hash),
        }
    }
}

impl<S: KvStore + 'static> RootedReader for PendingState<'_, S> {
    fn root_after(&self, changes: &StateChanges) -> Result<Hash, StateError> {
        if let Some(on) = &self.on {
            let prepared = Arc::new(self.state.prepare_commit(changes, on)?);
            let root = prepared.root();
            *self.prepared.lock().unwrap_or_else(PoisonError::into_inner) = Some(prepared);
            return Ok(root);
        }
        let mut all = self.pending.clone();
        all.merge(changes.clone());
        self.state.root_after(&all)
    }
}

/// Merges the changes of consecutive blocks, oldest first (later writes win).
#[must_use]
pub fn merge_changes<'c>(blocks: impl IntoIterator<Item = &'c StateChanges>) -> StateChanges {
    let mut out = StateChanges::default();
    for c in blocks {
        out.merge(c.clone());
    }
    out
}
