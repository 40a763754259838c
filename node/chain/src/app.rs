//! The consensus application: how Simplex and marshal drive the [`Chain`].
//!
//! ```text
//! propose(ctx) ─► Chain::build on ctx.parent (+ ctx.pending executed first) ─► block
//! verify(ctx)  ─► header rules ─► signatures (batch) ─► Chain::executed ─► roots equal?
//! finalized(b) ─► Chain::commit (one synced batch) ─► Ok = marshal may forget it
//! ```

use std::sync::Arc;

use cairn_consensus::{Application, Fatal, ProposeContext, VerifyContext};
use cairn_executor::ExecutorError;
use cairn_primitives::{Address, BatchItem, Block, Hash, verify_batch};

use crate::node::{Chain, NodeError};

/// How far (ms) a block's timestamp may run ahead of the verifier's clock.
pub const MAX_TIMESTAMP_DRIFT_MS: u64 = 15_000;

/// The consensus application of a Cairn node.
#[derive(Clone, Debug)]
pub struct ChainApp {
    chain: Arc<Chain>,
}

impl ChainApp {
    /// The application over `chain`.
    #[must_use]
    pub fn new(chain: Arc<Chain>) -> Self {
        Self { chain }
    }

    fn check(&self, ctx: &VerifyContext<Block>) -> Result<(), String> {
        let b = &ctx.block.header;
        let p = &ctx.parent.header;
        if b.parent_hash != ctx.parent.hash() {
            return Err(format!(
                "parent hash {} is not {}",
                b.parent_hash,
                ctx.parent.hash()
            ));
        }
        if b.height != p.height + 1 {
            return Err(format!("height {} does not follow {}", b.height, p.height));
        }
        if b.timestamp < p.timestamp {
            return Err(format!(
                "timestamp {} is before the parent's {}",
                b.timestamp, p.timestamp
            ));
        }
        let allowed = ctx
            .now_ms
            .max(p.timestamp)
            .saturating_add(MAX_TIMESTAMP_DRIFT_MS)
            .saturating_add(self.chain.time_offset_ms());
        if b.timestamp > allowed {
            return Err(format!(
                "timestamp {} is too far ahead of {}",
                b.timestamp, ctx.now_ms
            ));
        }
        if b.gas_limit != self.chain.genesis().block_gas_limit {
            return Err(format!("gas limit {} is not the chain's", b.gas_limit));
        }
        if b.proposer != Address::from_public_key(&ctx.proposer_key) {
            return Err(format!("proposer {} is not the view's leader", b.proposer));
        }
        let messages: Vec<Vec<u8>> = ctx
            .block
            .txs
            .iter()
            .map(|t| t.tx.signing_message())
            .collect();
        let items: Vec<BatchItem<'_>> = ctx
            .block
            .txs
            .iter()
            .zip(&messages)
            .map(|(t, m)| (&t.public_key, m.as_slice(), &t.signature))
            .collect();
        verify_batch(&items).map_err(|e| format!("bad transaction signature: {e}"))
    }

    fn ancestors(ctx_pending: &[Arc<Block>]) -> Vec<Arc<Block>> {
        ctx_pending.to_vec()
    }
}

impl Application for ChainApp {
    type Block = Block;

    fn genesis(&self) -> Block {
        self.chain.genesis_block().clone()
    }

    fn last_finalized_height(&self) -> u64 {
        self.chain.head().height
    }

    async fn work_ready(&self) {
        self.chain.work_ready().await;
    }

    async fn propose(&self, ctx: ProposeContext<Block>) -> Option<Block> {
        let proposer = Address::from_public_key(&ctx.proposer_key);
        let ancestors = Self::ancestors(&ctx.pending);
        match self.chain.build(
            &ctx.parent,
            &ancestors,
            ctx.height,
            ctx.timestamp_ms,
            proposer,
        ) {
            Ok(e) => Some((*e.block).clone()),
            Err(e) => {
                tracing::error!(height = ctx.height, error = %e, "cannot build a block");
                None
            }
        }
    }

    async fn verify(&self, ctx: VerifyContext<Block>) -> bool {
        let hash: Hash = ctx.block.hash();
        if let Err(reason) = self.check(&ctx) {
            tracing::warn!(height = ctx.block.header.height, %hash, %reason, "block rejected");
            return false;
        }
        let ancestors = Self::ancestors(&ctx.pending);
        match self.chain.executed(&ctx.block, &ancestors) {
            Ok(e) => {
                let (o, h) = (&e.outcome, &ctx.block.header);
                let ok = o.state_root == h.state_root
                    && o.tx_root == h.tx_root
                    && o.receipts_root == h.receipts_root
                    && o.gas_used == h.gas_used;
                if !ok {
                    tracing::warn!(height = h.height, %hash, "block does not re-execute to its header");
                }
                ok
            }
            Err(NodeError::Executor(ExecutorError::InvalidBlock(e))) => {
                tracing::warn!(height = ctx.block.header.height, %hash, reason = %e, "block rejected");
                false
            }
            Err(e) => {
                tracing::error!(height = ctx.block.header.height, %hash, error = %e, "cannot verify a block");
                false
            }
        }
    }

    async fn finalized(&self, block: Arc<Block>) -> Result<(), Fatal> {
        self.chain
            .commit(&block)
            .map(|_| ())
            .map_err(|e| Fatal(e.to_string()))
    }

    fn finalized_tip(&self, height: u64, _hash: Hash) {
        self.chain.note_network_tip(height);
    }

    fn peers_connected(&self, peers: u32) {
        self.chain.set_peers(peers);
    }

    fn gossip_received(&self, bytes: Vec<u8>) {
        if let Err(reason) = self.chain.submit_from_peer(bytes) {
            tracing::debug!(%reason, "gossiped transaction not admitted");
        }
    }
}
