//! `cairn node` and `cairn devnet` as a user runs them: graceful stop on SIGTERM/SIGINT,
//! restart at the same head, the devnet banner, and clear errors for a missing data dir.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cairn_rpc_api::CairnApiClient;
use cairn_tests::cairn_bin;

use crate::node_restart::{Node, dev_key, field, spawn};
use crate::rpc_e2e::runtime;

fn signal(node: &Node, sig: &str) {
    let status = Command::new("kill")
        .args([sig, &node.child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

/// Waits (bounded) for the process to exit and returns whether it exited with success.
fn exits_cleanly(node: &mut Node) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = node.child.try_wait().expect("try_wait") {
            return status.success();
        }
        assert!(
            Instant::now() < deadline,
            "the node did not stop within 30 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn node_stops_on_sigterm_and_restarts_at_the_same_head() {
    let _serial = crate::node_restart::serial();
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("n");
    let ok = Command::new(cairn_bin())
        .args(["init", "--data-dir"])
        .arg(&data)
        .status()
        .expect("init");
    assert!(ok.success());
    let rt = runtime();
    let node_cmd = || {
        let mut cmd = Command::new(cairn_bin());
        cmd.args(["node", "--data-dir"]).arg(&data).args([
            "--rpc-addr",
            "127.0.0.1:0",
            "--heartbeat",
            "100ms",
        ]);
        cmd
    };
    let mut node = spawn(node_cmd());
    let head = rt.block_on(async {
        loop {
            let head = node.rpc.chain_head().await.expect("chain_head");
            if head.height >= 3 {
                break head;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    let dev = rt.block_on(cairn_rpc_api::DevApiClient::dev_accounts(&node.rpc));
    match dev {
        Err(jsonrpsee::core::ClientError::Call(e)) => {
            assert_eq!(
                e.code(),
                -32601,
                "dev_* methods do not exist outside a devnet"
            );
        }
        other => panic!("dev_accounts on a plain node: {other:?}"),
    }
    signal(&node, "-TERM");
    assert!(
        exits_cleanly(&mut node),
        "SIGTERM must stop the node with success"
    );
    let stopped = node.wait_line("stopped");
    drop(node);
    let node = spawn(node_cmd());
    let stopped_at: u64 = field(&stopped, "height").parse().expect("height");
    let opened_at: u64 = field(&node.opened, "height").parse().expect("height");
    assert!(stopped_at >= head.height);
    assert_eq!(
        opened_at, stopped_at,
        "a clean restart continues at the head it stopped at"
    );
    assert_eq!(
        field(&stopped, "hash"),
        field(&node.opened, "hash"),
        "same head block"
    );
}

#[test]
fn node_on_an_uninitialised_dir_says_what_to_do() {
    let _serial = crate::node_restart::serial();
    let dir = tempfile::tempdir().expect("dir");
    let out = Command::new(cairn_bin())
        .args(["node", "--data-dir"])
        .arg(dir.path().join("missing"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cairn init"), "{err}");
    assert_eq!(
        err.lines().filter(|l| l.starts_with("error:")).count(),
        1,
        "{err}"
    );
}

#[test]
fn devnet_prints_its_accounts_serves_rpc_and_stops_on_ctrl_c() {
    let _serial = crate::node_restart::serial();
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("devnet");
    let mut cmd = Command::new(cairn_bin());
    cmd.args(["devnet", "--data-dir"]).arg(&data).args([
        "--rpc-addr",
        "127.0.0.1:0",
        "--accounts",
        "3",
        "--chain-id",
        "4242",
    ]);
    let mut node = spawn(cmd);
    let first = dev_key(0).address().to_string();
    let line = node.wait_line(&first);
    assert!(line.contains("balance"), "{line}");
    let secret = node.wait_line("secret key");
    assert!(secret.contains(&cairn_primitives::to_hex(&dev_key(0).to_bytes())));
    let rt = runtime();
    assert_eq!(rt.block_on(node.rpc.chain_id()).expect("chain_id"), 4242);
    let account = rt
        .block_on(node.rpc.state_get_account(dev_key(2).address(), None))
        .expect("state_getAccount");
    assert!(!account.balance.is_zero(), "dev accounts are prefunded");
    signal(&node, "-INT");
    assert!(
        exits_cleanly(&mut node),
        "Ctrl-C must stop the devnet with success"
    );
    assert!(
        data.join("genesis.json").exists(),
        "a named data dir is kept"
    );
}

/// `cairn bench` runs end to end (briefly) and writes its figures as JSON; the figures
/// themselves are reported by a release build, not judged here.
#[test]
fn cairn_bench_measures_a_devnet_and_writes_json() {
    let _serial = crate::node_restart::serial();
    let dir = tempfile::tempdir().expect("dir");
    let json = dir.path().join("bench.json");
    let out = Command::new(cairn_bin())
        .args([
            "bench",
            "--starts",
            "1",
            "--clients",
            "1,2",
            "--seconds",
            "1",
            "--transfers",
            "3000",
            "--token-transfers",
            "1000",
            "--state-accounts",
            "2000",
            "--gas-limit",
            "200000000",
            "--token",
        ])
        .arg(cairn_tests::workspace_root().join("contracts/token"))
        .arg("--json")
        .arg(&json)
        .output()
        .expect("cairn bench runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("cold start") && stdout.contains("p99"),
        "{stdout}"
    );
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).expect("json written")).expect("json");
    assert_eq!(v["cold_start_ms"]["runs"].as_array().map(Vec::len), Some(1));
    // The loaded devnet runs with the gas limit asked for (the node's own answer).
    assert_eq!(v["block_gas_limit"], 200_000_000, "{v}");
    let runs = v["contract_view"].as_array().expect("view runs");
    assert_eq!(runs.len(), 2);
    for (run, clients) in runs.iter().zip([1, 2]) {
        assert_eq!(run["clients"], clients);
        assert!(run["views"].as_u64().is_some_and(|n| n > 0), "{run}");
        assert_eq!(run["errors"], 0, "{run}");
    }
    // Both write workloads ran to the end and their every receipt and balance was checked.
    let loads = v["workloads"].as_array().expect("workloads");
    let names: Vec<&str> = loads.iter().filter_map(|l| l["name"].as_str()).collect();
    assert_eq!(
        names,
        ["native transfers", "token transfers", "new accounts"]
    );
    for (load, txs) in loads.iter().zip([3000, 1000, 2000]) {
        // The node's log gave each workload's per-block commit times.
        let commit = &load["commit_ms"];
        assert!(commit["p50"].as_f64().is_some_and(|ms| ms > 0.0), "{load}");
        assert!(commit["max"].as_f64() >= commit["p99"].as_f64(), "{load}");
        assert_eq!(load["txs"], txs, "{load}");
        assert!(
            load["per_second"].as_f64().is_some_and(|r| r > 0.0),
            "{load}"
        );
        assert!(load["p99_ms"].as_f64() >= load["p50_ms"].as_f64(), "{load}");
        assert!(
            load["node_rss_mib"].as_f64().is_some_and(|m| m > 0.0),
            "{load}"
        );
        let verified = load["verified"].as_str().unwrap_or_default();
        assert!(
            verified.starts_with(&format!("{txs} receipts succeeded; 10000 ")),
            "{verified}"
        );
    }

    // Bad flags are refused before anything runs, each with its rule.
    for (args, says) in [
        (&["--clients", "0"][..], "--clients"),
        (&["--window", "20001"], "--window must be in 1..=20000"),
        (&["--gas-limit", "100"], "--gas-limit must be at least"),
        (
            &["--peers", "bench/peers", "--peer-accounts", "1"],
            "--peer-accounts must be in 2..=10000",
        ),
    ] {
        let said = bench_refusal(args);
        assert!(said.contains(says), "{args:?}: {said}");
    }
    // The peers' side refuses at once, before measuring anything, when it is not installed.
    let missing = dir.path().join("no-peers");
    let said = bench_refusal(&["--peers", missing.to_str().expect("a UTF-8 temp path")]);
    assert!(
        said.contains("install.sh") && !said.contains("bench:"),
        "{said}"
    );
}

/// Runs `cairn bench ARGS`, which must fail; returns what it said on stderr.
fn bench_refusal(args: &[&str]) -> String {
    let out = Command::new(cairn_bin())
        .arg("bench")
        .args(args)
        .output()
        .expect("runs");
    assert!(
        !out.status.success(),
        "cairn bench {args:?} should be refused"
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn cairn_bench_network_measures_four_validators_and_writes_json() {
    let _serial = crate::node_restart::serial();
    let dir = tempfile::tempdir().expect("dir");
    let json = dir.path().join("net.json");
    let out = Command::new(cairn_bin())
        .args(["bench-network", "--seconds", "2", "--load-tps", "50"])
        .args(["--transfers", "200", "--catch-up-blocks", "20", "--json"])
        .arg(&json)
        .output()
        .expect("cairn bench-network runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("finality p50") && stdout.contains("catch-up"),
        "{stdout}"
    );
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).expect("json written")).expect("json");
    for phase in ["idle", "loaded"] {
        assert!(
            v[phase]["finality_ms"]["probes"]
                .as_u64()
                .is_some_and(|n| n > 0),
            "{v}"
        );
        assert!(
            v[phase]["block_ms"]["p50"]
                .as_f64()
                .is_some_and(|ms| ms > 0.0),
            "{v}"
        );
    }
    assert!(v["throughput_tps"].as_f64().is_some_and(|t| t > 0.0), "{v}");
    assert!(
        v["catch_up_blocks"].as_u64().is_some_and(|b| b >= 20),
        "{v}"
    );

    let bad = Command::new(cairn_bin())
        .args(["bench-network", "--validators", "3"])
        .output()
        .expect("runs");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--validators"));
}

/// The bench's committed contract is its `.wat` source assembled.
#[test]
fn the_bench_contract_matches_its_source() {
    let src = cairn_tests::workspace_root().join("node/cli/src");
    let wat = std::fs::read_to_string(src.join("bench_kv.wat")).expect("bench_kv.wat");
    let wasm = std::fs::read(src.join("bench_kv.wasm")).expect("bench_kv.wasm");
    assert_eq!(wat::parse_str(&wat).expect("assembles"), wasm);
}
