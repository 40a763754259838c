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
use jsonrpsee::core::params::{ArrayParams, BatchRequestBuilder};
use jsonrpsee::rpc_params;

/// Accounts the write workloads spread over: the most a devnet genesis funds.
pub(crate) const BENCH_ACCOUNTS: u32 = cairn_chain::MAX_DEV_ACCOUNTS;

/// Calls per JSON-RPC batch (receipts, accounts, views): the node's limit.
pub(crate) const BATCH: usize = cairn_rpc::MAX_BATCH_LEN as usize;

/// Transactions per `tx_sendBatch` call: half the node's limit, so a connection's next call
/// is on its way while the node verifies the last one's signatures.
pub(crate) const SEND_BATCH: usize = cairn_rpc_api::MAX_SEND_BATCH / 2;

/// Longest the bench waits for the chain to include anything more before it gives up.
const STALL_TIMEOUT: Duration = Duration::from_secs(60);

/// How often the watcher asks Cairn for the head.
const WATCH_EVERY: Duration = Duration::from_millis(2);

/// How often the watcher asks an Ethereum peer for the head: less often, because a
/// single-threaded JavaScript node pays for every poll out of its transaction throughput.
const ETH_WATCH_EVERY: Duration = Duration::from_millis(20);

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

impl Load {
    /// A workload of transactions signed elsewhere (the peers' Ethereum transactions): each
    /// raw transaction with its sender's account index, and the (from, to) pairs they follow.
    pub(crate) fn from_signed(
        name: &'static str,
        txs: Vec<(Vec<u8>, u32)>,
        pairs: Vec<(u32, u32)>,
    ) -> Self {
        let txs = txs
            .into_iter()
            .map(|(raw, sender)| Signed {
                hash: Hash::of(&raw),
                raw,
                sender,
            })
            .collect();
        Self { name, txs, pairs }
    }

    /// The (from, to) account indices of each transaction, in sending order.
    pub(crate) fn pairs(&self) -> &[(u32, u32)] {
        &self.pairs
    }

    /// The transactions whose receipts a check fetches: all of them up to
    /// [`MAX_RECEIPT_CHECKS`], else an evenly spaced sample; each as (hash, sender).
    pub(crate) fn receipt_sample(&self) -> Vec<(Hash, u32)> {
        let step = self.txs.len().div_ceil(MAX_RECEIPT_CHECKS).max(1);
        self.txs
            .iter()
            .step_by(step)
            .map(|t| (t.hash, t.sender))
            .collect()
    }

    /// Whether [`Load::receipt_sample`] leaves transactions out.
    pub(crate) fn sampled(&self) -> bool {
        self.txs.len() > MAX_RECEIPT_CHECKS
    }

    /// Each transaction's sender, in sending order.
    pub(crate) fn senders(&self) -> impl Iterator<Item = u32> + '_ {
        self.txs.iter().map(|t| t.sender)
    }
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
    /// The heights of the first and last block the load's transactions could be in.
    pub(crate) heights: (u64, u64),
    /// Per-block commit time (p50, p99, max, in ms) from the node's log, when it keeps one.
    pub(crate) commit_ms: Option<(f64, f64, f64)>,
    pub(crate) verified: String,
}

/// One client count's view figures.
#[derive(Debug, Clone)]
pub(crate) struct ViewFigures {
    pub(crate) clients: usize,
    pub(crate) views: usize,
    pub(crate) errors: usize,
    pub(crate) per_second: f64,
    pub(crate) p50_us: f64,
    pub(crate) p99_us: f64,
}

