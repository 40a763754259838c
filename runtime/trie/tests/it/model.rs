//! Property tests against a `BTreeMap` model.

use std::collections::BTreeMap;

use cairn_primitives::keccak256;
use cairn_storage::{Column, MemStore, RocksStore};
use cairn_trie::{EMPTY_ROOT, KeyHash, Trie};
use proptest::prelude::*;

use crate::{apply_batches, fresh_root};

/// Keys from a small pool whose first bytes come from a tiny alphabet, so paths share
/// long prefixes (deep chains, splits and collapses) and ops hit the same keys.
fn key() -> impl Strategy<Value = KeyHash> {
    (0u8..3, 0u8..3, 0u8..3, 0u8..24).prop_map(|(a, b, c, i)| {
        let alphabet = [0x00, 0x0f, 0xf0];
        let mut k = keccak256(&[i]);
        k[0] = alphabet[usize::from(a)];
        k[1] = alphabet[usize::from(b)];
        k[2] = alphabet[usize::from(c)];
        k
    })
}

type Op = (KeyHash, Option<Vec<u8>>);

fn ops() -> impl Strategy<Value = Vec<Op>> {
    proptest::collection::vec(
        (
            key(),
            proptest::option::weighted(0.75, proptest::collection::vec(any::<u8>(), 0..4)),
        ),
        0..60,
    )
}

fn model_of(ops: &[Op]) -> BTreeMap<KeyHash, Vec<u8>> {
    let mut m = BTreeMap::new();
    for (k, v) in ops {
        match v {
            Some(v) => m.insert(*k, v.clone()),
            None => m.remove(k),
        };
    }
    m
}

