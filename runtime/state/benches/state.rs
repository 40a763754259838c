//! State benchmark (plain `main`, prints a table): a state of `CAIRN_BENCH_ACCOUNTS`
//! (default 1,000,000) accounts in RocksDB; blocks updating `CAIRN_BENCH_BLOCK` (default
//! 10,000) random accounts; alloy-trie's `HashBuilder` full root of the same keys as the
//! side-by-side reference; the hashing bound; flat vs raw RocksDB reads; hot cache; proofs.
//!
//! Run: `cargo bench -p cairn-state` (release). Figures go to `docs/state.md`.

use std::time::{Duration, Instant};

use cairn_primitives::{Address, Canonical, U256, keccak256};
use cairn_state::{
    Account, State, StateChanges, StateConfig, StateReader, account_key, verify_proof,
};
use cairn_storage::{Column, KvRead, RocksConfig, RocksStore};
use cairn_trie::RootRef;

/// The `cairn` binary's allocator and its setting, so the figures are the node's.
#[path = "../../../node/cli/src/allocator.rs"]
mod allocator;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn addr(i: u64) -> Address {
    let mut a = [0u8; 20];
    a[..8].copy_from_slice(&keccak256(&i.to_be_bytes())[..8]);
    a[12..].copy_from_slice(&i.to_be_bytes());
    Address(a)
}

