//! Cairn's state: accounts (nonce, balance, code hash), contract code by hash, and
//! per-contract storage, with fast flat reads, an overlay for execution, and versioned,
//! provable commits.
//!
//! ```text
//!  executor ──reads──► Overlay ──miss──► State (latest: hot-account cache ─► flat index)
//!     │ set_* / checkpoint / revert_to / commit
//!     ▼
//!  Overlay::into_changes() ─► StateChanges ─► State::commit ─► one WriteBatch ─► KvStore
//!                                               │ (trie nodes, flat, history, log, root)
//!  RPC / light clients ─► State::at(v) ─► StateView: values + proofs against root(v)
//! ```
//!
//! `docs/state.md` describes the key layout, versions and pruning, and the crash-safety
//! argument.

mod changes;
mod error;
mod keys;
mod overlay;
mod state;

pub use cairn_trie::{EMPTY_ROOT, Proof, ProofNode, Version, verify_proof};
pub use changes::*;
pub use error::*;
pub use keys::*;
pub use overlay::*;
pub use state::*;
