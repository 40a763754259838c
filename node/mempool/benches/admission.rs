//! Admission throughput: 10,000 pre-signed transfers (1,000 senders × 10 nonces) admitted
//! as raw bytes one by one (strict single verification) and in batches (`verify_batch` in
//! chunks of 64 on 1 or 2 threads), plus the cost of selecting a block from the full pool.
//!
//! Run: `cargo bench -p cairn-mempool`. Prints a table; each figure is the median of 5 runs.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use cairn_mempool::{AccountInfo, Mempool, MempoolConfig};
use cairn_primitives::{
    Address, Amount, BatchItem, Canonical, SecretKey, SignedTransaction, Transaction, Transfer,
    TxKind, verify, verify_batch,
};

const SENDERS: u32 = 1_000;
const PER_SENDER: u64 = 10;
const RUNS: usize = 5;

fn key(i: u32) -> SecretKey {
    let mut seed = [7u8; 32];
    seed[..4].copy_from_slice(&i.to_le_bytes());
    SecretKey::from_bytes(&seed)
}

fn config(threads: usize) -> MempoolConfig {
    let mut c = MempoolConfig::new(1);
    c.verify_threads = threads;
    c
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let keys: Vec<SecretKey> = (0..SENDERS).map(key).collect();
    let accounts: BTreeMap<Address, AccountInfo> = keys
        .iter()
        .map(|k| {
            (
                k.address(),
                AccountInfo {
                    nonce: 0,
                    balance: Amount::from(u64::MAX),
                },
            )
        })
        .collect();
    // Interleave senders so that each batch chunk holds many senders, as from many clients.
    let mut txs: Vec<Vec<u8>> = Vec::new();
    for nonce in 0..PER_SENDER {
        for (i, k) in keys.iter().enumerate() {
            let tx = Transaction {
                chain_id: 1,
                nonce,
                gas_limit: 21_000,
                gas_price: Amount::from(1 + (i as u64 % 7)),
                kind: TxKind::Transfer(Transfer {
                    to: Address([9; 20]),
                    amount: Amount::from(1u8),
                }),
            };
            txs.push(k.sign_tx(tx).encode());
        }
    }
    let n = txs.len();

    // Baselines in the same run (the machine is shared): signature verification alone.
    let decoded: Vec<SignedTransaction> = txs
        .iter()
        .map(|b| SignedTransaction::decode(b).expect("valid"))
        .collect();
    let msgs: Vec<Vec<u8>> = decoded.iter().map(|t| t.tx.signing_message()).collect();
    let strict_only = median(
        (0..RUNS)
            .map(|_| {
                let start = Instant::now();
                for (t, m) in decoded.iter().zip(&msgs) {
                    verify(&t.public_key, m, &t.signature).expect("valid");
                }
                start.elapsed()
            })
            .collect(),
    );
    let items: Vec<BatchItem<'_>> = decoded
        .iter()
        .zip(&msgs)
        .map(|(t, m)| (&t.public_key, m.as_slice(), &t.signature))
        .collect();
    let batch_only = median(
        (0..RUNS)
            .map(|_| {
                let start = Instant::now();
                for chunk in items.chunks(64) {
                    verify_batch(chunk).expect("valid");
                }
                start.elapsed()
            })
            .collect(),
    );

    let batch_only_2 = median(
        (0..RUNS)
            .map(|_| {
                let start = Instant::now();
                let (left, right) = items.split_at(items.len() / 2);
                std::thread::scope(|s| {
                    for half in [left, right] {
                        s.spawn(move || {
                            for chunk in half.chunks(64) {
                                verify_batch(chunk).expect("valid");
                            }
                        });
                    }
                });
                start.elapsed()
            })
            .collect(),
    );
    let mut rows: Vec<(&str, Duration)> = vec![
        ("baseline: strict verify only, 1 thread", strict_only),
        ("baseline: verify_batch(64) only, 1 thread", batch_only),
        ("baseline: verify_batch(64) only, 2 threads", batch_only_2),
    ];
    let one_by_one = median(
        (0..RUNS)
            .map(|_| {
                let pool = Mempool::new(config(1));
                let input = txs.clone();
                let start = Instant::now();
                for t in input {
                    pool.insert(t, &accounts).expect("valid");
                }
                let d = start.elapsed();
                assert_eq!(pool.len(), n);
                d
            })
            .collect(),
    );
    rows.push(("one by one (strict verify, 1 thread)", one_by_one));
    for (label, threads, call) in [
        ("batch, 1 thread, one call of 10,000", 1, n),
        ("batch, 2 threads, one call of 10,000", 2, n),
        ("batch, 2 threads, calls of 256", 2, 256),
    ] {
        let d = median(
            (0..RUNS)
                .map(|_| {
                    let pool = Mempool::new(config(threads));
                    let input = txs.clone();
                    let start = Instant::now();
                    for chunk in input.chunks(call) {
                        let results = pool.insert_batch(chunk.to_vec(), &accounts);
                        assert!(results.iter().all(Result::is_ok));
                    }
                    let d = start.elapsed();
                    assert_eq!(pool.len(), n);
                    d
                })
                .collect(),
        );
        rows.push((label, d));
    }

    let pool = Mempool::new(config(2));
    let _ = pool.insert_batch(txs.clone(), &accounts);
    let select = median(
        (0..RUNS)
            .map(|_| {
                let start = Instant::now();
                let block = pool.ready(u64::MAX, n);
                let d = start.elapsed();
                assert_eq!(block.len(), n);
                d
            })
            .collect(),
    );

    println!(
        "cairn-mempool admission, {n} pre-signed transfers as raw bytes ({SENDERS} senders x {PER_SENDER})"
    );
    println!("{:<40} {:>10} {:>12}", "mode", "time ms", "tx/s");
    for (label, d) in &rows {
        println!(
            "{:<40} {:>10.1} {:>12.0}",
            label,
            d.as_secs_f64() * 1e3,
            n as f64 / d.as_secs_f64()
        );
    }
    println!(
        "{:<40} {:>10.1} {:>12.0}",
        "ready() of all 10,000 (block selection)",
        select.as_secs_f64() * 1e3,
        n as f64 / select.as_secs_f64()
    );
}
