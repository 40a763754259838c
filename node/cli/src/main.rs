//! `cairn`: the one binary users run, for a node, a devnet and developer tools.
//!
//! `devnet` (one command: genesis, banner, node), `init` + `node` (a validator from a data
//! dir), and key utilities. More subcommands (`keys`, `deploy`, `call`, …) arrive with the
//! client issue.

mod allocator;
mod bench_cmd;
mod bench_load;
mod bench_net;
mod bench_peers;
mod client_cmd;
mod devnet_net;
mod eth;
mod node_cmd;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Cairn: a fast, deterministic smart-contract platform.
#[derive(Parser, Debug)]
#[command(name = "cairn", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a local chain with prefunded dev accounts (creates it on first run): one validator,
    /// or a network of N on loopback with `--validators N`.
    Devnet {
        /// Where the chain lives (default: ~/.local/share/cairn/devnet); restarting with the
        /// same dir continues the chain.
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Use a temporary data dir, removed on exit.
        #[arg(long, conflicts_with = "data_dir")]
        ephemeral: bool,
        /// RPC port on 127.0.0.1 (overridden by --rpc-addr).
        #[arg(long)]
        port: Option<u16>,
        /// Run N validators (child processes, data dirs DATA_DIR/node0 … node{N-1}, RPC on
        /// consecutive ports from --port) instead of one.
        #[arg(long, default_value_t = 1)]
        validators: usize,
        #[command(flatten)]
        genesis: node_cmd::GenesisArgs,
        #[command(flatten)]
        run: node_cmd::RunArgs,
    },
    /// Create a data dir: genesis.json (chain id, validator, prefunded accounts, gas limit,
    /// minimum gas price) and a new validator key.
    Init {
        /// The data dir to create.
        #[arg(long)]
        data_dir: PathBuf,
        /// This validator's p2p address written into the genesis (default: a free loopback port).
        #[arg(long, conflicts_with = "validators")]
        p2p_addr: Option<std::net::SocketAddr>,
        /// Write a local network of N validators instead: DATA_DIR/node0 … node{N-1}, one
        /// genesis, one key each, p2p on free loopback ports.
        #[arg(long)]
        validators: Option<usize>,
        #[command(flatten)]
        genesis: node_cmd::GenesisArgs,
    },
    /// Run the validator of an initialised data dir until SIGINT/SIGTERM.
    Node {
        /// The data dir (`cairn init` made it).
        #[arg(long)]
        data_dir: PathBuf,
        #[command(flatten)]
        run: node_cmd::RunArgs,
    },
    /// Create a contract crate NAME: a counter contract with unit tests (native mock) and
    /// testkit tests (real VM) that pass as generated.
    New {
        /// The crate's name (and directory): lowercase letters, digits, `-` and `_`.
        name: String,
        /// The Cairn repository the crate's SDK path dependencies point to (default: the one
        /// this binary was built from).
        #[arg(long)]
        sdk_path: Option<PathBuf>,
    },
    /// Build a contract crate for wasm32 with the size-optimised contract profile, check it
    /// against the VM's deploy rules, and print its size and ABI summary.
    Build {
        /// The contract crate's directory.
        #[arg(long, default_value = ".")]
        path: PathBuf,
    },
    /// Print a contract's ABI as JSON: the `cairn:abi` section of a .wasm file, or the ABI
    /// the node serves for a deployed contract's address.
    Abi {
        /// A .wasm file, or a contract address (0x + 40 hex digits).
        target: String,
        /// The node's JSON-RPC URL (for an address).
        #[arg(long, env = "CAIRN_RPC", default_value = client_cmd::DEFAULT_RPC)]
        rpc: String,
    },
    #[command(flatten)]
    Client(client_cmd::ClientCommand),
    /// Measure a devnet from outside over JSON-RPC: cold start, and `contract_view` latency
    /// and throughput at several client counts (run it on a release build).
    Bench(bench_cmd::BenchArgs),
    /// Measure a local N-validator network over JSON-RPC: block time and finality latency idle
    /// and under load, transfer throughput, and a killed validator's catch-up (run it on a
    /// release build).
    BenchNetwork(bench_net::BenchNetArgs),
    /// Print the address of a secret key (0x-hex seed), or of a fresh random key.
    Address {
        /// A 32-byte secret key as 0x-hex; omitted: generate one and print both.
        secret: Option<String>,
    },
}

