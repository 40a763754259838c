//! Prints the example contracts' size and gas table and the testkit's wall time for 1,000
//! token transfers (the figures in `docs/benchmarks.md`).
//!
//! ```sh
//! cargo run -p cairn-testkit --example contract_table            # test profile
//! cargo run -p cairn-testkit --example contract_table --release  # optimised
//! ```

use std::path::Path;
use std::time::Instant;

use cairn_testkit::{Address, TestChain, build_wasm};

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../contracts");
    let wasm = |name: &str| build_wasm(&root.join(name)).unwrap_or_else(|e| panic!("{e}"));
    let (counter, token, amm) = (wasm("counter"), wasm("token"), wasm("amm"));
    let (nft, escrow, multisig) = (wasm("nft"), wasm("escrow"), wasm("multisig"));

    println!("| contract | wasm size (bytes) | KiB |\n|---|---:|---:|");
    for (name, w) in [
        ("counter", &counter),
        ("token", &token),
        ("nft", &nft),
        ("amm", &amm),
        ("escrow", &escrow),
        ("multisig", &multisig),
    ] {
        println!("| {name} | {} | {:.1} |", w.len(), w.len() as f64 / 1024.0);
    }

    let mut chain = TestChain::new();
    let (alice, bob) = (chain.alice(), chain.bob());
    let new_token = |chain: &mut TestChain, sym: &str| {
        chain
            .deploy(
                alice,
                &token,
                "new",
                &(sym.to_owned(), sym.to_owned(), 18u8, 1_000_000_000u128),
            )
            .expect("token deploys")
    };
    let a = new_token(&mut chain, "A");
    let b = new_token(&mut chain, "B");
    let pool = chain
        .deploy(alice, &amm, "new", &(a, b, 30u16))
        .expect("pool deploys");
    let c = chain
        .deploy(alice, &counter, "new", &(0u64,))
        .expect("counter deploys");
    let n = chain
        .deploy(alice, &nft, "new", &("N".to_owned(), "N".to_owned()))
        .expect("nft deploys");
    let mut rows = Vec::new();
    let mut gas = |label: &str, r: cairn_testkit::TxResult| {
        let r = r.unwrap();
        rows.push((label.to_owned(), r.gas_used));
    };
    gas(
        "counter increment",
        chain.call(alice, c, "increment", &(1u64,)),
    );
    gas(
        "token transfer (new recipient)",
        chain.call(alice, a, "transfer", &(bob, 1_000u128)),
    );
    gas(
        "token transfer (existing recipient)",
        chain.call(alice, a, "transfer", &(bob, 1_000u128)),
    );
    gas(
        "token approve",
        chain.call(alice, a, "approve", &(pool, u128::MAX)),
    );
    gas(
        "nft mint",
        chain.call(alice, n, "mint", &(bob, "ipfs://x/1".to_owned())),
    );
    chain.call(alice, b, "approve", &(pool, u128::MAX)).unwrap();
    gas(
        "amm add_liquidity (first, 2 nested transfer_from)",
        chain.call(
            alice,
            pool,
            "add_liquidity",
            &(1_000_000u128, 1_000_000u128, 1u128),
        ),
    );
    chain.call(bob, a, "approve", &(pool, u128::MAX)).unwrap();
    gas(
        "amm swap (2 nested token calls)",
        chain.call(bob, pool, "swap", &(a, 100u128, 1u128)),
    );
    println!("\n| operation | gas |\n|---|---:|");
    for (label, g) in &rows {
        println!("| {label} | {g} |");
    }

    // 1,000 transfers, each its own block, on the real executor.
    let recipients: Vec<Address> = (0..1_000u32)
        .map(|i| {
            let mut x = [0u8; 20];
            x[..4].copy_from_slice(&i.to_be_bytes());
            Address(x)
        })
        .collect();
    let start = Instant::now();
    for to in &recipients {
        chain.call(alice, a, "transfer", &(*to, 1u128)).unwrap();
    }
    let elapsed = start.elapsed();
    let forks = Instant::now();
    let snap = chain.snapshot();
    for _ in 0..1_000 {
        let _ = snap.fork();
    }
    let fork_time = forks.elapsed();
    println!(
        "\n| testkit | time |\n|---|---:|\n| 1,000 token transfers (one block each) | {:.0} ms ({:.0} µs/tx) |\n| 1,000 forks of a snapshot | {:.2} ms |",
        elapsed.as_secs_f64() * 1e3,
        elapsed.as_secs_f64() * 1e6 / 1_000.0,
        fork_time.as_secs_f64() * 1e3,
    );
}
