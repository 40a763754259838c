//! The example contracts, built from source by the SDK's toolchain, on a real `cairn devnet`
//! over JSON-RPC: two tokens and an AMM deployed, liquidity added, a swap, results read with
//! `contract_view`, `events_get` and the merged ABI from `contract_getAbi`.

use std::time::Duration;

use borsh::BorshDeserialize;
use cairn_example_amm::Swap;
use cairn_example_token::Transfer;
use cairn_primitives::{Address, Amount, Call, Deploy, Hash, MethodCall, ReceiptStatus, TxKind};
use cairn_rpc_api::{
    Bytes, CairnApiClient, CallFrameInfo, DevApiClient, DevTransaction, EventQuery, ReceiptInfo,
    TxRequest,
};
use cairn_sdk::Event;
use std::process::Command;

use crate::node_restart::{Node, dev_key};
use crate::rpc_e2e::devnet;

fn args<T: borsh::BorshSerialize>(v: &T) -> Vec<u8> {
    borsh::to_vec(v).expect("encode")
}

/// A call tree with its gas limits and gas-left figures zeroed (they depend on the gas
/// limit the transaction was given, nothing else).
fn without_limits(mut frames: Vec<CallFrameInfo>) -> Vec<CallFrameInfo> {
    for f in &mut frames {
        f.gas_limit = 0;
        for s in &mut f.steps {
            s.gas_left = 0;
        }
        f.calls = without_limits(std::mem::take(&mut f.calls));
    }
    frames
}

struct Client<'a> {
    rpc: &'a jsonrpsee::http_client::HttpClient,
    node: &'a Node,
}