/// `clients` tasks calling `view` back to back for `seconds`, each on its own keep-alive
/// connection to `url`; a view counts when `view` returns `Ok`, else it is an error.
pub(crate) async fn views<F, Fut>(
    clients: usize,
    seconds: u64,
    url: &str,
    view: F,
) -> anyhow::Result<ViewFigures>
where
    F: Fn(Client) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::with_capacity(clients);
    for _ in 0..clients {
        let client = Client::new(url)?;
        let view = view.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0usize;
            while Instant::now() < deadline {
                let t = Instant::now();
                match view(client.clone()).await {
                    Ok(()) => latencies.push(t.elapsed()),
                    Err(_) => errors += 1,
                }
            }
            (latencies, errors)
        }));
    }
    let started = Instant::now();
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await?;
        all.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64().max(1e-9);
    all.sort_unstable();
    let us = |p| ms_percentile(&all, p) * 1e3;
    #[allow(clippy::cast_precision_loss)]
    Ok(ViewFigures {
        clients,
        views: all.len(),
        errors,
        per_second: all.len() as f64 / elapsed,
        p50_us: us(0.50),
        p99_us: us(0.99),
    })
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
    let senders = pairs.iter().map(|p| p.0).max().map_or(0, |m| m + 1);
    let keys: Vec<SecretKey> = (0..senders).map(dev_account_key).collect();
    let txs = sign_all(&pairs, nonces, &|from, to, nonce| {
        keys[from as usize]
            .sign_tx(Transaction {
                chain_id,
                nonce,
                gas_limit,
                gas_price: Amount::one(),
                kind: kind(to),
            })
            .encode()
    });
    Load::from_signed(name, txs, pairs)
}

/// Signs one transaction per `(from, to)` pair on every core, each sender's nonces following
/// on from `nonces`: `sign(from, to, nonce)` gives the raw transaction. Returns each with its
/// sender, in the pairs' order.
pub(crate) fn sign_all(
    pairs: &[(u32, u32)],
    nonces: &[u64],
    sign: &(dyn Fn(u32, u32, u64) -> Vec<u8> + Sync),
) -> Vec<(Vec<u8>, u32)> {
    let mut next = nonces.to_vec();
    let plan: Vec<(u32, u32, u64)> = pairs
        .iter()
        .map(|&(from, to)| {
            let nonce = next[from as usize];
            next[from as usize] += 1;
            (from, to, nonce)
        })
        .collect();
    let threads = std::thread::available_parallelism().map_or(2, usize::from);
    let chunk = plan.len().div_ceil(threads).max(1);
    let mut txs = Vec::with_capacity(plan.len());
    std::thread::scope(|s| {
        let handles: Vec<_> = plan
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|&(from, to, nonce)| (sign(from, to, nonce), from))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            txs.extend(h.join().expect("a signing thread panicked"));
        }
    });
    txs
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

/// Which JSON-RPC dialect the node under load speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// Cairn's own API: `tx_sendBatch`, `chain_head`, `chain_getBlock`.
    Cairn,
    /// Ethereum's (Hardhat, Ganache): `eth_sendRawTransaction` in JSON-RPC batches,
    /// `eth_blockNumber`, `eth_getBlockByNumber`.
    Eth,
}

/// The node a workload drives: its RPC address, dialect and process (for CPU and memory).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Target<'a> {
    /// `http://host:port`.
    pub(crate) url: &'a str,
    /// What it speaks.
    pub(crate) dialect: Dialect,
    /// The node's process id.
    pub(crate) pid: u32,
}

/// Most blocks the watcher asks an Ethereum node for in one JSON-RPC batch (with automine,
/// every transaction is a block).
const ETH_BLOCKS_PER_BATCH: u64 = 200;
/// Times the watcher asks again, 50 ms apart, for blocks an Ethereum node lists below its
/// head but does not return yet.
const ETH_MISSING_BLOCK_RETRIES: u32 = 40;

/// The transaction hashes of one Ethereum block, as `eth_getBlockByNumber(n, false)` gives them.
#[derive(Debug, serde::Deserialize)]
struct EthBlock {
    transactions: Vec<Hash>,
}