fn main() -> std::process::ExitCode {
    allocator::tune();
    match run(Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // One clear line, whatever RUST_BACKTRACE says: users read this, not developers.
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Longest crate name `cairn new` accepts.
const MAX_CRATE_NAME_LEN: usize = 64;

/// `cairn new`: writes a contract crate that tests green as generated.
fn new_contract(name: &str, sdk_path: Option<PathBuf>) -> anyhow::Result<()> {
    let valid = !name.is_empty()
        && name.len() <= MAX_CRATE_NAME_LEN
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    anyhow::ensure!(
        valid,
        "invalid crate name {name:?}: use 1 to {MAX_CRATE_NAME_LEN} lowercase letters, digits, \
         '-' or '_', starting with a letter"
    );
    let dir = PathBuf::from(name);
    anyhow::ensure!(!dir.exists(), "{} already exists", dir.display());
    let root =
        sdk_path.unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")));
    let root = root.canonicalize().map_err(|e| {
        anyhow::anyhow!(
            "the Cairn repository {} is not there ({e}): pass --sdk-path",
            root.display()
        )
    })?;
    anyhow::ensure!(
        root.join("sdk/contract/Cargo.toml").is_file(),
        "{} is not a Cairn repository (no sdk/contract): pass --sdk-path",
        root.display()
    );
    // The contract profile exactly as `cairn build` and the testkit pass it to cargo.
    let profile: String = cairn_testkit::CONTRACT_PROFILE_SETTINGS
        .iter()
        .filter_map(|s| s.strip_prefix("profile.contract.")?.split_once('='))
        .map(|(key, value)| format!("{key} = {value}\n"))
        .collect();
    let fill = |t: &str| {
        t.replace("{{name}}", name)
            .replace("{{root}}", &root.display().to_string())
            .replace("{{profile}}", &profile)
    };
    std::fs::create_dir_all(dir.join("src"))?;
    std::fs::create_dir_all(dir.join("tests"))?;
    std::fs::write(
        dir.join("Cargo.toml"),
        fill(include_str!("templates/Cargo.toml.txt")),
    )?;
    std::fs::write(
        dir.join("src/lib.rs"),
        fill(include_str!("templates/lib.rs.txt")),
    )?;
    std::fs::write(
        dir.join("tests/testkit.rs"),
        fill(include_str!("templates/testkit.rs.txt")),
    )?;
    std::fs::write(dir.join(".gitignore"), "/target\n")?;
    // The repository's lock file pins the versions the SDK is tested with; cargo drops the
    // entries the new crate does not use.
    if let Ok(lock) = std::fs::read(root.join("Cargo.lock")) {
        std::fs::write(dir.join("Cargo.lock"), lock)?;
    }
    println!(
        "created contract crate {name} (SDK at {})\n  cd {name} && cargo test     unit and testkit tests\n  cairn build --path {name}   the wasm, checked and summarised",
        root.display()
    );
    Ok(())
}

/// The merged ABI document of a contract's code, `None` without an ABI section.
fn abi_of(code: &[u8]) -> Result<Option<serde_json::Value>, String> {
    cairn_vm::abi_section(code)
        .map(|text| cairn_rpc_api::parse_abi(&text))
        .transpose()
}

/// `cairn build`: compile, validate as a deploy would, summarise.
fn build(path: &std::path::Path) -> anyhow::Result<()> {
    anyhow::ensure!(
        path.join("Cargo.toml").is_file(),
        "{} has no Cargo.toml: pass a contract crate's directory with --path",
        path.display()
    );
    let wasm = cairn_testkit::build_contract(path, None).map_err(|e| anyhow::anyhow!("{e}"))?;
    let code =
        std::fs::read(&wasm).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", wasm.display()))?;
    let info = cairn_vm::validate(&code)
        .map_err(|e| anyhow::anyhow!("{} would be refused at deploy: {e}", wasm.display()))?;
    println!("built {}", wasm.display());
    println!(
        "  size      {} bytes ({:.1} KiB; the deploy limit is {} KiB)",
        code.len(),
        code.len() as f64 / 1024.0,
        cairn_primitives::limits::MAX_CODE_SIZE / 1024
    );
    println!(
        "  memory    {} pages initial, {} maximum",
        info.initial_pages, info.max_pages
    );
    let Some(abi) = abi_of(&code).map_err(|e| anyhow::anyhow!("{}: {e}", wasm.display()))? else {
        println!("  abi       none (not built with cairn-sdk)");
        return Ok(());
    };
    println!("  contract  {}", abi["name"].as_str().unwrap_or("?"));
    for m in abi["methods"].as_array().into_iter().flatten() {
        let args: Vec<String> = m["args"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| {
                format!(
                    "{}: {}",
                    a["name"].as_str().unwrap_or("?"),
                    a["type"].as_str().unwrap_or("?")
                )
            })
            .collect();
        let payable = if m["payable"] == true {
            ", payable"
        } else {
            ""
        };
        println!(
            "    {} ({}{payable}) ({}) -> {}",
            m["name"].as_str().unwrap_or("?"),
            m["kind"].as_str().unwrap_or("?"),
            args.join(", "),
            m["returns"].as_str().unwrap_or("?")
        );
    }
    let events: Vec<&str> = abi["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["signature"].as_str())
        .collect();
    if !events.is_empty() {
        println!("  events    {}", events.join(", "));
    }
    Ok(())
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None => {
            use clap::CommandFactory;
            Cli::command().print_help()?;
            println!();
        }
        Some(Command::Init {
            data_dir,
            p2p_addr,
            validators: Some(n),
            genesis,
        }) => {
            let _ = p2p_addr;
            let g = node_cmd::init_network(&data_dir, &genesis, n)?;
            println!(
                "initialised a {n}-validator network in {}/node0 … node{} (chain id {}); run \
                 `cairn node --data-dir {}/nodeI --rpc-addr 127.0.0.1:PORT` for each",
                data_dir.display(),
                n - 1,
                g.chain_id,
                data_dir.display()
            );
        }
        Some(Command::Init {
            data_dir,
            p2p_addr,
            validators: None,
            genesis,
        }) => {
            let g = node_cmd::init(&data_dir, &genesis, p2p_addr)?;
            println!(
                "initialised {} (chain id {}, {} accounts)",
                data_dir.display(),
                g.chain_id,
                g.accounts.len()
            );
        }
        Some(Command::Build { path }) => build(&path)?,
        Some(Command::New { name, sdk_path }) => new_contract(&name, sdk_path)?,
        Some(Command::Abi { target, rpc }) => {
            let file = PathBuf::from(&target);
            if !file.exists() && target.starts_with("0x") {
                let abi = client_cmd::abi_at(&target, &rpc)?;
                println!("{}", serde_json::to_string_pretty(&abi)?);
                return Ok(());
            }
            let code = std::fs::read(&file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            anyhow::ensure!(
                code.starts_with(b"\0asm"),
                "{} is not a wasm module",
                file.display()
            );
            let abi = abi_of(&code)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "{} has no ABI (no `cairn:abi` section: was it built with cairn-sdk?)",
                        file.display()
                    )
                })?;
            println!("{}", serde_json::to_string_pretty(&abi)?);
        }
        Some(Command::Client(cmd)) => client_cmd::run(cmd)?,
        Some(Command::Bench(args)) => bench_cmd::run(&args)?,
        Some(Command::BenchNetwork(args)) => bench_net::run(&args)?,
        Some(Command::Node { data_dir, run }) => {
            node_cmd::init_logs();
            node_cmd::node(&data_dir, &run, None, Vec::new())?;
        }
        Some(Command::Devnet {
            data_dir,
            ephemeral,
            port,
            validators,
            genesis,
            mut run,
        }) => {
            node_cmd::init_logs();
            if let Some(port) = port {
                run.rpc_addr.set_port(port);
            }
            let temp = if ephemeral {
                Some(tempfile::Builder::new().prefix("cairn-devnet-").tempdir()?)
            } else {
                None
            };
            let dir = match (&temp, data_dir) {
                (Some(t), _) => t.path().to_path_buf(),
                (None, Some(d)) => d,
                (None, None) if validators > 1 => {
                    node_cmd::default_devnet_dir().with_file_name(format!("devnet-{validators}"))
                }
                (None, None) => node_cmd::default_devnet_dir(),
            };
            match validators {
                0 => anyhow::bail!("--validators must be at least 1"),
                1 => node_cmd::devnet(&dir, &genesis, &run)?,
                n => devnet_net::run(&dir, &genesis, &run, n)?,
            }
        }
        Some(Command::Address { secret }) => {
            let key = match secret {
                Some(s) => cairn_primitives::SecretKey::from_bytes(
                    &cairn_primitives::parse_fixed_hex::<32>(&s)
                        .map_err(|e| anyhow::anyhow!("secret key: {e}"))?,
                ),
                None => {
                    let mut seed = [0u8; 32];
                    getrandom_seed(&mut seed)?;
                    let key = cairn_primitives::SecretKey::from_bytes(&seed);
                    println!("secret  {}", cairn_primitives::to_hex(&key.to_bytes()));
                    key
                }
            };
            println!("address {}", key.address());
        }
    }
    Ok(())
}

fn getrandom_seed(out: &mut [u8; 32]) -> anyhow::Result<()> {
    use std::io::Read;
    std::fs::File::open("/dev/urandom")?.read_exact(out)?;
    Ok(())
}
