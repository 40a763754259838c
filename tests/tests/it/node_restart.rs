//! The chain end to end through the real `cairn` binary: a one-validator node takes 1,000
//! signed transfers over JSON-RPC, is killed with SIGKILL in the middle, restarts on the same
//! data dir, and must still hold every transaction whose receipt a client saw, end with the
//! balances of a model, and reopen at a state root equal to its head block's.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use cairn_primitives::{
    Address, Amount, Canonical, Hash, ReceiptStatus, SecretKey, SignedTransaction, Transaction,
    Transfer, TxKind, keccak256_parts,
};
use cairn_rpc_api::{BlockId, Bytes, CairnApiClient, ErrorCode, ReceiptInfo};
use cairn_tests::cairn_bin;
use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};

const CHAIN_ID: u64 = 1337;
const SENDERS: u32 = 4;
const TRANSFERS: usize = 1_000;
const KILL_AFTER: usize = 450;
/// Receipts the client must have seen before the SIGKILL.
const MIN_SEEN_BEFORE_KILL: usize = 100;
const GAS_LIMIT: u64 = 100_000;
const GAS_PRICE: u64 = 2;
/// Generous bound for anything the node must do (debug build on a loaded 2-core machine).
const PATIENCE: Duration = Duration::from_secs(120);

/// The documented dev-account derivation (docs/architecture.md), recomputed here.
pub(crate) fn dev_key(i: u32) -> SecretKey {
    SecretKey::from_bytes(&keccak256_parts(&[
        b"cairn/dev-account/v1",
        &i.to_be_bytes(),
    ]))
}

/// Serialises the tests that run node processes: on a 2-core CI machine, several chains at
/// once would make each one's timing unrepresentative (and a 4-validator network miss views).
pub(crate) fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A running `cairn node`, killed when dropped.
pub(crate) struct Node {
    pub(crate) child: Child,
    pub(crate) rpc: HttpClient,
    /// The RPC URL (`http://127.0.0.1:port`).
    pub(crate) url: String,
    pub(crate) lines: mpsc::Receiver<String>,
    /// The node's "chain opened" log line (height and state root it reopened at).
    pub(crate) opened: String,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_node(dir: &Path) -> Node {
    let mut cmd = Command::new(cairn_bin());
    cmd.args(["node", "--data-dir"]).arg(dir).args([
        "--rpc-addr",
        "127.0.0.1:0",
        "--heartbeat",
        "500ms",
    ]);
    spawn(cmd)
}

/// Spawns a `cairn` command that runs a node and waits until its RPC server answers.
pub(crate) fn spawn(mut cmd: Command) -> Node {
    let mut child = cmd
        .env("CAIRN_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn cairn node");
    let (tx, lines) = mpsc::channel();
    let out = child.stdout.take().expect("stdout");
    let err = child.stderr.take().expect("stderr");
    for stream in [
        Box::new(out) as Box<dyn std::io::Read + Send>,
        Box::new(err),
    ] {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
    }
    let mut node = Node {
        child,
        rpc: HttpClientBuilder::default()
            .build("http://127.0.0.1:1")
            .expect("client"),
        lines,
        opened: String::new(),
        url: String::new(),
    };
    node.opened = node.wait_line("chain opened");
    let line = node.wait_line("rpc listening on ");
    let url = line
        .split("rpc listening on ")
        .nth(1)
        .expect("url")
        .trim()
        .to_string();
    node.rpc = HttpClientBuilder::default()
        .request_timeout(Duration::from_secs(30))
        .build(&url)
        .expect("client");
    node.url = url;
    node
}

impl Node {
    /// Waits for an output line containing `needle` (skipping the lines before it).
    pub(crate) fn wait_line(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(line) => seen.push(line),
                Err(e) => panic!(
                    "no line containing {needle:?} from the node ({e}); it printed:\n{}",
                    seen.join("\n")
                ),
            }
        }
    }
}

