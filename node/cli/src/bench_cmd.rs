//! `cairn bench`: measures a devnet the way a user meets it, from a separate process over
//! JSON-RPC: cold start (exec → first answer), `contract_view` latency and throughput at 1 and
//! N concurrent keep-alive HTTP clients, and committed native and token transfers per second
//! between 10,000 accounts (see [`crate::bench_load`]). Prints a table, and JSON with `--json`.
//!
//! ```text
//! cold start ×R:  spawn `cairn devnet --ephemeral` ─► poll chain_head ─► first answer ─► stop
//! views:          one devnet (10,000 funded accounts) ─► deploy a one-slot contract, set it ─►
//!                 for each client count C: C tasks, each its own HTTP connection,
//!                 `contract_view(get)` back to back for D seconds ─► p50 / p99 / views per second
//! transfers:      the same devnet ─► N pre-signed native transfers ─► committed tx/s, latency
//! token:          deploy `contracts/token`, give every account tokens ─► N pre-signed token
//!                 transfers ─► committed tx/s, latency; every balance checked against a model
//! ```

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use cairn_client::Client;
use cairn_primitives::{Address, Amount, Call, Deploy, Hash, MethodCall, Transfer, TxKind};
use cairn_rpc_api::{Bytes, CairnApiClient, DevApiClient, DevTransaction};

use crate::bench_load::{self, BENCH_ACCOUNTS, LoadRun, ViewFigures};

/// Longest wait for a devnet's first answer before the bench gives up.
pub(crate) const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Most concurrent clients one run may ask for.
pub(crate) const MAX_BENCH_CLIENTS: usize = 1024;

/// Most transactions one workload may pre-sign (about 200 bytes each, held in memory).
pub(crate) const MAX_BENCH_TXS: usize = 5_000_000;

/// Accounts the cold-start devnets fund: `cairn devnet`'s default.
const DEFAULT_DEV_ACCOUNTS: u32 = 10;

/// Cold starts timed per peer: a Hardhat start takes seconds.
const PEER_STARTS: u32 = 3;

/// Native units each benchmark transfer moves.
const TRANSFER_AMOUNT: u128 = 1;

/// Tokens each holder gets before the token workload, and each token transfer moves.
const TOKEN_GRANT: u128 = 1_000_000;
const TOKEN_AMOUNT: u128 = 1;

/// Block gas limit of the devnet the transfer workloads run on: the figure the peers are
/// given (`BLOCK_GAS_LIMIT` in `bench/peers/hardhat.config.js` and `ganache.js`), so that
/// neither side's blocks are cut by gas while the other's are not.
const BENCH_BLOCK_GAS_LIMIT: u64 = 1_000_000_000;

/// Options of `cairn bench`.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct BenchArgs {
    /// Cold starts to time.
    #[arg(long, default_value_t = 5)]
    pub(crate) starts: u32,
    /// Client counts to measure views at (comma-separated).
    #[arg(long, value_delimiter = ',', default_values_t = vec![1usize, 32])]
    pub(crate) clients: Vec<usize>,
    /// Seconds of views per client count.
    #[arg(long, default_value_t = 10)]
    pub(crate) seconds: u64,
    /// Native transfers to send between the 10,000 accounts (0: skip).
    #[arg(long, default_value_t = 100_000)]
    pub(crate) transfers: usize,
    /// Token transfers to send between the 10,000 holders (0: skip).
    #[arg(long, default_value_t = 50_000)]
    pub(crate) token_transfers: usize,
    /// The token contract's crate (built for wasm32 if it is not already).
    #[arg(long, default_value = "contracts/token")]
    pub(crate) token: PathBuf,
    /// HTTP connections the transfer workloads send over.
    #[arg(long, default_value_t = 8)]
    pub(crate) connections: usize,
    /// Most transactions in flight (sent, not yet in a block); below the node's pool size.
    #[arg(long, default_value_t = 15_000)]
    pub(crate) window: usize,
    /// Native transfers that each create an account (from the 10,000 funded ones to as many
    /// new addresses), growing the state to this many more accounts (0: skip).
    #[arg(long, default_value_t = 0)]
    pub(crate) state_accounts: usize,
    /// Block gas limit of the devnet the views and transfers run on (the cold starts use the
    /// devnet's default).
    #[arg(long, default_value_t = BENCH_BLOCK_GAS_LIMIT)]
    pub(crate) gas_limit: u64,
    /// Write the results as JSON to this file too.
    #[arg(long)]
    pub(crate) json: Option<PathBuf>,
    /// The peers (Hardhat, Ganache) measured in the same run.
    #[command(flatten)]
    pub(crate) peer: crate::bench_peers::PeerArgs,
}

