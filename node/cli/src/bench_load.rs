//! `cairn bench`'s write workloads: native transfers and token transfers between 10,000 funded
//! accounts, driven the way a busy DApp backend would drive a node, and counted only once
//! committed and checked.
//!
//! ```text
//! untimed:  devnet with 10,000 funded accounts ─► pairs (from round robin, to random) ─►
//!           every transaction signed and hashed up front, on every core
//! timed:    C connections, each sending its senders' transactions in nonce order as JSON-RPC
//!           `tx_sendBatch` calls of 500, at most W in flight (sent, not yet in a block)
//!           a watcher polls chain_head and reads each new block's transaction hashes
//!           └─► latency = seen in an executed block − sent; end = the last one seen
//! untimed:  receipts fetched (all, or 20,000 evenly spaced; status success), every account's
//!           nonce and balance (or token balance) compared with the model the bench kept
//! ```

#[allow(clippy::disallowed_types)]
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use cairn_client::Client;
use cairn_primitives::{
    Address, Amount, Canonical as _, Hash, SecretKey, Transaction, TxKind, dev_account_key,
};
use cairn_rpc_api::{BlockId, BlockTransactions, Bytes, CairnApiClient as _, ErrorCode};
use jsonrpsee::core::client::ClientT as _;
use jsonrpsee::core::params::BatchRequestBuilder;
use jsonrpsee::rpc_params;

/// Accounts the write workloads spread over: the most a devnet genesis funds.
pub(crate) const BENCH_ACCOUNTS: u32 = cairn_chain::MAX_DEV_ACCOUNTS;

/// Calls per JSON-RPC batch (receipts, accounts, views): the node's limit.
const BATCH: usize = cairn_rpc::MAX_BATCH_LEN as usize;

/// Transactions per `tx_sendBatch` call: half the node's limit, so a connection's next call
/// is on its way while the node verifies the last one's signatures.
pub(crate) const SEND_BATCH: usize = cairn_rpc_api::MAX_SEND_BATCH / 2;

/// Longest the bench waits for the chain to include anything more before it gives up.
const STALL_TIMEOUT: Duration = Duration::from_secs(60);

/// How often the watcher asks for the head.
const WATCH_EVERY: Duration = Duration::from_millis(2);

/// A transaction signed ahead of the timed region.
pub(crate) struct Signed {
    raw: Vec<u8>,
    hash: Hash,
    sender: u32,
}

/// A workload: its transactions in sending order and the model of what they do.
pub(crate) struct Load {
    pub(crate) name: &'static str,
    txs: Vec<Signed>,
    /// (from, to) account indices of each transaction.
    pairs: Vec<(u32, u32)>,
}

/// What one workload measured.
#[derive(Debug, Clone)]
pub(crate) struct LoadRun {
    pub(crate) name: &'static str,
    pub(crate) txs: usize,
    pub(crate) seconds: f64,
    pub(crate) per_second: f64,
    pub(crate) p50_ms: f64,
    pub(crate) p99_ms: f64,
    pub(crate) retries: usize,
    pub(crate) node_cpu_percent: f64,
    pub(crate) node_rss_mib: f64,
    pub(crate) node_peak_rss_mib: f64,
    pub(crate) blocks: u64,
    pub(crate) verified: String,
}

/// A deterministic stream of pseudo-random numbers (splitmix64): the same pairs every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u32) -> u32 {
        u32::try_from(self.next() % u64::from(n)).expect("below a u32")
    }
}

/// `count` (from, to) pairs of `accounts` accounts: senders in turn, receivers at random (the
/// same ones every run).
pub(crate) fn random_pairs(count: usize, accounts: u32, seed: u64) -> Vec<(u32, u32)> {
    let mut rng = Rng(seed);
    (0..count)
        .map(|k| {
            let from = u32::try_from(k % accounts as usize).expect("below accounts");
            (from, (from + 1 + rng.below(accounts - 1)) % accounts)
        })
        .collect()
}

