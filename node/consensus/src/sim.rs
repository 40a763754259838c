//! Deterministic simulations of the whole stack (Simplex + marshal + simulated p2p + storage)
//! under Commonware's deterministic runtime, with a stand-in application.
//!
//! ```text
//! seed ─► deterministic runtime (time, scheduling, storage, network all simulated)
//!           ├─ feeder task: random transfers into each validator's mempool at random times
//!           ├─ validators: engine::start(...) over the simulated network
//!           └─ crash: the runner is dropped at a random instant (unsynced writes lost),
//!                     then restarted from its checkpoint with the same "disk"
//! after the run: the committed chain is checked against a model (heights 1..=N once each,
//! parent links, state = replay of all committed blocks, no transaction twice)
//! ```
//!
//! Network faults: lossy, slow links (latency, jitter, a delivery rate); a 2|2 partition
//! that heals; a byzantine validator run as "twins" (two engines with one key, each talking to
//! a different part of the network), so it proposes two different blocks in the same view.
//!
//! `CAIRN_SIM_SEED=<u64>` replays one seed; `CAIRN_SIM_LONG=1` runs the long variants.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use cairn_primitives::{
    Address, Amount, Block, BlockHeader, Canonical, Hash, SecretKey, SignedTransaction,
    Transaction, Transfer, TxKind, keccak256, merkle_root,
};
use commonware_cryptography::ed25519::PublicKey;
use commonware_p2p::Recipients;
use commonware_p2p::simulated::{
    self, Link, Network as SimNetwork, Oracle, SplitForwarder, SplitOrigin, SplitRouter,
    SplitTarget,
};
use commonware_runtime::{Clock, IoBuf, Quota, Spawner, Supervisor, deterministic};
use commonware_utils::sync::Mutex;

use crate::application::{Application, Fatal, ProposeContext, VerifyContext};
use crate::config::{Pacing, Timeouts};
use crate::engine::{self, EngineConfig, Network};
use crate::keys::{parse_public, public_key};

// ---------------------------------------------------------------------------------------------
// A tiny deterministic RNG for the test's own choices (load, crash instants).

struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..hi` (hi > lo).
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo)
    }
}

// ---------------------------------------------------------------------------------------------
// The stand-in application: transfers credit the recipient; state root = hash of the balances.

type State = BTreeMap<Address, u128>;

const GAS_LIMIT: u64 = 30_000_000;
/// Most transactions the stand-in puts in one block.
const MAX_TXS_PER_BLOCK: usize = 64;

fn apply(state: &mut State, txs: &[SignedTransaction]) {
    for tx in txs {
        if let TxKind::Transfer(t) = &tx.tx.kind {
            *state.entry(t.to).or_default() += t.amount.low_u128();
        }
    }
}

fn state_root(state: &State) -> Hash {
    let mut bytes = Vec::with_capacity(state.len() * 36);
    for (address, amount) in state {
        bytes.extend_from_slice(&address.0);
        bytes.extend_from_slice(&amount.to_le_bytes());
    }
    Hash(keccak256(&bytes))
}

fn genesis_block() -> Block {
    Block {
        header: BlockHeader {
            parent_hash: Hash::ZERO,
            height: 0,
            timestamp: 0,
            proposer: Address::ZERO,
            tx_root: merkle_root(&[]),
            receipts_root: merkle_root(&[]),
            state_root: state_root(&State::new()),
            gas_used: 0,
            gas_limit: GAS_LIMIT,
        },
        txs: vec![],
    }
}

fn build(
    parent: &Block,
    state: &State,
    ctx_height: u64,
    timestamp: u64,
    proposer: Address,
    txs: Vec<SignedTransaction>,
) -> Block {
    let mut state = state.clone();
    apply(&mut state, &txs);
    let hashes: Vec<Hash> = txs.iter().map(Canonical::hash).collect();
    Block {
        header: BlockHeader {
            parent_hash: parent.hash(),
            height: ctx_height,
            timestamp,
            proposer,
            tx_root: merkle_root(&hashes),
            receipts_root: merkle_root(&[]),
            state_root: state_root(&state),
            gas_used: 0,
            gas_limit: GAS_LIMIT,
        },
        txs,
    }
}

/// What survives a crash: written only inside `finalized`, in one critical section (the
/// stand-in for one atomic, synced RocksDB batch).
#[derive(Default)]
struct Disk {
    height: u64,
    hash: Hash,
    state: State,
    /// Every committed block, by height (index 0 = genesis).
    blocks: Vec<Block>,
    /// Heights in the order `finalized` committed them (to prove "exactly once, in order").
    commits: Vec<u64>,
    /// Redelivered heights skipped by the engine are not seen here; count of `finalized` calls
    /// for an already-committed height (must stay 0).
    duplicate_calls: u64,
    /// Fault injection: after committing this height, never return (the crash then lands
    /// between the durable commit and marshal's acknowledgement).
    hang_after_commit: Option<u64>,
    /// Set once the injected hang happened.
    hung: bool,
    /// Gossip messages received (not part of the durable state; recorded for the test).
    gossiped: Vec<Vec<u8>>,
    /// Fault injection: the proposal for this height has a wrong height (once).
    bad_proposal_at: Option<u64>,
    /// Bad proposals made.
    bad_proposals: u64,
    /// Every block this validator proposed: (view, block hash).
    proposed: Vec<(u64, Hash)>,
}

impl Disk {
    fn new() -> Self {
        let genesis = genesis_block();
        Self {
            height: 0,
            hash: genesis.hash(),
            state: State::new(),
            blocks: vec![genesis],
            ..Self::default()
        }
    }
}

struct StandIn {
    runtime: deterministic::Context,
    disk: Arc<Mutex<Disk>>,
    mempool: Arc<Mutex<VecDeque<SignedTransaction>>>,
    /// A twin of a byzantine validator: every block it proposes starts with a transfer signed
    /// by this key with the view as nonce, so the two twins' blocks always differ.
    twin: Option<SecretKey>,
}

impl StandIn {
    /// The state after `pending` (ascending, uncommitted blocks on top of the disk state).
    fn pending_state(&self, pending: &[Arc<Block>]) -> Option<State> {
        let disk = self.disk.lock();
        let mut state = disk.state.clone();
        let mut expected_parent = disk.hash;
        for block in pending {
            if block.header.parent_hash != expected_parent {
                return None;
            }
            apply(&mut state, &block.txs);
            expected_parent = block.hash();
        }
        Some(state)
    }
}

impl Application for StandIn {
    type Block = Block;

    fn genesis(&self) -> Block {
        genesis_block()
    }

    fn last_finalized_height(&self) -> u64 {
        self.disk.lock().height
    }

    async fn work_ready(&self) {
        while self.mempool.lock().is_empty() {
            self.runtime.sleep(Duration::from_millis(5)).await;
        }
    }

    async fn propose(&self, ctx: ProposeContext<Block>) -> Option<Block> {
        let state = self.pending_state(&ctx.pending)?;
        let mut txs: Vec<SignedTransaction> = {
            let mut pool = self.mempool.lock();
            let n = pool
                .len()
                .min(MAX_TXS_PER_BLOCK - usize::from(self.twin.is_some()));
            pool.drain(..n).collect()
        };
        if let Some(key) = &self.twin {
            let marker = key.sign_tx(Transaction {
                chain_id: 1,
                nonce: ctx.view,
                gas_limit: 21_000,
                gas_price: Amount::from(1u64),
                kind: TxKind::Transfer(Transfer {
                    to: key.address(),
                    amount: Amount::from(1u64),
                }),
            });
            txs.insert(0, marker);
        }
        let mut height = ctx.height;
        {
            let mut disk = self.disk.lock();
            if disk.bad_proposal_at == Some(height) {
                // Fault injection: a block that does not extend its parent.
                disk.bad_proposal_at = None;
                disk.bad_proposals += 1;
                height += 1;
            }
        }
        let block = build(
            &ctx.parent,
            &state,
            height,
            ctx.timestamp_ms,
            Address::from_public_key(&ctx.proposer_key),
            txs,
        );
        self.disk.lock().proposed.push((ctx.view, block.hash()));
        Some(block)
    }

    async fn verify(&self, ctx: VerifyContext<Block>) -> bool {
        let Some(state) = self.pending_state(&ctx.pending) else {
            return false;
        };
        let block = &ctx.block;
        if block.header.timestamp < ctx.parent.header.timestamp {
            return false;
        }
        if block.header.proposer != Address::from_public_key(&ctx.proposer_key) {
            return false;
        }
        let rebuilt = build(
            &ctx.parent,
            &state,
            block.header.height,
            block.header.timestamp,
            block.header.proposer,
            block.txs.clone(),
        );
        rebuilt == **block
    }

    fn gossip_received(&self, bytes: Vec<u8>) {
        self.disk.lock().gossiped.push(bytes);
    }

    async fn finalized(&self, block: Arc<Block>) -> Result<(), Fatal> {
        if self.commit(&block)? {
            std::future::pending::<()>().await;
        }
        Ok(())
    }
}

impl StandIn {
    /// The atomic durable write. Returns whether the injected hang should follow.
    fn commit(&self, block: &Block) -> Result<bool, Fatal> {
        let mut disk = self.disk.lock();
        if block.header.height <= disk.height {
            disk.duplicate_calls += 1;
            return Ok(false);
        }
        if block.header.parent_hash != disk.hash || block.header.height != disk.height + 1 {
            return Err(Fatal(format!(
                "block {} does not extend committed height {}",
                block.header.height, disk.height
            )));
        }
        let mut state = disk.state.clone();
        apply(&mut state, &block.txs);
        if state_root(&state) != block.header.state_root {
            return Err(Fatal(format!(
                "state root mismatch at {}",
                block.header.height
            )));
        }
        // One critical section = one atomic durable write.
        disk.state = state;
        disk.height = block.header.height;
        disk.hash = block.hash();
        disk.commits.push(block.header.height);
        disk.blocks.push(block.clone());
        let hang = disk.hang_after_commit == Some(block.header.height);
        if hang {
            disk.hang_after_commit = None;
            disk.hung = true;
        }
        Ok(hang)
    }
}

// ---------------------------------------------------------------------------------------------
// Harness.

const NAMESPACE: &[u8] = b"cairn-sim";

fn signing_key(index: u32) -> [u8; 32] {
    let mut seed = [0u8; 32];
    seed[..4].copy_from_slice(&index.to_le_bytes());
    seed[31] = 0xc0;
    seed
}

#[derive(Clone, Copy, Debug)]
struct Scenario {
    validators: u32,
    /// Validators never started (the last ones).
    offline: u32,
    /// Stop once every online validator committed this height.
    target: u64,
    /// Unclean restarts of the whole network before the final run.
    restarts: u32,
    /// Upper bound of each run's random length before a crash, in simulated milliseconds.
    max_run_ms: u64,
    timeouts: Timeouts,
    pacing: Pacing,
    /// Feed random transactions.
    load: bool,
    /// In the first life, validator 0 gossips [`gossip_payloads`] (each twice) plus one
    /// oversized message.
    gossip: bool,
    /// The application proposes a malformed block for this height once.
    bad_proposal_at: Option<u64>,
    /// Online validators that only start in the second life (they must catch up from peers).
    late: u32,
    /// In the first life, hang after committing this height, then crash (see
    /// [`Disk::hang_after_commit`]).
    hang_at: Option<u64>,
    /// Every link between two validators.
    link: LinkSpec,
    /// In the first life: cut the links between {0, 1} and {2, 3} at this simulated time for
    /// this long (ms), then restore them.
    partition: Option<(u64, u64)>,
    /// Validator 0 is byzantine: two engines with its key, twin A talking only to validator 1
    /// and twin B only to 2 and 3; whenever it leads, it proposes a different block to each.
    twins: bool,
    /// In the first life, the last validator crashes this many times (after 0.5–3 s up each
    /// time) and restarts after this many ms down, while the others go on.
    flap: Option<(u32, u64)>,
}

/// A link's behaviour: delay drawn from Normal(latency, jitter), each message delivered with
/// probability `delivery_pct`% (in order on the link).
#[derive(Clone, Copy, Debug)]
struct LinkSpec {
    latency_ms: u64,
    jitter_ms: u64,
    delivery_pct: u64,
}

impl LinkSpec {
    /// A healthy LAN.
    const FAST: Self = Self {
        latency_ms: 20,
        jitter_ms: 10,
        delivery_pct: 100,
    };

    fn link(self) -> Link {
        Link {
            latency: Duration::from_millis(self.latency_ms),
            jitter: Duration::from_millis(self.jitter_ms),
            success_rate: commonware_utils::Probability::new(self.delivery_pct, 100)
                .expect("a percentage"),
        }
    }
}

/// What a partition did: the online validators' heights just after the cut settled and just
/// before it healed (equal: no side has a quorum), and how long after healing every online
/// validator finalized a new block.
#[derive(Clone, Debug, Default)]
struct PartitionReport {
    settled: Vec<u64>,
    before_heal: Vec<u64>,
    resumed_after_ms: Option<u64>,
}

struct Outcome {
    /// The committed chain of each online validator.
    disks: Vec<Arc<Mutex<Disk>>>,
    /// Redelivered (already committed) finalized blocks the engine skipped, over all lives.
    redelivered: u64,
    /// Transactions submitted.
    submitted: u64,
    restarts: u32,
    /// Twin B's chain (twin A's is `disks[0]`), when validator 0 is byzantine.
    twin_b: Option<Arc<Mutex<Disk>>>,
    /// What the partition did, when there was one.
    partition: Option<PartitionReport>,
    /// For each restart of the crashing validator: (its height, the highest other height)
    /// at the moment it came back.
    flaps: Vec<(u64, u64)>,
}

fn seeds(default: &[u64]) -> Vec<u64> {
    match std::env::var("CAIRN_SIM_SEED") {
        Ok(s) => vec![s.parse().expect("CAIRN_SIM_SEED must be a u64")],
        Err(_) => default.to_vec(),
    }
}

fn long() -> bool {
    std::env::var("CAIRN_SIM_LONG").is_ok_and(|v| v == "1")
}

/// Runs `scenario` from `seed`: possibly several runs, each crashed at a random instant, then a
/// final run to the target height.
fn run(seed: u64, scenario: Scenario) -> Outcome {
    println!("simulation seed = {seed} ({scenario:?}); replay with CAIRN_SIM_SEED={seed}");
    let online = scenario.validators - scenario.offline;
    let disks: Vec<Arc<Mutex<Disk>>> = (0..online)
        .map(|_| {
            let mut disk = Disk::new();
            disk.hang_after_commit = scenario.hang_at;
            disk.bad_proposal_at = scenario.bad_proposal_at;
            Arc::new(Mutex::new(disk))
        })
        .collect();
    let twin_b = scenario.twins.then(|| Arc::new(Mutex::new(Disk::new())));
    let partition = Arc::new(Mutex::new(None));
    let flaps = Arc::new(Mutex::new(Vec::new()));
    let submitted = Arc::new(Mutex::new(0u64));
    let redelivered = Arc::new(Mutex::new(0u64));
    let mut rng = SplitMix(seed ^ 0x5eed);
    let mut checkpoint: Option<deterministic::Checkpoint> = None;
    let mut restart = 0u32;
    loop {
        let crash_after = (restart < scenario.restarts)
            .then(|| Duration::from_millis(rng.range(200, scenario.max_run_ms.max(201))));
        let runner = match checkpoint.take() {
            None => deterministic::Runner::new(
                deterministic::Config::new()
                    .with_seed(seed)
                    .with_timeout(Some(Duration::from_secs(24 * 3600))),
            ),
            Some(cp) => deterministic::Runner::from(cp),
        };
        let disks_run = disks.clone();
        let twin_b_run = twin_b.clone();
        let partition_run = Arc::clone(&partition);
        let flaps_run = Arc::clone(&flaps);
        let submitted_run = Arc::clone(&submitted);
        let redelivered_run = Arc::clone(&redelivered);
        let load_seed = rng.next();
        let (finished, cp) = runner.start_and_recover(move |context| async move {
            let life = Life {
                scenario,
                disks: disks_run,
                twin_b: twin_b_run,
                partition: partition_run,
                flaps: flaps_run,
                submitted: submitted_run,
                redelivered: redelivered_run,
                load_seed,
                life: restart,
                crash_after,
            };
            run_once(context, life).await
        });
        if finished {
            break;
        }
        checkpoint = Some(cp);
        restart += 1;
    }
    let submitted = *submitted.lock();
    let redelivered = *redelivered.lock();
    let partition = partition.lock().clone();
    let flaps = flaps.lock().clone();
    Outcome {
        flaps,
        disks,
        redelivered,
        submitted,
        restarts: restart,
        twin_b,
        partition,
    }
}

/// One life of the network.
struct Life {
    scenario: Scenario,
    disks: Vec<Arc<Mutex<Disk>>>,
    twin_b: Option<Arc<Mutex<Disk>>>,
    partition: Arc<Mutex<Option<PartitionReport>>>,
    flaps: Arc<Mutex<Vec<(u64, u64)>>>,
    submitted: Arc<Mutex<u64>>,
    redelivered: Arc<Mutex<u64>>,
    load_seed: u64,
    life: u32,
    crash_after: Option<Duration>,
}

/// Runs one life. Returns `true` when the target was reached, `false` on a crash.
async fn run_once(context: deterministic::Context, life: Life) -> bool {
    let Life {
        scenario,
        disks,
        twin_b,
        partition,
        flaps,
        submitted,
        redelivered,
        load_seed,
        life,
        crash_after,
    } = life;
    let keys: Vec<[u8; 32]> = (0..scenario.validators).map(signing_key).collect();
    let publics: Vec<[u8; 32]> = keys.iter().map(public_key).collect();
    let peers: Vec<PublicKey> = publics.iter().map(|k| parse_public(k).unwrap()).collect();
    let (network, oracle): (_, Oracle<PublicKey, deterministic::Context>) =
        SimNetwork::new_with_peers(
            context.child("network"),
            simulated::Config {
                max_size: engine::max_message_size(scenario.validators),
                max_peers_per_set: std::num::NonZeroUsize::new(peers.len()).unwrap(),
                disconnect_on_block: true,
                tracked_peer_sets: std::num::NonZeroUsize::new(1).unwrap(),
            },
            peers.clone(),
        )
        .await;
    network.start();
    for a in &peers {
        for b in &peers {
            if a != b {
                oracle
                    .add_link(a.clone(), b.clone(), scenario.link.link())
                    .await
                    .unwrap();
            }
        }
    }

    let online = scenario.validators - scenario.offline;
    let started = if life == 0 {
        online - scenario.late
    } else {
        online
    };
    let mut mempools = Vec::new();
    let mut engines = Vec::new();
    for index in 0..started as usize {
        if scenario.twins && index == 0 {
            let twins = start_twins(
                &context,
                &oracle,
                &peers,
                &keys,
                &publics,
                scenario,
                [
                    Arc::clone(&disks[0]),
                    twin_b.clone().expect("twin B's disk"),
                ],
            )
            .await;
            // The byzantine validator's mempools get no load: only honest ones count.
            engines.extend(twins);
            mempools.push(Arc::new(Mutex::new(VecDeque::new())));
            continue;
        }
        let mempool = Arc::new(Mutex::new(VecDeque::new()));
        let running = start_validator(
            &context,
            &oracle,
            &peers,
            (&keys, &publics),
            scenario,
            index,
            (Arc::clone(&disks[index]), Arc::clone(&mempool)),
        )
        .await;
        mempools.push(mempool);
        engines.push(running);
    }

    // One validator crashed (its tasks aborted at a random instant, storage as it was) and
    // restarted, again and again, while the others go on.
    let flap_fatal: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
    // Set once every planned crash happened (always, without a crashing validator).
    let flapped = Arc::new(std::sync::atomic::AtomicBool::new(
        scenario.flap.is_none() || life > 0,
    ));
    if let (Some((times, down_ms)), 0) = (scenario.flap, life) {
        let victim = engines.len() - 1;
        let mut running = engines.remove(victim);
        let (oracle, peers, keys, publics) =
            (oracle.clone(), peers.clone(), keys.clone(), publics.clone());
        let (disk, mempool) = (Arc::clone(&disks[victim]), Arc::clone(&mempools[victim]));
        let fatal = Arc::clone(&flap_fatal);
        let all_disks = disks.clone();
        let flapped = Arc::clone(&flapped);
        let mut rng = SplitMix(load_seed ^ 0xf1a9);
        context.child("flapper").spawn(move |ctx| async move {
            for _ in 0..times {
                ctx.sleep(Duration::from_millis(rng.range(500, 3_000)))
                    .await;
                if let Some(f) = running.status.fatal.lock().clone() {
                    *fatal.lock() = Some(f.0);
                }
                running.abort();
                ctx.sleep(Duration::from_millis(down_ms)).await;
                let others = all_disks[..victim]
                    .iter()
                    .map(|d| d.lock().height)
                    .max()
                    .unwrap_or(0);
                flaps.lock().push((disk.lock().height, others));
                running = start_validator(
                    &ctx,
                    &oracle,
                    &peers,
                    (&keys, &publics),
                    scenario,
                    victim,
                    (Arc::clone(&disk), Arc::clone(&mempool)),
                )
                .await;
            }
            flapped.store(true, std::sync::atomic::Ordering::Relaxed);
            // Keep the last incarnation running until the run ends.
            loop {
                if let Some(f) = running.status.fatal.lock().clone() {
                    *fatal.lock() = Some(f.0);
                }
                ctx.sleep(Duration::from_millis(100)).await;
            }
        });
    }

    // Random transaction load: bursts of transfers at random intervals, to random validators.
    let feeder_pools = if scenario.load {
        // Twins' pool (index 0) is skipped: transactions sent to a byzantine node may be lost.
        mempools[usize::from(scenario.twins)..].to_vec()
    } else {
        Vec::new()
    };
    let feeder_submitted = Arc::clone(&submitted);
    context.child("feeder").spawn(move |ctx| async move {
        let mut rng = SplitMix(load_seed);
        let senders: Vec<SecretKey> = (0..8u8)
            .map(|i| SecretKey::from_bytes(&[i + 1; 32]))
            .collect();
        let mut counter = 0u64;
        while !feeder_pools.is_empty() {
            ctx.sleep(Duration::from_millis(rng.range(1, 150))).await;
            let burst = rng.range(0, 12);
            for _ in 0..burst {
                let sender = &senders[usize::try_from(rng.range(0, 8)).unwrap()];
                let to = Address([u8::try_from(rng.range(1, 32)).unwrap(); 20]);
                let tx = Transaction {
                    chain_id: 1,
                    nonce: (u64::from(life) << 40) | counter,
                    gas_limit: 21_000,
                    gas_price: Amount::from(1u64),
                    kind: TxKind::Transfer(Transfer {
                        to,
                        amount: Amount::from(rng.range(1, 1000)),
                    }),
                };
                counter += 1;
                let signed = sender.sign_tx(tx);
                let pool = &feeder_pools
                    [usize::try_from(rng.range(0, feeder_pools.len() as u64)).unwrap()];
                pool.lock().push_back(signed);
                *feeder_submitted.lock() += 1;
            }
        }
    });

    if scenario.gossip && life == 0 {
        context.sleep(Duration::from_millis(500)).await;
        let mut outbound = engines[0].gossip.clone();
        for payload in gossip_payloads() {
            outbound.try_send(payload.clone()).unwrap();
            outbound.try_send(payload).unwrap();
        }
        // Bypasses the Handle's size check, so the receivers' check is what stops it.
        outbound
            .try_send(vec![7u8; crate::MAX_GOSSIP_BYTES + 1])
            .unwrap();
    }

    if let (Some((at, length)), 0) = (scenario.partition, life) {
        let (oracle, peers, disks) = (oracle.clone(), peers.clone(), disks.clone());
        context.child("partition").spawn(move |ctx| async move {
            let heights = |disks: &[Arc<Mutex<Disk>>]| -> Vec<u64> {
                disks.iter().map(|d| d.lock().height).collect()
            };
            let crossing = || {
                (0..peers.len())
                    .flat_map(|i| (0..peers.len()).map(move |j| (i, j)))
                    .filter(|&(i, j)| (i < 2) != (j < 2))
            };
            ctx.sleep(Duration::from_millis(at)).await;
            for (i, j) in crossing() {
                oracle
                    .remove_link(peers[i].clone(), peers[j].clone())
                    .await
                    .unwrap();
            }
            // Messages already on a link still arrive: let them land.
            let settle = 2_000.min(length / 2);
            ctx.sleep(Duration::from_millis(settle)).await;
            let settled = heights(&disks);
            ctx.sleep(Duration::from_millis(length - settle)).await;
            let before_heal = heights(&disks);
            for (i, j) in crossing() {
                oracle
                    .add_link(peers[i].clone(), peers[j].clone(), scenario.link.link())
                    .await
                    .unwrap();
            }
            *partition.lock() = Some(PartitionReport {
                settled,
                before_heal: before_heal.clone(),
                resumed_after_ms: None,
            });
            let healed = ctx.current();
            loop {
                let now = heights(&disks);
                if now.iter().zip(&before_heal).all(|(n, b)| n > b) {
                    let waited = ctx.current().duration_since(healed).unwrap_or_default();
                    if let Some(r) = partition.lock().as_mut() {
                        r.resumed_after_ms = Some(u64::try_from(waited.as_millis()).unwrap());
                    }
                    break;
                }
                ctx.sleep(Duration::from_millis(10)).await;
            }
        });
    }

    let count_redelivered = |engines: &[engine::Running]| {
        let skipped: u64 = engines
            .iter()
            .map(|e| {
                e.status
                    .redelivered
                    .load(std::sync::atomic::Ordering::Relaxed)
            })
            .sum();
        *redelivered.lock() += skipped;
    };
    if let Some(after) = crash_after {
        if let (Some(_), 0) = (scenario.hang_at, life) {
            while !disks.iter().all(|d| d.lock().hung) {
                context.sleep(Duration::from_millis(50)).await;
            }
        }
        context.sleep(after).await;
        count_redelivered(&engines);
        // Returning drops every task at this instant: an unclean shutdown.
        return false;
    }
    loop {
        // A byzantine validator's chain is not waited for.
        let honest = &disks[usize::from(scenario.twins)..];
        let done = honest.iter().all(|d| d.lock().height >= scenario.target)
            && flapped.load(std::sync::atomic::Ordering::Relaxed);
        if done {
            for e in &engines {
                assert!(
                    e.status.fatal.lock().is_none(),
                    "engine reported a fatal error"
                );
            }
            count_redelivered(&engines);
            return true;
        }
        for e in &engines {
            if let Some(fatal) = e.status.fatal.lock().clone() {
                panic!("fatal: {fatal}");
            }
        }
        if let Some(fatal) = flap_fatal.lock().clone() {
            panic!("fatal in the crashing validator: {fatal}");
        }
        context.sleep(Duration::from_millis(50)).await;
    }
}

/// Where twin A (primary) and twin B (secondary) of validator 0 send: A only to validator 1,
/// B only to validators 2 and 3.
fn twin_forwarder(peers: Arc<Vec<PublicKey>>) -> impl SplitForwarder<PublicKey> {
    move |origin: SplitOrigin, recipients: &Recipients<PublicKey>, _: &IoBuf| {
        let group: &[PublicKey] = match origin {
            SplitOrigin::Primary => &peers[1..2],
            SplitOrigin::Secondary => &peers[2..4],
        };
        let to: Vec<PublicKey> = match recipients {
            Recipients::All => group.to_vec(),
            Recipients::Some(list) => list.iter().filter(|p| group.contains(p)).cloned().collect(),
            Recipients::One(p) => group.iter().filter(|g| *g == p).cloned().collect(),
        };
        (!to.is_empty()).then_some(Recipients::Some(to))
    }
}

/// Which twin hears a message: validator 1's go to A, validators 2 and 3's to B.
fn twin_router(peers: Arc<Vec<PublicKey>>) -> impl SplitRouter<PublicKey> {
    move |(from, _): &(PublicKey, IoBuf)| {
        if *from == peers[1] {
            SplitTarget::Primary
        } else if peers[2..4].contains(from) {
            SplitTarget::Secondary
        } else {
            SplitTarget::None
        }
    }
}

/// Starts honest validator `index` over fresh registrations of its channels (re-registering
/// replaces a crashed incarnation's), with its disk and mempool.
async fn start_validator(
    context: &deterministic::Context,
    oracle: &Oracle<PublicKey, deterministic::Context>,
    peers: &[PublicKey],
    (keys, publics): (&[[u8; 32]], &[[u8; 32]]),
    scenario: Scenario,
    index: usize,
    (disk, mempool): (Arc<Mutex<Disk>>, Arc<Mutex<VecDeque<SignedTransaction>>>),
) -> engine::Running {
    let quota = Quota::per_second(std::num::NonZeroU32::new(100_000).unwrap());
    let control = oracle.control(peers[index].clone());
    let channel = async |id| control.register(id, quota).await.unwrap();
    let net = Network {
        votes: channel(engine::CHANNEL_VOTES).await,
        certificates: channel(engine::CHANNEL_CERTIFICATES).await,
        simplex_resolver: channel(engine::CHANNEL_SIMPLEX_RESOLVER).await,
        blocks: channel(engine::CHANNEL_BLOCKS).await,
        backfill: channel(engine::CHANNEL_BACKFILL).await,
        gossip: channel(engine::CHANNEL_GOSSIP).await,
        provider: oracle.manager(),
        blocker: control.clone(),
    };
    let app = Arc::new(StandIn {
        runtime: context.child("app"),
        disk,
        mempool,
        twin: None,
    });
    let cfg = EngineConfig {
        signing_key: keys[index],
        validators: publics.to_vec(),
        namespace: NAMESPACE.to_vec(),
        partition_prefix: format!("v{index}"),
        timeouts: scenario.timeouts,
        pacing: scenario.pacing,
    };
    engine::start(context.child("validator"), cfg, app, net)
        .await
        .expect("engine starts")
}

/// Starts validator 0 as twins: two engines with its key over split channels, each with its
/// own stand-in application, storage and disk.
async fn start_twins(
    context: &deterministic::Context,
    oracle: &Oracle<PublicKey, deterministic::Context>,
    peers: &[PublicKey],
    keys: &[[u8; 32]],
    publics: &[[u8; 32]],
    scenario: Scenario,
    disks: [Arc<Mutex<Disk>>; 2],
) -> Vec<engine::Running> {
    assert_eq!(peers.len(), 4, "twins are wired for 4 validators");
    let shared = Arc::new(peers.to_vec());
    let control = oracle.control(peers[0].clone());
    let quota = Quota::per_second(std::num::NonZeroU32::new(100_000).unwrap());
    let split = async |id| {
        let (sender, receiver) = control.register(id, quota).await.unwrap();
        let (sa, sb) = sender.split_with(twin_forwarder(Arc::clone(&shared)));
        let (ra, rb) =
            receiver.split_with(context.child("split"), twin_router(Arc::clone(&shared)));
        ((sa, ra), (sb, rb))
    };
    let (votes_a, votes_b) = split(engine::CHANNEL_VOTES).await;
    let (certs_a, certs_b) = split(engine::CHANNEL_CERTIFICATES).await;
    let (resolver_a, resolver_b) = split(engine::CHANNEL_SIMPLEX_RESOLVER).await;
    let (blocks_a, blocks_b) = split(engine::CHANNEL_BLOCKS).await;
    let (backfill_a, backfill_b) = split(engine::CHANNEL_BACKFILL).await;
    let (gossip_a, gossip_b) = split(engine::CHANNEL_GOSSIP).await;
    let nets = [
        Network {
            votes: votes_a,
            certificates: certs_a,
            simplex_resolver: resolver_a,
            blocks: blocks_a,
            backfill: backfill_a,
            gossip: gossip_a,
            provider: oracle.manager(),
            blocker: control.clone(),
        },
        Network {
            votes: votes_b,
            certificates: certs_b,
            simplex_resolver: resolver_b,
            blocks: blocks_b,
            backfill: backfill_b,
            gossip: gossip_b,
            provider: oracle.manager(),
            blocker: control.clone(),
        },
    ];
    let mut running = Vec::new();
    for ((net, disk), (name, tag)) in nets
        .into_iter()
        .zip(disks)
        .zip([("v0a", 0xa1u8), ("v0b", 0xb2u8)])
    {
        let app = Arc::new(StandIn {
            runtime: context.child("app"),
            disk,
            mempool: Arc::new(Mutex::new(VecDeque::new())),
            twin: Some(SecretKey::from_bytes(&[tag; 32])),
        });
        let cfg = EngineConfig {
            signing_key: keys[0],
            validators: publics.to_vec(),
            namespace: NAMESPACE.to_vec(),
            partition_prefix: name.to_owned(),
            timeouts: scenario.timeouts,
            pacing: scenario.pacing,
        };
        running.push(
            engine::start(context.child("validator"), cfg, app, net)
                .await
                .expect("twin starts"),
        );
    }
    running
}

/// Checks one validator's committed chain against the model: heights 1..=N each committed
/// exactly once in order, parent links, state = replay of the committed blocks, no transaction
/// twice. Returns the hash of the block at `target`.
fn check_chain(disk: &Disk, target: u64) -> Vec<Hash> {
    assert!(
        disk.height >= target,
        "height {} below target {target}",
        disk.height
    );
    let expected: Vec<u64> = (1..=disk.height).collect();
    assert_eq!(
        disk.commits, expected,
        "every height committed exactly once, in order"
    );
    assert_eq!(
        disk.duplicate_calls, 0,
        "redelivered heights must be skipped by the engine"
    );
    let mut state = State::new();
    let mut seen = BTreeSet::new();
    let mut hashes = Vec::new();
    for (i, block) in disk.blocks.iter().enumerate() {
        assert_eq!(block.header.height, i as u64);
        if i > 0 {
            let parent = &disk.blocks[i - 1];
            assert_eq!(
                block.header.parent_hash,
                parent.hash(),
                "parent link at {i}"
            );
            assert!(block.header.timestamp >= parent.header.timestamp);
            assert_eq!(block.header.tx_root, block.compute_tx_root());
        }
        for tx in &block.txs {
            assert!(seen.insert(tx.hash()), "transaction included twice");
        }
        apply(&mut state, &block.txs);
        assert_eq!(
            block.header.state_root,
            state_root(&state),
            "state root at {i}"
        );
        hashes.push(block.hash());
    }
    assert_eq!(state, disk.state, "committed state equals the model");
    hashes
}

fn single(target: u64, restarts: u32) -> Scenario {
    Scenario {
        validators: 1,
        offline: 0,
        target,
        restarts,
        max_run_ms: 40_000,
        timeouts: Timeouts {
            leader: Duration::from_secs(2),
            certification: Duration::from_secs(4),
            nullify_retry: Duration::from_secs(2),
            fetch: Duration::from_secs(1),
        },
        pacing: Pacing {
            block_time: Duration::from_millis(10),
            heartbeat: Duration::from_millis(200),
        },
        load: true,
        gossip: false,
        bad_proposal_at: None,
        late: 0,
        hang_at: None,
        link: LinkSpec::FAST,
        partition: None,
        twins: false,
        flap: None,
    }
}

#[test]
fn single_validator_finalizes_1000_blocks_under_random_load() {
    for seed in seeds(&[1]) {
        let outcome = run(seed, single(1000, 0));
        let disk = outcome.disks[0].lock();
        let hashes = check_chain(&disk, 1000);
        let txs: usize = disk.blocks.iter().map(|b| b.txs.len()).sum();
        assert!(txs > 0, "the random load reached the chain");
        assert!(outcome.submitted >= txs as u64);
        println!(
            "seed {seed}: {} blocks, {txs} txs, tip {}",
            disk.height,
            hashes[hashes.len() - 1]
        );
    }
}

#[test]
fn single_validator_survives_unclean_restarts() {
    let (target, restarts) = if long() { (5000, 40) } else { (1000, 8) };
    for seed in seeds(&[7]) {
        let outcome = run(
            seed,
            Scenario {
                max_run_ms: 15_000,
                ..single(target, restarts)
            },
        );
        assert_eq!(outcome.restarts, restarts);
        let disk = outcome.disks[0].lock();
        check_chain(&disk, target);
        println!(
            "seed {seed}: {restarts} unclean restarts, {} redelivered heights skipped",
            outcome.redelivered
        );
    }
}

#[test]
fn same_seed_same_chain() {
    let scenario = Scenario {
        max_run_ms: 8_000,
        ..single(300, 3)
    };
    let a = run(11, scenario);
    let b = run(11, scenario);
    let c = run(12, scenario);
    let ha = check_chain(&a.disks[0].lock(), 300);
    let hb = check_chain(&b.disks[0].lock(), 300);
    let hc = check_chain(&c.disks[0].lock(), 300);
    assert_eq!(
        ha, hb,
        "a seed replays to the identical chain, crashes included"
    );
    assert_ne!(ha[300], hc[300], "another seed gives another history");
}

fn four(offline: u32, target: u64, restarts: u32) -> Scenario {
    Scenario {
        validators: 4,
        offline,
        target,
        restarts,
        max_run_ms: 10_000,
        timeouts: Timeouts {
            leader: Duration::from_secs(1),
            certification: Duration::from_secs(2),
            nullify_retry: Duration::from_secs(2),
            fetch: Duration::from_secs(1),
        },
        pacing: Pacing {
            block_time: Duration::ZERO,
            heartbeat: Duration::from_millis(100),
        },
        load: true,
        gossip: false,
        bad_proposal_at: None,
        late: 0,
        hang_at: None,
        link: LinkSpec::FAST,
        partition: None,
        twins: false,
        flap: None,
    }
}

fn assert_same_prefix(outcome: &Outcome, target: u64) {
    let chains: Vec<Vec<Hash>> = outcome
        .disks
        .iter()
        .map(|d| check_chain(&d.lock(), target))
        .collect();
    let len = usize::try_from(target).unwrap() + 1;
    for chain in &chains[1..] {
        assert_eq!(
            chain[..len],
            chains[0][..len],
            "validators finalized different blocks"
        );
    }
}

#[test]
fn four_validators_agree() {
    let target = if long() { 500 } else { 100 };
    for seed in seeds(&[3]) {
        assert_same_prefix(&run(seed, four(0, target, 0)), target);
    }
}

#[test]
fn four_validators_one_offline_agree() {
    let target = if long() { 300 } else { 50 };
    for seed in seeds(&[5]) {
        assert_same_prefix(&run(seed, four(1, target, 0)), target);
    }
}

/// Gaps between consecutive block timestamps (ms), from block 2 on (block 1 follows genesis
/// at time 0).
fn gaps(disk: &Disk) -> Vec<u64> {
    disk.blocks[1..]
        .windows(2)
        .map(|w| w[1].header.timestamp - w[0].header.timestamp)
        .collect()
}

#[test]
fn idle_devnet_makes_empty_blocks_on_the_heartbeat() {
    let heartbeat = Duration::from_millis(300);
    let mut scenario = single(40, 0);
    scenario.load = false;
    scenario.pacing = Pacing {
        block_time: Duration::ZERO,
        heartbeat,
    };
    let outcome = run(21, scenario);
    let disk = outcome.disks[0].lock();
    check_chain(&disk, 40);
    assert!(disk.blocks.iter().all(|b| b.txs.is_empty()));
    let hb = u64::try_from(heartbeat.as_millis()).unwrap();
    for gap in gaps(&disk) {
        assert!(
            (hb..hb + 50).contains(&gap),
            "idle block gap {gap} ms, heartbeat {hb} ms"
        );
    }
}

#[test]
fn pending_work_is_proposed_without_waiting_for_the_heartbeat() {
    let mut scenario = single(200, 0);
    scenario.pacing = Pacing {
        block_time: Duration::ZERO,
        heartbeat: Duration::from_secs(1),
    };
    let outcome = run(23, scenario);
    let disk = outcome.disks[0].lock();
    check_chain(&disk, 200);
    let mut gaps = gaps(&disk);
    gaps.sort_unstable();
    let median = gaps[gaps.len() / 2];
    println!(
        "block gaps under load: median {median} ms, max {} ms",
        gaps[gaps.len() - 1]
    );
    // The feeder submits every 1..150 ms; proposals follow the work, not the 1 s heartbeat.
    assert!(median < 200, "median block gap {median} ms under load");
}

#[test]
fn crash_between_commit_and_ack_redelivers_and_is_skipped() {
    for seed in seeds(&[29]) {
        let scenario = Scenario {
            hang_at: Some(50),
            max_run_ms: 2_000,
            ..single(120, 1)
        };
        let outcome = run(seed, scenario);
        let disk = outcome.disks[0].lock();
        // Height 50 was committed but never acknowledged: marshal redelivered it after the
        // restart and the engine skipped it; every height is still committed exactly once.
        check_chain(&disk, 120);
        assert!(outcome.redelivered >= 1, "no redelivery observed");
        println!(
            "seed {seed}: {} redelivered heights skipped",
            outcome.redelivered
        );
    }
}

#[test]
fn four_validators_survive_unclean_restarts() {
    let (target, restarts) = if long() { (400, 10) } else { (120, 3) };
    for seed in seeds(&[13]) {
        let outcome = run(seed, four(0, target, restarts));
        assert_eq!(outcome.restarts, restarts);
        assert_same_prefix(&outcome, target);
    }
}

#[test]
fn late_validator_catches_up_from_peers() {
    for seed in seeds(&[17]) {
        // Validator 3 is down for the first life (the others finalize without it), then starts
        // with empty storage and must backfill every block it missed.
        let scenario = Scenario {
            late: 1,
            max_run_ms: 6_000,
            ..four(0, 100, 1)
        };
        let outcome = run(seed, scenario);
        assert_same_prefix(&outcome, 100);
    }
}

fn gossip_payloads() -> Vec<Vec<u8>> {
    (0..20u8).map(|i| vec![i; 100 + usize::from(i)]).collect()
}

#[test]
fn transaction_gossip_reaches_every_other_validator_once() {
    for seed in seeds(&[31]) {
        let scenario = Scenario {
            gossip: true,
            ..four(0, 30, 0)
        };
        let outcome = run(seed, scenario);
        let expected = gossip_payloads();
        assert!(
            outcome.disks[0].lock().gossiped.is_empty(),
            "no echo to the sender"
        );
        for disk in &outcome.disks[1..] {
            let mut got = disk.lock().gossiped.clone();
            got.sort();
            assert_eq!(got, expected, "each payload once, oversized dropped");
        }
    }
}

#[test]
fn malformed_proposal_is_discarded_and_the_view_retried() {
    for seed in seeds(&[37]) {
        let scenario = Scenario {
            bad_proposal_at: Some(30),
            ..single(60, 0)
        };
        let outcome = run(seed, scenario);
        let disk = outcome.disks[0].lock();
        assert_eq!(disk.bad_proposals, 1, "the fault was injected");
        // The bad block never reached the chain; the next view proposed a good height 30.
        check_chain(&disk, 60);
    }
}

/// Lossy, slow links: 150 ± 50 ms, 15% of messages lost.
const LOSSY: LinkSpec = LinkSpec {
    latency_ms: 150,
    jitter_ms: 50,
    delivery_pct: 85,
};

#[test]
fn four_validators_finalize_over_lossy_slow_links() {
    let target = if long() { 3000 } else { 1000 };
    for seed in seeds(&[41]) {
        let scenario = Scenario {
            link: LOSSY,
            ..four(0, target, 0)
        };
        assert_same_prefix(&run(seed, scenario), target);
    }
}

#[test]
fn four_validators_over_lossy_links_survive_unclean_restarts() {
    for seed in seeds(&[43]) {
        let scenario = Scenario {
            link: LOSSY,
            max_run_ms: 20_000,
            ..four(0, 150, 3)
        };
        let outcome = run(seed, scenario);
        assert_eq!(outcome.restarts, 3);
        assert_same_prefix(&outcome, 150);
    }
}

/// Longest wait, after a partition heals, for every validator to finalize again.
const RESUME_BOUND_MS: u64 = 10_000;

#[test]
fn a_2_2_partition_stops_finalization_and_healing_resumes_it() {
    for seed in seeds(&[47, 71]) {
        let scenario = Scenario {
            partition: Some((3_000, 12_000)),
            ..four(0, 150, 0)
        };
        let outcome = run(seed, scenario);
        let report = outcome.partition.clone().expect("the partition happened");
        println!("seed {seed}: {report:?}");
        assert!(
            report.settled.iter().all(|h| *h > 0),
            "blocks were finalized before the cut"
        );
        assert_eq!(
            report.settled, report.before_heal,
            "neither half has a quorum: nothing is finalized while cut"
        );
        let resumed = report.resumed_after_ms.expect("liveness resumed");
        assert!(
            resumed <= RESUME_BOUND_MS,
            "resumed {resumed} ms after healing"
        );
        assert_same_prefix(&outcome, 150);
    }
}

#[test]
fn an_equivocating_validator_never_splits_the_honest_ones() {
    let target = if long() { 400 } else { 120 };
    for seed in seeds(&[53, 59, 61]) {
        let scenario = Scenario {
            twins: true,
            ..four(0, target, 0)
        };
        let outcome = run(seed, scenario);
        // The byzantine validator did equivocate: two different blocks in one view.
        let twin_a = outcome.disks[0].lock();
        let twin_b = outcome.twin_b.as_ref().expect("twin B").lock();
        let b_views: BTreeMap<u64, Hash> = twin_b.proposed.iter().copied().collect();
        let equivocations = twin_a
            .proposed
            .iter()
            .filter(|(view, hash)| b_views.get(view).is_some_and(|b| b != hash))
            .count();
        println!("seed {seed}: {equivocations} views with two proposals");
        assert!(equivocations > 0, "no equivocation happened");
        // Every honest validator finalized the same chain.
        let honest: Vec<Vec<Hash>> = outcome.disks[1..]
            .iter()
            .map(|d| check_chain(&d.lock(), target))
            .collect();
        let len = usize::try_from(target).unwrap() + 1;
        for chain in &honest[1..] {
            assert_eq!(chain[..len], honest[0][..len], "honest validators disagree");
        }
        // And whatever each twin finalized is that same chain.
        for twin in [&*twin_a, &*twin_b] {
            let chain = check_chain(twin, 0);
            let n = chain.len().min(honest[0].len());
            assert_eq!(
                chain[..n],
                honest[0][..n],
                "a twin finalized a conflicting block"
            );
        }
    }
}

#[test]
fn one_validator_crashed_and_restarted_repeatedly_rejoins_every_time() {
    let crashes = if long() { 30 } else { 8 };
    for seed in seeds(&[67]) {
        let scenario = Scenario {
            flap: Some((crashes, 1_500)),
            link: LOSSY,
            ..four(0, 250, 0)
        };
        let outcome = run(seed, scenario);
        // Every validator, the crashing one included, finalized the same 250 heights, each
        // exactly once (a crash between commit and acknowledgement is redelivered and skipped).
        assert_same_prefix(&outcome, 250);
        assert_eq!(
            outcome.flaps.len(),
            crashes as usize,
            "every crash happened"
        );
        assert!(
            outcome.flaps.iter().any(|(me, others)| me < others),
            "the crashed validator came back behind and had to catch up: {:?}",
            outcome.flaps
        );
        println!(
            "seed {seed}: {crashes} crashes, {} redelivered heights skipped",
            outcome.redelivered
        );
    }
}