impl Target<'_> {
    /// The height of the newest executed block.
    async fn head(&self, client: &Client) -> anyhow::Result<u64> {
        Ok(match self.dialect {
            Dialect::Cairn => client.head().await?.height,
            Dialect::Eth => {
                let n: String = client
                    .rpc()
                    .request("eth_blockNumber", rpc_params![])
                    .await?;
                u64::try_from(crate::eth::quantity(&n)?)?
            }
        })
    }

    /// The transaction hashes of blocks `from..=to`, block by block.
    async fn block_hashes(&self, client: &Client, from: u64, to: u64) -> anyhow::Result<Vec<Hash>> {
        let mut out = Vec::new();
        match self.dialect {
            Dialect::Cairn => {
                for h in from..=to {
                    let block = client
                        .block(Some(BlockId::Height(h)), false)
                        .await?
                        .with_context(|| format!("block {h} is missing"))?;
                    if let BlockTransactions::Hashes(hashes) = block.transactions {
                        out.extend(hashes);
                    }
                }
            }
            Dialect::Eth => {
                let mut h = from;
                while h <= to {
                    let last = to.min(h + ETH_BLOCKS_PER_BATCH - 1);
                    // Ganache may report a head before its block can be fetched: a missing
                    // block is asked for again, a few times, before it counts as an error.
                    let mut attempt = 0;
                    let blocks = loop {
                        let mut batch = BatchRequestBuilder::new();
                        for n in h..=last {
                            batch.insert(
                                "eth_getBlockByNumber",
                                rpc_params![format!("{n:#x}"), false],
                            )?;
                        }
                        let blocks = client
                            .rpc()
                            .batch_request::<Option<EthBlock>>(batch)
                            .await?
                            .into_iter()
                            .map(|b| b.map_err(|e| anyhow::anyhow!("eth_getBlockByNumber: {e}")))
                            .collect::<anyhow::Result<Option<Vec<EthBlock>>>>()?;
                        match blocks {
                            Some(blocks) => break blocks,
                            None if attempt < ETH_MISSING_BLOCK_RETRIES => {
                                attempt += 1;
                                tokio::time::sleep(Duration::from_millis(50)).await;
                            }
                            None => anyhow::bail!(
                                "a block in {h}..={last}, below the head, is still missing after \
                                 {ETH_MISSING_BLOCK_RETRIES} retries"
                            ),
                        }
                    };
                    for block in blocks {
                        out.extend(block.transactions);
                    }
                    h = last + 1;
                }
            }
        }
        Ok(out)
    }

    /// Splits a connection's transactions (indices into `load`, in sending order) into the
    /// calls that send them, at most `most` each. Cairn admits a batch in order; Hardhat
    /// answers a JSON-RPC batch's calls concurrently, so for an Ethereum node a call holds at
    /// most one transaction per sender (a later nonce would otherwise arrive first).
    fn batches(&self, load: &Load, lane: &[usize], most: usize) -> Vec<Vec<usize>> {
        match self.dialect {
            Dialect::Cairn => lane.chunks(most).map(<[usize]>::to_vec).collect(),
            Dialect::Eth => {
                let mut out: Vec<Vec<usize>> = Vec::new();
                let mut senders = std::collections::BTreeSet::new();
                for &i in lane {
                    let sender = load.txs[i].sender;
                    match out.last_mut() {
                        Some(part) if part.len() < most && !senders.contains(&sender) => {
                            part.push(i);
                        }
                        _ => {
                            senders.clear();
                            out.push(vec![i]);
                        }
                    }
                    senders.insert(sender);
                }
                out
            }
        }
    }

    /// Sends raw transactions in one call; per transaction, `None` when admitted or the
    /// node's error code and message.
    async fn send(
        &self,
        client: &Client,
        raws: Vec<&[u8]>,
    ) -> anyhow::Result<Vec<Option<(i32, String)>>> {
        Ok(match self.dialect {
            Dialect::Cairn => client
                .rpc()
                .tx_send_batch(raws.into_iter().map(|r| Bytes(r.to_vec())).collect())
                .await?
                .into_iter()
                .map(|a| a.error.map(|e| (e.code, e.message)))
                .collect(),
            Dialect::Eth => {
                let mut batch = BatchRequestBuilder::new();
                for raw in raws {
                    batch.insert(
                        "eth_sendRawTransaction",
                        rpc_params![cairn_primitives::to_hex(raw)],
                    )?;
                }
                client
                    .rpc()
                    .batch_request::<Hash>(batch)
                    .await?
                    .into_iter()
                    .map(|a| a.err().map(|e| (e.code(), e.message().to_owned())))
                    .collect()
            }
        })
    }
}

