//! Wires one validator: Simplex (ed25519) + marshal (standard variant, inline verification) +
//! buffered block broadcast + marshal backfill, over any Commonware runtime and any p2p network.
//!
//! ```text
//!  p2p channel 0 votes ─────────┐
//!  p2p channel 1 certificates ──┼─► Simplex voter/batcher/resolver ──(Automaton, Relay, Reporter)──► Inline
//!  p2p channel 2 simplex fetch ─┘                                                                    │
//!  p2p channel 3 block broadcast ─► buffered::Engine ─┐                                              ▼
//!  p2p channel 4 backfill ────────► resolver ─────────┴──────────► marshal actor ◄── Inline (verified blocks,
//!                                                                     │                certificates)
//!                                                                     ▼ finalized blocks, in order
//!                                                              Finalizer ─► commit task ─► app.finalized ─► ack
//!  p2p channel 5 gossip ──────────► gossip task ─► app.gossip_received      (Handle::gossip ─► channel 5)
//! ```
//!
//! Storage (journals, archives) goes through the runtime's `Storage`: files under the data dir
//! with the tokio runtime, simulated (crashable) blobs with the deterministic one. Everything
//! here is written against the runtime traits, so the deterministic runtime drives it all.

use std::num::{NonZeroU16, NonZeroU64, NonZeroUsize};
use std::sync::Arc;
use std::time::Duration;

use commonware_broadcast::buffered;
use commonware_consensus::marshal::core::Actor as MarshalActor;
use commonware_consensus::marshal::resolver::p2p as marshal_resolver;
use commonware_consensus::marshal::standard::{Inline, Standard};
use commonware_consensus::marshal::{self, Start};
use commonware_consensus::simplex::config::{Floor, ForwardPolicy, SkipBudget, SkipPolicy};
use commonware_consensus::simplex::elector::RoundRobin;
use commonware_consensus::simplex::{self};
use commonware_consensus::types::{Epoch, FixedEpocher, ViewDelta};
use commonware_cryptography::certificate::{ConstantProvider, Verifier as _};
use commonware_cryptography::ed25519::PublicKey;
use commonware_cryptography::{Digested, Digestible};
use commonware_p2p::{Blocker, Provider, Receiver, Sender};
use commonware_parallel::Sequential;
use commonware_runtime::buffer::paged::CacheRef;
use commonware_runtime::{Clock, Handle, Metrics, Spawner, Storage, Supervisor};
use commonware_storage::archive::immutable;
use commonware_utils::ordered::Set;

use crate::adapter::{Adapter, Finalizer, Scheme, Status, commit_loop};
use crate::application::Application;
use crate::block::{ChainBlock, MAX_BLOCK_BYTES, Wire};
use crate::config::{Pacing, Timeouts};
use crate::error::{Error, Result};
use crate::keys::{parse_private, parse_public};

/// p2p channel of Simplex votes.
pub(crate) const CHANNEL_VOTES: u64 = 0;
/// p2p channel of Simplex certificates.
pub(crate) const CHANNEL_CERTIFICATES: u64 = 1;
/// p2p channel of Simplex's certificate fetches.
pub(crate) const CHANNEL_SIMPLEX_RESOLVER: u64 = 2;
/// p2p channel of full-block broadcast.
pub(crate) const CHANNEL_BLOCKS: u64 = 3;
/// p2p channel of marshal's block backfill.
pub(crate) const CHANNEL_BACKFILL: u64 = 4;
/// p2p channel of transaction gossip.
pub(crate) const CHANNEL_GOSSIP: u64 = 5;

