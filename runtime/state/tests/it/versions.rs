//! Versions: the last N are readable with proofs against their own roots; older ones give
//! a clear error, and pruning keeps the kept ones intact.

use cairn_primitives::Canonical;
use cairn_state::{
    State, StateConfig, StateError, StateReader, account_key, storage_key, verify_proof,
};
use std::sync::Arc;

use cairn_storage::{Column, KvRead, KvStore, MemStore, RocksStore};

use crate::{Model, addr, changes_for};

fn check_versions<S: KvStore + 'static>(state: &State<S>, background: bool) {
    let mut models = Vec::new();
    let mut roots = Vec::new();
    let mut model = Model::default();
    for v in 0..12u64 {
        let c = changes_for(v, 8, 6);
        let committed = state.commit(&c).unwrap();
        assert_eq!(committed.version, v);
        model.apply(&c);
        models.push(model.clone());
        roots.push(committed.root);
    }
    if !background {
        assert!(state.prune().unwrap() > 0);
    }
    // Pruned versions: a clear error.
    for v in 0..8u64 {
        let err = state
            .at(v)
            .err()
            .expect("pruned version must not be readable");
        assert!(
            matches!(err, StateError::Pruned { version, oldest: 8 } if version == v),
            "{err}"
        );
        assert_eq!(
            err.to_string(),
            format!("version {v} is pruned; oldest readable version is 8")
        );
    }
    let err = state.at(12).err().unwrap();
    assert!(
        matches!(
            err,
            StateError::UnknownVersion {
                version: 12,
                latest: Some(11)
            }
        ),
        "{err}"
    );
    // Kept versions: that version's values, with proofs against that version's root.
    for v in 8..12u64 {
        let view = state.at(v).unwrap();
        let root = roots[v as usize];
        assert_eq!(view.root(), root);
        let m = &models[v as usize];
        for i in 0..8 {
            let a = addr(i);
            assert_eq!(
                view.account(&a).unwrap(),
                m.accounts.get(&a).copied(),
                "v{v} account {i}"
            );
            let (acct, proof) = view.prove_account(&a).unwrap();
            assert_eq!(acct, m.accounts.get(&a).copied());
            let enc = acct.map(|x| x.encode());
            verify_proof(&root.0, &account_key(&a), enc.as_deref(), &proof).unwrap();
            for k in 0..4u8 {
                let sk = storage_key(&a, &[k]).unwrap();
                let (val, proof) = view.prove_storage(&a, &[k]).unwrap();
                assert_eq!(
                    val,
                    m.storage.get(&(a, vec![k])).cloned(),
                    "v{v} storage {i}/{k}"
                );
                verify_proof(&root.0, &sk, val.as_deref(), &proof).unwrap();
                // The proof does not prove an older, different value.
                if let Some(other) = models[7].storage.get(&(a, vec![k]))
                    && Some(other) != val.as_ref()
                {
                    assert!(verify_proof(&root.0, &sk, Some(other), &proof).is_err());
                }
            }
        }
    }
}

#[test]
fn kept_versions_readable_pruned_refused_mem() {
    let store = MemStore::new();
    let state = State::open(store.clone(), config(false)).unwrap();
    check_versions(&state, false);
    assert!(
        store
            .get(Column::ChangeLog, &7u64.to_be_bytes())
            .unwrap()
            .is_none(),
        "log pruned"
    );
    assert!(
        store
            .get(Column::Roots, &7u64.to_be_bytes())
            .unwrap()
            .is_none(),
        "root pruned"
    );
    assert!(
        store
            .get(Column::Roots, &8u64.to_be_bytes())
            .unwrap()
            .is_some()
    );
}

#[test]
fn kept_versions_readable_pruned_refused_rocks_background() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(RocksStore::open(dir.path()).unwrap());
    let state = State::open(Arc::clone(&store), config(true)).unwrap();
    check_versions(&state, true);
    drop(state); // joins the pruner after it drained its queue
    assert!(
        store
            .get(Column::ChangeLog, &7u64.to_be_bytes())
            .unwrap()
            .is_none(),
        "log pruned"
    );
}

fn config(background: bool) -> StateConfig {
    StateConfig {
        keep_versions: 4,
        background_pruning: background,
        ..StateConfig::default()
    }
}

