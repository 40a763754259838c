//! The DApp-builder commands of `cairn`: keys, balances, transfers, contracts, transactions,
//! blocks and events, on top of `cairn-client`. Human output by default, `--json` for
//! scripts; `--rpc` / `CAIRN_RPC` pick the node (default: a local devnet), `--from` /
//! `CAIRN_FROM` the sender (default: dev account 0, so a devnet needs no flags).
//!
//! ```text
//! --from  dev:N        devnet account N (public keys: devnets only)
//!         NAME         the keystore file KEYS_DIR/NAME.json (password: CAIRN_PASSWORD or
//!                      --password-file)
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, anyhow, bail};
use cairn_client::{Client, Contract, Keystore, Signer, Wallet};
use cairn_primitives::{Address, Amount, Hash, parse_amount};
use cairn_rpc_api::BlockId;
use clap::{Args, Subcommand};
use serde_json::{Value, json};

/// The node a client command talks to when neither `--rpc` nor `CAIRN_RPC` says.
pub(crate) const DEFAULT_RPC: &str = "http://127.0.0.1:8545";
/// The sender when neither `--from` nor `CAIRN_FROM` says: dev account 0.
const DEFAULT_FROM: &str = "dev:0";

/// Where the command connects and how it prints.
#[derive(Args, Debug, Clone)]
pub(crate) struct Net {
    /// The node's JSON-RPC URL.
    #[arg(long, env = "CAIRN_RPC", default_value = DEFAULT_RPC)]
    rpc: String,
    /// Print JSON (one document) instead of text.
    #[arg(long)]
    json: bool,
}

/// Who signs.
#[derive(Args, Debug, Clone)]
pub(crate) struct From {
    /// The sender: `dev:N` (a devnet account) or the name of a key in the keys dir.
    #[arg(long, env = "CAIRN_FROM", default_value = DEFAULT_FROM)]
    from: String,
    #[command(flatten)]
    keys: KeysDir,
}

/// Where keystore files live and how they are unlocked.
#[derive(Args, Debug, Clone)]
pub(crate) struct KeysDir {
    /// The directory of keystore files (default: ~/.local/share/cairn/keys).
    #[arg(long, env = "CAIRN_KEYS_DIR")]
    keys_dir: Option<PathBuf>,
    /// A file holding the keystore password (else the CAIRN_PASSWORD variable).
    #[arg(long)]
    password_file: Option<PathBuf>,
}

