//! `cairn bench-network`: measures a local N-validator network from outside, over JSON-RPC, the
//! way an operator meets it: block time and finality latency idle and under load, native
//! transfer throughput, and how long a killed validator takes to catch up.
//!
//! ```text
//! spawn `cairn devnet --validators N --ephemeral` ─► banner: each validator's RPC and pid
//! idle:       head timestamps for S/2 s ─► block intervals;  then for S/2 s a transfer every
//!             200 ms through tx_sendAndWait on each validator in turn ─► finality latency
//!             (send → receipt of the finalized block)
//! under load: the same, while loaders send L transfers/s spread over every validator
//! throughput: T transfers pre-signed from every dev account, sent to all validators at once
//!             ─► transfers / (first send → last receipt)
//! catch-up:   SIGKILL the last validator ─► the others finalize B more blocks (under load)
//!             ─► restart it ─► time until its head reaches theirs
//! ```

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use cairn_client::Client;
use cairn_primitives::{
    Address, Amount, Canonical, SecretKey, Transaction, Transfer, TxKind, dev_account_key,
};
use cairn_rpc_api::{Bytes, CairnApiClient};

use crate::bench_cmd::START_TIMEOUT;

/// Dev accounts the network is created with: one for probes, the rest for load.
const BENCH_ACCOUNTS: u32 = 32;
/// Gas limit of every bench transfer.
const TRANSFER_GAS: u64 = 100_000;
/// Most transfers the throughput run may ask for: the senders × the mempool's per-sender limit
/// (`DEFAULT_MAX_TXS_PER_SENDER`, 256), with room to spare.
pub(crate) const MAX_BENCH_TRANSFERS: u64 = 200 * (BENCH_ACCOUNTS as u64 - 1);
/// Most transfers per second the loaders may be asked for.
pub(crate) const MAX_LOAD_TPS: u64 = 100_000;

/// Options of `cairn bench-network`.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct BenchNetArgs {
    /// Validators of the local network.
    #[arg(long, default_value_t = 4)]
    pub(crate) validators: usize,
    /// Seconds each of the idle and loaded phases lasts.
    #[arg(long, default_value_t = 15)]
    pub(crate) seconds: u64,
    /// Transfers per second the loaders send during the loaded phase and the catch-up gap.
    #[arg(long, default_value_t = 200)]
    pub(crate) load_tps: u64,
    /// Transfers of the throughput run.
    #[arg(long, default_value_t = 3000)]
    pub(crate) transfers: u64,
    /// Blocks the others finalize while the killed validator is down.
    #[arg(long, default_value_t = 1000)]
    pub(crate) catch_up_blocks: u64,
    /// The network's idle heartbeat (an empty block after this long without transactions).
    #[arg(long, default_value = "200ms")]
    pub(crate) heartbeat: String,
    /// Write the results as JSON to this file too.
    #[arg(long)]
    pub(crate) json: Option<PathBuf>,
}

/// A validator of the benchmarked network.
struct Member {
    rpc: Client,
    url: String,
    pid: u32,
}

/// The `cairn devnet --validators N` child, stopped on drop.
struct Network {
    child: Child,
    members: Vec<Member>,
    data_dir: PathBuf,
}

impl Drop for Network {
    fn drop(&mut self) {
        // The devnet stops each validator in turn (up to 30 s each in the worst case).
        crate::devnet_net::stop_child(&mut self.child, Duration::from_secs(60));
    }
}

fn client(url: &str) -> anyhow::Result<Client> {
    Ok(Client::new(url)?)
}

/// Starts the network and reads its banner.
fn spawn_network(args: &BenchNetArgs) -> anyhow::Result<Network> {
    let exe = std::env::current_exe().context("locating the cairn binary")?;
    let mut command = Command::new(exe);
    crate::devnet_net::stop_with_parent(&mut command);
    let mut child = command
        .args(["devnet", "--ephemeral", "--port", "0", "--validators"])
        .arg(args.validators.to_string())
        .args(["--accounts", &BENCH_ACCOUNTS.to_string(), "--heartbeat"])
        .arg(&args.heartbeat)
        .env("CAIRN_LOG", "warn")
        .stdout(Stdio::piped())
        // Warnings and a refused flag reach the user directly.
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting the network")?;
    let stdout = child.stdout.take().expect("piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + START_TIMEOUT;
    let mut members = Vec::new();
    let mut data_dir = None;
    while members.len() < args.validators {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(line) = rx.recv_timeout(left) else {
            let _ = child.kill();
            let _ = child.wait();
            bail!("the network did not print its banner within {START_TIMEOUT:?}");
        };
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["data", "dir", dir] => data_dir = Some(PathBuf::from(dir)),
            [name, "rpc", url, "pid", pid] if name.starts_with("node") => {
                let url = (*url).to_owned();
                match (client(&url), pid.parse()) {
                    (Ok(rpc), Ok(pid)) => members.push(Member { rpc, url, pid }),
                    _ => {
                        let _ = child.kill();
                        let _ = child.wait();
                        bail!("unreadable banner line {line:?}");
                    }
                }
            }
            _ => {}
        }
    }
    let data_dir = data_dir.context("the banner named no data dir")?;
    // Keep draining the child's output so it never blocks on a full pipe.
    std::thread::spawn(move || while rx.recv().is_ok() {});
    Ok(Network {
        child,
        members,
        data_dir,
    })
}