/// Sends `load` to `target` over `connections` connections with at most `window` in flight,
/// until every transaction is in an executed block.
pub(crate) async fn drive(
    target: Target<'_>,
    load: &Load,
    connections: usize,
    window: usize,
) -> anyhow::Result<LoadRun> {
    let url = target.url;
    let node_pid = target.pid;
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
    let start_height = target.head(&watch_client).await?;
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
                let head = target.head(&watch_client).await?;
                if head == height {
                    if last_progress.elapsed() > STALL_TIMEOUT {
                        bail!(
                            "no block for {STALL_TIMEOUT:?} with {} of {n} transactions in",
                            committed.load(Ordering::Relaxed)
                        );
                    }
                    tokio::time::sleep(match target.dialect {
                        Dialect::Cairn => WATCH_EVERY,
                        Dialect::Eth => ETH_WATCH_EVERY,
                    })
                    .await;
                    continue;
                }
                let hashes = target.block_hashes(&watch_client, height + 1, head).await?;
                let now = Instant::now();
                for hash in hashes {
                    if let Some(&i) = index.get(&hash)
                        && seen[i].is_none()
                    {
                        seen[i] = Some(now);
                        committed.fetch_add(1, Ordering::Relaxed);
                    }
                }
                height = head;
                last_progress = Instant::now();
            }
            Ok((seen, height))
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
            for part in target.batches(load, &lane, SEND_BATCH.min(window)) {
                let part = &part[..];
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
                    let raws = todo.iter().map(|&i| &load.txs[i].raw[..]).collect();
                    let t = Instant::now();
                    let answers = target.send(&client, raws).await?;
                    let mut again = Vec::new();
                    for (&i, answer) in todo.iter().zip(answers) {
                        match answer {
                            None => sent_at.push((i, t)),
                            Some((code, _)) if target.dialect == Dialect::Cairn && busy(code) => {
                                again.push(i);
                            }
                            Some((code, message)) => bail!(
                                "the node refused a {} transaction: {message} (code {code})",
                                load.name,
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
        for r in futures::future::join_all(senders).await {
            out.push(r?);
        }
        Ok::<_, anyhow::Error>(out)
    };
    let ((seen, end_height), lanes) = tokio::try_join!(watcher, senders)?;
    let blocks = end_height - start_height;
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
        heights: (start_height + 1, end_height),
        commit_ms: None,
        verified: String::new(),
    })
}

