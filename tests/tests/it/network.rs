//! Four real `cairn node` processes on loopback: transactions sent to one validator's RPC are
//! gossiped and included, a validator killed with SIGKILL does not stop the others, and when it
//! restarts it catches up to the same blocks.

use std::process::Command;
use std::time::{Duration, Instant};

use cairn_primitives::{Address, Amount, Canonical, ReceiptStatus, Transaction, Transfer, TxKind};
use cairn_rpc_api::{BlockId, Bytes, CairnApiClient};
use cairn_tests::cairn_bin;
use jsonrpsee::http_client::HttpClient;

use crate::node_restart::{Node, dev_key, spawn};

const VALIDATORS: usize = 4;
const PATIENCE: Duration = Duration::from_secs(120);

fn start(dir: &std::path::Path, i: usize) -> Node {
    let mut cmd = Command::new(cairn_bin());
    cmd.args(["node", "--data-dir"])
        .arg(dir.join(format!("node{i}")))
        .args(["--rpc-addr", "127.0.0.1:0"]);
    spawn(cmd)
}

async fn head(rpc: &HttpClient) -> u64 {
    rpc.chain_head().await.expect("chain_head").height
}

/// Each node's head height, in the order of `rpcs`.
async fn heads(rpcs: &[&HttpClient]) -> Vec<u64> {
    let mut v = Vec::with_capacity(rpcs.len());
    for rpc in rpcs {
        v.push(head(rpc).await);
    }
    v
}

