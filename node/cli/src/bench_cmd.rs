//! `cairn bench`: measures a devnet the way a user meets it, from a separate process over
//! JSON-RPC: cold start (exec → first answer) and `contract_view` latency and throughput at
//! 1 and N concurrent keep-alive HTTP clients. Prints a table, and JSON with `--json`.
//!
//! ```text
//! cold start ×R:  spawn `cairn devnet --ephemeral` ─► poll chain_head ─► first answer ─► stop
//! views:          one devnet ─► deploy a one-slot contract, set it ─► for each client count C:
//!                 C tasks, each its own HTTP connection, `contract_view(get)` back to back for
//!                 D seconds ─► every latency kept ─► p50 / p99 / views per second
//! ```

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use cairn_client::Client;
use cairn_primitives::{Address, Amount, Call, Deploy, Hash, TxKind};
use cairn_rpc_api::{Bytes, CairnApiClient, DevApiClient, DevTransaction};

/// Longest wait for a devnet's first answer before the bench gives up.
pub(crate) const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Most concurrent clients one run may ask for.
pub(crate) const MAX_BENCH_CLIENTS: usize = 1024;

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
    /// Write the results as JSON to this file too.
    #[arg(long)]
    pub(crate) json: Option<PathBuf>,
}

/// One client count's view figures.
#[derive(Debug)]
struct ViewRun {
    clients: usize,
    views: usize,
    errors: usize,
    per_second: f64,
    p50_us: f64,
    p99_us: f64,
}

/// A devnet child process, stopped on drop (cleanly, so it removes its temporary directory).
struct Devnet {
    child: Child,
    url: String,
}

impl Drop for Devnet {
    fn drop(&mut self) {
        crate::devnet_net::stop_child(&mut self.child, Duration::from_secs(10));
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Starts `cairn devnet --ephemeral` on a free port; returns it once spawned.
fn spawn_devnet() -> anyhow::Result<Devnet> {
    let port = free_port()?;
    let exe = std::env::current_exe().context("locating the cairn binary")?;
    let child = Command::new(exe)
        .args(["devnet", "--ephemeral", "--rpc-addr"])
        .arg(SocketAddr::from(([127, 0, 0, 1], port)).to_string())
        .env("CAIRN_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting a devnet")?;
    Ok(Devnet {
        child,
        url: format!("http://127.0.0.1:{port}"),
    })
}

/// Spawns a devnet and polls `chain_head` until it answers; returns it and the time taken.
async fn start_timed() -> anyhow::Result<(Devnet, Duration)> {
    let started = Instant::now();
    let devnet = spawn_devnet()?;
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

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    rank(sorted.len(), p).map_or(0.0, |i| sorted[i].as_secs_f64() * 1e6)
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

/// `clients` tasks viewing back to back for `seconds`, each on its own connection.
async fn view_run(
    url: &str,
    contract: Address,
    clients: usize,
    seconds: u64,
) -> anyhow::Result<ViewRun> {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::with_capacity(clients);
    for _ in 0..clients {
        let client = Client::new(url)?;
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0usize;
            while Instant::now() < deadline {
                let t = Instant::now();
                let r = client
                    .rpc()
                    .contract_view(contract, "get".into(), Bytes::default(), None)
                    .await;
                match r {
                    Ok(v) if v.return_data == [7; 16] => latencies.push(t.elapsed()),
                    _ => errors += 1,
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
    #[allow(clippy::cast_precision_loss)]
    let per_second = all.len() as f64 / elapsed;
    Ok(ViewRun {
        clients,
        views: all.len(),
        errors,
        per_second,
        p50_us: percentile(&all, 0.50),
        p99_us: percentile(&all, 0.99),
    })
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
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let mut starts = Vec::new();
        for _ in 0..args.starts {
            let (devnet, took) = start_timed().await?;
            drop(devnet);
            starts.push(took);
        }
        starts.sort_unstable();
        let (devnet, _) = start_timed().await?;
        let client = Client::new(&devnet.url)?;
        let contract = view_target(&client).await?;
        // Warm the node's caches (compiled module, state) before timing.
        view_run(&devnet.url, contract, 1, 1).await?;
        let mut runs = Vec::new();
        for &c in &args.clients {
            runs.push(view_run(&devnet.url, contract, c, args.seconds).await?);
        }
        print_table(&starts, &runs);
        if let Some(path) = &args.json {
            let ms = |d: &Duration| d.as_secs_f64() * 1e3;
            let json = serde_json::json!({
                "cold_start_ms": {
                    "runs": starts.iter().map(ms).collect::<Vec<_>>(),
                    "median": starts.get(starts.len() / 2).map(ms),
                },
                "contract_view": runs.iter().map(|r| serde_json::json!({
                    "clients": r.clients,
                    "views": r.views,
                    "errors": r.errors,
                    "per_second": r.per_second,
                    "p50_us": r.p50_us,
                    "p99_us": r.p99_us,
                })).collect::<Vec<_>>(),
            });
            std::fs::write(path, serde_json::to_string_pretty(&json)?)
                .with_context(|| format!("writing {}", path.display()))?;
        }
        Ok(())
    })
}

fn print_table(starts: &[Duration], runs: &[ViewRun]) {
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
