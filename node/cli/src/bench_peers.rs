//! `cairn bench --peers DIR`: the same load generator, on the same machine, in the same run,
//! against the tools users would otherwise pick: Hardhat Network (automine, and interval
//! mining) and Ganache, installed from the npm registry at pinned versions into `DIR`
//! (`bench/peers`, by its `install.sh`). Ratios ours/peer are printed beside the figures.
//!
//! ```text
//! per peer:  cold start ×R: spawn `node …` ─► poll eth_chainId ─► first answer ─► stop
//!            start with A accounts (an accounts file both peers read) ─►
//!            native transfers: pre-signed legacy EIP-155 transactions, random pairs ─►
//!              eth_sendRawTransaction in JSON-RPC batches over C connections ─►
//!              counted when seen in a block; receipts, then every balance and nonce checked
//!            ERC-20 (BenchToken.sol, compiled by solc, committed as BenchToken.bin):
//!              deploy, grant every account, transfers between random pairs, every
//!              balanceOf checked
//!            views: eth_call balanceOf at 1 and 32 clients, each its own connection
//! ```

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use cairn_client::Client;
use jsonrpsee::core::client::ClientT as _;
use jsonrpsee::core::params::BatchRequestBuilder;
use jsonrpsee::rpc_params;

use crate::bench_load::{self, Dialect, Load, LoadRun, Target};
use crate::eth::{self, EthKey, LegacyTx};

/// Most accounts a peer is started with (Hardhat derives each address at start).
pub(crate) const MAX_PEER_ACCOUNTS: u32 = 10_000;

/// Wei each peer account starts with: enough for any run's fees at [`GAS_PRICE`].
const PEER_BALANCE: u128 = 1_000_000_000_000_000_000_000_000_000;

/// Wei per gas of every bench transaction: far above any base fee a run reaches (London's
/// base fee rises 12.5% per full block under interval mining), so none is ever underpriced.
const GAS_PRICE: u128 = 1_000_000_000_000;

/// Gas of a native transfer on Ethereum.
const TRANSFER_GAS: u64 = 21_000;

/// Gas limits of the ERC-20's deployment and of one transfer (a first write of a balance
/// costs about 52,000; the receipts give the real figures).
const DEPLOY_GAS: u64 = 3_000_000;
const TOKEN_TRANSFER_GAS: u64 = 100_000;

/// Wei each native transfer moves, tokens each grant and each token transfer moves.
const TRANSFER_WEI: u128 = 1;
const TOKEN_GRANT: u128 = 1_000_000;
const TOKEN_AMOUNT: u128 = 1;

/// Chain ids the peers run with (Hardhat's and Ganache's defaults).
const HARDHAT_CHAIN_ID: u64 = 31_337;
const GANACHE_CHAIN_ID: u64 = 1_337;

/// Interval of Hardhat's interval-mining mode.
const HARDHAT_INTERVAL_MS: u64 = 1_000;

/// Longest wait for a peer's first answer.
const PEER_START_TIMEOUT: Duration = Duration::from_secs(120);

/// The ERC-20 both peers run: `bench/peers/contracts/BenchToken.sol` compiled by the pinned
/// `solc` (`node bench/peers/compile.js --check` recompiles and compares).
pub(crate) const BENCH_TOKEN_BIN: &str = "BenchToken.bin";

/// Options of the peer side of `cairn bench`.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct PeerArgs {
    /// Also measure Hardhat and Ganache, installed in this folder by its `install.sh`
    /// (normally `bench/peers`).
    #[arg(long)]
    pub(crate) peers: Option<PathBuf>,
    /// Accounts each peer is started with and the peer workloads spread over.
    #[arg(long, default_value_t = 1_000)]
    pub(crate) peer_accounts: u32,
    /// Native transfers, and ERC-20 transfers, sent to each Hardhat mode.
    #[arg(long, default_value_t = 10_000)]
    pub(crate) hardhat_transfers: usize,
    /// Native transfers, and ERC-20 transfers, sent to Ganache (about 100/s there).
    #[arg(long, default_value_t = 1_000)]
    pub(crate) ganache_transfers: usize,
}

