//! Commits against a model: reads, roots, and MemStore/RocksStore agreement.

use cairn_primitives::{Hash, keccak256};
use cairn_state::{
    Account, EMPTY_ROOT, State, StateChanges, StateConfig, StateReader, account_key, storage_key,
    verify_proof,
};
use cairn_storage::{Column, KvRead, KvStore, MemStore, RocksStore};
use proptest::prelude::*;

use crate::{Model, account, addr, changes_for};

fn changes() -> impl Strategy<Value = StateChanges> {
    (any::<u64>(), 1u64..12).prop_map(|(seed, n)| changes_for(seed, 6, n))
}

fn check_against_model<S: KvStore + 'static>(state: &State<S>, model: &Model) {
    for i in 0..6 {
        let a = addr(i);
        assert_eq!(state.account(&a).unwrap(), model.accounts.get(&a).copied());
        for k in 0..4u8 {
            assert_eq!(
                state.storage(&a, &[k]).unwrap(),
                model.storage.get(&(a, vec![k])).cloned()
            );
        }
    }
}

fn run<S: KvStore + 'static>(store: S, blocks: &[StateChanges]) -> Vec<Hash> {
    let state = State::open(
        store,
        StateConfig {
            keep_versions: 3,
            background_pruning: false,
            ..StateConfig::default()
        },
    )
    .unwrap();
    let mut model = Model::default();
    let mut roots = Vec::new();
    for b in blocks {
        let c = state.commit(b).unwrap();
        model.apply(b);
        roots.push(c.root);
        state.prune().unwrap();
        check_against_model(&state, &model);
        // The latest version's proofs verify against the root the commit returned.
        let view = state.at(c.version).unwrap();
        for i in 0..6 {
            let (acct, proof) = view.prove_account(&addr(i)).unwrap();
            assert_eq!(acct, model.accounts.get(&addr(i)).copied());
            let bytes = acct.map(|a| cairn_primitives::Canonical::encode(&a));
            verify_proof(&c.root.0, &account_key(&addr(i)), bytes.as_deref(), &proof).unwrap();
        }
    }
    if model.accounts.is_empty() && model.storage.is_empty() && !blocks.is_empty() {
        assert_eq!(roots.last().unwrap().0, EMPTY_ROOT);
    }
    roots
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn mem_and_rocks_states_agree(blocks in proptest::collection::vec(changes(), 1..8)) {
        let mem = run(MemStore::new(), &blocks);
        let dir = tempfile::tempdir().unwrap();
        let rocks = run(RocksStore::open(dir.path()).unwrap(), &blocks);
        prop_assert_eq!(mem, rocks);
    }
}

#[test]
fn hot_cache_never_serves_a_stale_account() {
    let state = State::open(MemStore::new(), StateConfig::default()).unwrap();
    let mut c = StateChanges::default();
    c.accounts.insert(addr(1), Some(account(1, 10)));
    state.commit(&c).unwrap();
    assert_eq!(state.account(&addr(1)).unwrap(), Some(account(1, 10)));
    assert_eq!(
        state.account(&addr(2)).unwrap(),
        None,
        "absence is cached too"
    );
    let mut c = StateChanges::default();
    c.accounts.insert(addr(1), Some(account(2, 20)));
    c.accounts.insert(addr(2), Some(account(1, 5)));
    state.commit(&c).unwrap();
    assert_eq!(state.account(&addr(1)).unwrap(), Some(account(2, 20)));
    assert_eq!(state.account(&addr(2)).unwrap(), Some(account(1, 5)));
    let mut c = StateChanges::default();
    c.accounts.insert(addr(1), None);
    state.commit(&c).unwrap();
    assert_eq!(state.account(&addr(1)).unwrap(), None);
}

