//! Batch admission gives exactly the results of one-by-one admission, whatever the threads.

use cairn_mempool::{Mempool, MempoolConfig, TxInput};
use cairn_primitives::Canonical;

use crate::*;

/// A deterministic mix of every outcome: valid chains, gaps, duplicates, replacements (under
/// and over priced), bad signatures, wrong chain, unfunded senders, raw and decoded inputs,
/// with limits small enough for eviction and `PoolFull` to happen.
fn mixed_inputs() -> (Vec<TxInput>, Accounts) {
    let mut accounts = rich(24);
    set(&mut accounts, &key(20), 0, 3 * GAS); // can afford three cheap transfers
    set(&mut accounts, &key(21), 4, u64::MAX); // nonces below 4 are too low
    let mut inputs = Vec::new();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for i in 0..400u32 {
        let r = next();
        let sender = key(u32::try_from(r % 24).expect("small"));
        let nonce = (r >> 8) % 7;
        let price = 1 + (r >> 16) % 20;
        let mut t = tx(&sender, nonce, price);
        match (r >> 32) % 10 {
            0 => t.signature[5] ^= 1,
            1 => {
                let mut u = transfer_tx(nonce, price, GAS, 0);
                u.chain_id = 1;
                t = sender.sign_tx(u);
            }
            _ => {}
        }
        let input = if i % 2 == 0 {
            TxInput::Bytes(t.encode())
        } else {
            TxInput::Decoded(t.clone())
        };
        inputs.push(input.clone());
        if (r >> 40) % 8 == 0 {
            inputs.push(input); // duplicate
        }
    }
    let mut truncated = tx(&key(0), 0, 1).encode();
    truncated.pop();
    inputs.insert(17, TxInput::Bytes(truncated));
    (inputs, accounts)
}

fn small_config(threads: usize) -> MempoolConfig {
    let mut c = config();
    c.max_txs = 60;
    c.max_bytes = 60 * 200;
    c.max_txs_per_sender = 5;
    c.max_future_per_sender = 2;
    c.max_nonce_ahead = 5;
    c.verify_threads = threads;
    c
}

#[test]
fn batch_equals_sequential() {
    let (inputs, accounts) = mixed_inputs();
    let sequential = Mempool::new(small_config(1));
    let expected: Vec<_> = inputs
        .iter()
        .map(|i| sequential.insert(i.clone(), &accounts))
        .collect();
    // The mix really exercises the rules.
    let kinds: std::collections::BTreeSet<&str> = expected
        .iter()
        .filter_map(|r| r.as_ref().err().map(cairn_mempool::RejectReason::kind))
        .collect();
    for kind in [
        "bad_signature",
        "wrong_chain_id",
        "already_known",
        "replacement_underpriced",
        "nonce_too_low",
        "malformed",
        "pool_full",
        "insufficient_balance",
        "too_many_future",
    ] {
        assert!(kinds.contains(kind), "{kind} not exercised: {kinds:?}");
    }
    assert!(expected.iter().filter(|r| r.is_ok()).count() > 60);
    for threads in [1, 2, 3] {
        let batch = Mempool::new(small_config(threads));
        let got = batch.insert_batch(inputs.clone(), &accounts);
        assert_eq!(got, expected, "threads = {threads}");
        assert_eq!(batch.pending(None), sequential.pending(None));
        assert_eq!(batch.bytes(), sequential.bytes());
        assert_eq!(
            batch.ready(200_000, 100),
            sequential.ready(200_000, 100),
            "threads = {threads}"
        );
    }
}

#[test]
fn batch_in_several_calls_equals_one_call() {
    let (inputs, accounts) = mixed_inputs();
    let one = Mempool::new(small_config(2));
    let whole = one.insert_batch(inputs.clone(), &accounts);
    let parts = Mempool::new(small_config(2));
    let mut got = Vec::new();
    for chunk in inputs.chunks(37) {
        got.extend(parts.insert_batch(chunk.to_vec(), &accounts));
    }
    assert_eq!(got, whole);
    assert_eq!(parts.pending(None), one.pending(None));
}

#[test]
fn a_batch_with_one_bad_signature_admits_the_rest() {
    let accounts = rich(100);
    let mut txs: Vec<_> = (0..100u32).map(|i| tx(&key(i), 0, 1)).collect();
    txs[63].signature[0] ^= 1;
    let pool = pool_with(|c| c.verify_threads = 2);
    let results = pool.insert_batch(txs, &accounts);
    for (i, r) in results.iter().enumerate() {
        assert_eq!(r.is_ok(), i != 63, "index {i}: {r:?}");
    }
    assert_eq!(pool.len(), 99);
    assert!(
        pool.insert_batch(Vec::<TxInput>::new(), &accounts)
            .is_empty()
    );
}
