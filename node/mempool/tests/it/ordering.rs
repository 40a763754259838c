//! Block selection: across senders by gas price then arrival, per sender by nonce, gaps held.

use crate::*;

#[test]
fn across_senders_by_price_then_arrival() {
    let (a, b, c) = (key(0), key(1), key(2));
    let pool = pool_with(|_| {});
    let accounts = rich(3);
    pool.insert(tx(&a, 0, 5), &accounts).expect("a");
    pool.insert(tx(&b, 0, 7), &accounts).expect("b");
    pool.insert(tx(&c, 0, 5), &accounts).expect("c");
    assert_eq!(
        order(&pool.ready(u64::MAX, 10)),
        vec![(b.address(), 0), (a.address(), 0), (c.address(), 0)]
    );
    // Same prices, the other arrival order: the order follows arrival, not the address.
    let pool = pool_with(|_| {});
    pool.insert(tx(&c, 0, 5), &accounts).expect("c");
    pool.insert(tx(&a, 0, 5), &accounts).expect("a");
    assert_eq!(
        order(&pool.ready(u64::MAX, 10)),
        vec![(c.address(), 0), (a.address(), 0)]
    );
}

#[test]
fn per_sender_nonce_order_whatever_the_prices_or_arrival() {
    let (a, b) = (key(0), key(1));
    let pool = pool_with(|_| {});
    let accounts = rich(2);
    // Arrive in reverse nonce order; the later nonces pay more.
    pool.insert(tx(&a, 2, 100), &accounts).expect("a2");
    pool.insert(tx(&a, 1, 100), &accounts).expect("a1");
    pool.insert(tx(&a, 0, 1), &accounts).expect("a0");
    pool.insert(tx(&b, 0, 50), &accounts).expect("b0");
    // a's expensive txs cannot jump ahead of its cheap nonce 0.
    assert_eq!(
        order(&pool.ready(u64::MAX, 10)),
        vec![
            (b.address(), 0),
            (a.address(), 0),
            (a.address(), 1),
            (a.address(), 2)
        ]
    );
    assert_eq!(pool.ready(u64::MAX, 2).len(), 2);
    assert!(pool.ready(u64::MAX, 0).is_empty());
}

#[test]
fn selection_starts_at_the_account_nonce() {
    let a = key(0);
    let mut accounts = rich(1);
    set(&mut accounts, &a, 3, u64::MAX);
    let pool = pool_with(|_| {});
    pool.insert(tx(&a, 4, 1), &accounts).expect("a4");
    assert!(pool.ready(u64::MAX, 10).is_empty(), "4 waits for 3");
    pool.insert(tx(&a, 3, 1), &accounts).expect("a3");
    assert_eq!(
        order(&pool.ready(u64::MAX, 10)),
        vec![(a.address(), 3), (a.address(), 4)]
    );
}

#[test]
fn gaps_are_held_and_promoted_when_filled() {
    let a = key(0);
    let pool = pool_with(|_| {});
    let accounts = rich(1);
    pool.insert(tx(&a, 0, 1), &accounts).expect("a0");
    pool.insert(tx(&a, 2, 1), &accounts).expect("a2");
    pool.insert(tx(&a, 3, 1), &accounts).expect("a3");
    assert_eq!(order(&pool.ready(u64::MAX, 10)), vec![(a.address(), 0)]);
    let readiness: Vec<(u64, bool)> = pool
        .pending(Some(&a.address()))
        .iter()
        .map(|p| (p.tx.tx.nonce, p.ready))
        .collect();
    assert_eq!(readiness, vec![(0, true), (2, false), (3, false)]);
    pool.insert(tx(&a, 1, 1), &accounts).expect("a1");
    assert_eq!(
        order(&pool.ready(u64::MAX, 10)),
        (0..4).map(|n| (a.address(), n)).collect::<Vec<_>>()
    );
    assert!(pool.pending(None).iter().all(|p| p.ready));
}

#[test]
fn a_tx_that_does_not_fit_skips_its_sender_but_not_others() {
    let (a, b, c) = (key(0), key(1), key(2));
    let pool = pool_with(|_| {});
    let accounts = rich(3);
    pool.insert(tx_gas(&c, 0, 20, 21_000), &accounts)
        .expect("c0");
    pool.insert(tx_gas(&a, 0, 10, 40_000), &accounts)
        .expect("a0");
    pool.insert(tx_gas(&a, 1, 10, 21_000), &accounts)
        .expect("a1");
    pool.insert(tx_gas(&b, 0, 5, 21_000), &accounts)
        .expect("b0");
    pool.insert(tx_gas(&b, 1, 5, 21_000), &accounts)
        .expect("b1");
    // 50k gas: c0 (21k) fits; a0 (40k) does not, so a1 (which would fit) is skipped too;
    // b0 fits (42k); b1 does not.
    let picked = pool.ready(50_000, 10);
    assert_eq!(order(&picked), vec![(c.address(), 0), (b.address(), 0)]);
    let gas: u64 = picked.iter().map(|p| p.tx.tx.gas_limit).sum();
    assert_eq!(gas, 42_000);
    // Exactly at the limit fits.
    assert_eq!(pool.ready(21_000, 10).len(), 1);
    assert!(pool.ready(20_999, 10).is_empty());
    // ready() removes nothing.
    assert_eq!(pool.len(), 5);
}

#[test]
fn selection_is_deterministic() {
    let accounts = rich(6);
    let build = || {
        let pool = pool_with(|_| {});
        for i in 0..6u32 {
            for n in 0..3 {
                let price = u64::from((i * 7 + u32::try_from(n).expect("small")) % 4 + 1);
                pool.insert(tx(&key(i), n, price), &accounts)
                    .expect("admit");
            }
        }
        pool
    };
    let (p1, p2) = (build(), build());
    assert_eq!(p1.ready(200_000, 100), p2.ready(200_000, 100));
    assert_eq!(p1.ready(u64::MAX, 100), p1.ready(u64::MAX, 100));
    assert_eq!(p1.ready(u64::MAX, 100).len(), 18);
}

#[test]
fn ready_after_skips_transactions_of_in_flight_blocks() {
    let (a, b) = (key(0), key(1));
    let pool = pool_with(|_| {});
    let accounts = rich(2);
    for n in 0..3 {
        pool.insert(tx(&a, n, 2), &accounts).expect("a");
    }
    pool.insert(tx(&b, 0, 1), &accounts).expect("b");
    // A proposed block holds a0, a1 and b0; the next proposal must start after them.
    let in_flight: std::collections::BTreeMap<_, _> = [(a.address(), 2), (b.address(), 1)].into();
    assert_eq!(
        order(&pool.ready_after(u64::MAX, 10, &in_flight)),
        vec![(a.address(), 2)]
    );
    assert!(pool.has_ready_after(&in_flight));
    // With a2 in flight too, nothing is left to propose.
    let all: std::collections::BTreeMap<_, _> = [(a.address(), 3), (b.address(), 1)].into();
    assert!(!pool.has_ready_after(&all));
    assert!(pool.ready_after(u64::MAX, 10, &all).is_empty());
    // A hint below the committed nonce is ignored; senders without a hint start as usual.
    let low: std::collections::BTreeMap<_, _> = [(a.address(), 0)].into();
    assert_eq!(
        pool.ready_after(u64::MAX, 10, &low),
        pool.ready(u64::MAX, 10)
    );
}