#[test]
fn one_atomic_batch_with_extra_writes() {
    let store = MemStore::new();
    let state = State::open(store.clone(), StateConfig::default()).unwrap();
    let mut c = StateChanges::default();
    c.accounts.insert(addr(1), Some(account(0, 1)));
    c.storage
        .insert((addr(1), b"k".to_vec()), Some(b"v".to_vec()));
    let code = b"\0asm".to_vec();
    c.code.insert(Hash(keccak256(&code)), code.clone());
    let mut extra = cairn_storage::WriteBatch::new();
    extra.put(Column::Blocks, b"block-0", b"header");
    let committed = state.commit_with(&c, extra).unwrap();
    assert_eq!(committed.version, 0);
    assert_eq!(
        store.get(Column::Blocks, b"block-0").unwrap(),
        Some(b"header".to_vec())
    );
    assert_eq!(state.code(&Hash(keccak256(&code))).unwrap(), Some(code));
    assert_eq!(
        store
            .get(Column::Flat, &storage_key(&addr(1), b"k").unwrap())
            .unwrap(),
        Some(b"v".to_vec())
    );
}

#[test]
fn bad_changes_write_nothing() {
    let store = MemStore::new();
    let state = State::open(store.clone(), StateConfig::default()).unwrap();
    let mut c = StateChanges::default();
    c.accounts.insert(addr(1), Some(Account::default()));
    c.code.insert(Hash([9; 32]), b"not matching".to_vec());
    let err = state.commit(&c).unwrap_err();
    assert!(err.to_string().contains("hashes to"), "{err}");
    let mut c = StateChanges::default();
    c.storage.insert((addr(1), vec![0; 200]), Some(vec![1]));
    assert!(state.commit(&c).is_err());
    assert!(store.is_empty(Column::Flat));
    assert_eq!(state.latest_version(), None);
}

#[test]
fn state_reopens_at_its_head() {
    let dir = tempfile::tempdir().unwrap();
    let (v, root) = {
        let state = State::open(
            RocksStore::open(dir.path()).unwrap(),
            StateConfig::default(),
        )
        .unwrap();
        let mut last = None;
        for v in 0..5 {
            last = Some(state.commit(&changes_for(v, 10, 5)).unwrap());
        }
        let last = last.unwrap();
        (last.version, last.root)
    };
    let state = State::open(
        RocksStore::open(dir.path()).unwrap(),
        StateConfig::default(),
    )
    .unwrap();
    assert_eq!(state.latest_version(), Some(v));
    assert_eq!(state.root(), root);
    let c = state.commit(&changes_for(99, 10, 5)).unwrap();
    assert_eq!(c.version, v + 1);
}

/// A block big enough to take the parallel paths (prepare, trie, node encoding) gives the
/// same roots, flat values and stored nodes as the single-threaded commit, and an invalid
/// write in the second half still fails the whole commit with nothing written.
#[test]
fn parallel_commit_equals_sequential() {
    let block = |round: u64| {
        let mut c = StateChanges::default();
        for i in 0..1500u64 {
            c.accounts
                .insert(addr(i * 7 + round), Some(account(round, i)));
        }
        for i in 0..1500u64 {
            c.storage.insert(
                (addr(i % 13), i.to_be_bytes().to_vec()),
                (i % 5 != round % 5).then(|| vec![u8::try_from(i % 251).unwrap(); 3]),
            );
        }
        c
    };
    let (s1, s2) = (MemStore::new(), MemStore::new());
    let (one, two) = (open_mem(s1.clone(), 1), open_mem(s2.clone(), 2));
    for round in 0..3 {
        let c = block(round);
        let a = one.commit(&c).unwrap();
        let b = two.commit(&c).unwrap();
        assert_eq!(a.root, b.root);
        assert_eq!(a.stats.nodes_hashed, b.stats.nodes_hashed);
    }
    assert_eq!(dump(&s1), dump(&s2));
    let mut bad = block(9);
    bad.storage
        .insert((addr(99), vec![0xff; 200]), Some(vec![1]));
    assert!(two.commit(&bad).is_err());
    assert_eq!(two.latest_version(), Some(2));
}

