//! `cairn init`, `cairn node` and `cairn devnet`: the data dir, the genesis file, and running
//! a validator with its RPC server until SIGINT/SIGTERM.
//!
//! ```text
//! <data dir>/genesis.json    the chain (cairn init writes it; every validator shares it)
//!           /validator.key   this validator's ed25519 secret key (0x-hex)
//!           /db              RocksDB: state + blocks + receipts + indexes
//!           /consensus       Simplex journal and marshal archives
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use cairn_chain::{
    CONSENSUS_DIR, Chain, ChainApp, DEFAULT_BLOCK_GAS_LIMIT, Genesis, GenesisAccount,
    GenesisValidator, MAX_DEV_ACCOUNTS, dev_account_key,
};
use cairn_primitives::{Address, Amount, SecretKey, dev_authority_key, parse_amount, to_hex};
use cairn_rpc::{RpcConfig, RpcServer};

/// Name of the genesis file in a data dir.
pub(crate) const GENESIS_FILE: &str = "genesis.json";
/// Name of the validator key file in a data dir.
pub(crate) const VALIDATOR_KEY_FILE: &str = "validator.key";
/// The devnet's chain id unless `--chain-id` says otherwise.
pub(crate) const DEVNET_CHAIN_ID: u64 = 1337;
/// A dev account's balance unless `--balance` says otherwise: 10^30 base units.
pub(crate) const DEFAULT_DEV_BALANCE: &str = "1000000000000000000000000000000";
/// How often the node checks that consensus is still running.
const SUPERVISE_EVERY: Duration = Duration::from_millis(200);

/// Options shared by `init` and `devnet` for a new genesis.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct GenesisArgs {
    /// Chain id.
    #[arg(long, default_value_t = DEVNET_CHAIN_ID)]
    pub(crate) chain_id: u64,
    /// Number of dev accounts to prefund (keys derived from a fixed, public seed).
    #[arg(long, default_value_t = 10)]
    pub(crate) accounts: u32,
    /// Balance of each dev account, in base units (decimal).
    #[arg(long, default_value = DEFAULT_DEV_BALANCE)]
    pub(crate) balance: String,
    /// Extra prefunded account, `ADDRESS=AMOUNT` (repeatable).
    #[arg(long = "fund", value_name = "ADDRESS=AMOUNT")]
    pub(crate) fund: Vec<String>,
    /// Block gas limit.
    #[arg(long, default_value_t = DEFAULT_BLOCK_GAS_LIMIT)]
    pub(crate) gas_limit: u64,
    /// Minimum gas price the mempool admits.
    #[arg(long, default_value = "1")]
    pub(crate) min_gas_price: String,
    /// Name the fixed dev authority in the genesis, enabling dev overrides (set by
    /// `cairn devnet`; never on a real network).
    #[arg(skip)]
    pub(crate) dev: bool,
}

/// Options of a running node.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct RunArgs {
    /// Address of the JSON-RPC server (HTTP and WebSocket).
    #[arg(long, default_value = "127.0.0.1:8545")]
    pub(crate) rpc_addr: SocketAddr,
    /// Address the p2p listener binds to (default: the genesis entry of this validator).
    #[arg(long)]
    pub p2p_addr: Option<SocketAddr>,
    /// Wait this long after the first pending transaction before proposing, e.g. `0ms`
    /// (instant) or `2s`.
    #[arg(long, default_value = "0ms", value_parser = parse_duration)]
    pub(crate) block_time: Duration,
    /// Propose an empty block after this long without transactions.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    pub(crate) heartbeat: Duration,
    /// Wall-clock watchdog of `contract_view` (past it the caller gets error 5000).
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub(crate) view_timeout: Duration,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let (num, unit) = s
        .find(|c: char| !c.is_ascii_digit())
        .map_or((s, "ms"), |i| s.split_at(i));
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration like 0ms, 250ms or 2s"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        _ => Err(format!("{s:?}: unit must be ms or s")),
    }
}

