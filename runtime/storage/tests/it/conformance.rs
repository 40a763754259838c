//! The behaviour every [`KvStore`] must have, written once as generic functions and run
//! against [`MemStore`] and [`RocksStore`].

use std::collections::BTreeMap;
use std::ops::Bound;

use cairn_storage::{
    Column, Direction, KeyRange, KvRead, KvStore, MemStore, RocksStore, WriteBatch,
};
use proptest::prelude::*;

/// A list of batches of `(is_put, key, value)` writes.
type Batches = Vec<Vec<(bool, Vec<u8>, Vec<u8>)>>;

fn collect<R: KvRead>(
    r: &R,
    col: Column,
    range: KeyRange,
    dir: Direction,
) -> Vec<(Vec<u8>, Vec<u8>)> {
    r.iter(col, range, dir)
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn put(s: &impl KvStore, col: Column, k: &[u8], v: &[u8]) {
    let mut b = WriteBatch::new();
    b.put(col, k, v);
    s.write(b, false).unwrap();
}

/// Point reads, overwrites, deletes, column isolation and in-batch ordering.
fn basic_ops(s: &impl KvStore) {
    assert_eq!(s.get(Column::Flat, b"a").unwrap(), None);
    put(s, Column::Flat, b"a", b"1");
    assert_eq!(s.get(Column::Flat, b"a").unwrap(), Some(b"1".to_vec()));
    assert_eq!(
        s.get(Column::Code, b"a").unwrap(),
        None,
        "columns are separate"
    );

    let mut b = WriteBatch::new();
    b.put(Column::Flat, b"a", b"2");
    b.put(Column::Code, b"a", b"x");
    b.delete(Column::Flat, b"a");
    b.put(Column::Flat, b"b", b"3");
    b.put(Column::Flat, b"b", b"4");
    b.delete(Column::Flat, b"never-there");
    s.write(b, true).unwrap();
    assert_eq!(
        s.get(Column::Flat, b"a").unwrap(),
        None,
        "later delete wins"
    );
    assert_eq!(s.get(Column::Code, b"a").unwrap(), Some(b"x".to_vec()));
    assert_eq!(
        s.get(Column::Flat, b"b").unwrap(),
        Some(b"4".to_vec()),
        "later put wins"
    );
    put(s, Column::Flat, b"", b"empty key");
    assert_eq!(
        s.get(Column::Flat, b"").unwrap(),
        Some(b"empty key".to_vec())
    );
    put(s, Column::Flat, b"e", b"");
    assert_eq!(
        s.get(Column::Flat, b"e").unwrap(),
        Some(Vec::new()),
        "empty value is not absence"
    );
}

/// Ordered scans with every bound kind, both directions, and `last_in`.
fn scans(s: &impl KvStore) {
    let keys: [&[u8]; 7] = [b"a", b"ab", b"abc", b"abd", b"ac", b"b", b"\xff\xff"];
    let mut batch = WriteBatch::new();
    for (i, k) in keys.iter().enumerate() {
        batch.put(Column::Roots, *k, [u8::try_from(i).unwrap()]);
    }
    batch.put(Column::Blocks, b"ab0", b"other column");
    s.write(batch, false).unwrap();

    let ks = |v: Vec<(Vec<u8>, Vec<u8>)>| v.into_iter().map(|(k, _)| k).collect::<Vec<_>>();
    let all = ks(collect(
        s,
        Column::Roots,
        KeyRange::all(),
        Direction::Forward,
    ));
    assert_eq!(all, keys.iter().map(|k| Vec::from(*k)).collect::<Vec<_>>());
    let mut rev = ks(collect(
        s,
        Column::Roots,
        KeyRange::all(),
        Direction::Reverse,
    ));
    rev.reverse();
    assert_eq!(rev, all);

    let ab = ks(collect(
        s,
        Column::Roots,
        KeyRange::prefix(b"ab"),
        Direction::Forward,
    ));
    assert_eq!(ab, vec![b"ab".to_vec(), b"abc".to_vec(), b"abd".to_vec()]);
    let ab_rev = ks(collect(
        s,
        Column::Roots,
        KeyRange::prefix(b"ab"),
        Direction::Reverse,
    ));
    assert_eq!(
        ab_rev,
        vec![b"abd".to_vec(), b"abc".to_vec(), b"ab".to_vec()]
    );
    let ff = ks(collect(
        s,
        Column::Roots,
        KeyRange::prefix(b"\xff"),
        Direction::Forward,
    ));
    assert_eq!(ff, vec![b"\xff\xff".to_vec()]);

    let between = ks(collect(
        s,
        Column::Roots,
        KeyRange::between(b"ab", b"ac"),
        Direction::Forward,
    ));
    assert_eq!(
        between,
        vec![b"ab".to_vec(), b"abc".to_vec(), b"abd".to_vec()]
    );
    let excl = KeyRange {
        lower: Bound::Excluded(b"ab".to_vec()),
        upper: Bound::Included(b"ac".to_vec()),
    };
    let excl = ks(collect(s, Column::Roots, excl, Direction::Reverse));
    assert_eq!(excl, vec![b"ac".to_vec(), b"abd".to_vec(), b"abc".to_vec()]);
    let inverted = KeyRange::between(b"b", b"a");
    assert!(collect(s, Column::Roots, inverted, Direction::Forward).is_empty());

    let last = s
        .last_in(Column::Roots, b"ab", b"abcz")
        .unwrap()
        .map(|(k, _)| k);
    assert_eq!(last, Some(b"abc".to_vec()));
    let exact = s
        .last_in(Column::Roots, b"ab", b"abd")
        .unwrap()
        .map(|(k, _)| k);
    assert_eq!(exact, Some(b"abd".to_vec()), "upper bound is inclusive");
    assert_eq!(s.last_in(Column::Roots, b"aba", b"abb").unwrap(), None);
    assert_eq!(s.last_in(Column::Roots, b"c", b"a").unwrap(), None);
}

/// A snapshot does not see later writes; the store does.
fn snapshots(s: &impl KvStore) {
    put(s, Column::Meta, b"k", b"old");
    let snap = s.snapshot();
    let mut b = WriteBatch::new();
    b.put(Column::Meta, b"k", b"new");
    b.put(Column::Meta, b"k2", b"added");
    s.write(b, false).unwrap();
    assert_eq!(snap.get(Column::Meta, b"k").unwrap(), Some(b"old".to_vec()));
    assert_eq!(snap.get(Column::Meta, b"k2").unwrap(), None);
    assert_eq!(
        collect(
            &snap,
            Column::Meta,
            KeyRange::prefix(b"k"),
            Direction::Forward
        )
        .len(),
        1
    );
    assert_eq!(
        snap.last_in(Column::Meta, b"k", b"k9").unwrap().unwrap().1,
        b"old".to_vec()
    );
    assert_eq!(s.get(Column::Meta, b"k").unwrap(), Some(b"new".to_vec()));
    assert_eq!(
        collect(s, Column::Meta, KeyRange::prefix(b"k"), Direction::Forward).len(),
        2
    );
}

/// Random batches against a `BTreeMap` model: every scan and read agrees.
fn model_check(s: &impl KvStore, batches: &Batches) {
    let mut model = BTreeMap::new();
    for ops in batches {
        let mut b = WriteBatch::new();
        for (is_put, k, v) in ops {
            if *is_put {
                b.put(Column::Indexes, k.clone(), v.clone());
                model.insert(k.clone(), v.clone());
            } else {
                b.delete(Column::Indexes, k.clone());
                model.remove(k);
            }
        }
        s.write(b, false).unwrap();
    }
    let got = collect(s, Column::Indexes, KeyRange::all(), Direction::Forward);
    let want: Vec<_> = model.clone().into_iter().collect();
    assert_eq!(got, want);
    for p in 0u8..4 {
        let got = collect(
            s,
            Column::Indexes,
            KeyRange::prefix(&[p]),
            Direction::Reverse,
        );
        let want: Vec<_> = model
            .iter()
            .rev()
            .filter(|(k, _)| k.first() == Some(&p))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        assert_eq!(got, want);
    }
    for k in model.keys() {
        assert_eq!(s.get(Column::Indexes, k).unwrap().as_ref(), model.get(k));
    }
}

fn run_all(s: &impl KvStore) {
    basic_ops(s);
    scans(s);
    snapshots(s);
}

#[test]
fn mem_store_conforms() {
    run_all(&MemStore::new());
}

#[test]
fn rocks_store_conforms() {
    let dir = tempfile::tempdir().unwrap();
    run_all(&RocksStore::open(dir.path()).unwrap());
}

fn batches() -> impl Strategy<Value = Batches> {
    let op = (
        any::<bool>(),
        proptest::collection::vec(0u8..4, 0..4),
        proptest::collection::vec(any::<u8>(), 0..3),
    );
    proptest::collection::vec(proptest::collection::vec(op, 0..12), 1..6)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn stores_agree_with_model(batches in batches()) {
        model_check(&MemStore::new(), &batches);
        let dir = tempfile::tempdir().unwrap();
        model_check(&RocksStore::open(dir.path()).unwrap(), &batches);
    }
}
