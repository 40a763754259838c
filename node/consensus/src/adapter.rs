//! Adapts our [`Application`] to Commonware: the marshal `Application` (propose / verify over
//! block ancestry) and the marshal `Reporter` (finalized blocks in order, acknowledged only
//! after the application committed them).
//!
//! ```text
//! Inline wrapper ──propose(ctx, ancestry)──► Adapter ── pacing: work_ready | heartbeat ──► app.propose
//! Inline wrapper ──verify(ctx, ancestry)───► Adapter ───────────────────────────────────► app.verify
//! marshal ──Update::Block(block, ack)──► Finalizer (report, never blocks) ──channel──► commit task:
//!      height ≤ app.last_finalized_height()  → ack (redelivery after restart)
//!      otherwise app.finalized(block).await  → Ok: ack │ Err: stop, never ack
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, UNIX_EPOCH};

use commonware_actor::Feedback;
use commonware_consensus::marshal::Update;
use commonware_consensus::marshal::ancestry::Ancestry;
use commonware_consensus::simplex::types::Context;
use commonware_consensus::{Reporter, Viewable};
use commonware_cryptography::ed25519::PublicKey;
use commonware_cryptography::sha256::Digest as CwDigest;
use commonware_cryptography::{Digested, Digestible};
use commonware_runtime::Clock;
use commonware_utils::Acknowledgement;
use commonware_utils::acknowledgement::Exact;
use commonware_utils::sync::Mutex;
use futures::StreamExt;
use futures::channel::mpsc;
use tracing::{debug, error, warn};

use crate::application::{Application, Fatal, ProposeContext, VerifyContext};
use crate::block::{ChainBlock, MAX_BLOCK_BYTES, Wire, from_digest};
use crate::config::Pacing;
use crate::keys::public_bytes;

/// The Simplex signing scheme we use: one ed25519 signature per validator.
pub(crate) type Scheme = commonware_consensus::simplex::scheme::ed25519::Scheme;

/// Progress shared between the engine's tasks and the [`crate::Handle`].
#[derive(Default, Debug)]
pub(crate) struct Status {
    /// Highest finalized height consensus has announced.
    pub(crate) tip: AtomicU64,
    /// Highest height committed through this engine (including skipped redeliveries).
    pub(crate) committed: AtomicU64,
    /// Finalized blocks marshal redelivered at or below the committed height (skipped).
    pub(crate) redelivered: AtomicU64,
    /// Set when the application returned a fatal error.
    pub(crate) fatal: Mutex<Option<Fatal>>,
}

/// Our application seen through Commonware's marshal `Application` trait.
pub(crate) struct Adapter<A> {
    app: Arc<A>,
    participants: Arc<[PublicKey]>,
    pacing: Pacing,
}

impl<A> Clone for Adapter<A> {
    fn clone(&self) -> Self {
        Self {
            app: Arc::clone(&self.app),
            participants: Arc::clone(&self.participants),
            pacing: self.pacing,
        }
    }
}

impl<A: Application> Adapter<A> {
    /// `participants` must be in Simplex's (sorted) order.
    pub(crate) fn new(app: Arc<A>, participants: Arc<[PublicKey]>, pacing: Pacing) -> Self {
        Self {
            app,
            participants,
            pacing,
        }
    }

    fn proposer_index(&self, leader: &PublicKey) -> u32 {
        let index = self
            .participants
            .iter()
            .position(|p| p == leader)
            .unwrap_or(usize::MAX);
        u32::try_from(index).unwrap_or(u32::MAX)
    }
}

/// Milliseconds since the Unix epoch on the runtime's clock.
fn now_ms(clock: &impl Clock) -> u64 {
    let elapsed = clock
        .current()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
}

/// Reads blocks from `ancestry` (newest first) down to the application's committed height and
/// returns them oldest first. `None` when the stream ends first (cannot happen above genesis).
async fn pending_chain<B: ChainBlock>(
    first: &Arc<B>,
    rest: &mut impl Ancestry<Wire<B>>,
    committed: u64,
) -> Option<Vec<Arc<B>>> {
    let mut out = Vec::new();
    if first.height() <= committed {
        return Some(out);
    }
    out.push(Arc::clone(first));
    loop {
        let next = rest.next().await?;
        let block = next.inner().block();
        if block.height() <= committed {
            break;
        }
        out.push(Arc::clone(block));
    }
    out.reverse();
    Some(out)
}