/// Mailbox depth of every actor.
const MAILBOX_SIZE: NonZeroUsize = NonZeroUsize::new(1024).unwrap();
/// Views of votes and certificates kept behind the finalized tip.
const VIEW_RETENTION: u64 = 256;
/// Blocks per section of marshal's prunable cache.
const PRUNABLE_ITEMS_PER_SECTION: NonZeroU64 = NonZeroU64::new(4096).unwrap();
/// Blocks per section of the immutable archives (finalized blocks, finalizations).
const IMMUTABLE_ITEMS_PER_SECTION: NonZeroU64 = NonZeroU64::new(65_536).unwrap();
/// Initial slots of the archives' freezer tables (a power of two).
const FREEZER_TABLE_INITIAL_SIZE: u32 = 1 << 12;
/// Target size of one freezer value journal.
const FREEZER_VALUE_TARGET_SIZE: u64 = 256 * 1024 * 1024;
/// Bytes buffered while replaying journals at startup.
const REPLAY_BUFFER: NonZeroUsize = NonZeroUsize::new(1 << 20).unwrap();
/// Write buffer of each journal.
const WRITE_BUFFER: NonZeroUsize = NonZeroUsize::new(1 << 20).unwrap();
/// Page size of the page cache.
const PAGE_SIZE: NonZeroU16 = NonZeroU16::new(4096).unwrap();
/// Pages in the page cache (16 MiB).
const PAGE_CACHE_PAGES: NonZeroUsize = NonZeroUsize::new(4096).unwrap();
/// Missing finalized heights fetched from peers at once.
const MAX_REPAIR: NonZeroUsize = NonZeroUsize::new(16).unwrap();
/// Finalized blocks dispatched to the application before its acknowledgements arrive.
const MAX_PENDING_ACKS: NonZeroUsize = NonZeroUsize::new(16).unwrap();
/// Recent blocks cached per peer by the broadcast buffer.
const BROADCAST_DEQUE: usize = 16;

/// The one epoch Cairn runs in (validator-set changes are future work).
const EPOCH: u64 = 0;

/// What the engine needs besides the network.
#[derive(Clone, Debug)]
pub(crate) struct EngineConfig {
    pub(crate) signing_key: [u8; 32],
    pub(crate) validators: Vec<[u8; 32]>,
    pub(crate) namespace: Vec<u8>,
    pub(crate) partition_prefix: String,
    pub(crate) timeouts: Timeouts,
    pub(crate) pacing: Pacing,
}

/// The five channels of one validator plus the network's peer provider and blocker.
pub(crate) struct Network<S, R, P, B> {
    pub(crate) votes: (S, R),
    pub(crate) certificates: (S, R),
    pub(crate) simplex_resolver: (S, R),
    pub(crate) blocks: (S, R),
    pub(crate) backfill: (S, R),
    pub(crate) gossip: (S, R),
    pub(crate) provider: P,
    pub(crate) blocker: B,
}

/// Handles of a running engine.
pub(crate) struct Running {
    pub(crate) status: Arc<Status>,
    pub(crate) tasks: Vec<Handle<()>>,
    /// Outbound transaction gossip (bounded).
    pub(crate) gossip: futures::channel::mpsc::Sender<Vec<u8>>,
}

