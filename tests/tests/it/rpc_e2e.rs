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

fn devnet(dir: &std::path::Path) -> (Node, String) {
    let mut cmd = Command::new(cairn_bin());
    cmd.args(["devnet", "--data-dir"]).arg(dir).args([
        "--rpc-addr",
        "127.0.0.1:0",
        "--accounts",
        "3",
        "--heartbeat",
        "60s",
    ]);
    let node = spawn(cmd);
    let url = node.url.clone();
    (node, url)
}

fn runtime() -> tokio::runtime::Runtime {
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
