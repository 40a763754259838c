//! Cairn's block executor: applies transactions to the state through the VM and returns
//! plain data — receipts, state changes and the block's roots. It persists nothing; the
//! node commits an outcome's changes in one atomic batch (`State::commit_with`).
//!
//! ```text
//!   consensus propose ─► Executor::build(parent state, env, mempool txs) ─► BuiltBlock
//!   consensus verify  ─► Executor::execute(parent state, env, block txs)  ─► outcome
//!                                                        (compare roots with the header)
//!   finalized         ─► State::commit_with(&outcome.changes, block + receipts batch)
//!
//!   parent state = State (committed) or PendingState (committed + uncommitted ancestors)
//!   per tx: pre-check ─► nonce, max fee ─► checkpoint ─► transfer | deploy | call
//!           (vm ─► StateHost ─► Overlay; nested calls on nested checkpoints)
//!           ─► commit or revert ─► refund, proposer fee ─► Receipt
//! ```
//!
//! `docs/executor.md` gives the per-transaction steps, intrinsic gas, fee flow, failure
//! semantics and the roots.

mod config;
mod error;
mod executor;
mod genesis;
mod host;
mod pending;
#[cfg(feature = "test-utils")]
pub mod test_utils;
mod trace;

pub use cairn_primitives::GasProfile;
pub use config::*;
pub use error::*;
pub use executor::*;
pub use genesis::*;
pub use host::*;
pub use pending::*;
pub use trace::{CallFrame, StepDetail, TraceStep};