impl Client<'_> {
    async fn send(&self, from: Address, kind: TxKind) -> ReceiptInfo {
        let hash = self
            .rpc
            .dev_send(DevTransaction {
                from,
                kind,
                nonce: None,
                gas_limit: None,
                gas_price: None,
            })
            .await
            .expect("dev_send");
        self.wait(hash).await
    }

    async fn wait(&self, hash: Hash) -> ReceiptInfo {
        for _ in 0..1_500 {
            if let Some(r) = self.rpc.chain_get_receipt(hash).await.expect("receipt") {
                return r;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let log: Vec<String> = self.node.lines.try_iter().collect();
        panic!(
            "no receipt for {hash} within 30 s; the node printed:\n{}",
            log.join("\n")
        );
    }

    async fn deploy(&self, from: Address, code: &[u8], init_args: Vec<u8>) -> Address {
        let r = self
            .send(
                from,
                TxKind::Deploy(Deploy {
                    code: code.to_vec(),
                    init: Some(MethodCall {
                        method: "new".into(),
                        args: init_args,
                    }),
                    salt: None,
                    value: Amount::zero(),
                    admin: None,
                }),
            )
            .await;
        assert_eq!(r.status, ReceiptStatus::Success, "{r:?}");
        r.contract_address.expect("deployed")
    }

    async fn call(&self, from: Address, to: Address, method: &str, a: Vec<u8>) -> ReceiptInfo {
        self.send(
            from,
            TxKind::Call(Call {
                to,
                method: method.into(),
                args: a,
                value: Amount::zero(),
            }),
        )
        .await
    }

    async fn view<T: BorshDeserialize>(&self, to: Address, method: &str, a: Vec<u8>) -> T {
        let r = self
            .rpc
            .contract_view(to, method.into(), Bytes(a), None)
            .await
            .expect("contract_view");
        borsh::from_slice(&r.return_data).expect("decodes")
    }
}

#[test]
fn token_and_amm_swap_on_a_devnet() {
    let _serial = crate::node_restart::serial();
    let token_wasm = cairn_testkit::build_wasm(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../contracts/token"),
    )
    .expect("token builds");
    let amm_wasm = cairn_testkit::build_wasm(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../contracts/amm"),
    )
    .expect("amm builds");
    let dir = tempfile::tempdir().expect("dir");
    let (node, _) = devnet(&dir.path().join("d"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let c = Client {
            rpc: &node.rpc,
            node: &node,
        };
        let (alice, bob) = (dev_key(0).address(), dev_key(1).address());
        let supply = 10_000_000u128;
        let a = c
            .deploy(
                alice,
                &token_wasm,
                args(&("A".to_owned(), "A".to_owned(), 18u8, supply)),
            )
            .await;
        let b = c
            .deploy(
                alice,
                &token_wasm,
                args(&("B".to_owned(), "B".to_owned(), 18u8, supply)),
            )
            .await;
        let pool = c.deploy(alice, &amm_wasm, args(&(a, b, 30u16))).await;

        // The ABI as the node serves it: methods and the events, merged from the section.
        let abi = c
            .rpc
            .contract_get_abi(pool, None)
            .await
            .expect("contract_getAbi")
            .expect("the pool has an ABI");
        assert_eq!(abi["name"], "Pool");
        let methods: Vec<&str> = abi["methods"]
            .as_array()
            .expect("methods")
            .iter()
            .filter_map(|m| m["name"].as_str())
            .collect();
        assert!(methods.contains(&"swap") && methods.contains(&"add_liquidity"));
        let events: Vec<&str> = abi["events"]
            .as_array()
            .expect("events")
            .iter()
            .filter_map(|e| e["name"].as_str())
            .collect();
        assert_eq!(events, ["LiquidityAdded", "LiquidityRemoved", "Swap"]);

        for t in [a, b] {
            let r = c.call(alice, t, "approve", args(&(pool, u128::MAX))).await;
            assert_eq!(r.status, ReceiptStatus::Success, "{r:?}");
            let r = c
                .call(alice, t, "transfer", args(&(bob, 100_000u128)))
                .await;
            assert_eq!(r.status, ReceiptStatus::Success, "{r:?}");
        }
        let r = c
            .call(
                alice,
                pool,
                "add_liquidity",
                args(&(1_000_000u128, 2_000_000u128, 1u128)),
            )
            .await;
        assert_eq!(r.status, ReceiptStatus::Success, "{r:?}");

        // Without an allowance the token's revert surfaces through the pool.
        let r = c
            .call(bob, pool, "swap", args(&(a, 10_000u128, 1u128)))
            .await;
        assert_eq!(r.status, ReceiptStatus::Reverted);
        assert_eq!(
            r.error.as_deref(),
            Some("token call reverted: insufficient allowance: have 0, need 10000")
        );

        let r = c.call(bob, a, "approve", args(&(pool, 10_000u128))).await;
        assert_eq!(r.status, ReceiptStatus::Success, "{r:?}");
        let quoted: u128 = c.view(pool, "quote", args(&(a, 10_000u128))).await;
        assert_eq!(quoted, 19_743);
        // The swap simulated first: its call tree is the pool calling both tokens.
        let swap_kind = TxKind::Call(Call {
            to: pool,
            method: "swap".into(),
            args: args(&(a, 10_000u128, quoted)),
            value: Amount::zero(),
        });
        let sim = c
            .rpc
            .tx_simulate(
                TxRequest {
                    from: bob,
                    kind: swap_kind,
                    nonce: None,
                    gas_limit: None,
                    gas_price: None,
                },
                None,
            )
            .await
            .expect("tx_simulate");
        assert_eq!(sim.calls.len(), 1, "{sim:?}");
        let tree = &sim.calls[0];
        assert_eq!((tree.contract, tree.method.as_str()), (pool, "swap"));
        let nested: Vec<(Address, &str)> = tree
            .calls
            .iter()
            .map(|f| (f.contract, f.method.as_str()))
            .collect();
        assert_eq!(nested, [(a, "transfer_from"), (b, "transfer")]);
        let swap = c
            .call(bob, pool, "swap", args(&(a, 10_000u128, quoted)))
            .await;
        assert_eq!(swap.status, ReceiptStatus::Success, "{swap:?}");
        assert_eq!(
            swap.gas_used, sim.gas_used,
            "simulation and inclusion agree"
        );

        // The included swap traced: the same tree, every storage write with its key and
        // value, the callees' gas accounted, and a gas profile adding up to the receipt's.
        let trace = c
            .rpc
            .tx_trace(swap.tx_hash)
            .await
            .expect("tx_trace")
            .expect("known tx");
        assert_eq!(trace.gas_used, swap.gas_used);
        assert_eq!(
            without_limits(trace.calls.clone()),
            without_limits(sim.calls.clone()),
            "same state, same tree (only the gas limits differ: the simulation had the block's)"
        );
        let p = trace.gas_profile;
        assert_eq!(
            p.intrinsic + p.wasm + p.storage + p.events + p.calls + p.crypto + p.host,
            swap.gas_used,
            "{p:?}"
        );
        assert!(
            p.intrinsic > 0 && p.wasm > 0 && p.storage > 0 && p.events > 0,
            "{p:?}"
        );
        assert_eq!(swap.gas_profile, p, "the receipt carries the same profile");
        assert_eq!(sim.gas_profile, p, "and the simulation predicted it");
        let pool_frame = &trace.calls[0];
        let callees = pool_frame.steps.iter().filter(|s| s.op == "callee").count();
        assert_eq!(callees, 2, "each nested call's gas is marked");
        let token_b = &pool_frame.calls[1];
        assert!(token_b.outcome == "success" && token_b.gas_used > 0);
        let writes = token_b
            .steps
            .iter()
            .filter(|s| s.op == "storage_write" && s.key.is_some() && s.value.is_some())
            .count();
        assert!(writes >= 2, "two balances written: {:?}", token_b.steps);
        assert!(
            token_b
                .steps
                .iter()
                .any(|s| s.op == "emit_event" && s.topics.as_ref().is_some_and(|t| !t.is_empty())),
            "the Transfer event is in the trace"
        );
        assert!(
            pool_frame
                .steps
                .windows(2)
                .all(|w| w[0].gas_left >= w[1].gas_left),
            "gas left only goes down"
        );
        assert_eq!(
            c.rpc.tx_trace(Hash([7; 32])).await.expect("tx_trace"),
            None,
            "an unknown hash has no trace"
        );
        assert_eq!(
            u128::try_from_slice(&swap.return_data).expect("u128"),
            19_743
        );

        // Results through contract_view.
        assert_eq!(c.view::<u128>(a, "balance_of", args(&(bob,))).await, 90_000);
        assert_eq!(
            c.view::<u128>(b, "balance_of", args(&(bob,))).await,
            119_743
        );
        assert_eq!(
            c.view::<(u128, u128)>(pool, "reserves", args(&())).await,
            (1_010_000, 1_980_257)
        );

        // The receipt's events: the tokens' Transfers (nested calls) and the pool's Swap.
        let transfers: Vec<Transfer> = swap
            .events
            .iter()
            .filter_map(|e| Transfer::decode(&e.event.topics, &e.event.data))
            .collect();
        assert_eq!(transfers.len(), 2);
        assert_eq!((transfers[0].from, transfers[0].to), (bob, pool));
        assert_eq!(
            (transfers[1].from, transfers[1].to, transfers[1].amount),
            (pool, bob, 19_743)
        );

        // events_get by contract and signature topic finds the swap.
        let logs = c
            .rpc
            .events_get(EventQuery {
                contract: Some(pool),
                topic: Some(Swap::SIGNATURE_HASH),
                ..EventQuery::default()
            })
            .await
            .expect("events_get");
        assert_eq!(logs.len(), 1, "{logs:?}");
        assert_eq!(logs[0].tx_hash, swap.tx_hash);
        let ev = Swap::decode(&logs[0].event.topics, &logs[0].event.data).expect("a Swap");
        assert_eq!(
            ev,
            Swap {
                trader: bob,
                token_in: a,
                amount_in: 10_000,
                amount_out: 19_743
            }
        );
    });
    drop(node);
}

#[test]
fn cairn_abi_prints_a_contracts_abi_and_refuses_other_files() {
    let token_wasm = cairn_testkit::build_wasm(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../contracts/token"),
    )
    .expect("token builds");
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("token.wasm");
    std::fs::write(&file, token_wasm.as_slice()).expect("write");
    let out = Command::new(cairn_tests::cairn_bin())
        .arg("abi")
        .arg(&file)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let abi: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(abi["name"], "Token");
    assert_eq!(abi["events"][0]["name"], "Approval");
    assert_eq!(
        abi["events"][1]["signature"],
        "Transfer(address,address,u128)"
    );
    let transfer = abi["methods"]
        .as_array()
        .expect("methods")
        .iter()
        .find(|m| m["name"] == "transfer")
        .expect("transfer listed");
    assert_eq!(transfer["args"][1]["type"], "u128");
    assert_eq!(transfer["error"], "TokenError");
    assert_eq!(abi["version"], 1);
    assert!(abi["errors"].is_array());

    let not_wasm = dir.path().join("notes.txt");
    std::fs::write(&not_wasm, b"hello").expect("write");
    let no_abi = dir.path().join("bare.wasm");
    std::fs::write(&no_abi, b"\0asm\x01\0\0\0").expect("write");
    for (path, expect) in [
        (not_wasm, "is not a wasm module"),
        (no_abi, "has no ABI"),
        (dir.path().join("missing.wasm"), "cannot read"),
    ] {
        let out = Command::new(cairn_tests::cairn_bin())
            .arg("abi")
            .arg(&path)
            .output()
            .expect("runs");
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expect), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// Runs `cairn build --path dir` into the directory cairn-testkit builds contracts in (warm
/// from the suite's other tests); its stdout, after asserting success.
fn cairn_build(dir: &std::path::Path) -> String {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(
            || cairn_tests::workspace_root().join("target"),
            std::path::PathBuf::from,
        )
        .join("wasm");
    let out = Command::new(cairn_tests::cairn_bin())
        .args(["build", "--path"])
        .arg(dir)
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn cairn_build_compiles_checks_and_summarises_a_contract() {
    let root = cairn_tests::workspace_root();
    let stdout = cairn_build(&root.join("contracts/counter"));
    assert!(stdout.contains("cairn_example_counter.wasm"), "{stdout}");
    assert!(stdout.contains("contract  Counter"), "{stdout}");
    assert!(
        stdout.contains("increment (call) (by: u64) -> u64"),
        "{stdout}"
    );
    assert!(stdout.contains("get (view) () -> u64"), "{stdout}");
    assert!(stdout.contains("Changed(address,u64)"), "{stdout}");
    assert!(stdout.contains("the deploy limit is 512 KiB"), "{stdout}");

    let empty = tempfile::tempdir().expect("dir");
    let out = Command::new(cairn_tests::cairn_bin())
        .args(["build", "--path"])
        .arg(empty.path())
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("has no Cargo.toml"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
}

#[test]
fn cairn_new_writes_a_contract_crate_that_builds() {
    let root = cairn_tests::workspace_root();
    let dir = tempfile::tempdir().expect("dir");
    let new = |name: &str| {
        Command::new(cairn_tests::cairn_bin())
            .args(["new", name, "--sdk-path"])
            .arg(&root)
            .current_dir(dir.path())
            .output()
            .expect("runs")
    };
    let out = new("demo");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let demo = dir.path().join("demo");
    for f in [
        "Cargo.toml",
        "Cargo.lock",
        "src/lib.rs",
        "tests/testkit.rs",
        ".gitignore",
    ] {
        assert!(demo.join(f).is_file(), "{f} written");
    }
    let manifest = std::fs::read_to_string(demo.join("Cargo.toml")).expect("manifest");
    assert!(manifest.contains("name = \"demo\""), "{manifest}");
    assert!(
        manifest.contains("[profile.contract]\ninherits = \"release\"\nopt-level = \"z\"\n"),
        "{manifest}"
    );
    // The generated contract builds for wasm32 and passes the VM's deploy checks.
    let stdout = cairn_build(&demo);
    assert!(stdout.contains("contract  Counter"), "{stdout}");
    // Refusals: the same name again, a bad name.
    for (name, expect) in [
        ("demo", "already exists"),
        ("Bad Name", "invalid crate name"),
    ] {
        let out = new(name);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expect), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
}
