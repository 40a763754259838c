//! Replacing a pooled (sender, nonce) needs a ≥ 10% higher gas price.

use cairn_mempool::RejectReason;
use cairn_primitives::Amount;

use crate::*;

#[test]
fn plus_nine_percent_is_rejected_plus_ten_accepted() {
    let a = key(0);
    let pool = pool_with(|_| {});
    let accounts = rich(1);
    let old = tx(&a, 0, 1000);
    pool.insert(old.clone(), &accounts).expect("old");
    assert_eq!(
        pool.insert(tx(&a, 0, 1090), &accounts),
        Err(RejectReason::ReplacementUnderpriced {
            pooled: Amount::from(1000),
            required: Amount::from(1100),
            got: Amount::from(1090)
        })
    );
    assert_kind(
        pool.insert(tx(&a, 0, 1099), &accounts),
        "replacement_underpriced",
    );
    let new = tx(&a, 0, 1100);
    assert_eq!(pool.insert(new.clone(), &accounts), Ok(hash(&new)));
    assert!(!pool.contains(&hash(&old)));
    assert_eq!(
        pool.get(&hash(&new)).map(|p| p.tx.tx.gas_price),
        Some(Amount::from(1100))
    );
    assert_eq!(pool.len(), 1);
    assert_eq!(pool.bytes(), new.encode_len());
}

#[test]
fn the_bump_is_configurable_and_rounds_up() {
    let a = key(0);
    let pool = pool_with(|c| c.price_bump_percent = 25);
    let accounts = rich(1);
    pool.insert(tx(&a, 0, 10), &accounts).expect("old");
    // 12.5 rounds up to 13.
    assert_eq!(
        pool.insert(tx(&a, 0, 12), &accounts),
        Err(RejectReason::ReplacementUnderpriced {
            pooled: Amount::from(10),
            required: Amount::from(13),
            got: Amount::from(12)
        })
    );
    assert!(pool.insert(tx(&a, 0, 13), &accounts).is_ok());
}

#[test]
fn a_replacement_arrives_anew() {
    let (a, b) = (key(0), key(1));
    let pool = pool_with(|_| {});
    let accounts = rich(2);
    pool.insert(tx(&a, 0, 100), &accounts).expect("a");
    pool.insert(tx(&b, 0, 110), &accounts).expect("b");
    pool.insert(tx(&a, 0, 110), &accounts).expect("a replaced");
    // Equal prices: b arrived before a's replacement.
    assert_eq!(
        order(&pool.ready(u64::MAX, 10)),
        vec![(b.address(), 0), (a.address(), 0)]
    );
}

#[test]
fn gapped_transactions_can_be_replaced_too() {
    let a = key(0);
    let pool = pool_with(|_| {});
    let accounts = rich(1);
    pool.insert(tx(&a, 5, 10), &accounts).expect("gapped");
    assert_kind(pool.insert(tx(&a, 5, 10), &accounts), "already_known");
    assert_kind(
        pool.insert(tx_gas(&a, 5, 10, 30_000), &accounts),
        "replacement_underpriced",
    );
    assert!(pool.insert(tx(&a, 5, 11), &accounts).is_ok());
    assert_eq!(pool.len(), 1);
}

/// Encoded length, for byte accounting checks.
trait EncodeLen {
    fn encode_len(&self) -> usize;
}

impl EncodeLen for cairn_primitives::SignedTransaction {
    fn encode_len(&self) -> usize {
        cairn_primitives::Canonical::encode(self).len()
    }
}
