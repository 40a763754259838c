//! The hello DApp: with a devnet running (`scripts/devnet.sh`) and the token built
//! (`cairn build --path contracts/token`), deploys it from dev account 0, watches its
//! Transfer events live, and sends a few transfers.
//!
//! ```text
//! cargo run -p hello-dapp -- path/to/cairn_example_token.wasm [RPC URL]
//! ```

use std::sync::Arc;
use std::time::Duration;

use cairn_client::{Client, Signer, Wallet};
use futures_util::StreamExt;
use serde_json::json;

/// How many transfers the DApp sends (and events it waits for).
const TRANSFERS: u64 = 3;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let wasm_path = args
        .next()
        .ok_or("usage: hello-dapp TOKEN.wasm [RPC URL]")?;
    let url = args
        .next()
        .or_else(|| std::env::var("CAIRN_RPC").ok())
        .unwrap_or_else(|| "http://127.0.0.1:8545".to_owned());
    let wasm = std::fs::read(&wasm_path).map_err(|e| format!("{wasm_path}: {e}"))?;

    let client = Client::connect(&url).await?;
    let alice = Arc::new(Signer::new(client.clone(), Wallet::dev(0)));
    let bob = Wallet::dev(1).address();
    println!("connected to {url} (chain {})", client.chain_id().await?);

    let token = alice
        .deploy(
            &wasm,
            Some((
                "new",
                json!({"name": "Hello", "symbol": "HLO", "decimals": 18, "initial_supply": "1000000"}),
            )),
        )
        .await?
        .connect(Arc::clone(&alice));
    println!("deployed {} at {}", token.abi().name, token.address());

    let mut events = token.subscribe(Some("Transfer")).await?;
    for i in 1..=TRANSFERS {
        let out = token
            .call(
                "transfer",
                json!({"to": bob.to_string(), "amount": (i * 10).to_string()}),
            )
            .await?;
        println!("sent {} (tx {})", i * 10, out.receipt.tx_hash);
    }
    for _ in 0..TRANSFERS {
        let e = tokio::time::timeout(Duration::from_secs(10), events.next())
            .await?
            .ok_or("the event stream closed")??;
        println!("event {} {}", e.name, serde_json::Value::Object(e.fields));
    }
    let balance = token.view("balance_of", json!([bob.to_string()])).await?;
    println!("bob holds {balance}");
    Ok(())
}
