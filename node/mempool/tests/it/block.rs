//! After a block: included and stale transactions leave, gapped ones are promoted.

use crate::*;

#[test]
fn included_and_stale_are_removed() {
    let (a, b, c) = (key(0), key(1), key(2));
    let pool = pool_with(|_| {});
    let mut accounts = rich(3);
    let a_txs: Vec<_> = (0..3).map(|n| tx(&a, n, 1)).collect();
    let b_txs: Vec<_> = (0..2).map(|n| tx(&b, n, 1)).collect();
    let c0 = tx(&c, 0, 1);
    for t in a_txs.iter().chain(&b_txs).chain([&c0]) {
        pool.insert(t.clone(), &accounts).expect("admit");
    }
    // The block includes a0, a1, b0 and another b1 (not ours); c spends its balance elsewhere.
    set(&mut accounts, &a, 2, u64::MAX);
    set(&mut accounts, &b, 2, u64::MAX);
    set(&mut accounts, &c, 0, GAS - 1);
    let unknown = Hash::of(b"not pooled");
    let update = pool.on_block_committed(
        &[hash(&a_txs[0]), hash(&a_txs[1]), hash(&b_txs[0]), unknown],
        &accounts,
    );
    assert_eq!(
        update.included,
        vec![hash(&a_txs[0]), hash(&a_txs[1]), hash(&b_txs[0])]
    );
    let mut stale = update.stale.clone();
    stale.sort();
    let mut expect = vec![hash(&b_txs[1]), hash(&c0)];
    expect.sort();
    assert_eq!(stale, expect);
    assert_eq!(order(&pool.pending(None)), vec![(a.address(), 2)]);
    assert_eq!(order(&pool.ready(u64::MAX, 10)), vec![(a.address(), 2)]);
    assert_eq!(pool.bytes(), a_txs[2].encode().len());
}

#[test]
fn a_block_that_fills_a_gap_promotes_the_waiting_txs() {
    let a = key(0);
    let pool = pool_with(|_| {});
    let mut accounts = rich(1);
    let a0 = tx(&a, 0, 1);
    pool.insert(a0.clone(), &accounts).expect("a0");
    pool.insert(tx(&a, 2, 1), &accounts).expect("a2");
    assert_eq!(pool.ready(u64::MAX, 10).len(), 1);
    // a1 came in a block from another node's pool.
    set(&mut accounts, &a, 2, u64::MAX);
    let update = pool.on_block_committed(&[hash(&a0)], &accounts);
    assert_eq!(update.included, vec![hash(&a0)]);
    assert!(update.stale.is_empty());
    assert_eq!(order(&pool.ready(u64::MAX, 10)), vec![(a.address(), 2)]);
    assert!(pool.pending(None).iter().all(|p| p.ready));
}

#[test]
fn a_lower_balance_drops_the_first_unaffordable_tx_and_all_after_it() {
    let a = key(0);
    let pool = pool_with(|_| {});
    let mut accounts = rich(1);
    let a0 = tx(&a, 0, 1); // cost 21k
    let a1 = tx(&a, 1, 2); // cost 42k
    let a2 = tx(&a, 2, 1); // cost 21k
    for t in [&a0, &a1, &a2] {
        pool.insert(t.clone(), &accounts).expect("admit");
    }
    // 50k covers a0 (21k) but not a0 + a1 (63k); a2 alone would fit but cannot run before a1.
    set(&mut accounts, &a, 0, 50_000);
    let update = pool.on_block_committed(&[], &accounts);
    assert_eq!(update.stale, vec![hash(&a1), hash(&a2)]);
    assert_eq!(order(&pool.pending(None)), vec![(a.address(), 0)]);
}

#[test]
fn nonce_advanced_without_a_block_call_is_noticed_at_admission() {
    let a = key(0);
    let pool = pool_with(|_| {});
    let mut accounts = rich(1);
    pool.insert(tx(&a, 0, 1), &accounts).expect("a0");
    set(&mut accounts, &a, 1, u64::MAX);
    // Admission reads fresh state: a0 is stale and leaves; a1 is ready.
    pool.insert(tx(&a, 1, 1), &accounts).expect("a1");
    assert_eq!(order(&pool.pending(None)), vec![(a.address(), 1)]);
    assert!(pool.pending(None)[0].ready);
}

#[test]
fn targeted_form_rereads_only_the_given_senders() {
    let (a, b, c) = (key(0), key(1), key(2));
    let mut accounts = rich(3);
    let build = |accounts: &Accounts| {
        let pool = pool_with(|_| {});
        for k in [&a, &b, &c] {
            for n in 0..2 {
                pool.insert(tx(k, n, 1), accounts).expect("admit");
            }
        }
        pool
    };
    let (full, targeted) = (build(&accounts), build(&accounts));
    // The block holds our a0 and a b0 that another node had (b0 pooled here too, same nonce,
    // different tx): b is a block sender though none of its pooled hashes was included.
    let a0 = hash(&tx(&a, 0, 1));
    set(&mut accounts, &a, 1, u64::MAX);
    set(&mut accounts, &b, 1, u64::MAX);
    let senders: std::collections::BTreeSet<_> = [a.address(), b.address()].into();
    let u1 = full.on_block_committed(&[a0], &accounts);
    let u2 = targeted.on_block_committed_senders(&[a0], &senders, &accounts);
    assert_eq!(u1, u2);
    assert_eq!(u2.stale, vec![hash(&tx(&b, 0, 1))]);
    assert_eq!(full.pending(None), targeted.pending(None));
    // c was not re-read: a lowered balance for c (impossible in Cairn without a c-signed tx)
    // is noticed by the full form only.
    set(&mut accounts, &c, 0, 0);
    assert!(
        targeted
            .on_block_committed_senders(&[], &Default::default(), &accounts)
            .stale
            .is_empty()
    );
    assert_eq!(full.on_block_committed(&[], &accounts).stale.len(), 2);
}

#[test]
fn removing_a_tx_takes_its_senders_later_ones_along() {
    let (a, b) = (key(0), key(1));
    let pool = pool_with(|_| {});
    let accounts = rich(2);
    let a_txs: Vec<_> = (0..3).map(|n| tx(&a, n, 1)).collect();
    for t in &a_txs {
        pool.insert(t.clone(), &accounts).expect("a");
    }
    pool.insert(tx(&b, 0, 1), &accounts).expect("b");
    let removed = pool.remove(&[hash(&a_txs[1]), Hash::of(b"unknown")]);
    assert_eq!(removed, vec![hash(&a_txs[1]), hash(&a_txs[2])]);
    assert_eq!(
        order(&pool.pending(None))
            .into_iter()
            .filter(|(s, _)| *s == a.address())
            .collect::<Vec<_>>(),
        vec![(a.address(), 0)]
    );
    assert_eq!(pool.len(), 2);
}