/// Native transfers between random pairs of the 10,000 accounts, then every balance checked.
async fn native_transfers(devnet: &Devnet, args: &BenchArgs) -> anyhow::Result<LoadRun> {
    let client = Client::new(&devnet.url)?;
    let chain_id = client.chain_id().await?;
    let before = bench_load::accounts(&devnet.url, BENCH_ACCOUNTS).await?;
    let nonces: Vec<u64> = before.iter().map(|a| a.1).collect();
    eprintln!("bench: signing {} native transfers", args.transfers);
    let pairs = bench_load::random_pairs(args.transfers, BENCH_ACCOUNTS, 1);
    let kind = |to| {
        TxKind::Transfer(Transfer {
            to: cairn_primitives::dev_account_key(to).address(),
            amount: Amount::from(TRANSFER_AMOUNT),
        })
    };
    let gas = native_gas(chain_id, &kind);
    let load = bench_load::presign("native transfers", pairs, chain_id, &nonces, gas, &kind);
    let mut run = bench_load::drive(devnet.target(), &load, args.connections, args.window).await?;
    run.verified =
        bench_load::verify_transfers(devnet.target(), &load, TRANSFER_AMOUNT, &before).await?;
    Ok(run)
}

/// The `k`th account the state workload creates.
fn fresh_address(k: u32) -> Address {
    let mut seed = b"cairn bench fresh account".to_vec();
    seed.extend_from_slice(&k.to_be_bytes());
    Address::from_slice(&Hash::of(&seed).0[12..]).expect("20 bytes")
}

/// Grows the state: `--state-accounts` transfers, each from one of the 10,000 funded accounts
/// (in turn) to a new address. Checks every sender's nonce, the sampled receipts, and an evenly
/// spaced sample of the new accounts' balances.
async fn state_growth(devnet: &Devnet, args: &BenchArgs) -> anyhow::Result<LoadRun> {
    let n = u32::try_from(args.state_accounts).context("--state-accounts")?;
    let client = Client::new(&devnet.url)?;
    let chain_id = client.chain_id().await?;
    let before = bench_load::accounts(&devnet.url, BENCH_ACCOUNTS).await?;
    let nonces: Vec<u64> = before.iter().map(|a| a.1).collect();
    eprintln!("bench: signing {n} transfers to new accounts");
    let pairs: Vec<(u32, u32)> = (0..n).map(|k| (k % BENCH_ACCOUNTS, k)).collect();
    let kind = |to| {
        TxKind::Transfer(Transfer {
            to: fresh_address(to),
            amount: Amount::from(TRANSFER_AMOUNT),
        })
    };
    let gas = native_gas(chain_id, &kind);
    let load = bench_load::presign("new accounts", pairs, chain_id, &nonces, gas, &kind);
    let mut run = bench_load::drive(devnet.target(), &load, args.connections, args.window).await?;
    bench_load::check_receipts(devnet.target(), &load, BENCH_ACCOUNTS).await?;
    let mut expect = nonces;
    for &(from, _) in load.pairs() {
        expect[from as usize] += 1;
    }
    let after = bench_load::accounts(&devnet.url, BENCH_ACCOUNTS).await?;
    if let Some(i) = (0..after.len()).find(|&i| after[i].1 != expect[i]) {
        bail!(
            "account {i} has nonce {}, the model says {}",
            after[i].1,
            expect[i]
        );
    }
    let step = (n / STATE_SAMPLE).max(1);
    let mut sampled = 0;
    for k in (0..n).step_by(step as usize) {
        let account = client
            .rpc()
            .state_get_account(fresh_address(k), None)
            .await?;
        anyhow::ensure!(
            account.balance == Amount::from(TRANSFER_AMOUNT),
            "new account {k} holds {:?}",
            account.balance
        );
        sampled += 1;
    }
    run.verified = format!(
        "{} receipts succeeded; {} senders' nonces match; {sampled} of the {n} new accounts \
         hold their transfer",
        load.receipt_sample().len(),
        after.len()
    );
    Ok(run)
}