/// Strips ANSI colour codes from a log line.
fn plain(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

pub(crate) fn field(line: &str, name: &str) -> String {
    let key = format!("{name}=");
    plain(line)
        .split_whitespace()
        .find_map(|w| w.strip_prefix(&key).map(str::to_string))
        .unwrap_or_else(|| panic!("no {name} in {line:?}"))
}

fn transfer(key: &SecretKey, nonce: u64, to: Address, amount: u64) -> SignedTransaction {
    key.sign_tx(Transaction {
        chain_id: CHAIN_ID,
        nonce,
        gas_limit: GAS_LIMIT,
        gas_price: Amount::from(GAS_PRICE),
        kind: TxKind::Transfer(Transfer {
            to,
            amount: Amount::from(amount),
        }),
    })
}

/// The transfers: sender round-robin over the dev accounts, recipients fresh addresses, so
/// the final balances follow from the receipts alone.
fn plan() -> Vec<(u32, SignedTransaction)> {
    let keys: Vec<SecretKey> = (0..SENDERS).map(dev_key).collect();
    let mut nonces = vec![0u64; SENDERS as usize];
    (0..TRANSFERS)
        .map(|i| {
            let s = u32::try_from(i).expect("small") % SENDERS;
            let to = Address::from_public_key(&keccak256_parts(&[
                b"recipient",
                &(i % 97).to_be_bytes(),
            ]));
            let nonce = nonces[s as usize];
            nonces[s as usize] += 1;
            (s, transfer(&keys[s as usize], nonce, to, 1 + i as u64))
        })
        .collect()
}

async fn receipt(rpc: &HttpClient, hash: Hash) -> Option<ReceiptInfo> {
    rpc.chain_get_receipt(hash).await.expect("chain_getReceipt")
}

/// Adds to `seen` the receipts of `txs` that appeared since it was last polled.
async fn poll_receipts(
    rpc: &HttpClient,
    seen: &mut BTreeMap<Hash, ReceiptInfo>,
    txs: &[(u32, SignedTransaction)],
) {
    for (_, t) in txs {
        let h = t.tx_hash();
        if let std::collections::btree_map::Entry::Vacant(slot) = seen.entry(h)
            && let Some(r) = receipt(rpc, h).await
        {
            slot.insert(r);
        }
    }
}

async fn wait_receipt(rpc: &HttpClient, hash: Hash) -> ReceiptInfo {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(r) = receipt(rpc, hash).await {
            return r;
        }
        assert!(Instant::now() < deadline, "no receipt for {hash}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[test]
fn node_survives_sigkill_and_keeps_every_receipt_it_returned() {
    let _serial = crate::node_restart::serial();
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("node");
    let status = Command::new(cairn_bin())
        .args(["init", "--data-dir"])
        .arg(&data)
        .args([
            "--accounts",
            &SENDERS.to_string(),
            "--chain-id",
            &CHAIN_ID.to_string(),
        ])
        .status()
        .expect("cairn init");
    assert!(status.success(), "cairn init failed");
    let genesis: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("genesis.json")).expect("genesis"))
            .expect("genesis json");
    let initial =
        Amount::from_dec_str(genesis["accounts"][0]["balance"].as_str().expect("balance"))
            .expect("decimal balance");

    let txs = plan();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");

    // Life 1: submit, collect receipts as they appear, then SIGKILL mid-stream.
    let mut node = start_node(&data);
    let mut seen: BTreeMap<Hash, ReceiptInfo> = BTreeMap::new();
    rt.block_on(async {
        for (i, (_, tx)) in txs.iter().enumerate().take(KILL_AFTER) {
            let hash = node
                .rpc
                .tx_send(Bytes(tx.encode()))
                .await
                .unwrap_or_else(|e| panic!("tx_send #{i}: {e}"));
            assert_eq!(hash, tx.tx_hash());
            if i % 25 == 24 {
                // A client polling for receipts while it keeps sending.
                poll_receipts(&node.rpc, &mut seen, &txs[..=i]).await;
            }
        }
        // On a loaded machine the node may lag the client: the kill needs a history of
        // receipts behind it, so wait (bounded) until there is one.
        let deadline = Instant::now() + PATIENCE;
        while seen.len() < MIN_SEEN_BEFORE_KILL && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
            poll_receipts(&node.rpc, &mut seen, &txs[..KILL_AFTER]).await;
        }
    });
    assert!(
        seen.len() >= MIN_SEEN_BEFORE_KILL,
        "only {} receipts seen before the kill: the node is too slow to test a crash",
        seen.len()
    );
    node.child.kill().expect("SIGKILL");
    node.child.wait().expect("wait");
    drop(node);

    // Life 2: same data dir.
    let node = start_node(&data);
    let opened = node.opened.clone();
    let reopened_height: u64 = field(&opened, "height").parse().expect("height");
    let reopened_root = field(&opened, "state_root");
    rt.block_on(async {
        let head_block = node
            .rpc
            .chain_get_block(BlockId::Height(reopened_height), None)
            .await
            .expect("chain_getBlock")
            .expect("head block exists");
        assert_eq!(
            reopened_root,
            head_block.header.state_root.to_string(),
            "the state reopened at a root other than its head block's"
        );
        let max_seen = seen
            .values()
            .map(|r| r.location.block_height)
            .max()
            .unwrap_or(0);
        assert!(
            reopened_height >= max_seen,
            "head {reopened_height} is below a seen receipt's block {max_seen}"
        );
        for (hash, before) in &seen {
            let after = receipt(&node.rpc, *hash).await;
            assert_eq!(
                after.as_ref(),
                Some(before),
                "receipt of {hash} changed or vanished after SIGKILL"
            );
        }

        // Resubmit what the crash lost from the mempool, then the rest, in nonce order.
        for (i, (_, tx)) in txs.iter().enumerate() {
            if receipt(&node.rpc, tx.tx_hash()).await.is_some() {
                continue;
            }
            match node.rpc.tx_send(Bytes(tx.encode())).await {
                Ok(h) => assert_eq!(h, tx.tx_hash()),
                Err(jsonrpsee::core::ClientError::Call(e))
                    if e.code() == ErrorCode::AlreadyKnown.code()
                        || e.code() == ErrorCode::NonceTooLow.code() => {}
                Err(e) => panic!("tx_send #{i} after restart: {e}"),
            }
        }
        let mut receipts = BTreeMap::new();
        for (_, tx) in &txs {
            let r = wait_receipt(&node.rpc, tx.tx_hash()).await;
            assert_eq!(r.status, ReceiptStatus::Success, "{r:?}");
            receipts.insert(tx.tx_hash(), r);
        }
        for (hash, before) in &seen {
            assert_eq!(receipts.get(hash), Some(before), "a seen receipt changed");
        }

        // The model: recipients get the amounts, senders pay amounts and fees, proposer
        // (the validator) collects the fees.
        let mut expected: BTreeMap<Address, Amount> = BTreeMap::new();
        for s in 0..SENDERS {
            expected.insert(dev_key(s).address(), initial);
        }
        let mut fees = Amount::zero();
        for (_, tx) in &txs {
            let TxKind::Transfer(t) = &tx.tx.kind else {
                unreachable!()
            };
            let fee = Amount::from(receipts[&tx.tx_hash()].gas_used) * Amount::from(GAS_PRICE);
            fees += fee;
            let from = expected.get_mut(&tx.sender()).expect("sender");
            *from = *from - t.amount - fee;
            *expected.entry(t.to).or_default() += t.amount;
        }
        let validator = Address::from_public_key(
            &cairn_primitives::parse_fixed_hex::<32>(
                genesis["validators"][0]["public_key"]
                    .as_str()
                    .expect("key"),
            )
            .expect("hex"),
        );
        *expected.entry(validator).or_default() += fees;
        for (address, balance) in &expected {
            let got = node
                .rpc
                .state_get_account(*address, None)
                .await
                .expect("state_getAccount");
            assert_eq!(got.balance, *balance, "balance of {address}");
        }
        for s in 0..SENDERS {
            let got = node
                .rpc
                .state_get_account(dev_key(s).address(), None)
                .await
                .expect("state_getAccount");
            assert_eq!(
                got.nonce,
                (TRANSFERS / SENDERS as usize) as u64,
                "nonce of sender {s}"
            );
        }
        let head = node.rpc.chain_head().await.expect("chain_head");
        assert!(head.height >= reopened_height);
    });
}
