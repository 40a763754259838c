//! Property: whatever was inserted, a block selection executes — each sender's nonces
//! consecutive from its account nonce — and never exceeds the gas or count limits.

use std::collections::BTreeMap;

use cairn_primitives::{Address, SecretKey};
use proptest::prelude::*;

use crate::*;

const SENDERS: u32 = 4;

fn op() -> impl Strategy<Value = (u32, u64, u64, u64)> {
    (0..SENDERS, 0u64..8, 1u64..20, 1u64..60_000)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn ready_executes_in_order_and_fits(
        ops in proptest::collection::vec(op(), 0..40),
        starts in proptest::collection::vec(0u64..3, SENDERS as usize),
        commit_after in proptest::option::of(0usize..40),
        max_gas in 0u64..250_000,
        max_txs in 0usize..30,
        max_pool in 3usize..40,
    ) {
        let keys: Vec<SecretKey> = (0..SENDERS).map(key).collect();
        let mut accounts = rich(SENDERS);
        for (k, &n) in keys.iter().zip(&starts) {
            set(&mut accounts, k, n, u64::MAX);
        }
        let pool = pool_with(|c| {
            c.max_txs = max_pool;
            c.max_future_per_sender = 3;
        });
        for (i, &(s, nonce, price, gas)) in ops.iter().enumerate() {
            let _ = pool.insert(tx_gas(&keys[s as usize], nonce, price, gas), &accounts);
            if commit_after == Some(i) {
                // A block from elsewhere advanced every sender by one.
                for k in &keys {
                    let n = accounts[&k.address()].nonce + 1;
                    set(&mut accounts, k, n, u64::MAX);
                }
                pool.on_block_committed(&[], &accounts);
            }
            prop_assert!(pool.len() <= max_pool);
        }
        let picked = pool.ready(max_gas, max_txs);
        prop_assert!(picked.len() <= max_txs);
        let gas: u64 = picked.iter().map(|p| p.tx.tx.gas_limit).sum();
        prop_assert!(gas <= max_gas);
        let mut next: BTreeMap<Address, u64> = BTreeMap::new();
        for p in &picked {
            prop_assert!(pool.contains(&p.hash));
            let expected = next
                .entry(p.sender)
                .or_insert_with(|| accounts[&p.sender].nonce);
            prop_assert_eq!(p.tx.tx.nonce, *expected, "sender {} out of order", p.sender);
            *expected += 1;
        }
        prop_assert_eq!(&pool.ready(max_gas, max_txs), &picked);
        // Building on the selection as an in-flight block: the next selection continues each
        // sender's run right after it, still without gaps.
        let mut after: BTreeMap<Address, u64> = next.clone();
        let second = pool.ready_after(max_gas, max_txs, &after);
        // The cheap readiness check agrees with a full selection, before and after.
        prop_assert_eq!(
            pool.has_ready_after(&BTreeMap::new()),
            !pool.ready(u64::MAX, 1).is_empty()
        );
        prop_assert_eq!(
            pool.has_ready_after(&after),
            !pool.ready_after(u64::MAX, 1, &after).is_empty()
        );
        for p in &second {
            let expected = after
                .entry(p.sender)
                .or_insert_with(|| accounts[&p.sender].nonce);
            prop_assert_eq!(p.tx.tx.nonce, *expected, "second block, sender {}", p.sender);
            *expected += 1;
            prop_assert!(!picked.iter().any(|q| q.hash == p.hash));
        }
        // Nothing pooled is ever below its account nonce.
        for p in pool.pending(None) {
            prop_assert!(p.tx.tx.nonce >= accounts[&p.sender].nonce);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Random inputs (some with broken signatures or duplicated), random small limits:
    /// batch admission on 2 threads returns what one-by-one admission returns, and leaves
    /// the same pool.
    #[test]
    fn batch_equals_sequential_on_random_inputs(
        ops in proptest::collection::vec((op(), any::<bool>(), 0u8..12), 0..150),
        max_pool in 1usize..40,
    ) {
        let keys: Vec<SecretKey> = (0..SENDERS).map(key).collect();
        let accounts = rich(SENDERS);
        let mut inputs = Vec::new();
        for ((s, nonce, price, gas), raw, mangle) in ops {
            let mut t = tx_gas(&keys[s as usize], nonce, price, gas);
            if mangle == 0 {
                t.signature[40] ^= 1;
            }
            let input: cairn_mempool::TxInput = if raw {
                cairn_primitives::Canonical::encode(&t).into()
            } else {
                t.into()
            };
            if mangle == 1 {
                inputs.push(input.clone());
            }
            inputs.push(input);
        }
        let make = |threads| pool_with(|c| {
            c.max_txs = max_pool;
            c.max_future_per_sender = 2;
            c.verify_threads = threads;
        });
        let sequential = make(1);
        let expected: Vec<_> = inputs.iter().map(|i| sequential.insert(i.clone(), &accounts)).collect();
        let batch = make(2);
        prop_assert_eq!(batch.insert_batch(inputs, &accounts), expected);
        prop_assert_eq!(batch.pending(None), sequential.pending(None));
    }
}