/// New accounts whose balance the state workload reads back.
const STATE_SAMPLE: u32 = 2_000;

/// A native transfer's gas: its intrinsic gas, the same for every one (fixed-width encoding).
fn native_gas(chain_id: u64, kind: &dyn Fn(u32) -> TxKind) -> u64 {
    let sample = cairn_primitives::SignedTransaction {
        tx: cairn_primitives::Transaction {
            chain_id,
            nonce: 0,
            gas_limit: 0,
            gas_price: Amount::one(),
            kind: kind(1),
        },
        public_key: [0; 32],
        signature: [0; 64],
    };
    cairn_executor::ExecutorConfig::default()
        .intrinsic_gas(&sample, cairn_primitives::Canonical::encode(&sample).len())
}

/// Deploys the token, gives each of the 10,000 accounts [`TOKEN_GRANT`] tokens, then sends
/// token transfers between random pairs and checks every balance.
async fn token_transfers(devnet: &Devnet, args: &BenchArgs) -> anyhow::Result<LoadRun> {
    eprintln!("bench: building and deploying {}", args.token.display());
    let code = cairn_testkit::build_wasm(&args.token)
        .map_err(|e| anyhow::anyhow!("building {}: {e}", args.token.display()))?;
    let abi = crate::abi_of(&code)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.token.display()))?
        .context("the token has no ABI")?;
    let abi = cairn_client::Abi::from_json(abi)?;
    // The bench encodes `transfer` arguments itself; make sure it agrees with the ABI.
    let probe = cairn_primitives::dev_account_key(1).address();
    let by_abi = cairn_client::encode_args(
        abi.method("transfer")?,
        &serde_json::json!({"to": probe.to_string(), "amount": "1"}),
    )?;
    anyhow::ensure!(
        by_abi == bench_load::token_transfer_args(probe, 1),
        "the token's `transfer` takes other arguments than (address, u128)"
    );
    let total = TOKEN_GRANT * u128::from(BENCH_ACCOUNTS);
    let init = cairn_client::encode_args(
        abi.method("new")?,
        &serde_json::json!({
            "name": "Bench", "symbol": "BNC", "decimals": 0, "initial_supply": total.to_string()
        }),
    )?;
    let client = Client::new(&devnet.url)?;
    let from = cairn_primitives::dev_account_key(0).address();
    let hash = client
        .rpc()
        .dev_send(DevTransaction {
            from,
            kind: TxKind::Deploy(Deploy {
                code: code.to_vec(),
                init: Some(MethodCall {
                    method: "new".into(),
                    args: init,
                }),
                salt: None,
                value: Amount::zero(),
                admin: None,
            }),
            nonce: None,
            gas_limit: None,
            gas_price: None,
        })
        .await?;
    let receipt = client.pending(hash).wait().await?;
    let token = receipt
        .contract_address
        .with_context(|| format!("the token did not deploy: {:?}", receipt.error))?;
    let chain_id = client.chain_id().await?;
    // Grants: account 0 pays every other account, within the pool's per-sender limit.
    let nonces: Vec<u64> = bench_load::accounts(&devnet.url, BENCH_ACCOUNTS)
        .await?
        .iter()
        .map(|a| a.1)
        .collect();
    let grants = bench_load::presign(
        "token grants",
        (1..BENCH_ACCOUNTS).map(|to| (0, to)).collect(),
        chain_id,
        &nonces,
        TOKEN_GAS_LIMIT,
        &token_transfer(token, TOKEN_GRANT),
    );
    bench_load::drive(devnet.target(), &grants, 1, GRANT_WINDOW).await?;
    let (_, most) = bench_load::check_receipts(devnet.target(), &grants, BENCH_ACCOUNTS).await?;
    let before = bench_load::token_balances(&devnet.url, token, BENCH_ACCOUNTS).await?;
    anyhow::ensure!(
        before.iter().all(|&b| b == TOKEN_GRANT),
        "the grants did not give every account {TOKEN_GRANT} tokens"
    );

    // The measured load. A transfer between holders writes two balances that exist, which
    // costs no more than a grant (one of whose writes was a first); the gas limit is the most
    // a grant used plus a tenth, as a client adds a margin to an estimate. (The limit, not the
    // gas used, decides how many transactions a block takes.)
    let nonces: Vec<u64> = bench_load::accounts(&devnet.url, BENCH_ACCOUNTS)
        .await?
        .iter()
        .map(|a| a.1)
        .collect();
    let pairs = bench_load::random_pairs(args.token_transfers, BENCH_ACCOUNTS, 2);
    let load = bench_load::presign(
        "token transfers",
        pairs,
        chain_id,
        &nonces,
        most.saturating_add(most / 10),
        &token_transfer(token, TOKEN_AMOUNT),
    );
    let mut run = bench_load::drive(devnet.target(), &load, args.connections, args.window).await?;
    run.verified =
        bench_load::verify_token(devnet.target(), &load, token, TOKEN_AMOUNT, &before).await?;
    Ok(run)
}