async fn head(rpc: &Client) -> anyhow::Result<(u64, u64)> {
    let h = rpc.rpc().chain_head().await?;
    Ok((h.height, h.timestamp))
}

/// Percentile `p` of `sorted` (ms), 0 when empty.
fn pct(sorted: &[f64], p: f64) -> f64 {
    crate::bench_cmd::rank(sorted.len(), p).map_or(0.0, |i| sorted[i])
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

/// Signs a transfer of 1 unit from `key` at `nonce`.
fn transfer(key: &SecretKey, chain_id: u64, nonce: u64, to: u8) -> Vec<u8> {
    key.sign_tx(Transaction {
        chain_id,
        nonce,
        gas_limit: TRANSFER_GAS,
        gas_price: Amount::one(),
        kind: TxKind::Transfer(Transfer {
            to: Address([to; 20]),
            amount: Amount::one(),
        }),
    })
    .encode()
}

/// Each account's next nonce (the bench is the only sender).
struct Nonces(Vec<AtomicU64>);

impl Nonces {
    fn next(&self, account: usize) -> u64 {
        self.0[account].fetch_add(1, Ordering::Relaxed)
    }
}

/// One phase's figures.
#[derive(Debug, Default)]
struct Phase {
    block_ms: Vec<f64>,
    finality_ms: Vec<f64>,
}

/// Watches block intervals on validator 0 for half of `seconds`, then probes finality through
/// every validator in turn (a transfer every 200 ms, each waited for) for the other half.
async fn phase(
    net: &Network,
    chain_id: u64,
    nonces: &Nonces,
    seconds: u64,
) -> anyhow::Result<Phase> {
    // First half: block intervals alone (idle means idle: no probes); second half: probes.
    let half = Duration::from_secs(seconds) / 2;
    let deadline = Instant::now() + half;
    // Every block finalized in the window, from its header: consecutive timestamps' gaps.
    let rpc = &net.members[0].rpc;
    let (first, _) = head(rpc).await?;
    tokio::time::sleep_until(deadline.into()).await;
    let (last, _) = head(rpc).await?;
    let mut stamps = Vec::new();
    for height in first..=last {
        let block = rpc
            .rpc()
            .chain_get_block(cairn_rpc_api::BlockId::Height(height), None)
            .await?
            .with_context(|| format!("block {height} is missing"))?;
        stamps.push(block.header.timestamp);
    }
    #[allow(clippy::cast_precision_loss)]
    let block_ms = sorted(
        stamps
            .windows(2)
            .map(|w| w[1].saturating_sub(w[0]) as f64)
            .collect(),
    );
    let deadline = Instant::now() + half;
    let key = dev_account_key(0);
    let mut finality = Vec::new();
    let mut i = 0usize;
    while Instant::now() < deadline {
        let member = &net.members[i % net.members.len()];
        i += 1;
        let raw = transfer(&key, chain_id, nonces.next(0), 0x70);
        let t = Instant::now();
        let receipt = member
            .rpc
            .rpc()
            .tx_send_and_wait(Bytes(raw), Some(30_000))
            .await
            .context("probe transfer")?;
        anyhow::ensure!(
            receipt.status == cairn_primitives::ReceiptStatus::Success,
            "probe transfer failed: {:?}",
            receipt.error
        );
        finality.push(t.elapsed().as_secs_f64() * 1e3);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(Phase {
        block_ms,
        finality_ms: sorted(finality),
    })
}

/// Background load: `tps` transfers per second from accounts 1.., spread over the validators,
/// until `stop`.
fn start_load(
    net: &Network,
    chain_id: u64,
    nonces: &Arc<Nonces>,
    tps: u64,
    stop: &Arc<AtomicBool>,
    down: Option<usize>,
) -> anyhow::Result<Vec<tokio::task::JoinHandle<u64>>> {
    let senders = (BENCH_ACCOUNTS - 1) as usize;
    // Only validators that are up take load.
    let live: Vec<&Member> = net
        .members
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != down)
        .map(|(_, m)| m)
        .collect();
    let mut tasks = Vec::new();
    for account in 1..=senders {
        let rpc = client(&live[account % live.len()].url)?;
        let (nonces, stop) = (Arc::clone(nonces), Arc::clone(stop));
        let key = dev_account_key(u32::try_from(account).expect("small"));
        // Each sender sends tps / senders per second.
        #[allow(clippy::cast_precision_loss)]
        let every =
            Duration::from_secs_f64(senders as f64 / tps as f64).max(Duration::from_micros(10));
        tasks.push(tokio::spawn(async move {
            let mut sent = 0u64;
            let mut refused = 0u32;
            let mut tick = tokio::time::interval(every);
            while !stop.load(Ordering::Relaxed) {
                tick.tick().await;
                let nonce = nonces.next(account);
                let raw = transfer(&key, chain_id, nonce, 0x71);
                if rpc.rpc().tx_send(Bytes(raw)).await.is_ok() {
                    sent += 1;
                    refused = 0;
                    continue;
                }
                // This task alone sends from `account`: retry the same nonce, and after a few
                // refusals in a row start again from the chain's nonce.
                refused += 1;
                let retry = if refused < 3 {
                    Some(nonce)
                } else {
                    refused = 0;
                    rpc.rpc()
                        .state_get_account(key.address(), None)
                        .await
                        .ok()
                        .map(|a| a.nonce)
                };
                if let Some(n) = retry {
                    nonces.0[account].store(n, Ordering::Relaxed);
                }
            }
            sent
        }));
    }
    Ok(tasks)
}

/// Waits until every account's committed nonce on validator 0 equals the next nonce the bench
/// would use (all sent transfers included), at most a minute.
async fn drained(net: &Network, nonces: &Nonces) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    for (i, n) in nonces.0.iter().enumerate() {
        let key = dev_account_key(u32::try_from(i).expect("small"));
        loop {
            let a = net.members[0]
                .rpc
                .rpc()
                .state_get_account(key.address(), None)
                .await?;
            if a.nonce >= n.load(Ordering::Relaxed) {
                n.store(a.nonce, Ordering::Relaxed);
                break;
            }
            if Instant::now() > deadline {
                bail!("account {i}'s transfers were not all included within a minute");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    Ok(())
}

/// `transfers` pre-signed transfers sent to every validator at once; transfers per second
/// from the first send to the last receipt.
async fn throughput(
    net: &Network,
    chain_id: u64,
    nonces: &Nonces,
    transfers: u64,
) -> anyhow::Result<(f64, f64)> {
    let senders = u64::from(BENCH_ACCOUNTS - 1);
    let mut batches = Vec::new();
    for account in 1..=senders {
        let a = usize::try_from(account).expect("small");
        let key = dev_account_key(u32::try_from(account).expect("small"));
        let count = transfers / senders + u64::from(account <= transfers % senders);
        let raws: Vec<Vec<u8>> = (0..count)
            .map(|_| transfer(&key, chain_id, nonces.next(a), 0x72))
            .collect();
        batches.push((a, raws));
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (account, raws) in batches {
        let rpc = client(&net.members[account % net.members.len()].url)?;
        tasks.push(tokio::spawn(async move {
            let mut last = None;
            for raw in raws {
                last = Some(rpc.rpc().tx_send(Bytes(raw)).await?);
            }
            if let Some(hash) = last {
                loop {
                    if rpc.rpc().chain_get_receipt(hash).await?.is_some() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let secs = started.elapsed().as_secs_f64();
    #[allow(clippy::cast_precision_loss)]
    Ok((transfers as f64 / secs, secs))
}

/// Kills the last validator, lets the others finalize `blocks` more under load, restarts it and
/// times its catch-up. Returns (seconds, blocks caught up).
async fn catch_up(
    net: &Network,
    args: &BenchNetArgs,
    chain_id: u64,
    nonces: &Arc<Nonces>,
) -> anyhow::Result<(f64, u64)> {
    let victim = net.members.len() - 1;
    let (start, _) = head(&net.members[0].rpc).await?;
    crate::devnet_net::kill(net.members[victim].pid);
    let stop = Arc::new(AtomicBool::new(false));
    let load = start_load(net, chain_id, nonces, args.load_tps, &stop, Some(victim))?;
    let target = start + args.catch_up_blocks;
    while head(&net.members[0].rpc).await?.0 < target {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for t in load {
        t.await?;
    }
    let target = head(&net.members[0].rpc).await?.0;
    let exe = std::env::current_exe()?;
    let started = Instant::now();
    let mut command = Command::new(exe);
    crate::devnet_net::stop_with_parent(&mut command);
    let mut node = command
        .arg("node")
        .arg("--data-dir")
        .arg(net.data_dir.join(format!("node{victim}")))
        .args(["--rpc-addr", "127.0.0.1:0", "--heartbeat"])
        .arg(&args.heartbeat)
        .env("CAIRN_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("restarting the killed validator")?;
    // Read its RPC line on a thread (with a deadline here), and keep draining its output.
    let stdout = node.stdout.take().expect("piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(u) = line.strip_prefix("rpc listening on ") {
                let _ = tx.send(u.to_owned());
            }
        }
    });
    let Ok(Ok(rpc)) = rx.recv_timeout(START_TIMEOUT).map(|url| client(&url)) else {
        let _ = node.kill();
        let _ = node.wait();
        bail!("the restarted validator did not start its RPC server");
    };
    let result = loop {
        if let Ok((h, _)) = head(&rpc).await
            && h >= target
        {
            break Ok((started.elapsed().as_secs_f64(), target - start));
        }
        if started.elapsed() > Duration::from_secs(600) {
            break Err(anyhow::anyhow!(
                "the restarted validator did not catch up in 600 s"
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    crate::devnet_net::terminate(node.id());
    let _ = node.wait();
    result
}

/// `cairn bench-network`.
pub(crate) fn run(args: &BenchNetArgs) -> anyhow::Result<()> {
    if !(4..=crate::node_cmd::MAX_LOCAL_VALIDATORS).contains(&args.validators) {
        bail!(
            "--validators must be in 4..={} (one must be able to fail)",
            crate::node_cmd::MAX_LOCAL_VALIDATORS
        );
    }
    if args.transfers == 0 || args.transfers > MAX_BENCH_TRANSFERS {
        bail!("--transfers must be in 1..={MAX_BENCH_TRANSFERS}");
    }
    if args.load_tps == 0 || args.load_tps > MAX_LOAD_TPS {
        bail!("--load-tps must be in 1..={MAX_LOAD_TPS}");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let net = spawn_network(args)?;
        let chain_id = net.members[0].rpc.rpc().chain_id().await?;
        for m in &net.members {
            while head(&m.rpc).await?.0 < 2 {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        let nonces = Arc::new(Nonces(
            (0..BENCH_ACCOUNTS).map(|_| AtomicU64::new(0)).collect(),
        ));
        let idle = phase(&net, chain_id, &nonces, args.seconds).await?;
        let stop = Arc::new(AtomicBool::new(false));
        let load = start_load(&net, chain_id, &nonces, args.load_tps, &stop, None)?;
        let loaded = phase(&net, chain_id, &nonces, args.seconds).await?;
        stop.store(true, Ordering::Relaxed);
        let mut sent = 0;
        for t in load {
            sent += t.await?;
        }
        // Let the load drain: every account's committed nonce reaches what was sent.
        drained(&net, &nonces).await?;
        let (tps, tps_secs) = throughput(&net, chain_id, &nonces, args.transfers).await?;
        let (catch_secs, caught) = catch_up(&net, args, chain_id, &nonces).await?;

        let row = |name: &str, p: &Phase| {
            println!(
                "  {name:<12} block time p50 {:>6.0} ms  p99 {:>6.0} ms   finality p50 {:>6.0} ms  p99 {:>6.0} ms   ({} blocks, {} probes)",
                pct(&p.block_ms, 0.5),
                pct(&p.block_ms, 0.99),
                pct(&p.finality_ms, 0.5),
                pct(&p.finality_ms, 0.99),
                p.block_ms.len(),
                p.finality_ms.len()
            );
        };
        println!(
            "{} validators on loopback (heartbeat {}), measured over JSON-RPC:",
            args.validators, args.heartbeat
        );
        row("idle", &idle);
        row(&format!("{} tx/s", args.load_tps), &loaded);
        println!(
            "  throughput   {tps:.0} transfers/s ({} transfers in {tps_secs:.1} s)",
            args.transfers
        );
        println!(
            "  catch-up     {catch_secs:.1} s for a killed validator to fetch and execute {caught} blocks"
        );
        println!("  (load phase sent {sent} transfers)");
        if let Some(path) = &args.json {
            let phase_json = |p: &Phase| {
                serde_json::json!({
                    "block_ms": {"p50": pct(&p.block_ms, 0.5), "p99": pct(&p.block_ms, 0.99), "blocks": p.block_ms.len()},
                    "finality_ms": {"p50": pct(&p.finality_ms, 0.5), "p99": pct(&p.finality_ms, 0.99), "probes": p.finality_ms.len()},
                })
            };
            let json = serde_json::json!({
                "validators": args.validators,
                "heartbeat": args.heartbeat,
                "idle": phase_json(&idle),
                "loaded": phase_json(&loaded),
                "load_tps": args.load_tps,
                "throughput_tps": tps,
                "transfers": args.transfers,
                "catch_up_seconds": catch_secs,
                "catch_up_blocks": caught,
            });
            std::fs::write(path, serde_json::to_string_pretty(&json)?)
                .with_context(|| format!("writing {}", path.display()))?;
        }
        Ok(())
    })
}
