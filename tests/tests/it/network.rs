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