fn genesis_from(
    args: &GenesisArgs,
    validators: &[(SecretKey, SocketAddr)],
) -> anyhow::Result<Genesis> {
    if args.accounts > MAX_DEV_ACCOUNTS {
        bail!(
            "--accounts {} is over the limit of {MAX_DEV_ACCOUNTS}",
            args.accounts
        );
    }
    let balance = parse_amount(&args.balance)
        .map_err(|e| anyhow::anyhow!("--balance {:?}: {e}", args.balance))?;
    let min_gas_price = parse_amount(&args.min_gas_price)
        .map_err(|e| anyhow::anyhow!("--min-gas-price {:?}: {e}", args.min_gas_price))?;
    let mut accounts: Vec<GenesisAccount> = (0..args.accounts)
        .map(|i| GenesisAccount {
            address: dev_account_key(i).address(),
            balance,
        })
        .collect();
    for f in &args.fund {
        let (addr, amount) = f
            .split_once('=')
            .with_context(|| format!("--fund {f:?}: expected ADDRESS=AMOUNT"))?;
        let address: Address = addr
            .parse()
            .map_err(|e| anyhow::anyhow!("--fund {f:?}: address: {e}"))?;
        let balance: Amount =
            parse_amount(amount).map_err(|e| anyhow::anyhow!("--fund {f:?}: amount: {e}"))?;
        accounts.push(GenesisAccount { address, balance });
    }
    if args.dev {
        // The dev authority pays the (devnet) fees of the overrides it signs.
        accounts.push(GenesisAccount {
            address: dev_authority_key().address(),
            balance,
        });
    }
    let timestamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let genesis = Genesis {
        chain_id: args.chain_id,
        timestamp,
        block_gas_limit: args.gas_limit,
        min_gas_price,
        validators: validators
            .iter()
            .map(|(key, p2p)| GenesisValidator {
                public_key: key.public_key(),
                p2p_address: *p2p,
            })
            .collect(),
        accounts,
        dev_authority: args.dev.then(|| dev_authority_key().address()),
    };
    genesis.validate()?;
    Ok(genesis)
}

fn random_key() -> anyhow::Result<SecretKey> {
    use std::io::Read;
    let mut seed = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut seed))
        .context("reading /dev/urandom")?;
    Ok(SecretKey::from_bytes(&seed))
}

/// A free TCP port on loopback (for the p2p listener of a one-validator chain).
fn free_local_addr() -> anyhow::Result<SocketAddr> {
    let l = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(l.local_addr()?)
}