/// The key commands.
#[derive(Subcommand, Debug)]
pub(crate) enum KeysCommand {
    /// Create a random key, encrypted in KEYS_DIR/NAME.json.
    New {
        /// The key's name.
        name: String,
        #[command(flatten)]
        keys: KeysDir,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the keys (names and addresses; no password needed).
    List {
        #[command(flatten)]
        keys: KeysDir,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Store an existing secret key (0x-hex seed) encrypted as NAME.
    Import {
        /// The key's name.
        name: String,
        /// The 32-byte secret key as hex.
        secret: String,
        #[command(flatten)]
        keys: KeysDir,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print a key's secret (hex) after decrypting it.
    Export {
        /// The key's name.
        name: String,
        #[command(flatten)]
        keys: KeysDir,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// The client commands (flattened into `cairn`'s subcommands).
#[derive(Subcommand, Debug)]
pub(crate) enum ClientCommand {
    /// Manage keys: new, list, import, export.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Print an account's balance, nonce and code hash.
    Balance {
        /// The account's address (0x + 40 hex digits).
        address: String,
        #[command(flatten)]
        net: Net,
    },
    /// Send native tokens and wait for the receipt.
    Transfer {
        /// The recipient.
        to: String,
        /// The amount in base units (decimal).
        amount: String,
        #[command(flatten)]
        net: Net,
        #[command(flatten)]
        from: From,
    },
    /// Deploy a contract's wasm, optionally running its constructor.
    Deploy {
        /// The .wasm file.
        wasm: PathBuf,
        /// The constructor method.
        #[arg(long)]
        init: Option<String>,
        /// The constructor's arguments as JSON (an object by name, or an array).
        #[arg(long, requires = "init")]
        args: Option<String>,
        #[command(flatten)]
        net: Net,
        #[command(flatten)]
        from: From,
    },
    /// Call a contract method in a transaction and wait for the receipt.
    Call {
        /// The contract.
        contract: String,
        /// The method.
        method: String,
        /// Its arguments as JSON (an object by name, or an array).
        args: Option<String>,
        /// Native tokens to attach (base units).
        #[arg(long)]
        value: Option<String>,
        #[command(flatten)]
        net: Net,
        #[command(flatten)]
        from: From,
    },
    /// Run a contract method read-only and print its return value.
    View {
        /// The contract.
        contract: String,
        /// The method.
        method: String,
        /// Its arguments as JSON (an object by name, or an array).
        args: Option<String>,
        #[command(flatten)]
        net: Net,
    },
    /// Print a transaction and its receipt.
    Tx {
        /// The transaction hash.
        hash: String,
        #[command(flatten)]
        net: Net,
    },
    /// Print a block (default: the latest).
    Block {
        /// The height.
        height: Option<u64>,
        #[command(flatten)]
        net: Net,
    },
    /// Print a contract's events, decoded with its ABI.
    Events {
        /// The contract.
        #[arg(long)]
        contract: String,
        /// Only events with this name.
        #[arg(long)]
        event: Option<String>,
        /// The first block to search.
        #[arg(long = "from-block")]
        from_block: Option<u64>,
        #[command(flatten)]
        net: Net,
    },
}

fn parse_address(s: &str) -> anyhow::Result<Address> {
    s.trim()
        .parse()
        .map_err(|_| anyhow!("invalid address {s:?}: expected 0x followed by 40 hex digits"))
}

fn parse_hash(s: &str) -> anyhow::Result<Hash> {
    s.trim()
        .parse()
        .map_err(|_| anyhow!("invalid hash {s:?}: expected 0x followed by 64 hex digits"))
}

fn parse_json_args(args: Option<&str>) -> anyhow::Result<Value> {
    match args {
        None => Ok(Value::Null),
        Some(text) => {
            serde_json::from_str(text).map_err(|e| anyhow!("invalid JSON arguments {text:?}: {e}"))
        }
    }
}

fn parse_value(s: &str, what: &str) -> anyhow::Result<Amount> {
    parse_amount(s).map_err(|e| anyhow!("invalid {what} {s:?}: {e}"))
}

fn keys_dir(k: &KeysDir) -> PathBuf {
    k.keys_dir.clone().unwrap_or_else(|| {
        std::env::var_os("HOME")
            .map_or_else(|| PathBuf::from("."), PathBuf::from)
            .join(".local/share/cairn/keys")
    })
}

fn password(k: &KeysDir) -> anyhow::Result<String> {
    if let Some(f) = &k.password_file {
        let text = std::fs::read_to_string(f)
            .with_context(|| format!("cannot read the password file {}", f.display()))?;
        return Ok(text.trim_end_matches(['\n', '\r']).to_owned());
    }
    std::env::var("CAIRN_PASSWORD").map_err(|_| {
        anyhow!("a keystore password is needed: set CAIRN_PASSWORD or pass --password-file")
    })
}

fn key_path(k: &KeysDir, name: &str) -> anyhow::Result<PathBuf> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !ok {
        bail!("invalid key name {name:?}: use 1 to 64 letters, digits, '-' or '_'");
    }
    Ok(keys_dir(k).join(format!("{name}.json")))
}

fn load_keystore(path: &Path) -> anyhow::Result<Keystore> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("no key at {}", path.display()))?;
    Keystore::from_json(&text).map_err(|e| anyhow!("{}: {e}", path.display()))
}

fn wallet(from: &From) -> anyhow::Result<Wallet> {
    if let Some(i) = from.from.strip_prefix("dev:") {
        let i: u32 = i.parse().map_err(|_| {
            anyhow!(
                "invalid --from {:?}: dev accounts are dev:0, dev:1, …",
                from.from
            )
        })?;
        return Ok(Wallet::dev(i));
    }
    let ks = load_keystore(&key_path(&from.keys, &from.from)?)?;
    Ok(ks.decrypt(&password(&from.keys)?)?)
}

fn write_key(k: &KeysDir, name: &str, w: &Wallet) -> anyhow::Result<PathBuf> {
    let path = key_path(k, name)?;
    if path.exists() {
        bail!("a key named {name} already exists ({})", path.display());
    }
    let ks = w.encrypt(&password(k)?)?;
    std::fs::create_dir_all(keys_dir(k))?;
    std::fs::write(&path, ks.to_json())?;
    Ok(path)
}

fn print(json_mode: bool, value: &Value, text: impl FnOnce() -> String) {
    if json_mode {
        println!(
            "{}",
            serde_json::to_string_pretty(value).expect("JSON prints")
        );
    } else {
        println!("{}", text());
    }
}

fn units(a: &Amount) -> String {
    format!("{a} units")
}

fn keys(cmd: KeysCommand) -> anyhow::Result<()> {
    match cmd {
        KeysCommand::New { name, keys, json } => {
            let w = Wallet::generate();
            let path = write_key(&keys, &name, &w)?;
            let v = json!({"name": name, "address": w.address().to_string(), "file": path});
            print(json, &v, || {
                format!(
                    "created key {name}  {}\n  file {}",
                    w.address(),
                    path.display()
                )
            });
        }
        KeysCommand::Import {
            name,
            secret,
            keys,
            json,
        } => {
            let w = Wallet::from_hex(&secret)?;
            let path = write_key(&keys, &name, &w)?;
            let v = json!({"name": name, "address": w.address().to_string(), "file": path});
            print(json, &v, || format!("imported key {name}  {}", w.address()));
        }
        KeysCommand::Export { name, keys, json } => {
            let ks = load_keystore(&key_path(&keys, &name)?)?;
            let w = ks.decrypt(&password(&keys)?)?;
            let v = json!({"name": name, "address": w.address().to_string(), "secret_key": w.secret_hex()});
            print(json, &v, || format!("{}  {}", w.address(), w.secret_hex()));
        }
        KeysCommand::List { keys, json } => {
            let dir = keys_dir(&keys);
            let mut rows = Vec::new();
            if let Ok(entries) = std::fs::read_dir(&dir) {
                for e in entries.flatten() {
                    let path = e.path();
                    if path.extension().is_some_and(|x| x == "json")
                        && let Ok(ks) = load_keystore(&path)
                    {
                        let name = path
                            .file_stem()
                            .unwrap_or_default()
                            .to_string_lossy()
                            .into_owned();
                        rows.push((name, ks.address));
                    }
                }
            }
            rows.sort();
            let v = Value::Array(
                rows.iter()
                    .map(|(n, a)| json!({"name": n, "address": a.to_string()}))
                    .collect(),
            );
            print(json, &v, || {
                if rows.is_empty() {
                    format!("no keys in {}", dir.display())
                } else {
                    rows.iter()
                        .map(|(n, a)| format!("{n:<20} {a}"))
                        .collect::<Vec<_>>()
                        .join("\n")
                }
            });
        }
    }
    Ok(())
}

fn receipt_json(r: &cairn_rpc_api::ReceiptInfo) -> Value {
    serde_json::to_value(r).expect("a receipt serializes")
}

/// Runs a client command to completion.
pub(crate) fn run(cmd: ClientCommand) -> anyhow::Result<()> {
    if let ClientCommand::Keys(k) = cmd {
        return keys(k);
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(run_async(cmd))
}

async fn signer(net: &Net, from: &From) -> anyhow::Result<(Client, Arc<Signer>)> {
    let w = wallet(from)?;
    let client = Client::new(&net.rpc)?;
    let signer = Arc::new(Signer::new(client.clone(), w));
    Ok((client, signer))
}

#[allow(clippy::too_many_lines)]
async fn run_async(cmd: ClientCommand) -> anyhow::Result<()> {
    match cmd {
        ClientCommand::Keys(_) => unreachable!("handled before the runtime starts"),
        ClientCommand::Balance { address, net } => {
            let address = parse_address(&address)?;
            let a = Client::new(&net.rpc)?.account(address).await?;
            let v = serde_json::to_value(&a)?;
            print(net.json, &v, || {
                let mut s = format!(
                    "{}\n  balance    {}\n  nonce      {}",
                    a.address,
                    units(&a.balance),
                    a.nonce
                );
                if let Some(h) = a.code_hash {
                    s.push_str(&format!("\n  code hash  {h}"));
                }
                s
            });
        }
        ClientCommand::Transfer {
            to,
            amount,
            net,
            from,
        } => {
            let to = parse_address(&to)?;
            let amount = parse_value(&amount, "amount")?;
            let (_, signer) = signer(&net, &from).await?;
            let r = signer.transfer(to, amount).await?.wait().await?;
            print(net.json, &receipt_json(&r), || {
                format!(
                    "sent {} from {} to {to}\n  tx     {}\n  block  {}\n  gas    {}",
                    units(&amount),
                    signer.address(),
                    r.tx_hash,
                    r.location.block_height,
                    r.gas_used
                )
            });
        }
        ClientCommand::Deploy {
            wasm,
            init,
            args,
            net,
            from,
        } => {
            let code =
                std::fs::read(&wasm).with_context(|| format!("cannot read {}", wasm.display()))?;
            let args = parse_json_args(args.as_deref())?;
            let (_, signer) = signer(&net, &from).await?;
            let c = signer
                .deploy(&code, init.as_deref().map(|m| (m, args)))
                .await?;
            let v = json!({"address": c.address().to_string(), "name": c.abi().name});
            print(net.json, &v, || {
                format!("deployed {} at {}", c.abi().name, c.address())
            });
        }
        ClientCommand::Call {
            contract,
            method,
            args,
            value,
            net,
            from,
        } => {
            let address = parse_address(&contract)?;
            let args = parse_json_args(args.as_deref())?;
            let value = value
                .map(|v| parse_value(&v, "value"))
                .transpose()?
                .unwrap_or_default();
            let (client, signer) = signer(&net, &from).await?;
            let c = Contract::at(&client, address).await?.connect(signer);
            let out = c
                .call_with(&method, args, value, cairn_client::SendOptions::default())
                .await?;
            let events: Vec<Value> = out
                .events
                .iter()
                .map(|e| json!({"name": e.name, "fields": e.fields}))
                .collect();
            let v = json!({"result": out.value, "receipt": receipt_json(&out.receipt), "events": events});
            print(net.json, &v, || {
                let mut s = format!(
                    "{method} → {}\n  tx     {}\n  block  {}\n  gas    {}",
                    out.value,
                    out.receipt.tx_hash,
                    out.receipt.location.block_height,
                    out.receipt.gas_used
                );
                for e in &out.events {
                    s.push_str(&format!(
                        "\n  event  {} {}",
                        e.name,
                        Value::Object(e.fields.clone())
                    ));
                }
                s
            });
        }
        ClientCommand::View {
            contract,
            method,
            args,
            net,
        } => {
            let address = parse_address(&contract)?;
            let args = parse_json_args(args.as_deref())?;
            let c = Contract::at(&Client::new(&net.rpc)?, address).await?;
            let out = c.view(&method, args).await?;
            print(net.json, &out, || match &out {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            });
        }
        ClientCommand::Tx { hash, net } => {
            let hash = parse_hash(&hash)?;
            let client = Client::new(&net.rpc)?;
            let tx = client
                .transaction(hash)
                .await?
                .ok_or_else(|| anyhow!("no transaction {hash}"))?;
            let receipt = client.receipt(hash).await?;
            let v = json!({"transaction": tx, "receipt": receipt});
            print(net.json, &v, || {
                let mut s = format!(
                    "tx {hash}\n  from   {}\n  nonce  {}\n  kind   {}",
                    tx.from,
                    tx.transaction.tx.nonce,
                    serde_json::to_value(&tx.transaction.tx.kind)
                        .map(|k| k["type"].to_string())
                        .unwrap_or_default()
                );
                match &receipt {
                    Some(r) => s.push_str(&format!(
                        "\n  status {:?}\n  block  {}\n  gas    {}{}",
                        r.status,
                        r.location.block_height,
                        r.gas_used,
                        r.error
                            .as_ref()
                            .map(|e| format!("\n  error  {e}"))
                            .unwrap_or_default()
                    )),
                    None => s.push_str("\n  status pending"),
                }
                s
            });
        }
        ClientCommand::Block { height, net } => {
            let client = Client::new(&net.rpc)?;
            let b = client
                .block(height.map(BlockId::Height), false)
                .await?
                .ok_or_else(|| {
                    anyhow!(
                        "no block {}",
                        height.map_or("latest".into(), |h| h.to_string())
                    )
                })?;
            let v = serde_json::to_value(&b)?;
            print(net.json, &v, || {
                let count = match &b.transactions {
                    cairn_rpc_api::BlockTransactions::Full(t) => t.len(),
                    cairn_rpc_api::BlockTransactions::Hashes(h) => h.len(),
                };
                format!(
                    "block {}  {}\n  parent      {}\n  state root  {}\n  time        {} ms\n  txs         {count}\n  gas used    {}",
                    b.header.height,
                    b.hash,
                    b.header.parent_hash,
                    b.header.state_root,
                    b.header.timestamp,
                    b.header.gas_used
                )
            });
        }
        ClientCommand::Events {
            contract,
            event,
            from_block,
            net,
        } => {
            let address = parse_address(&contract)?;
            let client = Client::new(&net.rpc)?;
            let c = Contract::at(&client, address).await?;
            let events = c.events(event.as_deref(), from_block).await?;
            let v = Value::Array(
                events
                    .iter()
                    .map(|e| json!({"name": e.name, "fields": e.fields, "block_height": e.block_height, "tx_hash": e.tx_hash.to_string()}))
                    .collect(),
            );
            print(net.json, &v, || {
                if events.is_empty() {
                    return "no events".to_owned();
                }
                events
                    .iter()
                    .map(|e| {
                        format!(
                            "{:>6}  {}  {}",
                            e.block_height,
                            e.name,
                            Value::Object(e.fields.clone())
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
    }
    Ok(())
}

/// `cairn abi <address>`: the ABI the node serves for a deployed contract.
pub(crate) fn abi_at(address: &str, rpc: &str) -> anyhow::Result<Value> {
    let address = parse_address(address)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let c = Contract::at(&Client::new(rpc)?, address).await?;
        Ok(c.abi().json.clone())
    })
}