/// The receipts of `load` (all of them up to [`MAX_RECEIPT_CHECKS`], else an evenly spaced
/// sample), fetched in batches; each must be a success. Returns the gas each sender paid in
/// total, and the most one transaction used.
pub(crate) async fn check_receipts(
    target: Target<'_>,
    load: &Load,
    accounts: u32,
) -> anyhow::Result<(Vec<u128>, u64)> {
    // `chain_getReceipt` costs O(transactions in the block) today, so a load of hundreds of
    // thousands is checked on an evenly spaced sample; balances are still checked in full.
    let sample = load.receipt_sample();
    let parts: Vec<&[(Hash, u32)]> = sample.chunks(BATCH).collect();
    let lanes = RECEIPT_LANES.min(parts.len().max(1));
    let checks = (0..lanes).map(|lane| {
        let parts: Vec<&[(Hash, u32)]> = parts.iter().skip(lane).step_by(lanes).copied().collect();
        check_receipt_parts(target, parts, accounts)
    });
    let mut gas = vec![0u128; accounts as usize];
    let mut most = 0;
    let mut least = u64::MAX;
    for result in futures::future::join_all(checks).await {
        let (g, lo, hi) = result?;
        for (total, part) in gas.iter_mut().zip(g) {
            *total += part;
        }
        most = most.max(hi);
        least = least.min(lo);
    }
    if load.sampled() {
        // Sampled: every sender's gas follows only when every sampled receipt used the same
        // gas; then each transaction did (the balance check catches it if not).
        anyhow::ensure!(
            least == most,
            "sampled receipts used between {least} and {most} gas: the per-sender fees \
             cannot be derived from a sample"
        );
        gas = vec![0; accounts as usize];
        for sender in load.senders() {
            gas[sender as usize] += u128::from(most);
        }
    }
    Ok((gas, most))
}

/// Most receipts one workload's check fetches (an evenly spaced sample beyond it).
const MAX_RECEIPT_CHECKS: usize = 20_000;

/// Concurrent connections fetching receipts after a workload.
const RECEIPT_LANES: usize = 4;

/// The part of an Ethereum receipt the check reads.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct EthReceipt {
    status: String,
    gas_used: String,
}

async fn check_receipt_parts(
    target: Target<'_>,
    parts: Vec<&[(Hash, u32)]>,
    accounts: u32,
) -> anyhow::Result<(Vec<u128>, u64, u64)> {
    let client = Client::new(target.url)?;
    let mut gas = vec![0u128; accounts as usize];
    let mut most = 0;
    let mut least = u64::MAX;
    for part in parts {
        let mut batch = BatchRequestBuilder::new();
        for (hash, _) in part {
            batch.insert(
                match target.dialect {
                    Dialect::Cairn => "chain_getReceipt",
                    Dialect::Eth => "eth_getTransactionReceipt",
                },
                rpc_params![hash],
            )?;
        }
        let used: Vec<u64> = match target.dialect {
            Dialect::Cairn => {
                let answers = client
                    .rpc()
                    .batch_request::<Option<cairn_rpc_api::ReceiptInfo>>(batch)
                    .await?;
                let mut used = Vec::with_capacity(part.len());
                for ((hash, _), answer) in part.iter().zip(answers) {
                    let receipt = answer
                        .map_err(|e| anyhow::anyhow!("chain_getReceipt: {e}"))?
                        .with_context(|| format!("no receipt for {hash}"))?;
                    if receipt.status != cairn_primitives::ReceiptStatus::Success {
                        bail!("{hash} failed: {:?}", receipt.error);
                    }
                    used.push(receipt.gas_used);
                }
                used
            }
            Dialect::Eth => {
                let answers = client
                    .rpc()
                    .batch_request::<Option<EthReceipt>>(batch)
                    .await?;
                let mut used = Vec::with_capacity(part.len());
                for ((hash, _), answer) in part.iter().zip(answers) {
                    let receipt = answer
                        .map_err(|e| anyhow::anyhow!("eth_getTransactionReceipt: {e}"))?
                        .with_context(|| format!("no receipt for {hash}"))?;
                    if receipt.status != "0x1" {
                        bail!("{hash} failed (status {})", receipt.status);
                    }
                    used.push(u64::try_from(crate::eth::quantity(&receipt.gas_used)?)?);
                }
                used
            }
        };
        for ((_, sender), g) in part.iter().zip(used) {
            gas[*sender as usize] += u128::from(g);
            most = most.max(g);
            least = least.min(g);
        }
    }
    Ok((gas, least, most))
}

