//! Global limits: eviction of the cheapest tail when full, `PoolFull` when the newcomer is
//! the cheapest, the byte limit, and never a hole in a sender's sequence.

use cairn_mempool::RejectReason;
use cairn_primitives::{Amount, Call, Canonical, SecretKey, SignedTransaction, TxKind};

use crate::*;

/// A call carrying `args` bytes, to make a transaction of a chosen size.
fn big(k: &SecretKey, nonce: u64, price: u64, args: usize) -> SignedTransaction {
    let mut t = transfer_tx(nonce, price, GAS, 0);
    t.kind = TxKind::Call(Call {
        to: k.address(),
        method: "m".into(),
        args: vec![7; args],
        value: Amount::zero(),
    });
    k.sign_tx(t)
}

#[test]
fn full_pool_evicts_the_cheapest_for_a_better_payer() {
    let (a, b, c, d) = (key(0), key(1), key(2), key(3));
    let pool = pool_with(|c| c.max_txs = 3);
    let accounts = rich(5);
    pool.insert(tx(&a, 0, 5), &accounts).expect("a");
    let cheap = tx(&b, 0, 3);
    pool.insert(cheap.clone(), &accounts).expect("b");
    pool.insert(tx(&c, 0, 4), &accounts).expect("c");
    assert!(pool.insert(tx(&d, 0, 6), &accounts).is_ok());
    assert_eq!(pool.len(), 3);
    assert!(!pool.contains(&hash(&cheap)));
}

#[test]
fn newcomer_that_pays_no_more_than_the_cheapest_is_pool_full() {
    let (a, b, c) = (key(0), key(1), key(2));
    let pool = pool_with(|c| c.max_txs = 2);
    let accounts = rich(3);
    pool.insert(tx(&a, 0, 5), &accounts).expect("a");
    pool.insert(tx(&b, 0, 4), &accounts).expect("b");
    assert_eq!(
        pool.insert(tx(&c, 0, 3), &accounts),
        Err(RejectReason::PoolFull {
            lowest: Amount::from(4),
            got: Amount::from(3)
        })
    );
    // Equal is not more.
    assert_kind(pool.insert(tx(&c, 0, 4), &accounts), "pool_full");
    assert!(pool.insert(tx(&c, 0, 5), &accounts).is_ok());
    assert_eq!(pool.len(), 2);
}

#[test]
fn among_equal_prices_the_latest_arrival_is_evicted() {
    let (a, b, c, d) = (key(0), key(1), key(2), key(3));
    let pool = pool_with(|c| c.max_txs = 3);
    let accounts = rich(4);
    let first = tx(&a, 0, 5);
    let last = tx(&c, 0, 5);
    pool.insert(first.clone(), &accounts).expect("a");
    pool.insert(tx(&b, 0, 5), &accounts).expect("b");
    pool.insert(last.clone(), &accounts).expect("c");
    pool.insert(tx(&d, 0, 6), &accounts).expect("d");
    assert!(!pool.contains(&hash(&last)));
    assert!(pool.contains(&hash(&first)));
}

#[test]
fn eviction_never_leaves_a_hole_in_a_sender_sequence() {
    let (a, b, c, d) = (key(0), key(1), key(2), key(3));
    let pool = pool_with(|c| c.max_txs = 3);
    let accounts = rich(4);
    // a's nonce 0 is the cheapest tx, but a's nonce 1 depends on it: only tails are evictable.
    let a0 = tx(&a, 0, 1);
    let a1 = tx(&a, 1, 10);
    pool.insert(a0.clone(), &accounts).expect("a0");
    pool.insert(a1.clone(), &accounts).expect("a1");
    pool.insert(tx(&b, 0, 5), &accounts).expect("b0");
    pool.insert(tx(&c, 0, 6), &accounts)
        .expect("c0 evicts b0, not a0");
    assert!(pool.contains(&hash(&a0)) && pool.contains(&hash(&a1)));
    let d0 = tx(&d, 0, 9);
    pool.insert(d0.clone(), &accounts).expect("d0 evicts c0");
    // Tails are now a1 (10) and d0 (9): a newcomer at 9 pays no more than the cheapest tail,
    // even though a0 at 1 is cheaper.
    assert_eq!(
        pool.insert(tx(&b, 0, 9), &accounts),
        Err(RejectReason::PoolFull {
            lowest: Amount::from(9),
            got: Amount::from(9)
        })
    );
    pool.insert(tx(&b, 0, 11), &accounts).expect("b0 evicts d0");
    assert!(!pool.contains(&hash(&d0)));
    // Only when a's tail is the cheapest tail does it go, and a0 becomes a's tail.
    pool.insert(tx(&c, 0, 12), &accounts).expect("c0 evicts a1");
    assert!(pool.contains(&hash(&a0)) && !pool.contains(&hash(&a1)));
    assert!(pool.pending(None).iter().all(|p| p.ready));
}

