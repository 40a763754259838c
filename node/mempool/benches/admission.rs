//! Admission throughput: 10,000 pre-signed transfers (1,000 senders × 10 nonces) admitted
//! as raw bytes one by one (strict single verification) and in batches (`verify_batch` in
//! chunks of 64 on 1 or 2 threads), signature-only baselines measured in the same run, and
//! the cost of selecting a block from the full pool.
//!
//! Run: `cargo bench -p cairn-mempool`. Prints a table; each figure is the median (by wall
//! time) of 5 runs. "cpu ms" is the process's user + system time over that run (from
//! `/proc/self/stat`, 10 ms ticks; blank elsewhere): above "wall ms" means several cores
//! worked, and tx per CPU-second shows the work per transaction whatever the machine's load.

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

/// Process CPU time (user + system), if the platform tells.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // USER_HZ is 100 on Linux.
    Some(Duration::from_millis(ticks * 10))
}

/// Runs `setup` then times `work` on its output, [`RUNS`] times; the median run by wall time.
fn measure<S, F: FnMut() -> S, W: FnMut(S)>(
    mut setup: F,
    mut work: W,
) -> (Duration, Option<Duration>) {
    let mut runs: Vec<(Duration, Option<Duration>)> = (0..RUNS)
        .map(|_| {
            let input = setup();
            let cpu0 = cpu_time();
            let start = Instant::now();
            work(input);
            let wall = start.elapsed();
            let cpu = cpu0.zip(cpu_time()).map(|(a, b)| b.saturating_sub(a));
            (wall, cpu)
        })
        .collect();
    runs.sort_by_key(|r| r.0);
    runs[RUNS / 2]
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

    // Baselines: signature verification alone.
    let decoded: Vec<SignedTransaction> = txs
        .iter()
        .map(|b| SignedTransaction::decode(b).expect("valid"))
        .collect();
    let msgs: Vec<Vec<u8>> = decoded.iter().map(|t| t.tx.signing_message()).collect();
    let items: Vec<BatchItem<'_>> = decoded
        .iter()
        .zip(&msgs)
        .map(|(t, m)| (&t.public_key, m.as_slice(), &t.signature))
        .collect();
    let mut rows: Vec<(&str, (Duration, Option<Duration>))> = Vec::new();
    rows.push((
        "baseline: strict verify only, 1 thread",
        measure(
            || (),
            |()| {
                for (t, m) in decoded.iter().zip(&msgs) {
                    verify(&t.public_key, m, &t.signature).expect("valid");
                }
            },
        ),
    ));
    rows.push((
        "baseline: verify_batch(64) only, 1 thread",
        measure(
            || (),
            |()| {
                for chunk in items.chunks(64) {
                    verify_batch(chunk).expect("valid");
                }
            },
        ),
    ));
    rows.push((
        "baseline: verify_batch(64) only, 2 threads",
        measure(
            || (),
            |()| {
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
            },
        ),
    ));

    rows.push((
        "one by one (strict verify, 1 thread)",
        measure(
            || (Mempool::new(config(1)), txs.clone()),
            |(pool, input)| {
                for t in input {
                    pool.insert(t, &accounts).expect("valid");
                }
                assert_eq!(pool.len(), n);
            },
        ),
    ));
    for (label, threads, call) in [
        ("batch, 1 thread, one call of 10,000", 1, n),
        ("batch, 2 threads, one call of 10,000", 2, n),
        ("batch, 2 threads, calls of 256", 2, 256),
    ] {
        rows.push((
            label,
            measure(
                || (Mempool::new(config(threads)), txs.clone()),
                |(pool, input)| {
                    for chunk in input.chunks(call) {
                        let results = pool.insert_batch(chunk.to_vec(), &accounts);
                        assert!(results.iter().all(Result::is_ok));
                    }
                    assert_eq!(pool.len(), n);
                },
            ),
        ));
    }

    let pool = Mempool::new(config(2));
    let _ = pool.insert_batch(txs.clone(), &accounts);
    rows.push((
        "ready() of all 10,000 (block selection)",
        measure(|| (), |()| assert_eq!(pool.ready(u64::MAX, n).len(), n)),
    ));

    println!(
        "cairn-mempool admission, {n} pre-signed transfers as raw bytes ({SENDERS} senders x {PER_SENDER})"
    );
    println!(
        "{:<42} {:>9} {:>11} {:>9} {:>13}",
        "mode", "wall ms", "tx/s", "cpu ms", "tx/cpu-s"
    );
    for (label, (wall, cpu)) in &rows {
        let (cpu_ms, per_cpu) = match cpu {
            Some(c) if !c.is_zero() => (
                format!("{:.0}", c.as_secs_f64() * 1e3),
                format!("{:.0}", n as f64 / c.as_secs_f64()),
            ),
            _ => (String::new(), String::new()),
        };
        println!(
            "{:<42} {:>9.1} {:>11.0} {:>9} {:>13}",
            label,
            wall.as_secs_f64() * 1e3,
            n as f64 / wall.as_secs_f64(),
            cpu_ms,
            per_cpu
        );
    }
}
