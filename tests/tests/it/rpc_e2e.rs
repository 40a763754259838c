//! The JSON-RPC server of a real `cairn devnet`, over HTTP and WebSocket: dev accounts,
//! `dev_send`, `dev_mine`, head subscriptions, state and event queries, and bad input that
//! gets a clear error while the node carries on.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use cairn_primitives::{Address, Amount, ReceiptStatus, Transfer, TxKind};
use cairn_rpc_api::{
    BlockId, Bytes, CairnApiClient, DevApiClient, DevTransaction, ErrorCode, EventQuery,
};
use cairn_tests::cairn_bin;
use jsonrpsee::core::client::{ClientT, SubscriptionClientT};
use jsonrpsee::rpc_params;
use jsonrpsee::ws_client::WsClientBuilder;

use crate::node_restart::{Node, dev_key, spawn};

/// A devnet with 3 dev accounts, an RPC port of its own and a 60 s heartbeat (blocks come
/// from transactions and `dev_mine`); the node and its URL.
pub(crate) fn devnet(dir: &std::path::Path) -> (Node, String) {
    devnet_with(dir, &[])
}

/// [`devnet`] with extra `cairn devnet` flags.
pub(crate) fn devnet_with(dir: &std::path::Path, extra: &[&str]) -> (Node, String) {
    let mut cmd = Command::new(cairn_bin());
    cmd.args(["devnet", "--data-dir"]).arg(dir).args([
        "--rpc-addr",
        "127.0.0.1:0",
        "--accounts",
        "3",
        "--heartbeat",
        "60s",
    ]);
    cmd.args(extra);
    let node = spawn(cmd);
    let url = node.url.clone();
    (node, url)
}

pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn call_code(e: jsonrpsee::core::ClientError) -> i32 {
    match e {
        jsonrpsee::core::ClientError::Call(e) => e.code(),
        other => panic!("expected a JSON-RPC error object, got {other}"),
    }
}