async fn wait_height(rpc: &HttpClient, height: u64, what: &str) {
    let deadline = Instant::now() + PATIENCE;
    while head(rpc).await < height {
        assert!(
            Instant::now() < deadline,
            "{what}: height {height} not reached"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Sends `count` transfers from dev account 0 through `via`, starting at `nonce`; waits for
/// every receipt on `watch`.
async fn transfers(via: &HttpClient, watch: &HttpClient, nonce: u64, count: u64) {
    let chain_id = via.chain_id().await.expect("chain_id");
    let key = dev_key(0);
    let mut hashes = Vec::new();
    for n in nonce..nonce + count {
        let tx = key.sign_tx(Transaction {
            chain_id,
            nonce: n,
            gas_limit: 100_000,
            gas_price: Amount::one(),
            kind: TxKind::Transfer(Transfer {
                to: Address([0x44; 20]),
                amount: Amount::from(1u64),
            }),
        });
        hashes.push(via.tx_send(Bytes(tx.encode())).await.expect("tx_send"));
    }
    let deadline = Instant::now() + PATIENCE;
    for h in hashes {
        loop {
            if let Some(r) = watch.chain_get_receipt(h).await.expect("receipt") {
                assert_eq!(r.status, ReceiptStatus::Success);
                break;
            }
            assert!(
                Instant::now() < deadline,
                "no receipt for {h} on the watching node"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

#[test]
fn four_validators_survive_a_sigkill_and_the_victim_catches_up() {
    let _serial = crate::node_restart::serial();
    let dir = tempfile::tempdir().expect("dir");
    let ok = Command::new(cairn_bin())
        .args([
            "init",
            "--validators",
            &VALIDATORS.to_string(),
            "--accounts",
            "1",
            "--data-dir",
        ])
        .arg(dir.path())
        .status()
        .expect("cairn init");
    assert!(ok.success());
    let mut nodes: Vec<Option<Node>> = (0..VALIDATORS)
        .map(|i| Some(start(dir.path(), i)))
        .collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let rpc = |nodes: &[Option<Node>], i: usize| nodes[i].as_ref().expect("running").rpc.clone();
    rt.block_on(async {
        for i in 0..VALIDATORS {
            wait_height(&rpc(&nodes, i), 2, "all four finalize").await;
        }
        // Sent to node 1, included whoever leads, visible on node 3.
        transfers(&rpc(&nodes, 1), &rpc(&nodes, 3), 0, 20).await;
    });

    // SIGKILL node 3: three of four keep finalizing (f = 1).
    let mut victim = nodes[3].take().expect("node 3");
    victim.child.kill().expect("SIGKILL");
    victim.child.wait().expect("wait");
    drop(victim);
    let before = rt.block_on(head(&rpc(&nodes, 0)));
    rt.block_on(async {
        transfers(&rpc(&nodes, 0), &rpc(&nodes, 2), 20, 20).await;
        wait_height(&rpc(&nodes, 2), before + 3, "three validators keep going").await;
    });

    // Restart node 3: it catches up to the same blocks.
    nodes[3] = Some(start(dir.path(), 3));
    rt.block_on(async {
        let target = head(&rpc(&nodes, 0)).await;
        wait_height(
            &rpc(&nodes, 3),
            target,
            "the restarted validator catches up",
        )
        .await;
        let top = target.min(head(&rpc(&nodes, 3)).await);
        for h in 1..=top {
            let mut hashes = Vec::new();
            for i in 0..VALIDATORS {
                let b = rpc(&nodes, i)
                    .chain_get_block(BlockId::Height(h), None)
                    .await
                    .expect("chain_getBlock")
                    .unwrap_or_else(|| panic!("node {i} lacks block {h}"));
                hashes.push((b.hash, b.header.state_root));
            }
            assert!(
                hashes.windows(2).all(|w| w[0] == w[1]),
                "nodes disagree at height {h}: {hashes:?}"
            );
        }
        let sender = rpc(&nodes, 3)
            .state_get_account(dev_key(0).address(), None)
            .await
            .expect("account");
        assert_eq!(
            sender.nonce, 40,
            "every transfer is in the chain exactly once"
        );
    });
}

/// Sends `signal` to process `pid` (SIGSTOP/SIGCONT/SIGTERM: the test plays the operator).
fn signal(pid: u32, sig: i32) {
    assert!(try_signal(pid, sig), "kill({pid}, {sig})");
}

/// [`signal`] that reports failure (the process may be gone) instead of asserting.
fn try_signal(pid: u32, sig: i32) -> bool {
    unsafe extern "C" {
        fn kill(pid: i32, sig: i32) -> i32;
    }
    let Ok(pid) = i32::try_from(pid) else {
        return false;
    };
    // SAFETY: kill(2) takes plain integers; `pid` is a process this test started (directly
    // or through the devnet) and has not reaped.
    unsafe { kill(pid, sig) == 0 }
}
const SIGCONT: i32 = 18;

/// Resumes a paused process when dropped, so a failing assertion never leaves it stopped.
struct Resume(u32);

impl Drop for Resume {
    fn drop(&mut self) {
        try_signal(self.0, SIGCONT);
    }
}

/// Stops a `cairn devnet --validators` with SIGTERM (each validator cleanly) when dropped.
struct StopDevnet(Node);

impl Drop for StopDevnet {
    fn drop(&mut self) {
        if matches!(self.0.child.try_wait(), Ok(None)) && try_signal(self.0.child.id(), SIGTERM) {
            let _ = self.0.child.wait();
        }
    }
}
const SIGSTOP: i32 = 19;
const SIGTERM: i32 = 15;

/// `cairn devnet --validators 4`: the banner's validators (RPC client, pid).
fn devnet_network(dir: &std::path::Path) -> (Node, Vec<(HttpClient, u32)>) {
    let mut cmd = Command::new(cairn_bin());
    cmd.args([
        "devnet",
        "--validators",
        "4",
        "--port",
        "0",
        "--accounts",
        "2",
    ])
    .args(["--heartbeat", "300ms", "--data-dir"])
    .arg(dir);
    let mut parent = spawn(cmd);
    let members = (0..VALIDATORS)
        .map(|i| {
            let line = parent.wait_line(&format!("node{i}      rpc http://"));
            let mut words = line.split_whitespace();
            let url = words.find(|w| w.starts_with("http://")).expect("url");
            let pid: u32 = words
                .skip_while(|w| *w != "pid")
                .nth(1)
                .and_then(|p| p.parse().ok())
                .expect("pid");
            let rpc = jsonrpsee::http_client::HttpClientBuilder::default()
                .request_timeout(Duration::from_secs(30))
                .build(url)
                .expect("client");
            (rpc, pid)
        })
        .collect();
    (parent, members)
}

/// Every node's (block hash, state root) at heights 1..=top; panics on any disagreement.
async fn agreed_chain(
    nodes: &[&HttpClient],
    top: u64,
) -> Vec<(cairn_primitives::Hash, cairn_primitives::Hash)> {
    let mut chain = Vec::new();
    for h in 1..=top {
        let mut seen = Vec::new();
        for (i, rpc) in nodes.iter().enumerate() {
            let b = rpc
                .chain_get_block(BlockId::Height(h), None)
                .await
                .expect("chain_getBlock")
                .unwrap_or_else(|| panic!("node {i} lacks block {h}"));
            seen.push((b.hash, b.header.state_root));
        }
        assert!(
            seen.windows(2).all(|w| w[0] == w[1]),
            "nodes disagree at height {h}: {seen:?}"
        );
        chain.push(seen[0]);
    }
    chain
}

#[test]
#[allow(clippy::too_many_lines)]
fn devnet_network_survives_a_paused_leader_and_a_full_restart() {
    let _serial = crate::node_restart::serial();
    let dir = tempfile::tempdir().expect("dir");
    let net = dir.path().join("net");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (parent, members) = devnet_network(&net);
    let mut parent = StopDevnet(parent);
    let nodes: Vec<&HttpClient> = members.iter().map(|(rpc, _)| rpc).collect();
    let before_restart = rt.block_on(async {
        for rpc in &nodes {
            wait_height(rpc, 2, "all four finalize").await;
        }
        // Each validator reports its three peers once connected (read every second).
        let deadline = Instant::now() + PATIENCE;
        for (i, rpc) in nodes.iter().enumerate() {
            loop {
                let info = rpc.node_info().await.expect("node_info");
                if info.peers == 3 {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "node {i} reports {} peers",
                    info.peers
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        // A devnet network serves the dev accounts on every validator: dev_send via node 2.
        let hash = cairn_rpc_api::DevApiClient::dev_send(
            nodes[2],
            cairn_rpc_api::DevTransaction {
                from: dev_key(1).address(),
                kind: TxKind::Transfer(Transfer {
                    to: Address([0x55; 20]),
                    amount: Amount::from(7u64),
                }),
                nonce: None,
                gas_limit: None,
                gas_price: None,
            },
        )
        .await
        .expect("dev_send on a validator of the network");
        transfers(nodes[0], nodes[3], 0, 10).await;

        // Pause the validator that proposed the head block (the last leader) for 10 s.
        let head = nodes[0]
            .chain_get_block(BlockId::Latest, None)
            .await
            .expect("head")
            .expect("block");
        let addresses = validator_addresses(&net);
        let leader = addresses
            .iter()
            .position(|v| *v == head.header.proposer)
            .expect("the proposer is one of the four");
        let others: Vec<usize> = (0..VALIDATORS).filter(|i| *i != leader).collect();
        signal(members[leader].1, SIGSTOP);
        let resume = Resume(members[leader].1);
        let paused_at = head.header.height;
        transfers(nodes[others[0]], nodes[others[1]], 10, 10).await;
        wait_height(
            nodes[others[2]],
            paused_at + 5,
            "three validators go on without the leader",
        )
        .await;
        tokio::time::sleep(Duration::from_secs(10)).await;
        drop(resume);
        let target = head_of(nodes[others[0]]).await;
        wait_height(nodes[leader], target, "the paused validator catches up").await;
        let deadline = Instant::now() + PATIENCE;
        while !nodes[leader]
            .node_health()
            .await
            .expect("node_health")
            .healthy
        {
            assert!(
                Instant::now() < deadline,
                "the resumed validator stays unhealthy"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(
            nodes[0]
                .chain_get_receipt(hash)
                .await
                .expect("receipt")
                .is_some_and(|r| r.status == ReceiptStatus::Success)
        );
        let top = {
            let mut top = u64::MAX;
            for rpc in &nodes {
                top = top.min(head_of(rpc).await);
            }
            top
        };
        agreed_chain(&nodes, top).await
    });

    // Stop the whole network with SIGTERM (a clean stop of every validator), then start it
    // again from the same data dirs: the chain resumes with the identical history.
    signal(parent.0.child.id(), SIGTERM);
    let status = parent.0.child.wait().expect("wait");
    assert!(status.success(), "devnet network exit: {status}");
    drop(members);
    let (parent, members) = devnet_network(&net);
    let _parent = StopDevnet(parent);
    let nodes: Vec<&HttpClient> = members.iter().map(|(rpc, _)| rpc).collect();
    rt.block_on(async {
        let resumed = before_restart.len() as u64;
        for rpc in &nodes {
            wait_height(
                rpc,
                resumed + 3,
                "the restarted network finalizes new blocks",
            )
            .await;
        }
        let after = agreed_chain(&nodes, resumed + 3).await;
        assert_eq!(
            after[..before_restart.len()],
            before_restart[..],
            "the restarted network kept its history"
        );
        let sender = nodes[1]
            .state_get_account(dev_key(0).address(), None)
            .await
            .expect("account");
        assert_eq!(
            sender.nonce, 20,
            "every transfer is in the chain exactly once"
        );
    });
}

async fn head_of(rpc: &HttpClient) -> u64 {
    head(rpc).await
}

/// Each validator's address (the proposer field of the blocks it builds), by node index: the
/// address of the key `cairn init` wrote into its data dir.
fn validator_addresses(net: &std::path::Path) -> Vec<Address> {
    (0..VALIDATORS)
        .map(|i| {
            let text = std::fs::read_to_string(net.join(format!("node{i}/validator.key")))
                .expect("validator.key");
            let seed = cairn_primitives::parse_fixed_hex::<32>(text.trim()).expect("hex key");
            cairn_primitives::SecretKey::from_bytes(&seed).address()
        })
        .collect()
}

/// A one-way TCP relay from `listen` to `target` that can be cut: a cut closes every relayed
/// connection and refuses new ones until healed (a network partition, in user space).
struct Relay {
    cut: std::sync::Arc<std::sync::atomic::AtomicBool>,
    open: std::sync::Arc<std::sync::Mutex<Vec<std::net::TcpStream>>>,
}

impl Relay {
    fn start(listen: std::net::TcpListener, target: std::net::SocketAddr) -> Self {
        use std::sync::atomic::Ordering;
        let cut = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let open = std::sync::Arc::new(std::sync::Mutex::new(Vec::<std::net::TcpStream>::new()));
        let (cut_a, open_a) = (std::sync::Arc::clone(&cut), std::sync::Arc::clone(&open));
        std::thread::spawn(move || {
            for inbound in listen.incoming() {
                let Ok(inbound) = inbound else { continue };
                if cut_a.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let Ok(outbound) = std::net::TcpStream::connect(target) else {
                    continue;
                };
                let pairs = [
                    (inbound.try_clone(), outbound.try_clone()),
                    (outbound.try_clone(), inbound.try_clone()),
                ];
                {
                    let mut open = open_a.lock().expect("lock");
                    // A cut that raced this connection: `set_cut` drained `open` before
                    // the push, so close it here (under the lock `set_cut` takes).
                    if cut_a.load(Ordering::SeqCst) {
                        let _ = inbound.shutdown(std::net::Shutdown::Both);
                        let _ = outbound.shutdown(std::net::Shutdown::Both);
                        continue;
                    }
                    open.extend(inbound.try_clone());
                    open.extend(outbound.try_clone());
                }
                for pair in pairs {
                    if let (Ok(mut from), Ok(mut to)) = pair {
                        std::thread::spawn(move || {
                            let _ = std::io::copy(&mut from, &mut to);
                            let _ = to.shutdown(std::net::Shutdown::Both);
                        });
                    }
                }
            }
        });
        Self { cut, open }
    }

    fn set_cut(&self, cut: bool) {
        let mut open = self.open.lock().expect("lock");
        self.cut.store(cut, std::sync::atomic::Ordering::SeqCst);
        if cut {
            for s in open.drain(..) {
                let _ = s.shutdown(std::net::Shutdown::Both);
            }
        }
    }
}

#[test]
#[allow(clippy::too_many_lines)]
fn a_2_2_partition_between_processes_stops_finalization_and_healing_resumes_it() {
    let _serial = crate::node_restart::serial();
    let dir = tempfile::tempdir().expect("dir");
    let ok = Command::new(cairn_bin())
        .args(["init", "--validators", "4", "--accounts", "1", "--data-dir"])
        .arg(dir.path())
        .status()
        .expect("cairn init");
    assert!(ok.success());
    // Every validator listens where the genesis says; each one's own copy of the genesis
    // names, for every peer, a relay of that pair (p2p addresses are not part of consensus).
    let genesis_of = |i: usize| dir.path().join(format!("node{i}/genesis.json"));
    let genesis: serde_json::Value =
        serde_json::from_slice(&std::fs::read(genesis_of(0)).expect("genesis")).expect("json");
    let listen: Vec<std::net::SocketAddr> = genesis["validators"]
        .as_array()
        .expect("validators")
        .iter()
        .map(|v| {
            v["p2p_address"]
                .as_str()
                .expect("address")
                .parse()
                .expect("addr")
        })
        .collect();
    let mut relays = Vec::new(); // (from, to, relay)
    for i in 0..VALIDATORS {
        let mut mine = genesis.clone();
        for j in (0..VALIDATORS).filter(|j| *j != i) {
            let socket = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            mine["validators"][j]["p2p_address"] =
                serde_json::Value::String(socket.local_addr().expect("addr").to_string());
            relays.push((i, j, Relay::start(socket, listen[j])));
        }
        std::fs::write(
            genesis_of(i),
            serde_json::to_vec_pretty(&mine).expect("json"),
        )
        .expect("write genesis");
    }
    let nodes: Vec<Node> = (0..VALIDATORS).map(|i| start(dir.path(), i)).collect();
    let rpcs: Vec<&HttpClient> = nodes.iter().map(|n| &n.rpc).collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let cross = |a: usize, b: usize| (a < 2) != (b < 2);
    rt.block_on(async {
        for rpc in &rpcs {
            wait_height(rpc, 3, "all four finalize through the relays").await;
        }
        transfers(rpcs[0], rpcs[3], 0, 5).await;

        // Cut {0,1} | {2,3}: neither half has a quorum of 3.
        for (a, b, relay) in &relays {
            if cross(*a, *b) {
                relay.set_cut(true);
            }
        }
        // Blocks finalized before the cut may still reach a lagging node of the same half:
        // the heads settle once every node has been still for a while.
        let mut settled = heads(&rpcs).await;
        let (deadline, mut still_since) = (Instant::now() + PATIENCE, Instant::now());
        while still_since.elapsed() < Duration::from_secs(3) {
            assert!(
                Instant::now() < deadline,
                "heads never settled after the cut"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
            let now = heads(&rpcs).await;
            if now != settled {
                (settled, still_since) = (now, Instant::now());
            }
        }
        // A transfer acknowledged (admitted) during the partition.
        let chain_id = rpcs[0].chain_id().await.expect("chain_id");
        let during = dev_key(0).sign_tx(Transaction {
            chain_id,
            nonce: 5,
            gas_limit: 100_000,
            gas_price: Amount::one(),
            kind: TxKind::Transfer(Transfer {
                to: Address([0x66; 20]),
                amount: Amount::from(3u64),
            }),
        });
        let hash = rpcs[0]
            .tx_send(Bytes(during.encode()))
            .await
            .expect("admitted while partitioned");
        tokio::time::sleep(Duration::from_secs(8)).await;
        let later = heads(&rpcs).await;
        assert_eq!(
            settled.iter().max(),
            later.iter().max(),
            "no half finalizes alone ({settled:?} then {later:?})"
        );

        // Heal: liveness resumes within a bound.
        let healed = Instant::now();
        for (_, _, relay) in &relays {
            relay.set_cut(false);
        }
        for rpc in &rpcs {
            wait_height(
                rpc,
                later.iter().max().unwrap() + 3,
                "finalization resumes after healing",
            )
            .await;
        }
        let resumed = healed.elapsed();
        assert!(
            resumed < Duration::from_secs(60),
            "resumed after {resumed:?}"
        );
        // The transfer admitted during the partition is in the chain exactly once.
        let deadline = Instant::now() + PATIENCE;
        let receipt = loop {
            if let Some(r) = rpcs[2].chain_get_receipt(hash).await.expect("receipt") {
                break r;
            }
            assert!(
                Instant::now() < deadline,
                "the partition-time transfer never landed"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(receipt.status, ReceiptStatus::Success);
        let mut top = u64::MAX;
        for rpc in &rpcs {
            top = top.min(head(rpc).await);
        }
        agreed_chain(&rpcs, top).await;
        let sender = rpcs[3]
            .state_get_account(dev_key(0).address(), None)
            .await
            .expect("account");
        assert_eq!(sender.nonce, 6, "every transfer once");
        println!("partition healed; finalization resumed after {resumed:?}");
    });
}