fn dump(s: &MemStore) -> Vec<Vec<(Vec<u8>, Vec<u8>)>> {
    [
        Column::Flat,
        Column::FlatHistory,
        Column::TrieNodes,
        Column::ChangeLog,
        Column::Roots,
        Column::Meta,
    ]
    .into_iter()
    .map(|col| {
        s.iter(
            col,
            cairn_storage::KeyRange::all(),
            cairn_storage::Direction::Forward,
        )
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
    })
    .collect()
}

fn open_mem(store: MemStore, threads: usize) -> State<MemStore> {
    State::open(
        store,
        StateConfig {
            hash_threads: threads,
            background_pruning: false,
            ..StateConfig::default()
        },
    )
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Commits prepared ahead, each on the uncommitted one before it (as a node prepares
    /// a block's commit while its parent awaits finality), then written in order, leave
    /// the store byte for byte as plain commits do, and the commits reuse them.
    #[test]
    fn prepared_commit_chains_equal_plain_commits(
        blocks in proptest::collection::vec(changes(), 1..6),
        threads in 1usize..3,
    ) {
        let (s1, s2) = (MemStore::new(), MemStore::new());
        let (plain, ahead) = (open_mem(s1.clone(), threads), open_mem(s2.clone(), threads));
        plain.commit(&changes_for(7, 6, 6)).unwrap();
        ahead.commit(&changes_for(7, 6, 6)).unwrap();
        let mut chain: Vec<std::sync::Arc<cairn_state::PreparedCommit>> = Vec::new();
        for b in &blocks {
            let p = ahead.prepare_commit(b, &chain).unwrap();
            chain.push(std::sync::Arc::new(p));
        }
        for (b, p) in blocks.iter().zip(&chain) {
            let want = plain.commit(b).unwrap();
            prop_assert_eq!(p.root(), want.root);
            prop_assert_eq!(p.version(), want.version);
            let got = ahead.commit_prepared(b, p, cairn_storage::WriteBatch::new()).unwrap();
            prop_assert!(got.reused);
            prop_assert_eq!(got.root, want.root);
            prop_assert_eq!(got.stats, want.stats);
            prop_assert_eq!(got.batch_len, want.batch_len);
        }
        prop_assert_eq!(dump(&s1), dump(&s2));
    }
}

/// A prepared commit whose base is no longer the head (another commit came first) is not
/// written as prepared: it is computed again on the head, as a plain commit would be.
#[test]
fn a_prepared_commit_on_a_moved_head_is_recomputed() {
    let (s1, s2) = (MemStore::new(), MemStore::new());
    let (plain, ahead) = (open_mem(s1.clone(), 2), open_mem(s2.clone(), 2));
    let (first, second) = (changes_for(1, 6, 8), changes_for(2, 6, 8));
    let early = ahead.prepare_commit(&second, &[]).unwrap();
    assert_eq!(early.version(), 0);
    ahead.commit(&first).unwrap();
    plain.commit(&first).unwrap();
    let got = ahead
        .commit_prepared(&second, &early, cairn_storage::WriteBatch::new())
        .unwrap();
    let want = plain.commit(&second).unwrap();
    assert!(!got.reused);
    assert_eq!((got.version, got.root), (1, want.root));
    assert_ne!(got.root, early.root(), "the early root was on another base");
    assert_eq!(dump(&s1), dump(&s2));
}

/// `prepare_commit` refuses ancestors that are not a chain, and validates like `commit`.
#[test]
fn prepare_commit_checks_its_chain_and_its_changes() {
    let state = open_mem(MemStore::new(), 1);
    let a = std::sync::Arc::new(state.prepare_commit(&changes_for(1, 6, 4), &[]).unwrap());
    let b = std::sync::Arc::new(state.prepare_commit(&changes_for(2, 6, 4), &[]).unwrap());
    let err = state
        .prepare_commit(&changes_for(3, 6, 4), &[a.clone(), b])
        .unwrap_err();
    assert!(err.to_string().contains("does not build on"), "{err}");
    let mut bad = changes_for(3, 6, 4);
    bad.code.insert(Hash([9; 32]), vec![1, 2, 3]);
    assert!(state.prepare_commit(&bad, &[a]).is_err());
    assert_eq!(state.latest_version(), None, "preparing writes nothing");
}