impl PeerArgs {
    /// Refuses bad options and a missing installation before any measuring starts.
    ///
    /// # Errors
    /// The option out of range, or what is missing from the peers' folder.
    pub(crate) fn check(&self) -> anyhow::Result<()> {
        if self.peer_accounts < 2 || self.peer_accounts > MAX_PEER_ACCOUNTS {
            bail!("--peer-accounts must be in 2..={MAX_PEER_ACCOUNTS}");
        }
        for (flag, n) in [
            ("--hardhat-transfers", self.hardhat_transfers),
            ("--ganache-transfers", self.ganache_transfers),
        ] {
            if n > crate::bench_cmd::MAX_BENCH_TXS {
                bail!(
                    "{flag} {n} is over the limit of {}",
                    crate::bench_cmd::MAX_BENCH_TXS
                );
            }
        }
        let Some(dir) = &self.peers else {
            return Ok(());
        };
        for needed in [
            "node_modules/hardhat/internal/cli/cli.js",
            "node_modules/ganache",
            BENCH_TOKEN_BIN,
        ] {
            if !dir.join(needed).exists() {
                bail!(
                    "{} is missing: run `bash {}/install.sh` first",
                    dir.join(needed).display(),
                    dir.display()
                );
            }
        }
        Ok(())
    }
}

/// A peer configuration the bench measures.
#[derive(Clone, Copy, Debug)]
enum Peer {
    HardhatAutomine,
    HardhatInterval,
    Ganache,
}

impl Peer {
    fn name(self) -> &'static str {
        match self {
            Self::HardhatAutomine => "hardhat automine",
            Self::HardhatInterval => "hardhat interval",
            Self::Ganache => "ganache",
        }
    }

    fn chain_id(self) -> u64 {
        match self {
            Self::HardhatAutomine | Self::HardhatInterval => HARDHAT_CHAIN_ID,
            Self::Ganache => GANACHE_CHAIN_ID,
        }
    }

    /// Starts the peer on `port`, with the accounts in `accounts` (or its defaults).
    fn spawn(self, dir: &Path, port: u16, accounts: Option<&Path>) -> anyhow::Result<PeerNode> {
        let mut cmd = Command::new("node");
        match self {
            Self::HardhatAutomine | Self::HardhatInterval => {
                cmd.arg(dir.join("node_modules/hardhat/internal/cli/cli.js"))
                    .args(["node", "--hostname", "127.0.0.1", "--port"])
                    .arg(port.to_string())
                    .arg("--config")
                    .arg(dir.join("hardhat.config.js"))
                    .env("HARDHAT_DISABLE_TELEMETRY_PROMPT", "true")
                    .env(
                        "CAIRN_PEER_MINING",
                        match self {
                            Self::HardhatInterval => HARDHAT_INTERVAL_MS.to_string(),
                            _ => "auto".to_owned(),
                        },
                    );
            }
            Self::Ganache => {
                cmd.arg(dir.join("ganache.js"))
                    .arg("--port")
                    .arg(port.to_string());
            }
        }
        match accounts {
            Some(path) => cmd.env("CAIRN_PEER_ACCOUNTS", path),
            None => cmd.env_remove("CAIRN_PEER_ACCOUNTS"),
        };
        // What the peer prints goes to a file, read back only to explain a failed start.
        let log = tempfile::NamedTempFile::new()?;
        let child = cmd
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.reopen()?))
            .stderr(Stdio::from(log.reopen()?))
            .spawn()
            .with_context(|| format!("starting {} (is `node` installed?)", self.name()))?;
        Ok(PeerNode {
            child,
            url: format!("http://127.0.0.1:{port}"),
            log,
        })
    }
}

/// A peer process, stopped on drop.
struct PeerNode {
    child: Child,
    url: String,
    log: tempfile::NamedTempFile,
}