#[test]
fn devnet_methods_and_subscriptions_over_http_and_ws() {
    let _serial = crate::node_restart::serial();
    let dir = tempfile::tempdir().expect("dir");
    let (node, url) = devnet(&dir.path().join("d"));
    let rt = runtime();
    rt.block_on(async {
        let rpc = &node.rpc;
        let accounts = rpc.dev_accounts().await.expect("dev_accounts");
        assert_eq!(accounts.len(), 3);
        for (i, a) in accounts.iter().enumerate() {
            let key = dev_key(u32::try_from(i).expect("small"));
            assert_eq!(a.address, key.address());
            assert_eq!(a.secret_key.0, key.to_bytes().to_vec());
            assert!(!a.balance.is_zero());
        }
        let info = rpc.node_info().await.expect("node_info");
        assert!(info.dev);
        assert_eq!(info.chain_id, rpc.chain_id().await.expect("chain_id"));

        // WebSocket on the same port: every committed block is pushed.
        let ws = WsClientBuilder::default()
            .build(url.replace("http://", "ws://"))
            .await
            .expect("ws connect");
        let mut heads = ws
            .subscribe::<cairn_rpc_api::Head, _>(
                "chain_subscribeHeads",
                rpc_params![],
                "chain_unsubscribeHeads",
            )
            .await
            .expect("subscribe");

        // dev_send: the node picks nonce, gas and signs; the heartbeat is 60 s, so the block
        // comes from the pending transaction itself.
        let to = Address([0x5a; 20]);
        let hash = rpc
            .dev_send(DevTransaction {
                from: accounts[0].address,
                kind: TxKind::Transfer(Transfer {
                    to,
                    amount: Amount::from(12_345u64),
                }),
                nonce: None,
                gas_limit: None,
                gas_price: None,
            })
            .await
            .expect("dev_send");
        let receipt = loop {
            if let Some(r) = rpc.chain_get_receipt(hash).await.expect("receipt") {
                break r;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert_eq!(receipt.status, ReceiptStatus::Success);
        let account = rpc.state_get_account(to, None).await.expect("account");
        assert_eq!(account.balance, Amount::from(12_345u64));
        let first = tokio::time::timeout(Duration::from_secs(30), heads.next())
            .await
            .expect("a head within 30 s")
            .expect("stream open")
            .expect("head");
        assert!(first.height >= 1);

        // dev_mine: blocks on demand, each one pushed to the subscriber.
        let before = rpc.chain_head().await.expect("head").height;
        let mined = rpc.dev_mine(Some(3)).await.expect("dev_mine");
        assert!(
            mined.height >= before + 3,
            "{} < {} + 3",
            mined.height,
            before
        );
        let mut last = first.height;
        while last < mined.height {
            let h = tokio::time::timeout(Duration::from_secs(30), heads.next())
                .await
                .expect("head pushed")
                .expect("open")
                .expect("head");
            assert!(h.height > last, "heads arrive in order");
            last = h.height;
        }
        assert_eq!(
            call_code(rpc.dev_mine(Some(0)).await.expect_err("zero blocks")),
            -32602
        );

        // State and event queries.
        assert_eq!(rpc.state_get_code(to, None).await.expect("code"), None);
        assert_eq!(
            rpc.state_get_storage(to, Bytes(b"k".to_vec()), None)
                .await
                .expect("storage"),
            None
        );
        let at_genesis = rpc
            .state_get_account(to, Some(BlockId::Height(0)))
            .await
            .expect("account at 0");
        assert!(at_genesis.balance.is_zero(), "the old version is served");
        let none = rpc
            .events_get(EventQuery::default())
            .await
            .expect("events_get");
        assert!(none.is_empty(), "transfers emit no events");
        let too_wide = rpc
            .events_get(EventQuery {
                from_block: Some(0),
                to_block: Some(1_000_000),
                ..EventQuery::default()
            })
            .await
            .expect_err("range cap");
        assert_eq!(call_code(too_wide), ErrorCode::RangeTooLarge.code());
        let reversed = rpc
            .events_get(EventQuery {
                from_block: Some(5),
                to_block: Some(4),
                ..EventQuery::default()
            })
            .await
            .expect_err("reversed range");
        assert_eq!(call_code(reversed), -32602);
    });
    drop(node);
}

/// One raw HTTP POST; returns the status line and the body. Write errors are ignored (a
/// server may answer and close before reading a huge body).
fn post(url: &str, body: &[u8]) -> (String, String) {
    let addr = url.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = s.write_all(head.as_bytes());
    for chunk in body.chunks(1 << 20) {
        if s.write_all(chunk).is_err() {
            break;
        }
    }
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).to_string();
    let status = text.lines().next().unwrap_or_default().to_string();
    let body = text
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_string();
    (status, body)
}

fn error_code(body: &str) -> i64 {
    let v: serde_json::Value = serde_json::from_str(body.trim())
        .unwrap_or_else(|e| panic!("response is not JSON ({e}): {body:.200}"));
    let v = if v.is_array() { v[0].clone() } else { v };
    v["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("no error code in {body:.300}"))
}

#[test]
fn bad_input_gets_clear_errors_and_the_node_carries_on() {
    let _serial = crate::node_restart::serial();
    let dir = tempfile::tempdir().expect("dir");
    let (node, url) = devnet(&dir.path().join("d"));

    let (_, body) = post(&url, b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":");
    assert_eq!(error_code(&body), -32700, "malformed JSON is a parse error");

    let (_, body) = post(
        &url,
        br#"{"jsonrpc":"2.0","id":1,"method":"chain_nope","params":[]}"#,
    );
    assert_eq!(error_code(&body), -32601, "unknown method");

    let (_, body) = post(
        &url,
        br#"{"jsonrpc":"2.0","id":1,"method":"state_getAccount","params":[123]}"#,
    );
    assert_eq!(error_code(&body), -32602, "wrong param type");
    assert!(
        body.contains("address") || body.contains("invalid"),
        "{body}"
    );

    let (_, body) = post(
        &url,
        br#"{"jsonrpc":"2.0","id":1,"method":"tx_send","params":["0x00112233"]}"#,
    );
    assert_eq!(
        error_code(&body),
        i64::from(ErrorCode::InvalidTransaction.code())
    );
    assert!(body.contains("malformed"), "{body}");

    // 50 MB body: refused by size before it is parsed.
    let mut huge = br#"{"jsonrpc":"2.0","id":1,"method":"tx_send","params":["0x"#.to_vec();
    huge.resize(50 * 1024 * 1024, b'0');
    huge.extend_from_slice(br#""]}"#);
    let (status, _) = post(&url, &huge);
    assert!(
        status.contains("413"),
        "a 50 MB body gets 413, got {status:?}"
    );

    // 10,000-call batch: over the batch limit, one clear error.
    let batch: Vec<String> = (0..10_000)
        .map(|i| format!(r#"{{"jsonrpc":"2.0","id":{i},"method":"chain_id","params":[]}}"#))
        .collect();
    let (_, body) = post(&url, format!("[{}]", batch.join(",")).as_bytes());
    assert!(body.to_lowercase().contains("batch"), "{body:.300}");
    let _ = error_code(&body);

    // The node still serves.
    let rt = runtime();
    let head = rt.block_on(node.rpc.chain_head()).expect("still serving");
    let (_, body) = post(
        &url,
        br#"{"jsonrpc":"2.0","id":7,"method":"chain_head","params":[]}"#,
    );
    assert!(
        body.contains(&head.hash.to_string()) || body.contains("\"height\""),
        "{body}"
    );
    let _ = rt
        .block_on(node.rpc.request::<u64, _>("chain_id", rpc_params![]))
        .expect("chain_id");
}

/// `set(bytes)` stores its input under "k" and emits it with topic 0x11…11; `get` returns it.
pub(crate) fn kv_contract() -> Vec<u8> {
    wat::parse_str(
        r#"(module
 (import "cairn" "input_size" (func $input_size (result i32)))
 (import "cairn" "input_read" (func $input_read (param i32)))
 (import "cairn" "set_return" (func $set_return (param i32 i32)))
 (import "cairn" "storage_read" (func $storage_read (param i32 i32 i32 i32) (result i32)))
 (import "cairn" "storage_write" (func $storage_write (param i32 i32 i32 i32)))
 (import "cairn" "emit_event" (func $emit_event (param i32 i32 i32 i32)))
 (memory (export "memory") 1 4)
 (@custom "cairn:abi" "{\"methods\":[\"get\",\"set\"]}")
 (data (i32.const 0) "k")
 (data (i32.const 32) "\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11")
 (func (export "set")
   (call $input_read (i32.const 256))
   (call $storage_write (i32.const 0) (i32.const 1) (i32.const 256) (call $input_size))
   (call $emit_event (i32.const 32) (i32.const 1) (i32.const 256) (call $input_size)))
 (func (export "get") (local $n i32)
   (local.set $n (call $storage_read (i32.const 0) (i32.const 1) (i32.const 256) (i32.const 1024)))
   (if (i32.ge_s (local.get $n) (i32.const 0))
     (then (call $set_return (i32.const 256) (local.get $n))))))"#,
    )
    .expect("valid wat")
}

#[test]
fn deploy_call_events_and_send_and_wait_on_a_devnet() {
    let _serial = crate::node_restart::serial();
    use cairn_primitives::{Call, Deploy, Hash, Transaction};

    let dir = tempfile::tempdir().expect("dir");
    let (node, url) = devnet(&dir.path().join("d"));
    let rt = runtime();
    rt.block_on(async {
        let rpc = &node.rpc;
        let from = dev_key(0).address();
        let ws = WsClientBuilder::default()
            .build(url.replace("http://", "ws://"))
            .await
            .expect("ws connect");
        let wait = |hash: Hash| async move {
            loop {
                if let Some(r) = rpc.chain_get_receipt(hash).await.expect("receipt") {
                    break r;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        let send = |kind: TxKind| DevTransaction {
            from,
            kind,
            nonce: None,
            gas_limit: None,
            gas_price: None,
        };
        let code = kv_contract();
        let deployed = wait(
            rpc.dev_send(send(TxKind::Deploy(Deploy {
                code: code.clone(),
                init: None,
                salt: None,
                value: Amount::zero(),
                admin: None,
            })))
            .await
            .expect("deploy"),
        )
        .await;
        assert_eq!(deployed.status, ReceiptStatus::Success, "{deployed:?}");
        let contract = deployed
            .contract_address
            .expect("a deploy names its contract");
        assert_eq!(
            rpc.state_get_code(contract, None).await.expect("code"),
            Some(Bytes(code))
        );

        let mut events = ws
            .subscribe::<cairn_rpc_api::EventLog, _>(
                "events_subscribe",
                rpc_params![EventQuery {
                    contract: Some(contract),
                    ..EventQuery::default()
                }],
                "events_unsubscribe",
            )
            .await
            .expect("events_subscribe");
        let mut pending = ws
            .subscribe::<Hash, _>(
                "tx_subscribePending",
                rpc_params![],
                "tx_unsubscribePending",
            )
            .await
            .expect("tx_subscribePending");
        let set = wait(
            rpc.dev_send(send(TxKind::Call(Call {
                to: contract,
                method: "set".into(),
                args: b"hello".to_vec(),
                value: Amount::zero(),
            })))
            .await
            .expect("call"),
        )
        .await;
        assert_eq!(set.status, ReceiptStatus::Success, "{set:?}");
        let pushed_hash = tokio::time::timeout(Duration::from_secs(30), pending.next())
            .await
            .expect("pending pushed")
            .expect("open")
            .expect("hash");
        assert_eq!(
            pushed_hash, set.tx_hash,
            "the admitted transaction is pushed"
        );
        let pushed_event = tokio::time::timeout(Duration::from_secs(30), events.next())
            .await
            .expect("event pushed")
            .expect("open")
            .expect("event");
        assert_eq!(pushed_event.tx_hash, set.tx_hash);
        assert_eq!(pushed_event.event.data, b"hello");
        assert_eq!(set.events.len(), 1);
        let topic = Hash([0x11; 32]);
        assert_eq!(set.events[0].event.topics, vec![topic]);
        assert_eq!(set.events[0].event.data, b"hello");
        assert_eq!(
            rpc.state_get_storage(contract, Bytes(b"k".to_vec()), None)
                .await
                .expect("storage"),
            Some(Bytes(b"hello".to_vec()))
        );

        let get = wait(
            rpc.dev_send(send(TxKind::Call(Call {
                to: contract,
                method: "get".into(),
                args: Vec::new(),
                value: Amount::zero(),
            })))
            .await
            .expect("call"),
        )
        .await;
        assert_eq!(get.return_data, b"hello");

        // The transaction and its block, by hash and by height, hashes or whole.
        let info = rpc
            .chain_get_transaction(set.tx_hash)
            .await
            .expect("chain_getTransaction")
            .expect("included");
        assert_eq!(info.from, from);
        assert_eq!(info.location, set.location);
        assert_eq!(info.transaction.tx_hash(), set.tx_hash);
        let by_hash = rpc
            .chain_get_block(BlockId::Hash(set.location.block_hash), Some(true))
            .await
            .expect("chain_getBlock")
            .expect("known");
        assert_eq!(by_hash.header.height, set.location.block_height);
        match by_hash.transactions {
            cairn_rpc_api::BlockTransactions::Full(txs) => {
                assert_eq!(txs[set.location.index as usize], info.transaction);
            }
            other => panic!("full_txs returns whole transactions: {other:?}"),
        }
        match rpc
            .chain_get_block(BlockId::Height(set.location.block_height), None)
            .await
            .expect("chain_getBlock")
            .expect("known")
            .transactions
        {
            cairn_rpc_api::BlockTransactions::Hashes(h) => assert!(h.contains(&set.tx_hash)),
            other => panic!("hashes by default: {other:?}"),
        }
        assert_eq!(
            rpc.chain_get_block(BlockId::Height(1_000_000), None)
                .await
                .expect("chain_getBlock"),
            None
        );
        assert_eq!(
            rpc.chain_get_transaction(Hash([3; 32]))
                .await
                .expect("unknown"),
            None
        );
        let health = rpc.node_health().await.expect("node_health");
        assert!(health.healthy && health.head >= set.location.block_height);

        // The ABI embedded in the code; none for an account without code.
        let abi = rpc
            .contract_get_abi(contract, None)
            .await
            .expect("contract_getAbi")
            .expect("the contract carries an ABI");
        assert_eq!(abi["methods"][1], "set");
        assert_eq!(rpc.contract_get_abi(from, None).await.expect("abi"), None);

        // state_getProof: the contract account, a set key and an unset key, each verified
        // against the state root of the block's header.
        let at = set.location.block_height;
        let proof = rpc
            .state_get_proof(
                contract,
                vec![Bytes(b"k".to_vec()), Bytes(b"unset".to_vec())],
                Some(BlockId::Height(at)),
            )
            .await
            .expect("state_getProof");
        let header = rpc
            .chain_get_block(BlockId::Height(at), None)
            .await
            .expect("block")
            .expect("exists")
            .header;
        assert_eq!(proof.state_root, header.state_root);
        let account = proof.account.clone().expect("the contract exists");
        let encoded = cairn_primitives::Canonical::encode(&cairn_state::Account {
            nonce: account.nonce,
            balance: account.balance,
            code_hash: account.code_hash,
            admin: account.admin,
        });
        let root = header.state_root.0;
        cairn_state::verify_proof(
            &root,
            &cairn_state::account_key(&contract),
            Some(&encoded),
            &to_proof(&proof.account_proof),
        )
        .expect("account proof verifies");
        let mut tampered = encoded.clone();
        tampered[0] ^= 1;
        assert!(
            cairn_state::verify_proof(
                &root,
                &cairn_state::account_key(&contract),
                Some(&tampered),
                &to_proof(&proof.account_proof),
            )
            .is_err(),
            "a tampered account does not verify"
        );
        assert_eq!(proof.storage[0].value, Some(Bytes(b"hello".to_vec())));
        assert_eq!(proof.storage[1].value, None);
        for sp in &proof.storage {
            cairn_state::verify_proof(
                &root,
                &cairn_state::storage_key(&contract, &sp.key.0).expect("key"),
                sp.value.as_ref().map(|v| v.0.as_slice()),
                &to_proof(&sp.proof),
            )
            .expect("storage proof verifies");
        }

        // contract_view reads without writing; a failing view is an execution error.
        let head_before = rpc.chain_head().await.expect("head");
        let view = rpc
            .contract_view(contract, "get".into(), Bytes(Vec::new()), None)
            .await
            .expect("view");
        assert_eq!(view.return_data, b"hello");
        assert!(view.gas_used > 0);
        let missing = rpc
            .contract_view(contract, "nope".into(), Bytes(Vec::new()), None)
            .await
            .expect_err("no such method");
        assert_eq!(call_code(missing), ErrorCode::ExecutionFailed.code());
        let before_deploy = rpc
            .contract_view(
                contract,
                "get".into(),
                Bytes(Vec::new()),
                Some(BlockId::Height(deployed.location.block_height - 1)),
            )
            .await
            .expect_err("no contract at an older block");
        assert_eq!(call_code(before_deploy), ErrorCode::ExecutionFailed.code());

        // tx_simulate predicts inclusion: same gas, events and storage change.
        let set_sim = |value: &[u8]| {
            send(TxKind::Call(Call {
                to: contract,
                method: "set".into(),
                args: value.to_vec(),
                value: Amount::zero(),
            }))
        };
        let sim = rpc
            .tx_simulate(set_sim(b"sim"), None)
            .await
            .expect("simulate");
        assert_eq!(sim.status, ReceiptStatus::Success);
        assert_eq!(sim.events.len(), 1);
        let diff = sim
            .storage
            .iter()
            .find(|d| d.contract == contract)
            .expect("storage diff");
        assert_eq!(diff.before, Some(Bytes(b"hello".to_vec())));
        assert_eq!(diff.after, Some(Bytes(b"sim".to_vec())));
        assert!(
            sim.accounts.iter().any(|a| a.address == from),
            "the sender pays"
        );
        assert_eq!(
            rpc.state_get_storage(contract, Bytes(b"k".to_vec()), None)
                .await
                .expect("storage"),
            Some(Bytes(b"hello".to_vec())),
            "simulation writes nothing"
        );
        let head_after = rpc.chain_head().await.expect("head");
        assert!(head_after.height >= head_before.height);

        // tx_estimateGas, then inclusion with exactly that limit succeeds with the
        // simulated gas.
        let estimate = rpc
            .tx_estimate_gas(set_sim(b"sim"))
            .await
            .expect("estimate");
        assert!(estimate >= sim.gas_used, "{estimate} < {}", sim.gas_used);
        let mut with_estimate = set_sim(b"sim");
        with_estimate.gas_limit = Some(estimate);
        let included = wait(rpc.dev_send(with_estimate).await.expect("send")).await;
        assert_eq!(included.status, ReceiptStatus::Success);
        assert_eq!(
            included.gas_used, sim.gas_used,
            "simulation burns what inclusion burns"
        );
        assert_eq!(
            included
                .events
                .iter()
                .map(|e| e.event.clone())
                .collect::<Vec<_>>(),
            sim.events
        );
        let mut too_little = set_sim(b"sim");
        too_little.gas_limit = Some(sim.gas_used - 1);
        let starved = rpc.tx_simulate(too_little, None).await.expect("simulate");
        assert_ne!(
            starved.status,
            ReceiptStatus::Success,
            "below the used gas it fails"
        );

        // Events by contract, by topic, and by a range that excludes the block.
        let h = set.location.block_height;
        let by_contract = rpc
            .events_get(EventQuery {
                contract: Some(contract),
                ..EventQuery::default()
            })
            .await
            .expect("events");
        assert_eq!(by_contract.len(), 2, "set twice: hello, then sim");
        assert_eq!(by_contract[0].tx_hash, set.tx_hash);
        assert_eq!(by_contract[1].tx_hash, included.tx_hash);
        let by_topic = rpc
            .events_get(EventQuery {
                from_block: Some(h),
                to_block: Some(h),
                topic: Some(topic),
                ..EventQuery::default()
            })
            .await
            .expect("events");
        assert_eq!(by_topic, by_contract[..1]);
        let other_topic = rpc
            .events_get(EventQuery {
                topic: Some(Hash([0x22; 32])),
                ..EventQuery::default()
            })
            .await
            .expect("events");
        assert!(other_topic.is_empty());
        let before = rpc
            .events_get(EventQuery {
                from_block: Some(0),
                to_block: Some(h - 1),
                contract: Some(contract),
                ..EventQuery::default()
            })
            .await
            .expect("events");
        assert!(before.is_empty());

        // tx_sendAndWait: a client-signed transfer comes back with its receipt.
        let key = dev_key(1);
        let nonce = rpc
            .state_get_account(key.address(), None)
            .await
            .expect("account")
            .nonce;
        let tx = key.sign_tx(Transaction {
            chain_id: rpc.chain_id().await.expect("chain id"),
            nonce,
            gas_limit: 100_000,
            gas_price: Amount::one(),
            kind: TxKind::Transfer(Transfer {
                to: Address([0x77; 20]),
                amount: Amount::from(5u64),
            }),
        });
        let receipt = rpc
            .tx_send_and_wait(
                Bytes(cairn_primitives::Canonical::encode(&tx)),
                Some(30_000),
            )
            .await
            .expect("tx_sendAndWait");
        assert_eq!(receipt.status, ReceiptStatus::Success);
        assert_eq!(receipt.tx_hash, tx.tx_hash());
        let again = rpc
            .tx_send(Bytes(cairn_primitives::Canonical::encode(&tx)))
            .await
            .expect_err("replayed");
        assert_eq!(call_code(again), ErrorCode::NonceTooLow.code());
    });
}

fn to_proof(p: &cairn_rpc_api::TrieProof) -> cairn_state::Proof {
    cairn_state::Proof {
        nodes: p
            .nodes
            .iter()
            .map(|n| cairn_state::ProofNode {
                bitmap: n.bitmap,
                siblings: n.siblings.iter().map(|h| h.0).collect(),
            })
            .collect(),
        leaf: p.leaf.as_ref().map(|l| (l.key_hash.0, l.value_hash.0)),
    }
}

/// `spin` loops forever without touching the host.
pub(crate) fn spin_contract() -> Vec<u8> {
    wat::parse_str(
        r#"(module
 (memory (export "memory") 1 1)
 (func (export "spin") (loop $l (br $l))))"#,
    )
    .expect("valid wat")
}

#[test]
fn unpayable_unverifiable_and_endless_requests_get_their_errors() {
    use cairn_primitives::{Call, Canonical, Deploy, SecretKey, Transaction};

    let _serial = crate::node_restart::serial();
    let dir = tempfile::tempdir().expect("dir");
    // A watchdog far below what the endless view's gas allows.
    let (node, _url) = devnet_with(&dir.path().join("d"), &["--view-timeout", "1ms"]);
    let rt = runtime();
    rt.block_on(async {
        let rpc = &node.rpc;
        let chain_id = rpc.chain_id().await.expect("chain_id");
        let alice = dev_key(0);
        let transfer = |chain_id, nonce| Transaction {
            chain_id,
            nonce,
            gas_limit: 100_000,
            gas_price: Amount::one(),
            kind: TxKind::Transfer(Transfer {
                to: Address([9; 20]),
                amount: Amount::one(),
            }),
        };

        // A signature that does not verify.
        let mut forged = alice.sign_tx(transfer(chain_id, 0));
        forged.signature[10] ^= 1;
        let e = rpc
            .tx_send(Bytes(forged.encode()))
            .await
            .expect_err("bad signature");
        assert_eq!(call_code(e), ErrorCode::InvalidSignature.code());

        // Signed for another chain.
        let other = alice.sign_tx(transfer(chain_id + 1, 0));
        let e = rpc
            .tx_send(Bytes(other.encode()))
            .await
            .expect_err("wrong chain");
        assert_eq!(call_code(e), ErrorCode::WrongChainId.code());

        // A key with no balance.
        let pauper = SecretKey::from_bytes(&[0x42; 32]).sign_tx(transfer(chain_id, 0));
        let e = rpc
            .tx_send(Bytes(pauper.encode()))
            .await
            .expect_err("no funds");
        assert_eq!(call_code(e), ErrorCode::InsufficientFunds.code());

        // A view that never ends runs out of gas (the view's budget is the block gas limit)
        // and gets its error; meanwhile and after, the node answers other requests.
        let hash = rpc
            .dev_send(DevTransaction {
                from: alice.address(),
                kind: TxKind::Deploy(Deploy {
                    code: spin_contract(),
                    init: None,
                    salt: None,
                    value: Amount::zero(),
                    admin: None,
                }),
                nonce: None,
                gas_limit: None,
                gas_price: None,
            })
            .await
            .expect("deploy");
        let spin = loop {
            if let Some(r) = rpc.chain_get_receipt(hash).await.expect("receipt") {
                assert_eq!(r.status, ReceiptStatus::Success, "{r:?}");
                break r.contract_address.expect("deployed");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let (view, head) = tokio::join!(
            rpc.contract_view(spin, "spin".into(), Bytes::default(), None),
            rpc.chain_head()
        );
        let e = view.expect_err("an endless view fails");
        assert_eq!(
            call_code(e),
            ErrorCode::Timeout.code(),
            "the watchdog answers first"
        );
        head.expect("served alongside");
        // The same spin as a transaction fails on chain with all its gas burned.
        let sent = rpc
            .dev_send(DevTransaction {
                from: alice.address(),
                kind: TxKind::Call(Call {
                    to: spin,
                    method: "spin".into(),
                    args: Vec::new(),
                    value: Amount::zero(),
                }),
                nonce: None,
                gas_limit: Some(200_000),
                gas_price: None,
            })
            .await
            .expect("dev_send");
        let r = loop {
            if let Some(r) = rpc.chain_get_receipt(sent).await.expect("receipt") {
                break r;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert_eq!(r.status, ReceiptStatus::OutOfGas);
        assert_eq!(r.gas_used, 200_000);

        // Time travel: the next block is stamped an hour later.
        let before = rpc.dev_mine(Some(1)).await.expect("dev_mine");
        let offset = rpc.dev_increase_time(3600).await.expect("increaseTime");
        assert_eq!(offset, 3600);
        let after = rpc.dev_mine(Some(1)).await.expect("dev_mine");
        assert!(
            after.timestamp >= before.timestamp + 3_600_000,
            "{} then {}",
            before.timestamp,
            after.timestamp
        );
        let e = rpc
            .dev_increase_time(cairn_rpc_api::MAX_DEV_TIME_JUMP_SECONDS + 1)
            .await
            .expect_err("too far");
        assert_eq!(call_code(e), -32602);
    });
}

#[test]
fn tx_send_batch_admits_each_valid_transaction_and_names_each_bad_one() {
    use cairn_primitives::{Canonical as _, Transaction};
    let _serial = crate::node_restart::serial();
    let dir = tempfile::tempdir().expect("dir");
    let (_node, url) = devnet(&dir.path().join("d"));
    runtime().block_on(async {
        let rpc = jsonrpsee::http_client::HttpClientBuilder::default()
            .build(&url)
            .expect("client");
        let chain_id = rpc.chain_id().await.expect("chain_id");
        let to = Address([0x55; 20]);
        let transfer = |key: &cairn_primitives::SecretKey, nonce| {
            key.sign_tx(Transaction {
                chain_id,
                nonce,
                gas_limit: 100_000,
                gas_price: Amount::one(),
                kind: TxKind::Transfer(Transfer {
                    to,
                    amount: Amount::from(3u64),
                }),
            })
        };
        let good: Vec<_> = (0..5).map(|n| transfer(&dev_key(0), n)).collect();
        let mut forged = transfer(&dev_key(1), 0);
        forged.signature[0] ^= 1;
        let mut raws: Vec<Bytes> = good.iter().map(|t| Bytes(t.encode())).collect();
        raws.insert(2, Bytes(forged.encode()));
        raws.push(Bytes(vec![1, 2, 3]));
        raws.push(Bytes(good[0].encode()));
        let out = rpc.tx_send_batch(raws).await.expect("tx_sendBatch");
        assert_eq!(out.len(), 8);
        let hashes: Vec<_> = out.iter().map(|o| o.hash).collect();
        for (i, t) in [0, 1, 3, 4, 5].into_iter().zip(&good) {
            assert_eq!(hashes[i], Some(t.tx_hash()), "{out:?}");
        }
        let code = |i: usize| out[i].error.as_ref().map(|e| e.code);
        assert_eq!(code(2), Some(ErrorCode::InvalidSignature.code()));
        assert_eq!(code(6), Some(ErrorCode::InvalidTransaction.code()));
        assert_eq!(code(7), Some(ErrorCode::AlreadyKnown.code()));

        // The five admitted transfers land; the rest never existed.
        rpc.dev_mine(None).await.ok();
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let account = rpc.state_get_account(to, None).await.expect("account");
            if account.balance == Amount::from(15u64) {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "{account:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        // Over the limit: one clear error, nothing admitted.
        let too_many =
            vec![Bytes(transfer(&dev_key(2), 0).encode()); cairn_rpc_api::MAX_SEND_BATCH + 1];
        let e = rpc
            .tx_send_batch(too_many)
            .await
            .expect_err("over the limit");
        assert_eq!(call_code(e), -32602);
        let account = rpc
            .state_get_account(dev_key(2).address(), None)
            .await
            .expect("account");
        assert_eq!(account.nonce, 0);
        assert!(rpc.tx_pending(None).await.expect("pending").is_empty());
    });
}