/// Gas limit of a grant (a first write of the holder's balance); its receipts give the real
/// figure the measured transfers then use.
const TOKEN_GAS_LIMIT: u64 = 2_000_000;

/// Grants come from one account, whose pending transactions the pool caps at 256.
const GRANT_WINDOW: usize = 200;

/// What a token `transfer` of `amount` to a dev account does, for each account index: the
/// grants' and the measured transfers' transactions.
fn token_transfer(token: Address, amount: u128) -> impl Fn(u32) -> TxKind + Sync {
    move |to: u32| {
        TxKind::Call(Call {
            to: token,
            method: "transfer".into(),
            args: bench_load::token_transfer_args(
                cairn_primitives::dev_account_key(to).address(),
                amount,
            ),
            value: Amount::zero(),
        })
    }
}

/// A devnet child process, stopped on drop (cleanly, so it removes its temporary directory).
struct Devnet {
    child: Child,
    url: String,
    /// The node's log (its `block committed` lines, with their commit times), when kept.
    log: Option<tempfile::NamedTempFile>,
}

impl Drop for Devnet {
    fn drop(&mut self) {
        crate::devnet_net::stop_child(&mut self.child, Duration::from_secs(10));
    }
}

impl Devnet {
    /// p50, p99 and max of the commit times (ms) the node logged for blocks `heights`.
    fn commit_times(&self, heights: (u64, u64)) -> Option<(f64, f64, f64)> {
        let text = std::fs::read_to_string(self.log.as_ref()?.path()).ok()?;
        let mut times: Vec<Duration> = text
            .lines()
            .filter(|l| l.contains("block committed"))
            .filter_map(|l| {
                let field = |key: &str| {
                    l.split_whitespace()
                        .find_map(|w| w.strip_prefix(key))
                        .and_then(|v| v.parse::<u64>().ok())
                };
                let height = field("height=")?;
                (heights.0..=heights.1)
                    .contains(&height)
                    .then(|| field("commit_us=").map(Duration::from_micros))
                    .flatten()
            })
            .collect();
        times.sort_unstable();
        let ms = |p: f64| rank(times.len(), p).map(|i| times[i].as_secs_f64() * 1e3);
        Some((ms(0.5)?, ms(0.99)?, ms(1.0)?))
    }

    fn target(&self) -> bench_load::Target<'_> {
        bench_load::Target {
            url: &self.url,
            dialect: bench_load::Dialect::Cairn,
            pid: self.child.id(),
        }
    }
}