impl PeerNode {
    fn target(&self) -> Target<'_> {
        Target {
            url: &self.url,
            dialect: Dialect::Eth,
            pid: self.child.id(),
        }
    }

    /// Polls `eth_chainId` until the peer answers; the time since `started`.
    async fn ready(&mut self, started: Instant, chain_id: u64) -> anyhow::Result<Duration> {
        let client = Client::new(&self.url)?;
        loop {
            if let Ok(id) = client
                .rpc()
                .request::<String, _>("eth_chainId", rpc_params![])
                .await
            {
                let took = started.elapsed();
                anyhow::ensure!(
                    eth::quantity(&id)? == u128::from(chain_id),
                    "the peer runs chain {id}, not {chain_id}"
                );
                return Ok(took);
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                let said = std::fs::read_to_string(self.log.path()).unwrap_or_default();
                let tail: Vec<&str> = said.lines().rev().take(8).collect();
                bail!(
                    "the peer exited at start ({status}); it printed:\n{}",
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                );
            }
            if started.elapsed() > PEER_START_TIMEOUT {
                bail!("the peer did not answer within {PEER_START_TIMEOUT:?}");
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

impl Drop for PeerNode {
    fn drop(&mut self) {
        crate::devnet_net::stop_child(&mut self.child, Duration::from_secs(10));
    }
}

/// What the bench measured of one peer configuration.
#[derive(Debug)]
pub(crate) struct PeerRun {
    pub(crate) name: &'static str,
    pub(crate) cold_start_ms: Vec<f64>,
    pub(crate) views: Vec<bench_load::ViewFigures>,
    pub(crate) loads: Vec<LoadRun>,
}

/// Runs every peer configuration; `starts` cold starts each.
pub(crate) async fn run(
    args: &PeerArgs,
    dir: &Path,
    starts: u32,
    clients: &[usize],
    seconds: u64,
    connections: usize,
    window: usize,
) -> anyhow::Result<Vec<PeerRun>> {
    // The peers run with `dir` as their working directory (Hardhat insists on a local
    // installation), so every path given to them is absolute.
    let dir = &std::fs::canonicalize(dir).with_context(|| format!("{}", dir.display()))?;
    let token_code = token_code(dir)?;
    eprintln!("bench: deriving {} peer accounts", args.peer_accounts);
    let keys: Vec<EthKey> = (0..args.peer_accounts).map(EthKey::bench).collect();
    let file = tempfile::Builder::new()
        .prefix("cairn-bench-peer-accounts")
        .suffix(".json")
        .tempfile()?;
    let list: Vec<serde_json::Value> = keys
        .iter()
        .map(|k| {
            serde_json::json!({"privateKey": k.secret_hex(), "balance": PEER_BALANCE.to_string()})
        })
        .collect();
    std::fs::write(file.path(), serde_json::to_vec(&list)?)?;

    let mut out = Vec::new();
    for peer in [Peer::HardhatAutomine, Peer::HardhatInterval, Peer::Ganache] {
        let n = match peer {
            Peer::Ganache => args.ganache_transfers,
            _ => args.hardhat_transfers,
        };
        let mut cold = Vec::new();
        for _ in 0..starts {
            let started = Instant::now();
            let mut node = peer.spawn(dir, crate::bench_cmd::free_port()?, None)?;
            cold.push(node.ready(started, peer.chain_id()).await?.as_secs_f64() * 1e3);
        }
        cold.sort_by(f64::total_cmp);
        eprintln!(
            "bench: starting {} with {} accounts",
            peer.name(),
            args.peer_accounts
        );
        let mut node = peer.spawn(dir, crate::bench_cmd::free_port()?, Some(file.path()))?;
        node.ready(Instant::now(), peer.chain_id()).await?;
        let mut loads = Vec::new();
        if n > 0 {
            loads.push(native(&node, peer, &keys, n, connections, window).await?);
        }
        let (token_run, token) =
            erc20(&node, peer, &keys, &token_code, n, connections, window).await?;
        if let Some(run) = token_run {
            loads.push(run);
        }
        let mut views = Vec::new();
        if !matches!(peer, Peer::HardhatInterval) {
            let holder = keys[1].address;
            let call = serde_json::json!({
                "to": cairn_primitives::to_hex(&token),
                "data": cairn_primitives::to_hex(&eth::erc20_balance_of(holder)),
            });
            for &c in clients {
                views.push(
                    bench_load::views(c, seconds, &node.url, {
                        let call = call.clone();
                        move |client: Client| {
                            let call = call.clone();
                            async move {
                                let r: String = client
                                    .rpc()
                                    .request("eth_call", rpc_params![call, "latest"])
                                    .await?;
                                anyhow::ensure!(r.len() == 66, "balanceOf returned {r}");
                                Ok(())
                            }
                        }
                    })
                    .await?,
                );
            }
        }
        out.push(PeerRun {
            name: peer.name(),
            cold_start_ms: cold,
            views,
            loads,
        });
    }
    Ok(out)
}

/// The committed ERC-20 creation code.
fn token_code(dir: &Path) -> anyhow::Result<Vec<u8>> {
    let path = dir.join(BENCH_TOKEN_BIN);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let digits = text.trim().trim_start_matches("0x");
    hex::decode(digits).with_context(|| format!("{} is not hex", path.display()))
}

/// Signs one transaction per `(from, to)` pair on every core, nonces following on from
/// `nonces`; `tx(to, nonce)` says what each one is.
fn presign(
    name: &'static str,
    keys: &[EthKey],
    pairs: Vec<(u32, u32)>,
    nonces: &[u64],
    chain_id: u64,
    tx: &(dyn Fn(u32, u64) -> LegacyTx + Sync),
) -> Load {
    let txs = bench_load::sign_all(&pairs, nonces, &|from, to, nonce| {
        keys[from as usize].sign(&tx(to, nonce), chain_id)
    });
    Load::from_signed(name, txs, pairs)
}

/// Every account's (balance, nonce) on an Ethereum node, in batches.
async fn eth_accounts(url: &str, keys: &[EthKey]) -> anyhow::Result<Vec<(u128, u64)>> {
    let client = Client::new(url)?;
    let mut out = Vec::with_capacity(keys.len());
    for part in keys.chunks(bench_load::BATCH / 2) {
        let mut batch = BatchRequestBuilder::new();
        for k in part {
            batch.insert("eth_getBalance", rpc_params![k.address_hex(), "latest"])?;
            batch.insert(
                "eth_getTransactionCount",
                rpc_params![k.address_hex(), "latest"],
            )?;
        }
        let answers: Vec<String> = client
            .rpc()
            .batch_request::<String>(batch)
            .await?
            .into_iter()
            .map(|a| a.map_err(|e| anyhow::anyhow!("eth_getBalance: {e}")))
            .collect::<anyhow::Result<_>>()?;
        for pair in answers.chunks(2) {
            out.push((
                eth::quantity(&pair[0])?,
                u64::try_from(eth::quantity(&pair[1])?)?,
            ));
        }
    }
    Ok(out)
}

/// Every account's ERC-20 balance, by `eth_call balanceOf`, in batches.
async fn eth_token_balances(
    url: &str,
    token: [u8; 20],
    keys: &[EthKey],
) -> anyhow::Result<Vec<u128>> {
    let client = Client::new(url)?;
    let mut out = Vec::with_capacity(keys.len());
    for part in keys.chunks(bench_load::BATCH) {
        let mut batch = BatchRequestBuilder::new();
        for k in part {
            let call = serde_json::json!({
                "to": cairn_primitives::to_hex(&token),
                "data": cairn_primitives::to_hex(&eth::erc20_balance_of(k.address)),
            });
            batch.insert("eth_call", rpc_params![call, "latest"])?;
        }
        for answer in client.rpc().batch_request::<String>(batch).await? {
            let word = answer.map_err(|e| anyhow::anyhow!("balanceOf: {e}"))?;
            out.push(eth::quantity(&word)?);
        }
    }
    Ok(out)
}

/// Native transfers between random pairs; then every balance and nonce checked.
async fn native(
    node: &PeerNode,
    peer: Peer,
    keys: &[EthKey],
    n: usize,
    connections: usize,
    window: usize,
) -> anyhow::Result<LoadRun> {
    let accounts = u32::try_from(keys.len())?;
    let before = eth_accounts(&node.url, keys).await?;
    let nonces: Vec<u64> = before.iter().map(|a| a.1).collect();
    let pairs = bench_load::random_pairs(n, accounts, 1);
    let load = presign(
        "native transfers",
        keys,
        pairs,
        &nonces,
        peer.chain_id(),
        &|to, nonce| LegacyTx {
            nonce,
            gas_price: GAS_PRICE,
            gas: TRANSFER_GAS,
            to: Some(keys[to as usize].address),
            value: TRANSFER_WEI,
            data: Vec::new(),
        },
    );
    let mut run = bench_load::drive(node.target(), &load, connections, window).await?;
    let (gas, _) = bench_load::check_receipts(node.target(), &load, accounts).await?;
    let mut expect = before;
    for &(from, to) in load.pairs() {
        expect[from as usize].0 -= TRANSFER_WEI;
        expect[from as usize].1 += 1;
        expect[to as usize].0 += TRANSFER_WEI;
    }
    for (e, g) in expect.iter_mut().zip(&gas) {
        e.0 -= g * GAS_PRICE;
    }
    let after = eth_accounts(&node.url, keys).await?;
    if let Some(i) = (0..after.len()).find(|&i| after[i] != expect[i]) {
        bail!(
            "{}: account {i} holds {:?}, the model says {:?}",
            peer.name(),
            after[i],
            expect[i]
        );
    }
    run.verified = format!(
        "{} receipts succeeded; {} balances and nonces match",
        load.receipt_sample().len(),
        after.len()
    );
    Ok(run)
}

/// Deploys the ERC-20 from account 0, grants every other account [`TOKEN_GRANT`], then (when
/// `n` > 0) sends `n` transfers between random pairs and checks every balance. Returns the
/// measured run and the token's address.
async fn erc20(
    node: &PeerNode,
    peer: Peer,
    keys: &[EthKey],
    code: &[u8],
    n: usize,
    connections: usize,
    window: usize,
) -> anyhow::Result<(Option<LoadRun>, [u8; 20])> {
    let accounts = u32::try_from(keys.len())?;
    let nonces: Vec<u64> = eth_accounts(&node.url, keys)
        .await?
        .iter()
        .map(|a| a.1)
        .collect();
    let token = eth::create_address(keys[0].address, nonces[0]);
    let deploy = presign(
        "erc20 deploy",
        keys,
        vec![(0, 0)],
        &nonces,
        peer.chain_id(),
        &|_, nonce| LegacyTx {
            nonce,
            gas_price: GAS_PRICE,
            gas: DEPLOY_GAS,
            to: None,
            value: 0,
            data: code.to_vec(),
        },
    );
    bench_load::drive(node.target(), &deploy, 1, 1).await?;
    bench_load::check_receipts(node.target(), &deploy, accounts).await?;
    let transfer = |amount: u128| {
        move |to: u32, nonce: u64| LegacyTx {
            nonce,
            gas_price: GAS_PRICE,
            gas: TOKEN_TRANSFER_GAS,
            to: Some(token),
            value: 0,
            data: eth::erc20_transfer(keys[to as usize].address, amount),
        }
    };
    let mut nonces = nonces;
    nonces[0] += 1;
    let grants = presign(
        "erc20 grants",
        keys,
        (1..accounts).map(|to| (0, to)).collect(),
        &nonces,
        peer.chain_id(),
        &transfer(TOKEN_GRANT),
    );
    bench_load::drive(node.target(), &grants, 1, window).await?;
    bench_load::check_receipts(node.target(), &grants, accounts).await?;
    let before = eth_token_balances(&node.url, token, keys).await?;
    anyhow::ensure!(
        before[1..].iter().all(|&b| b == TOKEN_GRANT),
        "{}: the grants did not give every account {TOKEN_GRANT} tokens",
        peer.name()
    );
    if n == 0 {
        return Ok((None, token));
    }
    let nonces: Vec<u64> = eth_accounts(&node.url, keys)
        .await?
        .iter()
        .map(|a| a.1)
        .collect();
    let load = presign(
        "erc20 transfers",
        keys,
        bench_load::random_pairs(n, accounts, 2),
        &nonces,
        peer.chain_id(),
        &transfer(TOKEN_AMOUNT),
    );
    let mut run = bench_load::drive(node.target(), &load, connections, window).await?;
    // Gas differs between first and later writes of a balance, so every receipt of a
    // sampled load cannot agree; the balances below are the check that counts.
    if !load.sampled() {
        bench_load::check_receipts(node.target(), &load, accounts).await?;
    }
    let mut expect = before;
    for &(from, to) in load.pairs() {
        expect[from as usize] -= TOKEN_AMOUNT;
        expect[to as usize] += TOKEN_AMOUNT;
    }
    let after = eth_token_balances(&node.url, token, keys).await?;
    if let Some(i) = (0..after.len()).find(|&i| after[i] != expect[i]) {
        bail!(
            "{}: holder {i} has {} tokens, the model says {}",
            peer.name(),
            after[i],
            expect[i]
        );
    }
    run.verified = format!(
        "{} receipts succeeded; {} token balances match",
        if load.sampled() {
            0
        } else {
            load.receipt_sample().len()
        },
        after.len()
    );
    Ok((Some(run), token))
}

/// The best figure of a workload among the Hardhat modes.
fn best_hardhat(peers: &[PeerRun], workload: &str) -> Option<f64> {
    peers
        .iter()
        .filter(|p| p.name.starts_with("hardhat"))
        .flat_map(|p| p.loads.iter())
        .filter(|l| l.name == workload)
        .map(|l| l.per_second)
        .max_by(f64::total_cmp)
}

/// Ours ÷ the best Hardhat mode, per workload: (what, ours, hardhat, ratio, target ratio).
pub(crate) fn ratios(
    ours: &[LoadRun],
    our_views: &[bench_load::ViewFigures],
    our_start_ms: f64,
    peers: &[PeerRun],
) -> Vec<(String, f64, f64, f64, f64)> {
    let mut out = Vec::new();
    for (our_name, peer_name, target) in [
        ("native transfers", "native transfers", 10.0),
        ("token transfers", "erc20 transfers", 8.0),
    ] {
        if let (Some(o), Some(h)) = (
            ours.iter().find(|l| l.name == our_name),
            best_hardhat(peers, peer_name),
        ) {
            out.push((
                format!("{our_name} tx/s"),
                o.per_second,
                h,
                o.per_second / h,
                target,
            ));
        }
    }
    if let Some(hardhat) = peers.iter().find(|p| p.name == "hardhat automine") {
        for v in our_views {
            if let Some(h) = hardhat.views.iter().find(|h| h.clients == v.clients) {
                out.push((
                    format!("views/s at {} clients", v.clients),
                    v.per_second,
                    h.per_second,
                    v.per_second / h.per_second,
                    0.0,
                ));
            }
        }
        if let Some(h) = hardhat.cold_start_ms.get(hardhat.cold_start_ms.len() / 2) {
            out.push((
                "cold start ms (peer ÷ ours)".to_owned(),
                our_start_ms,
                *h,
                h / our_start_ms,
                0.0,
            ));
        }
    }
    out
}

/// Prints each peer's figures and the ratios.
pub(crate) fn print(peers: &[PeerRun], ratios: &[(String, f64, f64, f64, f64)]) {
    println!();
    println!("peers on this machine, same load generator (eth_sendRawTransaction in batches):");
    println!(
        "  {:<17}  {:>13}  {:<17}  {:>7}  {:>9}  {:>8}  {:>8}  {:>8}",
        "peer", "cold start ms", "workload", "txs", "tx/s", "p50 ms", "p99 ms", "node CPU"
    );
    for p in peers {
        let start = p
            .cold_start_ms
            .get(p.cold_start_ms.len() / 2)
            .copied()
            .unwrap_or(0.0);
        for (i, l) in p.loads.iter().enumerate() {
            println!(
                "  {:<17}  {:>13}  {:<17}  {:>7}  {:>9.0}  {:>8.1}  {:>8.1}  {:>7.0}%",
                if i == 0 { p.name } else { "" },
                if i == 0 {
                    format!("{start:.0}")
                } else {
                    String::new()
                },
                l.name,
                l.txs,
                l.per_second,
                l.p50_ms,
                l.p99_ms,
                l.node_cpu_percent
            );
        }
        for v in &p.views {
            println!(
                "  {:<17}  {:>13}  eth_call balanceOf at {:>2} clients: {:>7.0}/s, p50 {:.0} µs, \
                 p99 {:.0} µs, {} errors",
                "", "", v.clients, v.per_second, v.p50_us, v.p99_us, v.errors
            );
        }
        for l in &p.loads {
            println!("  {}: {}: {}", p.name, l.name, l.verified);
        }
    }
    println!();
    println!("ours ÷ peer (Hardhat's best mode for throughput):");
    for (what, ours, peer, ratio, target) in ratios {
        let goal = if *target > 0.0 {
            format!("   target ≥ {target:.0}×")
        } else {
            String::new()
        };
        println!("  {what:<32} ours {ours:>10.1}   hardhat {peer:>10.1}   {ratio:>6.1}×{goal}");
    }
}

/// The peer figures as JSON.
pub(crate) fn json(
    peers: &[PeerRun],
    ratios: &[(String, f64, f64, f64, f64)],
) -> serde_json::Value {
    serde_json::json!({
        "peers": peers.iter().map(|p| serde_json::json!({
            "name": p.name,
            "cold_start_ms": p.cold_start_ms,
            "views": p.views.iter().map(|v| serde_json::json!({
                "clients": v.clients, "per_second": v.per_second,
                "p50_us": v.p50_us, "p99_us": v.p99_us, "errors": v.errors,
            })).collect::<Vec<_>>(),
            "workloads": p.loads.iter().map(|l| serde_json::json!({
                "name": l.name, "txs": l.txs, "seconds": l.seconds,
                "per_second": l.per_second, "p50_ms": l.p50_ms, "p99_ms": l.p99_ms,
                "blocks": l.blocks, "node_cpu_percent": l.node_cpu_percent,
                "node_rss_mib": l.node_rss_mib, "verified": l.verified,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "ratios": ratios.iter().map(|(what, ours, peer, ratio, target)| serde_json::json!({
            "what": what, "ours": ours, "hardhat": peer, "ratio": ratio,
            "target": if *target > 0.0 { Some(target) } else { None },
        })).collect::<Vec<_>>(),
    })
}