/// How many receipts [`check_receipts`] fetches for `load`.
fn checked(load: &Load) -> usize {
    load.receipt_sample().len()
}

/// Every account's balance and nonce, in batches.
pub(crate) async fn accounts(url: &str, count: u32) -> anyhow::Result<Vec<(Amount, u64)>> {
    per_dev_account(
        url,
        count,
        "state_getAccount",
        "state_getAccount",
        |address| rpc_params![address],
        |a: cairn_rpc_api::AccountInfo| Ok((a.balance, a.nonce)),
    )
    .await
}

/// One `method` call per dev account `0..count`, sent in batches of [`BATCH`]: `params` gives
/// each call's parameters from the account's address and `decode` reads each answer, in
/// account order; `what` names the call in the error a refused call gives.
async fn per_dev_account<R, T>(
    url: &str,
    count: u32,
    method: &'static str,
    what: &str,
    params: impl Fn(Address) -> ArrayParams,
    decode: impl Fn(R) -> anyhow::Result<T>,
) -> anyhow::Result<Vec<T>>
where
    R: serde::de::DeserializeOwned + std::fmt::Debug,
{
    let client = Client::new(url)?;
    let mut out = Vec::with_capacity(count as usize);
    let all: Vec<u32> = (0..count).collect();
    for part in all.chunks(BATCH) {
        let mut batch = BatchRequestBuilder::new();
        for &i in part {
            batch.insert(method, params(dev_account_key(i).address()))?;
        }
        for answer in client.rpc().batch_request::<R>(batch).await? {
            let answer = answer.map_err(|e| anyhow::anyhow!("{what}: {e}"))?;
            out.push(decode(answer)?);
        }
    }
    Ok(out)
}

/// Checks a native-transfer load: every receipt a success, and every account's balance and
/// nonce what the transfers and the fees they paid make of `before`.
pub(crate) async fn verify_transfers(
    target: Target<'_>,
    load: &Load,
    amount: u128,
    before: &[(Amount, u64)],
) -> anyhow::Result<String> {
    let accounts_n = u32::try_from(before.len()).context("too many accounts")?;
    let (gas, _) = check_receipts(target, load, accounts_n).await?;
    let mut expect: Vec<(Amount, u64)> = before.to_vec();
    for &(from, to) in &load.pairs {
        expect[from as usize].0 -= Amount::from(amount);
        expect[from as usize].1 += 1;
        expect[to as usize].0 += Amount::from(amount);
    }
    for (e, g) in expect.iter_mut().zip(&gas) {
        e.0 -= Amount::from(*g);
    }
    let after = accounts(target.url, accounts_n).await?;
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
    target: Target<'_>,
    load: &Load,
    token: Address,
    amount: u128,
    before: &[u128],
) -> anyhow::Result<String> {
    let accounts_n = u32::try_from(before.len()).context("too many accounts")?;
    check_receipts(target, load, accounts_n).await?;
    let mut expect = before.to_vec();
    for &(from, to) in &load.pairs {
        expect[from as usize] -= amount;
        expect[to as usize] += amount;
    }
    let after = token_balances(target.url, token, accounts_n).await?;
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
    per_dev_account(
        url,
        count,
        "contract_view",
        "balance_of",
        |address| {
            rpc_params![
                token,
                "balance_of",
                Bytes(address.0.to_vec()),
                Option::<BlockId>::None
            ]
        },
        |v: cairn_rpc_api::ViewResult| {
            let bytes: [u8; 16] = v
                .return_data
                .as_slice()
                .try_into()
                .context("balance_of did not return a u128")?;
            Ok(u128::from_le_bytes(bytes))
        },
    )
    .await
}

/// The ABI-encoded arguments of the token's `transfer(to, amount)`.
pub(crate) fn token_transfer_args(to: Address, amount: u128) -> Vec<u8> {
    let mut args = to.0.to_vec();
    args.extend_from_slice(&amount.to_le_bytes());
    args
}