#[test]
fn pruning_bounds_the_stored_history() {
    // Rewriting the same 10 keys 100 times with keep = 2 must not grow the store without bound.
    let store = MemStore::new();
    let state = State::open(
        store.clone(),
        StateConfig {
            keep_versions: 2,
            background_pruning: false,
            ..StateConfig::default()
        },
    )
    .unwrap();
    for v in 0..100u64 {
        let mut c = cairn_state::StateChanges::default();
        for i in 0..10 {
            c.accounts.insert(addr(i), Some(crate::account(v, v)));
        }
        state.commit(&c).unwrap();
        state.prune().unwrap();
    }
    // 10 keys × ≤ 2 live versions of history; nodes: 2 versions of a small tree.
    assert!(
        store.len(Column::FlatHistory) <= 20,
        "history entries: {}",
        store.len(Column::FlatHistory)
    );
    assert!(
        store.len(Column::TrieNodes) <= 20,
        "trie nodes: {}",
        store.len(Column::TrieNodes)
    );
    assert!(store.len(Column::Roots) <= 2);
    assert_eq!(store.len(Column::Flat), 10);
}

#[test]
fn deleted_keys_leave_no_history_after_pruning() {
    let store = MemStore::new();
    let state = State::open(
        store.clone(),
        StateConfig {
            keep_versions: 1,
            background_pruning: false,
            ..StateConfig::default()
        },
    )
    .unwrap();
    let mut c = cairn_state::StateChanges::default();
    c.accounts.insert(addr(1), Some(crate::account(1, 1)));
    state.commit(&c).unwrap();
    let mut c = cairn_state::StateChanges::default();
    c.accounts.insert(addr(1), None);
    state.commit(&c).unwrap();
    state.commit(&cairn_state::StateChanges::default()).unwrap();
    state.prune().unwrap();
    assert_eq!(store.len(Column::FlatHistory), 0);
    assert_eq!(store.len(Column::TrieNodes), 0);
    assert_eq!(state.at(2).unwrap().account(&addr(1)).unwrap(), None);
}

#[test]
fn pruning_keeps_exactly_the_window_with_and_without_the_pruners_memory() {
    // Sparse rewrites, deletions and re-creations, pruned at uneven points, with a reopen in
    // the middle (the pruner's memory of each key's last version is lost and rebuilt by
    // scans). After the last prune the history must hold exactly, per key: its entries
    // above the oldest version, plus the newest one at or below it unless that is a
    // deletion; and every kept version must read as the model says.
    const KEYS: u64 = 10;
    let store = MemStore::new();
    let config = StateConfig {
        keep_versions: 3,
        background_pruning: false,
        ..StateConfig::default()
    };
    let mut state = State::open(store.clone(), config.clone()).unwrap();
    // writes[i] = (version, deleted) of every write to account i.
    let mut writes: Vec<Vec<(u64, bool)>> = vec![Vec::new(); KEYS as usize];
    let mut models: Vec<Vec<Option<cairn_state::Account>>> = Vec::new();
    let mut now: Vec<Option<cairn_state::Account>> = vec![None; KEYS as usize];
    for v in 0..60u64 {
        let mut c = cairn_state::StateChanges::default();
        for i in 0..KEYS {
            let value = if v % 7 == 0 && i == v % KEYS {
                None
            } else if (v + i) % 3 != 0 {
                Some(crate::account(v, v * 100 + i))
            } else {
                continue;
            };
            c.accounts.insert(addr(i), value);
            writes[i as usize].push((v, value.is_none()));
            now[i as usize] = value;
        }
        assert_eq!(state.commit(&c).unwrap().version, v);
        models.push(now.clone());
        if v % 5 == 0 || v % 11 == 0 {
            state.prune().unwrap();
        }
        if v == 30 {
            drop(state);
            state = State::open(store.clone(), config.clone()).unwrap();
        }
    }
    state.prune().unwrap();
    let oldest = state.oldest_version();
    assert_eq!(oldest, 57);
    let expected: usize = writes
        .iter()
        .map(|w| {
            let above = w.iter().filter(|(v, _)| *v > oldest).count();
            let at_or_below = w.iter().rev().find(|(v, _)| *v <= oldest);
            above + usize::from(matches!(at_or_below, Some((_, false))))
        })
        .sum();
    assert_eq!(store.len(Column::FlatHistory), expected);
    for v in oldest..60 {
        let view = state.at(v).unwrap();
        for i in 0..KEYS {
            assert_eq!(
                view.account(&addr(i)).unwrap(),
                models[v as usize][i as usize],
                "account {i} at version {v}"
            );
        }
    }
    assert!(
        store.len(Column::Roots) <= 3,
        "{}",
        store.len(Column::Roots)
    );
}