/// Signs one transaction per pair, each sender's nonces following on from `nonces`;
/// `kind(to)` says what each one does. Signed on every core.
pub(crate) fn presign(
    name: &'static str,
    pairs: Vec<(u32, u32)>,
    chain_id: u64,
    nonces: &[u64],
    gas_limit: u64,
    kind: &(dyn Fn(u32) -> TxKind + Sync),
) -> Load {
    let count = pairs.len();
    let mut next = nonces.to_vec();
    let plan: Vec<(u32, u32, u64)> = pairs
        .iter()
        .map(|&(from, to)| {
            let nonce = next[from as usize];
            next[from as usize] += 1;
            (from, to, nonce)
        })
        .collect();
    let senders = pairs.iter().map(|p| p.0).max().map_or(0, |m| m + 1);
    let keys: Vec<SecretKey> = (0..senders).map(dev_account_key).collect();
    let threads = std::thread::available_parallelism().map_or(2, usize::from);
    let chunk = count.div_ceil(threads).max(1);
    let mut txs = Vec::with_capacity(count);
    std::thread::scope(|s| {
        let handles: Vec<_> = plan
            .chunks(chunk)
            .map(|part| {
                let keys = &keys;
                s.spawn(move || {
                    part.iter()
                        .map(|&(from, to, nonce)| {
                            let raw = keys[from as usize]
                                .sign_tx(Transaction {
                                    chain_id,
                                    nonce,
                                    gas_limit,
                                    gas_price: Amount::one(),
                                    kind: kind(to),
                                })
                                .encode();
                            let hash = Hash::of(&raw);
                            Signed {
                                raw,
                                hash,
                                sender: from,
                            }
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            txs.extend(h.join().expect("a signing thread panicked"));
        }
    });
    Load { name, txs, pairs }
}

/// CPU time (user + system) a process has used, and its resident set now and at its peak.
struct ProcStats {
    cpu: Duration,
    rss_mib: f64,
    peak_rss_mib: f64,
}

fn proc_stats(pid: u32) -> Option<ProcStats> {
    unsafe extern "C" {
        fn sysconf(name: i32) -> i64;
    }
    const SC_CLK_TCK: i32 = 2;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start at "state" (field 3).
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // SAFETY: sysconf only reads a configuration value.
    let per_second = u64::try_from(unsafe { sysconf(SC_CLK_TCK) }).ok()?.max(1);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    Some(ProcStats {
        cpu: Duration::from_secs_f64(ticks as f64 / per_second as f64),
        rss_mib: kib("VmRSS:") / 1024.0,
        peak_rss_mib: kib("VmHWM:") / 1024.0,
    })
}

fn ms_percentile(sorted: &[Duration], p: f64) -> f64 {
    crate::bench_cmd::rank(sorted.len(), p).map_or(0.0, |i| sorted[i].as_secs_f64() * 1e3)
}

fn busy(code: i32) -> bool {
    [
        ErrorCode::PoolFull,
        ErrorCode::SenderFull,
        ErrorCode::TooManyFuture,
    ]
    .iter()
    .any(|c| *c as i32 == code)
}

/// Sends `load` over `connections` connections with at most `window` in flight, until every
/// transaction is in an executed block. `node_pid` is the node process, for CPU and memory.
pub(crate) async fn drive(
    url: &str,
    load: &Load,
    connections: usize,
    window: usize,
    node_pid: u32,
) -> anyhow::Result<LoadRun> {
    let n = load.txs.len();
    eprintln!("bench: sending {n} {}", load.name);
    // Only looked up, never iterated: its order cannot leak into anything.
    #[allow(clippy::disallowed_types)]
    let index: HashMap<Hash, usize> = load
        .txs
        .iter()
        .enumerate()
        .map(|(i, t)| (t.hash, i))
        .collect();
    let watch_client = Client::new(url)?;
    let start_height = watch_client.head().await?.height;
    let committed = Arc::new(AtomicUsize::new(0));
    let sent = Arc::new(AtomicUsize::new(0));
    let before = proc_stats(node_pid);
    let started = Instant::now();

    // The watcher: every transaction's first sighting in an executed block.
    let watcher = {
        let committed = Arc::clone(&committed);
        async move {
            let mut seen: Vec<Option<Instant>> = vec![None; n];
            let mut height = start_height;
            let mut last_progress = Instant::now();
            while committed.load(Ordering::Relaxed) < n {
                let head = watch_client.head().await?.height;
                if head == height {
                    if last_progress.elapsed() > STALL_TIMEOUT {
                        bail!(
                            "no block for {STALL_TIMEOUT:?} with {} of {n} transactions in",
                            committed.load(Ordering::Relaxed)
                        );
                    }
                    tokio::time::sleep(WATCH_EVERY).await;
                    continue;
                }
                for h in height + 1..=head {
                    let block = watch_client
                        .block(Some(BlockId::Height(h)), false)
                        .await?
                        .with_context(|| format!("block {h} is missing"))?;
                    let now = Instant::now();
                    if let BlockTransactions::Hashes(hashes) = block.transactions {
                        for hash in hashes {
                            if let Some(&i) = index.get(&hash)
                                && seen[i].is_none()
                            {
                                seen[i] = Some(now);
                                committed.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                }
                height = head;
                last_progress = Instant::now();
            }
            Ok((seen, height - start_height))
        }
    };

    // The senders: connection j sends the transactions of senders j, j + C, j + 2C, ….
    let mut lanes: Vec<Vec<usize>> = vec![Vec::new(); connections];
    for (i, t) in load.txs.iter().enumerate() {
        lanes[t.sender as usize % connections].push(i);
    }
    let senders = lanes.into_iter().map(|lane| {
        let client = Client::new(url);
        let committed = Arc::clone(&committed);
        let sent = Arc::clone(&sent);
        async move {
            let client = client?;
            let mut sent_at = Vec::with_capacity(lane.len());
            let mut retries = 0usize;
            for part in lane.chunks(SEND_BATCH.min(window)) {
                // The watcher may count a transaction before its sender does.
                while sent
                    .load(Ordering::Relaxed)
                    .saturating_sub(committed.load(Ordering::Relaxed))
                    + part.len()
                    > window
                {
                    tokio::time::sleep(Duration::from_micros(500)).await;
                }
                let mut todo: Vec<usize> = part.to_vec();
                let give_up = Instant::now() + STALL_TIMEOUT;
                while !todo.is_empty() {
                    let raws = todo
                        .iter()
                        .map(|&i| Bytes(load.txs[i].raw.clone()))
                        .collect();
                    let t = Instant::now();
                    let answers = client.rpc().tx_send_batch(raws).await?;
                    let mut again = Vec::new();
                    for (&i, answer) in todo.iter().zip(answers) {
                        match answer.error {
                            None => sent_at.push((i, t)),
                            Some(e) if busy(e.code) => again.push(i),
                            Some(e) => bail!(
                                "the node refused a {} transaction: {} (code {})",
                                load.name,
                                e.message,
                                e.code
                            ),
                        }
                    }
                    sent.fetch_add(todo.len() - again.len(), Ordering::Relaxed);
                    if !again.is_empty() {
                        retries += again.len();
                        if Instant::now() > give_up {
                            bail!("the node stayed full for {STALL_TIMEOUT:?}");
                        }
                        tokio::time::sleep(Duration::from_millis(2)).await;
                    }
                    todo = again;
                }
            }
            Ok::<_, anyhow::Error>((sent_at, retries))
        }
    });
    let senders = async {
        let mut out = Vec::new();
        for r in futures_join_all(senders.collect()).await {
            out.push(r?);
        }
        Ok::<_, anyhow::Error>(out)
    };
    let ((seen, blocks), lanes) = tokio::try_join!(watcher, senders)?;
    let after = proc_stats(node_pid);

    let mut sent_at: Vec<Option<Instant>> = vec![None; n];
    let mut retries = 0;
    for (times, r) in lanes {
        retries += r;
        for (i, t) in times {
            sent_at[i] = Some(t);
        }
    }
    let mut latencies = Vec::with_capacity(n);
    let mut last = started;
    for (s, c) in sent_at.iter().zip(&seen) {
        let (Some(s), Some(c)) = (s, c) else {
            bail!("a transaction was neither sent nor seen");
        };
        latencies.push(c.saturating_duration_since(*s));
        last = last.max(*c);
    }
    latencies.sort_unstable();
    let seconds = last.duration_since(started).as_secs_f64().max(1e-9);
    #[allow(clippy::cast_precision_loss)]
    let rate = n as f64 / seconds;
    eprintln!(
        "bench: {n} {} in {blocks} blocks in {seconds:.1} s ({rate:.0}/s); checking them",
        load.name
    );
    let wall = seconds;
    let (cpu, rss, peak) = match (before, after) {
        (Some(b), Some(a)) => (
            a.cpu.saturating_sub(b.cpu).as_secs_f64() / wall * 100.0,
            a.rss_mib,
            a.peak_rss_mib,
        ),
        _ => (0.0, 0.0, 0.0),
    };
    #[allow(clippy::cast_precision_loss)]
    Ok(LoadRun {
        name: load.name,
        txs: n,
        seconds,
        per_second: rate,
        p50_ms: ms_percentile(&latencies, 0.50),
        p99_ms: ms_percentile(&latencies, 0.99),
        retries,
        node_cpu_percent: cpu,
        node_rss_mib: rss,
        node_peak_rss_mib: peak,
        blocks,
        verified: String::new(),
    })
}

/// Runs every future to completion on this task, concurrently, keeping their order.
async fn futures_join_all<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut pinned: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = (0..pinned.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (f, slot) in pinned.iter_mut().zip(out.iter_mut()) {
            if slot.is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => *slot = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter()
        .map(|o| o.expect("every future finished"))
        .collect()
}

/// The receipts of `load` (all of them up to [`MAX_RECEIPT_CHECKS`], else an evenly spaced
/// sample), fetched in batches; each must be a success. Returns the gas each sender paid in
/// total, and the most one transaction used.
pub(crate) async fn check_receipts(
    url: &str,
    load: &Load,
    accounts: u32,
) -> anyhow::Result<(Vec<u128>, u64)> {
    // `chain_getReceipt` costs O(transactions in the block) today, so a load of hundreds of
    // thousands is checked on an evenly spaced sample; balances are still checked in full.
    let step = load.txs.len().div_ceil(MAX_RECEIPT_CHECKS).max(1);
    let sample: Vec<&Signed> = load.txs.iter().step_by(step).collect();
    let parts: Vec<&[&Signed]> = sample.chunks(BATCH).collect();
    let lanes = RECEIPT_LANES.min(parts.len().max(1));
    let checks = (0..lanes).map(|lane| {
        let parts: Vec<&[&Signed]> = parts.iter().skip(lane).step_by(lanes).copied().collect();
        check_receipt_parts(url, parts, accounts)
    });
    let mut gas = vec![0u128; accounts as usize];
    let mut most = 0;
    let mut least = u64::MAX;
    for result in futures_join_all(checks.collect()).await {
        let (g, lo, hi) = result?;
        for (total, part) in gas.iter_mut().zip(g) {
            *total += part;
        }
        most = most.max(hi);
        least = least.min(lo);
    }
    if step > 1 {
        // Sampled: every sender's gas follows only when every sampled receipt used the same
        // gas; then each transaction did (the balance check catches it if not).
        anyhow::ensure!(
            least == most,
            "sampled receipts used between {least} and {most} gas: the per-sender fees \
             cannot be derived from a sample"
        );
        gas = vec![0; accounts as usize];
        for t in &load.txs {
            gas[t.sender as usize] += u128::from(most);
        }
    }
    Ok((gas, most))
}

/// Most receipts one workload's check fetches (an evenly spaced sample beyond it).
const MAX_RECEIPT_CHECKS: usize = 20_000;

/// Concurrent connections fetching receipts after a workload.
const RECEIPT_LANES: usize = 4;

async fn check_receipt_parts(
    url: &str,
    parts: Vec<&[&Signed]>,
    accounts: u32,
) -> anyhow::Result<(Vec<u128>, u64, u64)> {
    let client = Client::new(url)?;
    let mut gas = vec![0u128; accounts as usize];
    let mut most = 0;
    let mut least = u64::MAX;
    for part in parts {
        let mut batch = BatchRequestBuilder::new();
        for t in part {
            batch.insert("chain_getReceipt", rpc_params![t.hash])?;
        }
        let answers = client
            .rpc()
            .batch_request::<Option<cairn_rpc_api::ReceiptInfo>>(batch)
            .await?;
        for (t, answer) in part.iter().zip(answers) {
            let receipt = answer
                .map_err(|e| anyhow::anyhow!("chain_getReceipt: {e}"))?
                .with_context(|| format!("no receipt for {}", t.hash))?;
            if receipt.status != cairn_primitives::ReceiptStatus::Success {
                bail!("{} failed: {:?}", t.hash, receipt.error);
            }
            gas[t.sender as usize] += u128::from(receipt.gas_used);
            most = most.max(receipt.gas_used);
            least = least.min(receipt.gas_used);
        }
    }
    Ok((gas, least, most))
}

/// How many receipts [`check_receipts`] fetches for `load`.
fn checked(load: &Load) -> usize {
    let step = load.txs.len().div_ceil(MAX_RECEIPT_CHECKS).max(1);
    load.txs.len().div_ceil(step)
}

/// Every account's balance and nonce, in batches.
pub(crate) async fn accounts(url: &str, count: u32) -> anyhow::Result<Vec<(Amount, u64)>> {
    let client = Client::new(url)?;
    let mut out = Vec::with_capacity(count as usize);
    let all: Vec<u32> = (0..count).collect();
    for part in all.chunks(BATCH) {
        let mut batch = BatchRequestBuilder::new();
        for &i in part {
            batch.insert(
                "state_getAccount",
                rpc_params![dev_account_key(i).address()],
            )?;
        }
        let answers = client
            .rpc()
            .batch_request::<cairn_rpc_api::AccountInfo>(batch)
            .await?;
        for answer in answers {
            let a = answer.map_err(|e| anyhow::anyhow!("state_getAccount: {e}"))?;
            out.push((a.balance, a.nonce));
        }
    }
    Ok(out)
}

/// Checks a native-transfer load: every receipt a success, and every account's balance and
/// nonce what the transfers and the fees they paid make of `before`.
pub(crate) async fn verify_transfers(
    url: &str,
    load: &Load,
    amount: u128,
    before: &[(Amount, u64)],
) -> anyhow::Result<String> {
    let accounts_n = u32::try_from(before.len()).context("too many accounts")?;
    let (gas, _) = check_receipts(url, load, accounts_n).await?;
    let mut expect: Vec<(Amount, u64)> = before.to_vec();
    for &(from, to) in &load.pairs {
        expect[from as usize].0 -= Amount::from(amount);
        expect[from as usize].1 += 1;
        expect[to as usize].0 += Amount::from(amount);
    }
    for (e, g) in expect.iter_mut().zip(&gas) {
        e.0 -= Amount::from(*g);
    }
    let after = accounts(url, accounts_n).await?;
    if let Some(i) = (0..after.len()).find(|&i| after[i] != expect[i]) {
        bail!(
            "account {i} holds {:?}, the model says {:?}",
            after[i],
            expect[i]
        );
    }
    Ok(format!(
        "{} receipts succeeded; {} balances and nonces match",
        checked(load),
        after.len()
    ))
}

/// Checks a token load: every receipt a success, and every holder's `balance_of` what the
/// transfers make of `before`.
pub(crate) async fn verify_token(
    url: &str,
    load: &Load,
    token: Address,
    amount: u128,
    before: &[u128],
) -> anyhow::Result<String> {
    let accounts_n = u32::try_from(before.len()).context("too many accounts")?;
    check_receipts(url, load, accounts_n).await?;
    let mut expect = before.to_vec();
    for &(from, to) in &load.pairs {
        expect[from as usize] -= amount;
        expect[to as usize] += amount;
    }
    let after = token_balances(url, token, accounts_n).await?;
    if let Some(i) = (0..after.len()).find(|&i| after[i] != expect[i]) {
        bail!(
            "holder {i} has {} tokens, the model says {}",
            after[i],
            expect[i]
        );
    }
    Ok(format!(
        "{} receipts succeeded; {} token balances match",
        checked(load),
        after.len()
    ))
}

/// `balance_of` of every dev account on the token, in batches of views.
pub(crate) async fn token_balances(
    url: &str,
    token: Address,
    count: u32,
) -> anyhow::Result<Vec<u128>> {
    let client = Client::new(url)?;
    let mut out = Vec::with_capacity(count as usize);
    let all: Vec<u32> = (0..count).collect();
    for part in all.chunks(BATCH) {
        let mut batch = BatchRequestBuilder::new();
        for &i in part {
            batch.insert(
                "contract_view",
                rpc_params![
                    token,
                    "balance_of",
                    Bytes(dev_account_key(i).address().0.to_vec()),
                    Option::<BlockId>::None
                ],
            )?;
        }
        let answers = client
            .rpc()
            .batch_request::<cairn_rpc_api::ViewResult>(batch)
            .await?;
        for answer in answers {
            let v = answer.map_err(|e| anyhow::anyhow!("balance_of: {e}"))?;
            let bytes: [u8; 16] = v
                .return_data
                .as_slice()
                .try_into()
                .context("balance_of did not return a u128")?;
            out.push(u128::from_le_bytes(bytes));
        }
    }
    Ok(out)
}

/// The ABI-encoded arguments of the token's `transfer(to, amount)`.
pub(crate) fn token_transfer_args(to: Address, amount: u128) -> Vec<u8> {
    let mut args = to.0.to_vec();
    args.extend_from_slice(&amount.to_le_bytes());
    args
}