pub(crate) fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Starts `cairn devnet --ephemeral` funding `accounts` accounts on a free port; returns it
/// once spawned. With `logged`, the node logs each committed block (and its commit time) to
/// a file the bench reads.
fn spawn_devnet(accounts: u32, gas_limit: Option<u64>, logged: bool) -> anyhow::Result<Devnet> {
    let port = free_port()?;
    let exe = std::env::current_exe().context("locating the cairn binary")?;
    let log = logged.then(tempfile::NamedTempFile::new).transpose()?;
    let stderr = match &log {
        Some(file) => Stdio::from(file.reopen()?),
        None => Stdio::null(),
    };
    let mut command = Command::new(exe);
    command
        .args([
            "devnet",
            "--ephemeral",
            "--accounts",
            &accounts.to_string(),
            "--rpc-addr",
        ])
        .arg(SocketAddr::from(([127, 0, 0, 1], port)).to_string());
    if let Some(gas) = gas_limit {
        command.args(["--gas-limit", &gas.to_string()]);
    }
    let child = command
        .env(
            "CAIRN_LOG",
            if logged {
                "warn,cairn_chain::node=info"
            } else {
                "warn"
            },
        )
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .context("starting a devnet")?;
    Ok(Devnet {
        child,
        url: format!("http://127.0.0.1:{port}"),
        log,
    })
}