#[test]
fn the_newcomers_own_earlier_nonces_are_never_evicted() {
    let (a, b) = (key(0), key(1));
    let pool = pool_with(|c| c.max_txs = 2);
    let accounts = rich(2);
    pool.insert(tx(&a, 0, 1), &accounts).expect("a0");
    pool.insert(tx(&b, 0, 2), &accounts).expect("b0");
    // a1 at 5 may evict b0 (2) but not a0 (1, cheaper), which it needs.
    pool.insert(tx(&a, 1, 5), &accounts).expect("a1");
    assert_eq!(
        order(&pool.pending(None)),
        vec![(a.address(), 0), (a.address(), 1)]
    );
    // Now only a's own lower nonces remain: nothing is evictable for a2.
    assert_eq!(
        pool.insert(tx(&a, 2, 50), &accounts),
        Err(RejectReason::PoolFull {
            lowest: Amount::MAX,
            got: Amount::from(50)
        })
    );
    // …but a's own later nonces are, for a gap filler.
    let pool = pool_with(|c| c.max_txs = 2);
    pool.insert(tx(&a, 0, 1), &accounts).expect("a0");
    pool.insert(tx(&a, 2, 1), &accounts).expect("a2");
    pool.insert(tx(&a, 1, 2), &accounts).expect("a1 evicts a2");
    assert_eq!(
        order(&pool.pending(None)),
        vec![(a.address(), 0), (a.address(), 1)]
    );
}

#[test]
fn byte_limit_is_inclusive_and_evicts_as_many_as_needed() {
    let keys: Vec<SecretKey> = (0..4).map(key).collect();
    let accounts = rich(4);
    let small: Vec<SignedTransaction> = (0..3).map(|i| tx(&keys[i], 0, 2 + i as u64)).collect();
    let size = small[0].encode().len();
    let pool = pool_with(|c| c.max_bytes = 3 * size);
    for t in &small {
        pool.insert(t.clone(), &accounts).expect("fits exactly");
    }
    assert_eq!(pool.bytes(), 3 * size);
    // A newcomer twice the size evicts the two cheapest, and only them.
    let large = big(&keys[3], 0, 10, 2 * size - small[0].encode().len() + 1);
    let large_size = large.encode().len();
    assert!(large_size > size && large_size <= 2 * size + 64);
    let pool_copy = pool_with(|c| c.max_bytes = 3 * size);
    for t in &small {
        pool_copy.insert(t.clone(), &accounts).expect("fits");
    }
    pool.insert(large.clone(), &accounts).expect("evicts");
    assert!(pool.bytes() <= 3 * size);
    assert!(!pool.contains(&hash(&small[0])));
    assert!(pool.contains(&hash(&large)));
    // Atomic: when the second victim would pay as much as the newcomer, nothing is evicted.
    let pricey = big(&keys[3], 0, 3, 2 * size - small[0].encode().len() + 1);
    assert_eq!(
        pool_copy.insert(pricey, &accounts),
        Err(RejectReason::PoolFull {
            lowest: Amount::from(3),
            got: Amount::from(3)
        })
    );
    assert_eq!(pool_copy.len(), 3);
    assert_eq!(pool_copy.bytes(), 3 * size);
}

#[test]
fn a_transaction_larger_than_the_whole_pool_is_pool_full() {
    let k = key(0);
    let t = tx(&k, 0, 100);
    let pool = pool_with(|c| c.max_bytes = t.encode().len() - 1);
    assert_kind(pool.insert(t, &rich(1)), "pool_full");
    assert!(pool.is_empty());
}