/// `cairn init`: writes `genesis.json` and `validator.key` into `data_dir`.
pub(crate) fn init(
    data_dir: &Path,
    args: &GenesisArgs,
    p2p: Option<SocketAddr>,
) -> anyhow::Result<Genesis> {
    let genesis_path = data_dir.join(GENESIS_FILE);
    if genesis_path.exists() {
        bail!(
            "{} already exists: this data dir is initialised (remove it to start a new chain)",
            genesis_path.display()
        );
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    let key = random_key()?;
    let p2p = match p2p {
        Some(a) => a,
        None => free_local_addr()?,
    };
    let genesis = genesis_from(args, &[(key.clone(), p2p)])?;
    write_key(&data_dir.join(VALIDATOR_KEY_FILE), &key)?;
    genesis.save(&genesis_path)?;
    Ok(genesis)
}

/// Most validators `cairn init --validators` writes a local network for.
pub(crate) const MAX_LOCAL_VALIDATORS: usize = 64;

/// `cairn init --validators N`: a local network in `dir/node0 … dir/node{N-1}`, each with the
/// same genesis and its own key, p2p on free loopback ports.
pub(crate) fn init_network(dir: &Path, args: &GenesisArgs, n: usize) -> anyhow::Result<Genesis> {
    if n == 0 || n > MAX_LOCAL_VALIDATORS {
        bail!("--validators {n} is outside 1..={MAX_LOCAL_VALIDATORS}");
    }
    if dir.join("node0").exists() {
        bail!(
            "{} already holds a network (remove it to start a new one)",
            dir.display()
        );
    }
    let mut validators = Vec::with_capacity(n);
    for _ in 0..n {
        validators.push((random_key()?, free_local_addr()?));
    }
    let genesis = genesis_from(args, &validators)?;
    for (i, (key, _)) in validators.iter().enumerate() {
        let node = dir.join(format!("node{i}"));
        std::fs::create_dir_all(&node).with_context(|| format!("creating {}", node.display()))?;
        write_key(&node.join(VALIDATOR_KEY_FILE), key)?;
        genesis.save(&node.join(GENESIS_FILE))?;
    }
    Ok(genesis)
}

fn write_key(path: &Path, key: &SecretKey) -> anyhow::Result<()> {
    std::fs::write(path, format!("{}\n", to_hex(&key.to_bytes())))
        .with_context(|| format!("writing {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("restricting {}", path.display()))?;
    }
    Ok(())
}

fn read_key(path: &Path) -> anyhow::Result<SecretKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading {} (run `cairn init` first)", path.display()))?;
    let seed = cairn_primitives::parse_fixed_hex::<32>(text.trim())
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(SecretKey::from_bytes(&seed))
}

/// Installs the log subscriber: `CAIRN_LOG` (an env-filter directive) or `info` for Cairn's
/// crates and `warn` for dependencies.
pub(crate) fn init_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CAIRN_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("warn,cairn=info,cairn_chain=info,cairn_rpc=info")
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

/// `cairn node`: runs the validator of `data_dir` until SIGINT/SIGTERM.
pub(crate) fn node(
    data_dir: &Path,
    run: &RunArgs,
    banner: Option<&dyn Fn(SocketAddr)>,
    dev_keys: Vec<SecretKey>,
) -> anyhow::Result<()> {
    let genesis = Genesis::load(&data_dir.join(GENESIS_FILE)).map_err(|e| {
        anyhow::anyhow!(
            "{e} (run `cairn init --data-dir {}` first)",
            data_dir.display()
        )
    })?;
    let key = read_key(&data_dir.join(VALIDATOR_KEY_FILE))?;
    // A validator of a devnet network (`cairn devnet --validators N`) serves the dev
    // accounts' `dev_send` like a one-validator devnet does.
    let dev_keys = if dev_keys.is_empty() && genesis.dev_authority.is_some() {
        dev_keys_of(&genesis)
    } else {
        dev_keys
    };
    let me = key.public_key();
    let own = genesis
        .validators
        .iter()
        .find(|v| v.public_key == me)
        .with_context(|| {
            format!(
                "{} is not a validator key of this genesis",
                data_dir.join(VALIDATOR_KEY_FILE).display()
            )
        })?
        .clone();
    let listen = match run.p2p_addr {
        Some(a) => a,
        // A lone validator never dials itself: any free port will do.
        None if genesis.validators.len() == 1 => free_local_addr()?,
        None => own.p2p_address,
    };
    let validators = genesis
        .validators
        .iter()
        .map(|v| cairn_consensus::Validator {
            public_key: v.public_key,
            address: if v.public_key == me {
                listen
            } else {
                v.p2p_address
            },
        })
        .collect();
    let single = genesis.validators.len() == 1;
    let namespace = genesis.namespace();
    let chain = Arc::new(Chain::open(data_dir, genesis)?);
    let head = chain.head();
    tracing::info!(
        height = head.height,
        hash = %head.hash,
        state_root = %chain.state().root(),
        "chain opened"
    );
    let config = cairn_consensus::Config {
        signing_key: key.to_bytes(),
        validators,
        listen,
        data_dir: data_dir.join(CONSENSUS_DIR),
        partition_prefix: "cairn".into(),
        namespace,
        timeouts: {
            // Views must outlast the idle heartbeat plus the block time, whatever the user
            // picks (`--heartbeat 60s` is a fine devnet).
            let (mut t, slack) = if single {
                (cairn_consensus::Timeouts::devnet(), Duration::from_secs(5))
            } else {
                (cairn_consensus::Timeouts::network(), Duration::from_secs(1))
            };
            let floor = run.heartbeat + run.block_time + slack;
            if t.leader < floor {
                t.leader = floor;
                t.certification = floor * 2;
            }
            t
        },
        pacing: cairn_consensus::Pacing {
            block_time: run.block_time,
            heartbeat: run.heartbeat,
        },
        worker_threads: 2,
    };
    // Its threads (workers and the blocking pool that runs views and simulations) have the
    // stack an execution needs, so a view runs on the thread that took the request.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_stack_size(cairn_executor::VM_THREAD_STACK)
        .thread_name("cairn-rpc")
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    // Signal handlers go in before the RPC server answers, so a stop that arrives as soon as
    // the node is reachable is still a clean one (an `--ephemeral` devnet removes its dir).
    let (mut term, mut int) = runtime.block_on(async {
        use tokio::signal::unix::{SignalKind, signal};
        anyhow::Ok((
            signal(SignalKind::terminate()).context("installing the SIGTERM handler")?,
            signal(SignalKind::interrupt()).context("installing the SIGINT handler")?,
        ))
    })?;
    let rpc = runtime.block_on(RpcServer::start(
        Arc::clone(&chain),
        &RpcConfig {
            addr: run.rpc_addr,
            dev_keys,
            view_timeout: run.view_timeout,
        },
    ))?;
    let rpc_addr = rpc.local_addr();
    let handle = cairn_consensus::start(config, ChainApp::new(Arc::clone(&chain)))
        .map_err(|e| anyhow::anyhow!("consensus: {e}"))?;
    if !single {
        let gossiper = handle.gossiper();
        chain.set_gossip(move |bytes| {
            if !gossiper.send(bytes) {
                tracing::debug!("transaction gossip queue full; peers get it from the block");
            }
        });
    }
    // Machine-readable line (tests and scripts wait for it), then the human banner.
    println!("rpc listening on http://{rpc_addr}");
    if let Some(banner) = banner {
        banner(rpc_addr);
    }
    tracing::info!(%rpc_addr, p2p = %listen, "node running");
    let stopped_by = runtime.block_on(async {
        let mut tick = tokio::time::interval(SUPERVISE_EVERY);
        loop {
            tokio::select! {
                _ = int.recv() => break "SIGINT",
                _ = term.recv() => break "SIGTERM",
                _ = tick.tick() => if handle.is_finished() { break "consensus" },
            }
        }
    });
    tracing::info!(signal = stopped_by, "stopping");
    runtime.block_on(rpc.stop());
    let result = handle.stop();
    drop(runtime);
    let head = chain.head();
    tracing::info!(height = head.height, hash = %head.hash, "stopped");
    result.map_err(|e| anyhow::anyhow!("consensus stopped: {e}"))?;
    if stopped_by == "consensus" {
        bail!("consensus stopped unexpectedly");
    }
    Ok(())
}

/// The devnet's default data dir: `$XDG_DATA_HOME/cairn/devnet` or
/// `~/.local/share/cairn/devnet`.
#[must_use]
pub(crate) fn default_devnet_dir() -> PathBuf {
    std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."))
        .join("cairn/devnet")
}

/// The dev accounts' keys of a genesis: those of the fixed public seed it funds. Each key's
/// address is derived once (a key derivation and a hash), so 10,000 accounts take milliseconds.
pub(crate) fn dev_keys_of(genesis: &Genesis) -> Vec<SecretKey> {
    let funded: BTreeSet<Address> = genesis.accounts.iter().map(|a| a.address).collect();
    let count = u32::try_from(genesis.accounts.len()).unwrap_or(u32::MAX);
    (0..count.min(MAX_DEV_ACCOUNTS))
        .map(dev_account_key)
        .filter(|k| funded.contains(&k.address()))
        .collect()
}

/// Dev accounts the banner lists one by one; past this it says how many more there are.
pub(crate) const MAX_PRINTED_ACCOUNTS: usize = 100;

/// Prints the dev accounts of a genesis with their balances and secret keys (like Anvil).
pub(crate) fn print_dev_accounts(genesis: &Genesis) {
    let balances: BTreeMap<Address, Amount> = genesis
        .accounts
        .iter()
        .map(|a| (a.address, a.balance))
        .collect();
    println!("Accounts (dev keys from a public seed: never use them on a real network)");
    let keys = dev_keys_of(genesis);
    for (i, k) in keys.iter().enumerate().take(MAX_PRINTED_ACCOUNTS) {
        let address = k.address();
        let balance = balances.get(&address).copied().unwrap_or_default();
        println!("  ({i}) {address}  balance {balance}");
        println!("      secret key {}", to_hex(&k.to_bytes()));
    }
    if keys.len() > MAX_PRINTED_ACCOUNTS {
        println!(
            "  … and {} more, ({MAX_PRINTED_ACCOUNTS}) to ({}), from the same seed",
            keys.len() - MAX_PRINTED_ACCOUNTS,
            keys.len() - 1
        );
    }
    println!();
}

/// `cairn devnet`: initialise `data_dir` if needed, print the accounts, run the node.
pub(crate) fn devnet(data_dir: &Path, args: &GenesisArgs, run: &RunArgs) -> anyhow::Result<()> {
    let genesis = if data_dir.join(GENESIS_FILE).exists() {
        Genesis::load(&data_dir.join(GENESIS_FILE))?
    } else {
        let args = GenesisArgs {
            dev: true,
            ..args.clone()
        };
        init(data_dir, &args, None)?
    };
    let chain_id = genesis.chain_id;
    let dev_keys = dev_keys_of(&genesis);
    let banner = move |rpc: SocketAddr| {
        println!();
        println!("Cairn devnet");
        println!("  rpc        http://{rpc}   (WebSocket: ws://{rpc})");
        println!("  chain id   {chain_id}");
        println!("  data dir   {}", data_dir.display());
        println!();
        print_dev_accounts(&genesis);
    };
    node(data_dir, run, Some(&banner), dev_keys)
}