impl Running {
    /// Aborts every task (an unclean stop: nothing is flushed beyond what was synced).
    pub(crate) fn abort(&self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// The largest p2p message the engine sends for `participants` validators.
pub(crate) fn max_message_size(participants: u32) -> u32 {
    let marshal = marshal::max_payload_size::<Standard<Wire<cairn_primitives::Block>>, Scheme>(
        participants,
        &(),
    );
    let simplex =
        simplex::max_payload_size::<Scheme, commonware_cryptography::sha256::Digest>(participants);
    u32::try_from(marshal.max(simplex).max(MAX_BLOCK_BYTES + 64)).unwrap_or(u32::MAX)
}

/// The validator set in Simplex's canonical (sorted) order.
pub(crate) fn participants(validators: &[[u8; 32]]) -> Result<Set<PublicKey>> {
    let keys = validators
        .iter()
        .map(parse_public)
        .collect::<Result<Vec<_>>>()?;
    Set::try_from(keys).map_err(|_| Error::Config("duplicate validator key".into()))
}

fn archive_config<C>(
    prefix: &str,
    name: &str,
    page_cache: &CacheRef,
    codec: C,
) -> immutable::Config<C> {
    immutable::Config {
        metadata_partition: format!("{prefix}-{name}-metadata"),
        freezer_table_partition: format!("{prefix}-{name}-freezer-table"),
        freezer_table_initial_size: FREEZER_TABLE_INITIAL_SIZE,
        freezer_table_resize_frequency: 4,
        freezer_table_resize_chunk_size: 1 << 12,
        freezer_key_partition: format!("{prefix}-{name}-freezer-key"),
        freezer_key_page_cache: page_cache.clone(),
        freezer_value_partition: format!("{prefix}-{name}-freezer-value"),
        freezer_value_target_size: FREEZER_VALUE_TARGET_SIZE,
        freezer_value_compression: None,
        ordinal_partition: format!("{prefix}-{name}-ordinal"),
        items_per_section: IMMUTABLE_ITEMS_PER_SECTION,
        freezer_key_write_buffer: WRITE_BUFFER,
        freezer_value_write_buffer: WRITE_BUFFER,
        ordinal_write_buffer: WRITE_BUFFER,
        replay_buffer: REPLAY_BUFFER,
        codec_config: codec,
    }
}

/// Starts one validator over `network`. Storage is opened (and replayed) before this returns.
pub(crate) async fn start<E, A, S, R, P, B>(
    context: E,
    cfg: EngineConfig,
    app: Arc<A>,
    network: Network<S, R, P, B>,
) -> Result<Running>
where
    E: Clock + Spawner + Storage + Metrics + Supervisor + rand_core::CryptoRng,
    A: Application,
    S: Sender<PublicKey = PublicKey>,
    R: Receiver<PublicKey = PublicKey>,
    P: Provider<PublicKey = PublicKey> + Clone,
    B: Blocker<PublicKey = PublicKey> + Clone,
{
    crate::config::validate_parts(
        &cfg.validators,
        &cfg.signing_key,
        &cfg.timeouts,
        &cfg.pacing,
    )?;
    let participants = participants(&cfg.validators)?;
    let private = parse_private(&cfg.signing_key);
    let me = commonware_cryptography::Signer::public_key(&private);
    let scheme = Scheme::signer(&cfg.namespace, participants.clone(), private)
        .ok_or_else(|| Error::Config("own key is not in the validator set".into()))?;
    let ordered: Arc<[PublicKey]> = participants.iter().cloned().collect::<Vec<_>>().into();

    let genesis = Wire::new(Arc::new(app.genesis()));
    if genesis.block().height() != 0 {
        return Err(Error::Config(format!(
            "genesis block has height {}, expected 0",
            genesis.block().height()
        )));
    }
    let genesis_digest = genesis.digest();
    let prefix = cfg.partition_prefix.clone();
    let page_cache = CacheRef::new(PAGE_SIZE, PAGE_CACHE_PAGES);
    let epocher = FixedEpocher::new(NonZeroU64::MAX);

    // Block broadcast.
    let (broadcast_engine, buffer) = buffered::Engine::new(
        context.child("broadcast"),
        buffered::Config {
            public_key: me.clone(),
            mailbox_size: MAILBOX_SIZE,
            deque_size: BROADCAST_DEQUE,
            priority: false,
            codec_config: (),
            peer_provider: network.provider.clone(),
            strategy: Sequential,
        },
    );

    // Marshal backfill.
    let resolver = marshal_resolver::init(
        context.child("backfill"),
        marshal_resolver::Config {
            public_key: me.clone(),
            peer_provider: network.provider.clone(),
            blocker: network.blocker.clone(),
            mailbox_size: MAILBOX_SIZE,
            fetch_timeout: commonware_utils::NonZeroDuration::new(cfg.timeouts.fetch)
                .ok_or_else(|| Error::Config("fetch timeout must be positive".into()))?,
            fetch_retry_delay: Duration::from_millis(100),
            priority_requests: false,
            priority_responses: false,
        },
        network.backfill,
    );

    // Marshal's archives.
    let finalizations = immutable::Archive::init(
        context.child("finalizations"),
        archive_config(
            &prefix,
            "finalizations",
            &page_cache,
            Scheme::certificate_codec_config_unbounded(),
        ),
    )
    .await
    .map_err(|e| Error::Runtime(format!("open finalizations archive: {e}")))?;
    let blocks = immutable::Archive::init(
        context.child("blocks"),
        archive_config(&prefix, "blocks", &page_cache, ()),
    )
    .await
    .map_err(|e| Error::Runtime(format!("open blocks archive: {e}")))?;

    let genesis_block: Digested<Wire<A::Block>> = Digested::precomputed(genesis, genesis_digest);
    let (marshal_actor, marshal_mailbox, _floor) = MarshalActor::init(
        context.child("marshal"),
        finalizations,
        blocks,
        marshal::Config {
            provider: ConstantProvider::new(scheme.clone()),
            epocher: epocher.clone(),
            start: Start::Genesis(genesis_block),
            partition_prefix: format!("{prefix}-marshal"),
            mailbox_size: MAILBOX_SIZE,
            view_retention: ViewDelta::new(VIEW_RETENTION),
            prunable_items_per_section: PRUNABLE_ITEMS_PER_SECTION,
            page_cache: page_cache.clone(),
            replay_buffer: REPLAY_BUFFER,
            key_write_buffer: WRITE_BUFFER,
            value_write_buffer: WRITE_BUFFER,
            block_codec_config: (),
            max_repair: MAX_REPAIR,
            max_pending_acks: MAX_PENDING_ACKS,
            strategy: Sequential,
        },
    )
    .await;

    // Our application behind marshal's inline-verification wrapper.
    let status = Arc::new(Status::default());
    status.committed.store(
        app.last_finalized_height(),
        std::sync::atomic::Ordering::Relaxed,
    );
    let adapter = Adapter::new(Arc::clone(&app), ordered, cfg.pacing);
    let inline = Inline::new(context.child("inline"), adapter, marshal_mailbox, epocher);
    let (finalizer, deliveries) = Finalizer::new(Arc::clone(&app), Arc::clone(&status));

    let engine = simplex::Engine::new(
        context.child("simplex"),
        simplex::config::Config {
            scheme,
            elector: RoundRobin::<commonware_cryptography::Sha256>::default(),
            blocker: network.blocker,
            automaton: inline.clone(),
            relay: inline.clone(),
            reporter: inline,
            track_historical_votes: false,
            strategy: Sequential,
            partition: format!("{prefix}-simplex"),
            mailbox_size: MAILBOX_SIZE,
            epoch: Epoch::new(EPOCH),
            floor: Floor::Genesis(genesis_digest),
            replay_buffer: REPLAY_BUFFER,
            write_buffer: WRITE_BUFFER,
            page_cache,
            leader_timeout: cfg.timeouts.leader,
            certification_timeout: cfg.timeouts.certification,
            timeout_retry: cfg.timeouts.nullify_retry,
            view_retention: ViewDelta::new(VIEW_RETENTION),
            skip: SkipPolicy::Enabled {
                timeout: cfg.timeouts.certification * 2 + cfg.timeouts.nullify_retry,
                budget: SkipBudget::Participants,
            },
            fetch_timeout: commonware_utils::NonZeroDuration::new(cfg.timeouts.fetch)
                .ok_or_else(|| Error::Config("fetch timeout must be positive".into()))?,
            fetch_retry_delay: Duration::from_millis(100),
            forward: ForwardPolicy::SilentLeader,
        },
    );

    // Start order: the commit task and marshal before consensus, so replayed consensus events
    // find their consumers running.
    let (gossip, gossip_queue) = futures::channel::mpsc::channel(crate::gossip::GOSSIP_QUEUE);
    let gossip_app = Arc::clone(&app);
    let gossip_network = network.gossip;
    let gossip_task = context
        .child("gossip")
        .spawn(move |_| crate::gossip::run(gossip_app, gossip_network, gossip_queue));
    let commit_status = Arc::clone(&status);
    let commit = context
        .child("commit")
        .spawn(move |_| commit_loop(app, deliveries, commit_status));
    let broadcast = broadcast_engine.start(network.blocks);
    let marshal = marshal_actor.start(finalizer, buffer, resolver);
    let simplex = engine.start(
        network.votes,
        network.certificates,
        network.simplex_resolver,
    );
    Ok(Running {
        status,
        tasks: vec![simplex, marshal, broadcast, commit, gossip_task],
        gossip,
    })
}
