//! A devnet validator produces blocks on an idle heartbeat, promptly on pending work, and
//! continues from its committed height after a restart.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use futures::channel::mpsc;
use std::time::{Duration, Instant};

use cairn_consensus::{
    Application, Config, Fatal, Pacing, ProposeContext, Timeouts, VerifyContext, start,
};
use cairn_primitives::{Address, Block, BlockHeader, Hash, merkle_root};

/// The durable part of the test application ("the database").
#[derive(Default)]
struct Db {
    /// Committed blocks, genesis first.
    blocks: Vec<Block>,
}

fn genesis() -> Block {
    Block {
        header: BlockHeader {
            parent_hash: Hash::ZERO,
            height: 0,
            timestamp: 0,
            proposer: Address::ZERO,
            tx_root: merkle_root(&[]),
            receipts_root: merkle_root(&[]),
            state_root: Hash::ZERO,
            gas_used: 0,
            gas_limit: 1,
        },
        txs: vec![],
    }
}

/// Empty blocks whose state root counts the blocks; a message on `work` makes the next
/// proposal immediate (the stand-in for "the mempool is non-empty").
struct Counter {
    db: Arc<Mutex<Db>>,
    /// Fault injection: `finalized` fails at this height.
    fail_at: Option<u64>,
    work: futures::lock::Mutex<mpsc::UnboundedReceiver<()>>,
}

impl Counter {
    fn new(db: &Arc<Mutex<Db>>) -> (Self, mpsc::UnboundedSender<()>) {
        let (tx, rx) = mpsc::unbounded();
        (
            Self {
                db: Arc::clone(db),
                fail_at: None,
                work: futures::lock::Mutex::new(rx),
            },
            tx,
        )
    }
}

impl Counter {
    fn block_on(parent: &Block, height: u64, timestamp: u64, proposer: [u8; 32]) -> Block {
        Block {
            header: BlockHeader {
                parent_hash: parent.hash(),
                height,
                timestamp,
                proposer: Address::from_public_key(&proposer),
                tx_root: merkle_root(&[]),
                receipts_root: merkle_root(&[]),
                state_root: Hash::of(&height.to_le_bytes()),
                gas_used: 0,
                gas_limit: 1,
            },
            txs: vec![],
        }
    }
}

impl Application for Counter {
    type Block = Block;

    fn genesis(&self) -> Block {
        genesis()
    }

    fn last_finalized_height(&self) -> u64 {
        self.db.lock().unwrap().blocks.len() as u64 - 1
    }

    async fn work_ready(&self) {
        let mut work = self.work.lock().await;
        if work.next().await.is_none() {
            std::future::pending::<()>().await;
        }
    }

    async fn propose(&self, ctx: ProposeContext<Block>) -> Option<Block> {
        Some(Self::block_on(
            &ctx.parent,
            ctx.height,
            ctx.timestamp_ms,
            ctx.proposer_key,
        ))
    }

    async fn verify(&self, ctx: VerifyContext<Block>) -> bool {
        *ctx.block
            == Self::block_on(
                &ctx.parent,
                ctx.block.header.height,
                ctx.block.header.timestamp,
                ctx.proposer_key,
            )
    }

    async fn finalized(&self, block: Arc<Block>) -> Result<(), Fatal> {
        if self.fail_at == Some(block.header.height) {
            return Err(Fatal(format!("disk full at {}", block.header.height)));
        }
        let mut db = self.db.lock().unwrap();
        let tip = db.blocks.last().expect("genesis");
        if block.header.parent_hash != tip.hash() {
            return Err(Fatal(format!(
                "block {} does not extend the tip",
                block.header.height
            )));
        }
        db.blocks.push((*block).clone());
        Ok(())
    }
}

fn free_port() -> SocketAddr {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    listener.local_addr().unwrap()
}

fn config(dir: &std::path::Path, listen: SocketAddr) -> Config {
    let mut config = Config::devnet([42u8; 32], listen, dir.to_path_buf());
    config.timeouts = Timeouts {
        leader: Duration::from_secs(4),
        certification: Duration::from_secs(6),
        nullify_retry: Duration::from_secs(2),
        fetch: Duration::from_secs(1),
    };
    config.pacing = Pacing {
        block_time: Duration::ZERO,
        heartbeat: HEARTBEAT,
    };
    config
}

/// Idle heartbeat of these tests: long enough that a block caused by work is distinguishable.
const HEARTBEAT: Duration = Duration::from_millis(2000);

fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn devnet_produces_blocks_and_continues_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let listen = free_port();
    let db = Arc::new(Mutex::new(Db {
        blocks: vec![genesis()],
    }));
    let height = |db: &Arc<Mutex<Db>>| db.lock().unwrap().blocks.len() as u64 - 1;

    // First life: idle heartbeats produce (empty) blocks.
    let (app, work) = Counter::new(&db);
    let handle = start(config(dir.path(), listen), app).unwrap();
    // The app records a block before the engine counts it committed: wait for both.
    wait_for("3 blocks", Duration::from_secs(60), || {
        height(&db) >= 3 && handle.committed_height() >= 3
    });

    // Pending work is proposed well before the idle heartbeat would fire.
    let before = height(&db);
    let asked = Instant::now();
    work.unbounded_send(()).unwrap();
    wait_for("a block after work", Duration::from_secs(10), || {
        height(&db) > before
    });
    let latency = asked.elapsed();
    println!("work-to-committed-block latency: {latency:?}");
    assert!(
        latency < HEARTBEAT,
        "work waited for the heartbeat ({latency:?})"
    );
    handle.stop().unwrap();
    let stopped_at = height(&db);

    // Second life on the same data directory: continues from the committed height.
    let (app, _work) = Counter::new(&db);
    let handle = start(config(dir.path(), listen), app).unwrap();
    wait_for("progress after restart", Duration::from_secs(60), || {
        height(&db) >= stopped_at + 3
    });
    handle.stop().unwrap();

    let db = db.lock().unwrap();
    for (i, pair) in db.blocks.windows(2).enumerate() {
        assert_eq!(
            pair[1].header.height,
            i as u64 + 1,
            "heights are contiguous"
        );
        assert_eq!(
            pair[1].header.parent_hash,
            pair[0].hash(),
            "parent links hold"
        );
    }
}

#[test]
fn invalid_config_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path(), free_port());
    config.pacing.heartbeat = Duration::from_secs(5);
    let db = Arc::new(Mutex::new(Db {
        blocks: vec![genesis()],
    }));
    let (app, _work) = Counter::new(&db);
    let err = start(config, app)
        .err()
        .expect("heartbeat above the leader timeout is rejected");
    assert!(err.to_string().contains("leader timeout"), "{err}");
}

#[test]
fn fatal_commit_error_stops_the_engine_without_acknowledging() {
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(Mutex::new(Db {
        blocks: vec![genesis()],
    }));
    let (mut app, _work) = Counter::new(&db);
    app.fail_at = Some(3);
    let mut config = config(dir.path(), free_port());
    config.pacing.heartbeat = Duration::from_millis(100);
    let handle = start(config, app).unwrap();
    wait_for("the engine to stop", Duration::from_secs(60), || {
        handle.is_finished()
    });
    let err = handle.stop().expect_err("the fatal error is reported");
    assert!(err.to_string().contains("disk full at 3"), "{err}");
    assert_eq!(
        db.lock().unwrap().blocks.len(),
        3,
        "heights 0..=2 committed, 3 not"
    );
}
