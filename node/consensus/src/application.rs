//! The interface the node implements: build a block, check a block, commit a finalized block.
//!
//! ```text
//!            consensus (this crate)                      application (the node)
//!  leader of a view ── ProposeContext ───────────────►  propose  → Some(block) | None
//!  block from peer  ── VerifyContext  ───────────────►  verify   → true | false | (stay pending)
//!  block finalized  ── block, in height order ───────►  finalized → Ok (durable!) ─► ack to marshal
//!                                                                 └ Err(Fatal)  ─► engine stops
//! ```
//!
//! Every method may run concurrently with the others (a proposal can be built while the
//! previous block is being committed), so the trait takes `&self`; `finalized` is called for one
//! block at a time, in height order.

use std::future::Future;
use std::sync::Arc;

use cairn_primitives::Hash;

use crate::block::ChainBlock;

/// A failure the node cannot recover from (storage I/O, a corrupt database): consensus stops
/// instead of acknowledging a block that was not durably committed.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[error("fatal application error: {0}")]
pub struct Fatal(pub String);

/// Everything a proposer needs to build the next block.
#[derive(Clone, Debug)]
pub struct ProposeContext<B> {
    /// Height of the block to build (`parent.height() + 1`).
    pub height: u64,
    /// Suggested block timestamp: the local clock, never below the parent's timestamp.
    pub timestamp_ms: u64,
    /// Consensus view (round number) the block is proposed in.
    pub view: u64,
    /// Index of the proposer in the sorted validator set.
    pub proposer_index: u32,
    /// The proposer's ed25519 public key (ours: only the leader is asked to propose).
    pub proposer_key: [u8; 32],
    /// The block to build on.
    pub parent: Arc<B>,
    /// The not-yet-committed chain from the block after the application's last finalized height
    /// up to and including `parent`, in ascending height order (empty when `parent` is the last
    /// finalized block). Lets the application rebuild pending state it does not have (after a
    /// restart) or look it up by hash.
    pub pending: Vec<Arc<B>>,
}

/// Everything a validator needs to check a proposed block.
#[derive(Clone, Debug)]
pub struct VerifyContext<B> {
    /// The proposed block; consensus already checked `parent_hash` and `height = parent + 1`.
    pub block: Arc<B>,
    /// The local clock in milliseconds since the Unix epoch (to reject far-future timestamps).
    pub now_ms: u64,
    /// Consensus view the block was proposed in.
    pub view: u64,
    /// Index of the proposer in the sorted validator set.
    pub proposer_index: u32,
    /// The proposer's ed25519 public key.
    pub proposer_key: [u8; 32],
    /// The parent block.
    pub parent: Arc<B>,
    /// As in [`ProposeContext::pending`]: uncommitted ancestors up to and including `parent`.
    pub pending: Vec<Arc<B>>,
}

/// The application driven by consensus (Cairn's node: mempool + executor + chain store).
pub trait Application: Send + Sync + 'static {
    /// The block type.
    type Block: ChainBlock;

    /// The genesis block (height 0). Every node of a network must return the same block.
    fn genesis(&self) -> Self::Block;

    /// Height of the last block whose effects are durably committed (0 = only genesis).
    ///
    /// Consensus skips redelivered finalized blocks at or below this height: after a restart,
    /// marshal redelivers every block after the last one it saw acknowledged, and the
    /// application may have committed some of them just before the crash.
    fn last_finalized_height(&self) -> u64;

    /// Resolves when there is something to propose (for Cairn: the mempool is non-empty).
    ///
    /// A leader waits for this, or for the idle heartbeat of [`crate::Pacing`], before calling
    /// [`Application::propose`]. The default never resolves, so blocks come only on heartbeats.
    fn work_ready(&self) -> impl Future<Output = ()> + Send {
        std::future::pending()
    }

    /// Builds a block on `ctx.parent` at `ctx.height` (execute transactions against the
    /// parent's pending state and fill in the roots).
    ///
    /// Returns `None` to skip this proposal (the view then times out). The returned block must
    /// have `parent_hash = ctx.parent.hash()` and `height = ctx.height`, or it is discarded.
    /// The application must afterwards answer [`Application::verify`] with `true` for this block.
    fn propose(
        &self,
        ctx: ProposeContext<Self::Block>,
    ) -> impl Future<Output = Option<Self::Block>> + Send;

    /// Checks a proposed block (re-execute, compare roots).
    ///
    /// Must be deterministic across honest validators. Return `false` only when the block is
    /// permanently invalid; while data is missing (for example a clock that is still behind the
    /// block's timestamp) keep the future pending: consensus cancels it when the view moves on.
    fn verify(&self, ctx: VerifyContext<Self::Block>) -> impl Future<Output = bool> + Send;

    /// Commits a finalized block: its state changes, the block, receipts and indexes, in one
    /// atomic durable write.
    ///
    /// Called once per height in ascending order, starting at `last_finalized_height() + 1`.
    /// The write must be durable when this returns `Ok`: only then does consensus acknowledge
    /// the block to marshal, which will not redeliver it. On `Err` consensus stops without
    /// acknowledging, and the block is redelivered on the next start.
    fn finalized(&self, block: Arc<Self::Block>) -> impl Future<Output = Result<(), Fatal>> + Send;

    /// Called when consensus learns of a new finalized tip (height, hash), possibly before the
    /// blocks up to it are delivered. For display only (the RPC's head): not a durability signal.
    /// Must not block.
    fn finalized_tip(&self, _height: u64, _hash: Hash) {}

    /// How many other validators this one is connected to, reported about once a second by
    /// the p2p layer (for `node_info`). Must not block.
    fn peers_connected(&self, _peers: u32) {}

    /// A transaction gossiped by another validator (at most [`crate::MAX_GOSSIP_BYTES`], each
    /// distinct message once). Untrusted bytes: decode and admit them like an RPC submission.
    /// Must not block.
    fn gossip_received(&self, _bytes: Vec<u8>) {}
}
