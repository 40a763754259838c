//! Per-transaction costs of the primitives: hashing, encoding, signing and verification.
//!
//! `cargo bench -p cairn-primitives` prints a table; the figures feed docs/benchmarks.md.

use std::hint::black_box;
use std::time::{Duration, Instant};

use cairn_primitives::{
    Address, Canonical, SecretKey, SignedTransaction, Transaction, Transfer, TxKind, U256,
    keccak256, verify_batch,
};

/// Runs `f` repeatedly for about `budget` and returns the mean time per call.
fn time_per_op(budget: Duration, mut f: impl FnMut()) -> Duration {
    // Warm up and size the batch so the clock is read rarely.
    let mut batch = 1u32;
    loop {
        let start = Instant::now();
        for _ in 0..batch {
            f();
        }
        if start.elapsed() > Duration::from_millis(20) {
            break;
        }
        batch *= 2;
    }
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget {
        for _ in 0..batch {
            f();
        }
        n += u64::from(batch);
    }
    start.elapsed() / u32::try_from(n).unwrap_or(u32::MAX)
}

fn row(name: &str, per_op: Duration) {
    let ns = per_op.as_secs_f64() * 1e9;
    println!(
        "| {name:<44} | {:>10.2} µs | {:>12.0} /s |",
        ns / 1e3,
        1e9 / ns
    );
}

fn transfer(i: u64) -> Transaction {
    Transaction {
        chain_id: 1,
        nonce: i,
        gas_limit: 21_000,
        gas_price: U256::one(),
        kind: TxKind::Transfer(Transfer {
            to: Address([7; 20]),
            amount: U256::from(i),
        }),
    }
}

fn main() {
    let budget = Duration::from_millis(700);
    println!("| operation                                    |    per op     |   throughput   |");
    println!("|----------------------------------------------|---------------|----------------|");
    row(
        "keccak256 (32 B)",
        time_per_op(budget, || {
            black_box(keccak256(black_box(&[1u8; 32])));
        }),
    );
    row(
        "keccak256 (136 B)",
        time_per_op(budget, || {
            black_box(keccak256(black_box(&[1u8; 136])));
        }),
    );

    let key = SecretKey::from_bytes(&[9; 32]);
    let signed = key.sign_tx(transfer(1));
    let bytes = signed.encode();
    row(
        &format!("encode signed transfer ({} B)", bytes.len()),
        time_per_op(budget, || {
            black_box(black_box(&signed).encode());
        }),
    );
    row(
        "decode signed transfer (strict)",
        time_per_op(budget, || {
            black_box(SignedTransaction::decode(black_box(&bytes)).unwrap());
        }),
    );
    row(
        "tx hash",
        time_per_op(budget, || {
            black_box(black_box(&signed).tx_hash());
        }),
    );
    row(
        "sign transfer",
        time_per_op(budget, || {
            black_box(key.sign_tx(transfer(1)));
        }),
    );
    row(
        "verify transfer (strict, single)",
        time_per_op(budget, || {
            black_box(&signed).verify().unwrap();
        }),
    );

    for size in [64usize, 1024] {
        let keys: Vec<SecretKey> = (0..size)
            .map(|i| SecretKey::from_bytes(&[u8::try_from(i % 251).unwrap() + 1; 32]))
            .collect();
        let txs: Vec<SignedTransaction> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| k.sign_tx(transfer(i as u64)))
            .collect();
        let msgs: Vec<Vec<u8>> = txs.iter().map(|t| t.tx.signing_message()).collect();
        let items: Vec<_> = txs
            .iter()
            .zip(&msgs)
            .map(|(t, m)| (&t.public_key, m.as_slice(), &t.signature))
            .collect();
        let per_batch = time_per_op(budget * 2, || verify_batch(black_box(&items)).unwrap());
        row(
            &format!("verify_batch of {size} (per signature)"),
            per_batch / u32::try_from(size).unwrap(),
        );
    }
}