fn account(i: u64, round: u64) -> Account {
    Account {
        nonce: round,
        balance: U256::from(i) * U256::from(1_000_000_007u64) + U256::from(round),
        code_hash: None,
        admin: None,
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn per_sec(n: usize, d: Duration) -> String {
    format!("{:.0} /s", n as f64 / d.as_secs_f64())
}

/// Time of alloy-trie's `HashBuilder` root over sorted `leaves`, when built with the feature.
#[cfg(feature = "bench-alloy")]
fn alloy_full_root(leaves: &[([u8; 32], Vec<u8>)]) -> Option<Duration> {
    let t = Instant::now();
    let mut hb = alloy_trie::HashBuilder::default();
    for (k, v) in leaves {
        hb.add_leaf(alloy_trie::Nibbles::unpack(k), v);
    }
    std::hint::black_box(hb.root());
    Some(t.elapsed())
}

/// Without the feature there is no alloy-trie to compare with.
#[cfg(not(feature = "bench-alloy"))]
fn alloy_full_root(_leaves: &[([u8; 32], Vec<u8>)]) -> Option<Duration> {
    None
}

fn main() {
    allocator::tune();
    let accounts = env("CAIRN_BENCH_ACCOUNTS", 1_000_000);
    let block = env("CAIRN_BENCH_BLOCK", 10_000);
    let blocks = env("CAIRN_BENCH_BLOCKS", 5);
    let reads = usize::try_from(env("CAIRN_BENCH_READS", 200_000)).unwrap_or(200_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let store = RocksStore::open_with(
        dir.path(),
        &RocksConfig {
            block_cache_bytes: 2 << 30,
            write_buffer_bytes: 256 << 20,
            background_jobs: 2,
            // `CAIRN_BENCH_COMPACTION=normal` runs compaction at normal priority, to compare.
            low_priority_compaction: std::env::var("CAIRN_BENCH_COMPACTION").as_deref()
                != Ok("normal"),
            ..RocksConfig::default()
        },
    )
    .expect("open rocksdb");
    let state = State::open(
        store,
        StateConfig {
            node_cache: 524_288,
            account_cache: 65_536,
            ..StateConfig::default()
        },
    )
    .expect("open state");
    let mut rows: Vec<(String, String)> = Vec::new();

    // Load.
    let t = Instant::now();
    let chunk = 100_000u64;
    let mut i = 0;
    while i < accounts {
        let mut c = StateChanges::default();
        for j in i..(i + chunk).min(accounts) {
            c.accounts.insert(addr(j), Some(account(j, 0)));
        }
        state.commit(&c).expect("load commit");
        i += chunk;
    }
    state.store().flush().expect("flush");
    rows.push((
        format!(
            "load {accounts} accounts ({} commits)",
            accounts.div_ceil(chunk)
        ),
        ms(t.elapsed()),
    ));

    // Reference: alloy-trie HashBuilder full root of the same keys and values.
    let mut leaves: Vec<([u8; 32], Vec<u8>)> = (0..accounts)
        .map(|j| (account_key(&addr(j)), account(j, 0).encode()))
        .collect();
    leaves.sort_unstable_by_key(|l| l.0);
    let alloy_full = alloy_full_root(&leaves);
    match alloy_full {
        Some(d) => rows.push(("alloy-trie HashBuilder full root (1 thread)".into(), ms(d))),
        None => rows.push((
            "alloy-trie HashBuilder full root".into(),
            "not built (--features bench-alloy)".into(),
        )),
    }

    // Our own full rebuild of the same keys (trie update from empty, not written).
    let t = Instant::now();
    let full = state
        .trie()
        .update(
            &RootRef::EMPTY,
            u64::MAX,
            leaves.iter().map(|(k, v)| (*k, Some(keccak256(v)))),
        )
        .expect("full build");
    let our_full = t.elapsed();
    rows.push((
        "cairn-trie full build from empty (2 threads)".into(),
        ms(our_full),
    ));
    assert_eq!(
        Some(full.root.hash),
        Some(state.root().0),
        "full build and incremental loads agree"
    );
    drop(full);
    drop(leaves);

    // Blocks of random updates.
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut roots = Vec::new();
    let mut commits = Vec::new();
    let mut writes = Vec::new();
    let mut prepares = Vec::new();
    let mut batches = Vec::new();
    let mut publishes = Vec::new();
    let mut last = None;
    for round in 1..=blocks {
        let mut c = StateChanges::default();
        while (c.accounts.len() as u64) < block {
            let j = rng.next() % accounts;
            c.accounts.insert(addr(j), Some(account(j, round)));
        }
        let done = state.commit(&c).expect("block commit");
        roots.push(done.timings.root);
        commits.push(done.timings.total);
        writes.push(done.timings.write);
        prepares.push(done.timings.prepare);
        batches.push(done.timings.batch);
        publishes.push(done.timings.publish);
        last = Some(done);
    }
    let last = last.expect("at least one block");
    let per_block: Vec<String> = roots
        .iter()
        .map(|d| format!("{:.0}", d.as_secs_f64() * 1e3))
        .collect();
    println!("root time per block (ms): {}", per_block.join(" "));
    let root_t = median(roots);
    let commit_t = median(commits);
    rows.push((
        format!("block of {block} updates: root (trie update), median of {blocks}"),
        ms(root_t),
    ));
    rows.push((
        "  key/value encoding + hashing".into(),
        ms(median(prepares)),
    ));
    rows.push(("  building the write batch".into(), ms(median(batches))));
    rows.push(("  RocksDB write (WAL, fsync)".into(), ms(median(writes))));
    rows.push(("  publishing (caches, head)".into(), ms(median(publishes))));
    rows.push(("  commit total (incl. RocksDB write)".into(), ms(commit_t)));
    let reference = alloy_full.unwrap_or(our_full);
    rows.push((
        format!(
            "  speed-up vs {} full rebuild: root / commit",
            if alloy_full.is_some() {
                "alloy"
            } else {
                "cairn-trie"
            }
        ),
        format!(
            "{:.1}x / {:.1}x",
            reference.as_secs_f64() / root_t.as_secs_f64(),
            reference.as_secs_f64() / commit_t.as_secs_f64()
        ),
    ));
    rows.push((
        "  batch writes in one block".into(),
        format!("{}", last.batch_len),
    ));

    // Hashing bound: every rehashed node and leaf priced at the measured keccak cost of
    // its size. keccak's cost is a fixed part plus one permutation per 136-byte block, so
    // one node size is not enough (a 515-byte root-level node costs 4 permutations, a
    // two-child node 1): measure 1 and 4 permutations and price each node by its blocks.
    let s = last.stats;
    let avg_node = usize::try_from(s.node_bytes_hashed / s.nodes_hashed.max(1)).unwrap_or(515);
    let n = 200_000u32;
    let cost = |len: usize| {
        let buf = vec![7u8; len];
        let mut best = Duration::MAX;
        for _ in 0..3 {
            let t = Instant::now();
            for _ in 0..n {
                std::hint::black_box(keccak256(std::hint::black_box(&buf)));
            }
            best = best.min(t.elapsed());
        }
        best.as_secs_f64() / f64::from(n)
    };
    let (c1, c4, c_leaf) = (cost(99), cost(515), cost(65));
    let per_block = (c4 - c1) / 3.0;
    let fixed = c1 - per_block;
    #[allow(clippy::cast_precision_loss)] // counts far below 2^52
    let (nodes_f, blocks_f, leaves_f) = (
        s.nodes_hashed as f64,
        s.node_keccak_blocks as f64,
        s.leaves_hashed as f64,
    );
    let nodes_s = fixed * nodes_f + per_block * blocks_f;
    let bound = Duration::from_secs_f64(nodes_s + c_leaf * leaves_f);
    let c_node = Duration::from_secs_f64(nodes_s / nodes_f.max(1.0));
    rows.push((
        "  nodes rehashed / leaves hashed / nodes read".into(),
        format!(
            "{} / {} / {}",
            s.nodes_hashed, s.leaves_hashed, s.nodes_read
        ),
    ));
    rows.push((
        "  keccak: 1-block node / 4-block node / leaf (65 B)".into(),
        format!("{:.2} / {:.2} / {:.2} µs", c1 * 1e6, c4 * 1e6, c_leaf * 1e6),
    ));
    rows.push((
        format!("  node keccak blocks / avg node cost ({avg_node} B avg)"),
        format!(
            "{} / {:.2} µs",
            s.node_keccak_blocks,
            c_node.as_secs_f64() * 1e6
        ),
    ));
    rows.push(("  hashing bound (1 thread)".into(), ms(bound)));
    rows.push((
        "  root time / hashing bound".into(),
        format!("{:.2}x", root_t.as_secs_f64() / bound.as_secs_f64()),
    ));

    // Flat reads vs raw RocksDB gets of the same keys on the same DB.
    let sample: Vec<Address> = (0..reads).map(|_| addr(rng.next() % accounts)).collect();
    let keys: Vec<[u8; 32]> = sample.iter().map(account_key).collect();
    let mut best_raw = Duration::MAX;
    let mut best_flat = Duration::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        for k in &keys {
            let v = state
                .store()
                .get_with(Column::Flat, k, <[u8]>::len)
                .expect("get");
            std::hint::black_box(v);
        }
        best_raw = best_raw.min(t.elapsed());
        let t = Instant::now();
        for a in &sample {
            std::hint::black_box(state.account_uncached(a).expect("read"));
        }
        best_flat = best_flat.min(t.elapsed());
    }
    rows.push((
        "raw RocksDB get (precomputed key), random".into(),
        per_sec(reads, best_raw),
    ));
    rows.push((
        "flat account read (hash key + get + decode)".into(),
        per_sec(reads, best_flat),
    ));
    rows.push((
        "  flat / raw".into(),
        format!(
            "{:.0}%",
            100.0 * best_raw.as_secs_f64() / best_flat.as_secs_f64()
        ),
    ));

    // Hot accounts: the cache against RocksDB for the same 1,000 accounts.
    let hot: Vec<Address> = sample.iter().take(1000).copied().collect();
    let hot_keys: Vec<[u8; 32]> = hot.iter().map(account_key).collect();
    for a in &hot {
        state.account(a).expect("warm");
    }
    let rounds = 200;
    let t = Instant::now();
    for _ in 0..rounds {
        for a in &hot {
            std::hint::black_box(state.account(a).expect("read"));
        }
    }
    let cached = t.elapsed();
    let t = Instant::now();
    for _ in 0..rounds {
        for k in &hot_keys {
            std::hint::black_box(
                state
                    .store()
                    .get_with(Column::Flat, k, <[u8]>::len)
                    .expect("get"),
            );
        }
    }
    let raw_hot = t.elapsed();
    rows.push((
        "hot account (1,000 repeated), cache".into(),
        per_sec(hot.len() * rounds, cached),
    ));
    rows.push((
        "hot account (1,000 repeated), raw RocksDB".into(),
        per_sec(hot.len() * rounds, raw_hot),
    ));

    // Proofs at the latest version.
    let view = state.at(last.version).expect("latest view");
    let mut size = 0usize;
    let n_proofs = 1000;
    let t = Instant::now();
    for a in sample.iter().take(n_proofs) {
        let (acct, proof) = view.prove_account(a).expect("prove");
        size += proof.encoded_len();
        let enc = acct.map(|x| x.encode());
        verify_proof(&view.root().0, &account_key(a), enc.as_deref(), &proof).expect("verifies");
    }
    rows.push((
        "account proof: avg size / prove+verify".into(),
        format!(
            "{} B / {:.1} µs",
            size / n_proofs,
            t.elapsed().as_secs_f64() * 1e6 / n_proofs as f64
        ),
    ));

    let w = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    println!("\ncairn-state benchmark: {accounts} accounts, blocks of {block} updates\n");
    println!("| {:w$} | {:>18} |", "measure", "figure");
    println!("|{}|{}|", "-".repeat(w + 2), "-".repeat(20));
    for (k, v) in rows {
        println!("| {k:w$} | {v:>18} |");
    }
}