impl<E, A> commonware_consensus::Application<E> for Adapter<A>
where
    E: Clock + Send + Sync + 'static,
    A: Application,
{
    type SigningScheme = Scheme;
    type Context = Context<CwDigest, PublicKey>;
    type Block = Wire<A::Block>;
    type Input = ();

    async fn propose(
        &mut self,
        (runtime, ctx): (E, Self::Context),
        mut ancestry: impl Ancestry<Self::Block>,
        _input: (),
    ) -> Option<Digested<Self::Block>> {
        // Pacing: wait for work (then the batching window) or the idle heartbeat.
        if !self.pacing.heartbeat.is_zero() {
            let work = std::pin::pin!(self.app.work_ready());
            let idle = std::pin::pin!(runtime.sleep(self.pacing.heartbeat));
            if let futures::future::Either::Left(_) = futures::future::select(work, idle).await
                && !self.pacing.block_time.is_zero()
            {
                runtime.sleep(self.pacing.block_time).await;
            }
        }

        let parent = ancestry.next().await?;
        let parent = Arc::clone(parent.inner().block());
        let committed = self.app.last_finalized_height();
        if parent.height() < committed {
            debug!(
                parent = parent.height(),
                committed, "not proposing on a stale parent"
            );
            return None;
        }
        let pending = pending_chain(&parent, &mut ancestry, committed).await?;
        let height = parent.height() + 1;
        let propose_ctx = ProposeContext {
            height,
            timestamp_ms: now_ms(&runtime).max(parent.timestamp_ms()),
            view: ctx.view().get(),
            proposer_index: self.proposer_index(&ctx.leader),
            proposer_key: public_bytes(&ctx.leader),
            parent: Arc::clone(&parent),
            pending,
        };
        let block = self.app.propose(propose_ctx).await?;
        if block.parent_hash() != parent.hash() || block.height() != height {
            error!(
                height = block.height(),
                expected = height,
                "application proposed a block that does not extend its parent; discarded"
            );
            return None;
        }
        let wire = Wire::new(Arc::new(block));
        if wire.encoded_len() > MAX_BLOCK_BYTES {
            error!(
                height,
                len = wire.encoded_len(),
                "application proposed a block above MAX_BLOCK_BYTES; discarded"
            );
            return None;
        }
        let digest = wire.digest();
        Some(Digested::precomputed(wire, digest))
    }

    async fn verify(
        &mut self,
        (runtime, ctx): (E, Self::Context),
        mut ancestry: impl Ancestry<Self::Block>,
    ) -> bool {
        let Some(block) = ancestry.next().await else {
            return std::future::pending().await;
        };
        let Some(parent) = ancestry.next().await else {
            return std::future::pending().await;
        };
        let block = Arc::clone(block.inner().block());
        let parent = Arc::clone(parent.inner().block());
        let committed = self.app.last_finalized_height();
        if parent.height() < committed {
            // A proposal below our committed height can never be finalized again: abstain and
            // let consensus cancel the request when the view moves on.
            debug!(
                height = block.height(),
                committed, "abstaining on a stale proposal"
            );
            return std::future::pending().await;
        }
        let Some(pending) = pending_chain(&parent, &mut ancestry, committed).await else {
            return std::future::pending().await;
        };
        let verify_ctx = VerifyContext {
            block,
            now_ms: now_ms(&runtime),
            view: ctx.view().get(),
            proposer_index: self.proposer_index(&ctx.leader),
            proposer_key: public_bytes(&ctx.leader),
            parent,
            pending,
        };
        self.app.verify(verify_ctx).await
    }
}

/// A finalized block with the acknowledgement marshal waits for.
pub(crate) type Delivery<B> = (Digested<Wire<B>>, Exact);

/// Marshal's reporter: forwards finalized blocks to the commit task without blocking.
pub(crate) struct Finalizer<A: Application> {
    app: Arc<A>,
    deliveries: mpsc::UnboundedSender<Delivery<A::Block>>,
    status: Arc<Status>,
}

impl<A: Application> Clone for Finalizer<A> {
    fn clone(&self) -> Self {
        Self {
            app: Arc::clone(&self.app),
            deliveries: self.deliveries.clone(),
            status: Arc::clone(&self.status),
        }
    }
}

impl<A: Application> Finalizer<A> {
    pub(crate) fn new(
        app: Arc<A>,
        status: Arc<Status>,
    ) -> (Self, mpsc::UnboundedReceiver<Delivery<A::Block>>) {
        let (deliveries, receiver) = mpsc::unbounded();
        (
            Self {
                app,
                deliveries,
                status,
            },
            receiver,
        )
    }
}

impl<A: Application> Reporter for Finalizer<A> {
    type Activity = Update<Wire<A::Block>>;

    fn report(&mut self, activity: Self::Activity) -> Feedback {
        match activity {
            Update::Tip(_round, height, digest) => {
                self.status.tip.fetch_max(height.get(), Ordering::Relaxed);
                self.app.finalized_tip(height.get(), from_digest(&digest));
                Feedback::Ok
            }
            Update::Block(block, ack) => match self.deliveries.unbounded_send((block, ack)) {
                Ok(()) => Feedback::Ok,
                Err(_) => Feedback::Closed,
            },
        }
    }
}

/// The commit task: applies finalized blocks in order, acknowledging each only after the
/// application made it durable. Returns when marshal stops or the application fails.
pub(crate) async fn commit_loop<A: Application>(
    app: Arc<A>,
    mut deliveries: mpsc::UnboundedReceiver<Delivery<A::Block>>,
    status: Arc<Status>,
) {
    while let Some((block, ack)) = deliveries.next().await {
        let block = Arc::clone(block.inner().block());
        let height = block.height();
        let committed = app.last_finalized_height();
        if height <= committed {
            debug!(height, committed, "skipping redelivered finalized block");
            status.committed.fetch_max(height, Ordering::Relaxed);
            if height > 0 {
                status.redelivered.fetch_add(1, Ordering::Relaxed);
            }
            ack.acknowledge();
            continue;
        }
        if height != committed + 1 {
            let fatal = Fatal(format!(
                "finalized block at height {height} does not follow committed height {committed}"
            ));
            error!(%fatal, "stopping consensus");
            *status.fatal.lock() = Some(fatal);
            return;
        }
        match app.finalized(Arc::clone(&block)).await {
            Ok(()) => {
                debug!(height, hash = %block.hash(), "committed finalized block");
                status.committed.fetch_max(height, Ordering::Relaxed);
                ack.acknowledge();
            }
            Err(fatal) => {
                // Never acknowledge what was not committed: marshal stalls here and redelivers
                // the block on the next start.
                error!(height, %fatal, "application failed to commit; stopping consensus");
                *status.fatal.lock() = Some(fatal);
                return;
            }
        }
    }
    warn!("finalized-block stream closed");
}