/// Spawns a devnet and polls `chain_head` until it answers; returns it and the time taken.
async fn start_timed(
    accounts: u32,
    gas_limit: Option<u64>,
    logged: bool,
) -> anyhow::Result<(Devnet, Duration)> {
    let started = Instant::now();
    let devnet = spawn_devnet(accounts, gas_limit, logged)?;
    let client = Client::new(&devnet.url)?;
    loop {
        if client.head().await.is_ok() {
            return Ok((devnet, started.elapsed()));
        }
        if started.elapsed() > START_TIMEOUT {
            bail!("the devnet did not answer within {START_TIMEOUT:?}");
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// The contract the bench views: `get` returns the value under "k", `set(bytes)` stores it
/// (one storage read per view, like a token's `balance_of`). Assembled from `bench_kv.wat`.
pub(crate) const BENCH_KV_WASM: &[u8] = include_bytes!("bench_kv.wasm");

async fn send_and_wait(client: &Client, from: Address, kind: TxKind) -> anyhow::Result<()> {
    let hash: Hash = client
        .rpc()
        .dev_send(DevTransaction {
            from,
            kind,
            nonce: None,
            gas_limit: None,
            gas_price: None,
        })
        .await?;
    let receipt = client.pending(hash).wait().await?;
    anyhow::ensure!(
        receipt.status == cairn_primitives::ReceiptStatus::Success,
        "setup transaction failed: {:?}",
        receipt.error
    );
    Ok(())
}

/// Deploys the one-slot contract and fills its slot; returns its address.
async fn view_target(client: &Client) -> anyhow::Result<Address> {
    let from = cairn_primitives::dev_account_key(0).address();
    let code = BENCH_KV_WASM.to_vec();
    let hash = client
        .rpc()
        .dev_send(DevTransaction {
            from,
            kind: TxKind::Deploy(Deploy {
                code,
                init: None,
                salt: None,
                value: Amount::zero(),
                admin: None,
            }),
            nonce: None,
            gas_limit: None,
            gas_price: None,
        })
        .await?;
    let contract = client
        .pending(hash)
        .wait()
        .await?
        .contract_address
        .context("the bench contract did not deploy")?;
    send_and_wait(
        client,
        from,
        TxKind::Call(Call {
            to: contract,
            method: "set".into(),
            args: vec![7; 16],
            value: Amount::zero(),
        }),
    )
    .await?;
    Ok(contract)
}

/// The index of percentile `p` (0..=1, nearest rank) in a sorted list of `len` samples;
/// `None` when there are none.
pub(crate) fn rank(len: usize, p: f64) -> Option<usize> {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    len.checked_sub(1)
        .map(|last| (last as f64 * p).round() as usize)
}

/// `clients` tasks calling `contract_view(get)` back to back for `seconds`.
async fn view_run(
    url: &str,
    contract: Address,
    clients: usize,
    seconds: u64,
) -> anyhow::Result<ViewFigures> {
    bench_load::views(clients, seconds, url, move |client: Client| async move {
        let v = client
            .rpc()
            .contract_view(contract, "get".into(), Bytes::default(), None)
            .await?;
        anyhow::ensure!(
            v.return_data == [7; 16],
            "the view returned {:?}",
            v.return_data
        );
        Ok(())
    })
    .await
}

/// `cairn bench`.
pub(crate) fn run(args: &BenchArgs) -> anyhow::Result<()> {
    if args
        .clients
        .iter()
        .any(|&c| c == 0 || c > MAX_BENCH_CLIENTS)
    {
        bail!("--clients must each be in 1..={MAX_BENCH_CLIENTS}");
    }
    if args.connections == 0 || args.connections > MAX_BENCH_CLIENTS {
        bail!("--connections must be in 1..={MAX_BENCH_CLIENTS}");
    }
    if args.window < 1 || args.window > cairn_mempool::DEFAULT_MAX_POOL_TXS {
        bail!(
            "--window must be in 1..={} (the node's pool holds no more)",
            cairn_mempool::DEFAULT_MAX_POOL_TXS
        );
    }
    for (flag, n) in [
        ("--transfers", args.transfers),
        ("--token-transfers", args.token_transfers),
        ("--state-accounts", args.state_accounts),
    ] {
        if n > MAX_BENCH_TXS {
            bail!("{flag} {n} is over the limit of {MAX_BENCH_TXS}");
        }
    }
    if args.gas_limit < cairn_chain::MIN_BLOCK_GAS_LIMIT {
        bail!(
            "--gas-limit must be at least {} (one transfer must fit in a block)",
            cairn_chain::MIN_BLOCK_GAS_LIMIT
        );
    }
    args.peer.check()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let mut starts = Vec::new();
        for _ in 0..args.starts {
            let (devnet, took) = start_timed(DEFAULT_DEV_ACCOUNTS, None, false).await?;
            drop(devnet);
            starts.push(took);
        }
        starts.sort_unstable();
        eprintln!("bench: starting a devnet with {BENCH_ACCOUNTS} funded accounts");
        let (devnet, _) = start_timed(BENCH_ACCOUNTS, Some(args.gas_limit), true).await?;
        eprintln!("bench: views");
        let client = Client::new(&devnet.url)?;
        // What the node says, not what was asked: the figure every block was cut at.
        let block_gas_limit = client.node_info().await?.block_gas_limit;
        let contract = view_target(&client).await?;
        // Warm the node's caches (compiled module, state) before timing.
        view_run(&devnet.url, contract, 1, 1).await?;
        let mut runs = Vec::new();
        for &c in &args.clients {
            runs.push(view_run(&devnet.url, contract, c, args.seconds).await?);
        }
        let mut loads = Vec::new();
        if args.transfers > 0 {
            loads.push(native_transfers(&devnet, args).await?);
        }
        if args.token_transfers > 0 {
            loads.push(token_transfers(&devnet, args).await?);
        }
        if args.state_accounts > 0 {
            loads.push(state_growth(&devnet, args).await?);
        }
        for load in &mut loads {
            load.commit_ms = devnet.commit_times(load.heights);
        }
        drop(devnet);
        let mut peer_json = serde_json::Value::Null;
        if let Some(dir) = &args.peer.peers {
            let peers = crate::bench_peers::run(
                &args.peer,
                dir,
                args.starts.min(PEER_STARTS),
                &args.clients,
                args.seconds,
                args.connections,
                args.window,
            )
            .await?;
            let our_start = starts
                .get(starts.len() / 2)
                .map_or(0.0, |d| d.as_secs_f64() * 1e3);
            let ratios = crate::bench_peers::ratios(&loads, &runs, our_start, &peers);
            print_table(&starts, &runs);
            print_loads(&loads, args, block_gas_limit);
            crate::bench_peers::print(&peers, &ratios);
            peer_json = crate::bench_peers::json(&peers, &ratios);
        } else {
            print_table(&starts, &runs);
            print_loads(&loads, args, block_gas_limit);
        }
        if let Some(path) = &args.json {
            let ms = |d: &Duration| d.as_secs_f64() * 1e3;
            let json = serde_json::json!({
                "cold_start_ms": {
                    "runs": starts.iter().map(ms).collect::<Vec<_>>(),
                    "median": starts.get(starts.len() / 2).map(ms),
                },
                "block_gas_limit": block_gas_limit,
                "contract_view": runs.iter().map(|r| serde_json::json!({
                    "clients": r.clients,
                    "views": r.views,
                    "errors": r.errors,
                    "per_second": r.per_second,
                    "p50_us": r.p50_us,
                    "p99_us": r.p99_us,
                })).collect::<Vec<_>>(),
                "workloads": loads.iter().map(|l| serde_json::json!({
                    "name": l.name,
                    "txs": l.txs,
                    "seconds": l.seconds,
                    "per_second": l.per_second,
                    "p50_ms": l.p50_ms,
                    "p99_ms": l.p99_ms,
                    "retries": l.retries,
                    "blocks": l.blocks,
                    "node_cpu_percent": l.node_cpu_percent,
                    "node_rss_mib": l.node_rss_mib,
                    "node_peak_rss_mib": l.node_peak_rss_mib,
                    "commit_ms": l.commit_ms.map(|(p50, p99, max)| serde_json::json!({
                        "p50": p50, "p99": p99, "max": max,
                    })),
                    "verified": l.verified,
                })).collect::<Vec<_>>(),
                "peers": peer_json,
            });
            std::fs::write(path, serde_json::to_string_pretty(&json)?)
                .with_context(|| format!("writing {}", path.display()))?;
        }
        Ok(())
    })
}

fn print_loads(loads: &[LoadRun], args: &BenchArgs, block_gas_limit: u64) {
    if loads.is_empty() {
        return;
    }
    println!();
    println!(
        "committed transactions between {BENCH_ACCOUNTS} accounts, {} connections, \
         tx_sendBatch of {}, at most {} in flight, block gas limit {block_gas_limit} \
         (latency: sent → seen in an executed block):",
        args.connections,
        bench_load::SEND_BATCH,
        args.window
    );
    println!(
        "  {:<16}  {:>8}  {:>8}  {:>9}  {:>8}  {:>8}  {:>7}  {:>8}  {:>9}  {:>21}",
        "workload",
        "txs",
        "seconds",
        "tx/s",
        "p50 ms",
        "p99 ms",
        "blocks",
        "node CPU",
        "node RSS",
        "commit p50/p99/max ms"
    );
    for l in loads {
        let commit = l.commit_ms.map_or_else(
            || "-".to_owned(),
            |(p50, p99, max)| format!("{p50:.1} / {p99:.1} / {max:.1}"),
        );
        println!(
            "  {:<16}  {:>8}  {:>8.2}  {:>9.0}  {:>8.1}  {:>8.1}  {:>7}  {:>7.0}%  {:>5.0} MiB  {:>21}",
            l.name,
            l.txs,
            l.seconds,
            l.per_second,
            l.p50_ms,
            l.p99_ms,
            l.blocks,
            l.node_cpu_percent,
            l.node_rss_mib,
            commit
        );
    }
    for l in loads {
        println!(
            "  {}: {} (retried {} sends the pool turned away; node peak RSS {:.0} MiB)",
            l.name, l.verified, l.retries, l.node_peak_rss_mib
        );
    }
}

fn print_table(starts: &[Duration], runs: &[ViewFigures]) {
    let ms = |d: &Duration| d.as_secs_f64() * 1e3;
    println!(
        "devnet cold start (exec → first chain_head answer), {} runs:",
        starts.len()
    );
    if let (Some(first), Some(last)) = (starts.first(), starts.last()) {
        println!(
            "  median {:.0} ms   min {:.0} ms   max {:.0} ms",
            ms(&starts[starts.len() / 2]),
            ms(first),
            ms(last)
        );
    }
    println!();
    println!("contract_view (one storage read) over keep-alive HTTP:");
    println!(
        "  {:>7}  {:>9}  {:>7}  {:>11}  {:>9}  {:>9}",
        "clients", "views", "errors", "views/s", "p50 µs", "p99 µs"
    );
    for r in runs {
        println!(
            "  {:>7}  {:>9}  {:>7}  {:>11.0}  {:>9.0}  {:>9.0}",
            r.clients, r.views, r.errors, r.per_second, r.p50_us, r.p99_us
        );
    }
}