/// Splits `ops` into consecutive batches at the given cut points.
fn split(ops: &[Op], cuts: &[usize]) -> Vec<Vec<Op>> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (ops.len() + 1)).collect();
    points.sort_unstable();
    let mut out = Vec::new();
    let mut start = 0;
    for p in points.into_iter().chain([ops.len()]) {
        out.push(ops[start..p.max(start)].to_vec());
        start = p.max(start);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn same_contents_same_root(ops in ops(), cuts in proptest::collection::vec(any::<usize>(), 0..6), seed in any::<u64>()) {
        let model = model_of(&ops);
        let expected = fresh_root(&model);
        if model.is_empty() {
            prop_assert_eq!(expected.hash, EMPTY_ROOT);
        }
        // Any batching of the same op sequence.
        let trie = Trie::new(MemStore::new(), 16);
        prop_assert_eq!(apply_batches(&trie, &split(&ops, &cuts)).hash, expected.hash);
        // One op per version.
        let trie = Trie::new(MemStore::new(), 0);
        let singles: Vec<Vec<Op>> = ops.iter().map(|o| vec![o.clone()]).collect();
        prop_assert_eq!(apply_batches(&trie, &singles).hash, expected.hash);
        // The final contents inserted in a shuffled order.
        let mut items: Vec<Op> = model.iter().map(|(k, v)| (*k, Some(v.clone()))).collect();
        let mut s = seed | 1;
        for i in (1..items.len()).rev() {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            items.swap(i, (s % (i as u64 + 1)) as usize);
        }
        let trie = Trie::new(MemStore::new(), 4);
        let shuffled: Vec<Vec<Op>> = items.chunks(3).map(<[Op]>::to_vec).collect();
        prop_assert_eq!(apply_batches(&trie, &shuffled).hash, expected.hash);
    }

    #[test]
    fn deleting_everything_gives_empty_root_and_no_nodes(ops in ops(), cuts in proptest::collection::vec(any::<usize>(), 0..4)) {
        let store = MemStore::new();
        let trie = Trie::new(store.clone(), 8);
        let mut batches = split(&ops, &cuts);
        let model = model_of(&ops);
        let mut deletes: Vec<Op> = model.keys().map(|k| (*k, None)).collect();
        deletes.reverse();
        batches.extend(deletes.chunks(2).map(<[Op]>::to_vec));
        let root = apply_batches(&trie, &batches);
        prop_assert_eq!(root.hash, EMPTY_ROOT);
        prop_assert_eq!(root.version, None);
        prop_assert!(store.is_empty(Column::TrieNodes), "stale nodes left behind");
    }

    #[test]
    fn get_matches_model(ops in ops()) {
        let trie = Trie::new(MemStore::new(), 0);
        let root = apply_batches(&trie, std::slice::from_ref(&ops));
        let model = model_of(&ops);
        for (k, _) in &ops {
            let want = model.get(k).map(|v| keccak256(v));
            prop_assert_eq!(trie.get(&root, k).unwrap(), want);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn mem_and_rocks_give_identical_roots(ops in ops(), cuts in proptest::collection::vec(any::<usize>(), 0..5)) {
        let batches = split(&ops, &cuts);
        let mem = apply_batches(&Trie::new(MemStore::new(), 8), &batches);
        let dir = tempfile::tempdir().unwrap();
        let rocks = apply_batches(&Trie::new(RocksStore::open(dir.path()).unwrap(), 8), &batches);
        prop_assert_eq!(mem, rocks);
    }
}

#[test]
fn parallel_and_sequential_updates_are_identical() {
    let base: Vec<Op> = (0u32..3000)
        .map(|i| (keccak256(&i.to_be_bytes()), Some(i.to_le_bytes().to_vec())))
        .collect();
    let next: Vec<Op> = (0u32..5000)
        .map(|i| {
            (
                keccak256(&(i * 2).to_be_bytes()),
                (!i.is_multiple_of(3)).then(|| vec![1, 2, 3]),
            )
        })
        .collect();
    let run = |threads: usize| {
        let trie = Trie::new(MemStore::new(), 1 << 12).with_parallelism(threads);
        let mut root = cairn_trie::RootRef::EMPTY;
        let mut all_nodes = Vec::new();
        for (v, b) in [&base, &next].into_iter().enumerate() {
            let up = trie
                .update(
                    &root,
                    v as u64,
                    b.iter().map(|(k, x)| (*k, x.as_deref().map(keccak256))),
                )
                .unwrap();
            let mut nodes = up.nodes.clone();
            nodes.sort_by_key(|(k, _)| *k);
            all_nodes.push(nodes);
            root = trie.apply(up).unwrap();
        }
        (root, all_nodes)
    };
    let (r1, n1) = run(1);
    let (r2, n2) = run(2);
    assert_eq!(r1, r2);
    assert_eq!(n1, n2);
}

#[test]
fn update_at_an_old_version_is_refused() {
    let trie = Trie::new(MemStore::new(), 0);
    let up = trie
        .update(&cairn_trie::RootRef::EMPTY, 5, [([1; 32], Some([2; 32]))])
        .unwrap();
    let root = trie.apply(up).unwrap();
    let err = trie
        .update(&root, 5, [([3; 32], Some([4; 32]))])
        .unwrap_err();
    assert!(err.to_string().contains("not newer"), "{err}");
}

#[test]
fn unchanged_values_write_nothing() {
    let trie = Trie::new(MemStore::new(), 0);
    let up = trie
        .update(
            &cairn_trie::RootRef::EMPTY,
            1,
            [([1; 32], Some([2; 32])), ([0x11; 32], Some([3; 32]))],
        )
        .unwrap();
    let root = trie.apply(up).unwrap();
    let same = trie
        .update(&root, 2, [([1; 32], Some([2; 32])), ([0x55; 32], None)])
        .unwrap();
    assert_eq!(same.root, root);
    assert!(same.nodes.is_empty() && same.stale.is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// An update on layers of updates not written yet (newest first) is the update the
    /// same call gives once they are written: same root, nodes and stale keys.
    #[test]
    fn updates_on_unwritten_layers_equal_updates_after_writing(
        batches in proptest::collection::vec(ops(), 1..5),
        threads in 1usize..3,
    ) {
        let hashed = |b: &[Op]| -> Vec<(KeyHash, Option<[u8; 32]>)> {
            b.iter().map(|(k, v)| (*k, v.as_deref().map(keccak256))).collect()
        };
        let written = Trie::new(MemStore::new(), 1 << 10).with_parallelism(threads);
        let layered = Trie::new(MemStore::new(), 1 << 10).with_parallelism(threads);
        let (mut root_w, mut root_l) = (cairn_trie::RootRef::EMPTY, cairn_trie::RootRef::EMPTY);
        let mut ups = Vec::new();
        for (v, b) in batches.iter().enumerate() {
            let layers: Vec<cairn_trie::NodeLayer> = ups.iter().map(cairn_trie::TrieUpdate::layer).collect();
            let refs: Vec<&cairn_trie::NodeLayer> = layers.iter().rev().collect();
            let l = layered.update_on(&refs, &root_l, v as u64, hashed(b)).unwrap();
            let w = written.update(&root_w, v as u64, hashed(b)).unwrap();
            prop_assert_eq!(l.root, w.root);
            prop_assert_eq!(&l.nodes, &w.nodes);
            prop_assert_eq!(&l.stale, &w.stale);
            root_l = l.root;
            root_w = written.apply(w).unwrap();
            ups.push(l);
        }
        // Written afterwards, the layered trie holds the same tree.
        for up in ups {
            layered.apply(up).unwrap();
        }
        prop_assert_eq!(root_l, root_w);
        for (k, _) in batches.concat() {
            prop_assert_eq!(layered.get(&root_l, &k).unwrap(), written.get(&root_w, &k).unwrap());
        }
    }
}
