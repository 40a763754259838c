//! The overlay against a model: nested checkpoints revert and commit exactly what they should.

use cairn_primitives::Address;
use cairn_state::{Account, MAX_STORAGE_KEY_SIZE, Overlay, StateChanges, StateError, StateReader};
use cairn_storage::MemStore;
use proptest::prelude::*;

use crate::{account, addr};

/// An empty base state.
struct Empty;

impl StateReader for Empty {
    fn account(&self, _: &Address) -> cairn_state::Result<Option<Account>> {
        Ok(None)
    }
    fn storage(&self, _: &Address, _: &[u8]) -> cairn_state::Result<Option<Vec<u8>>> {
        Ok(None)
    }
    fn code(&self, _: &cairn_primitives::Hash) -> cairn_state::Result<Option<Vec<u8>>> {
        Ok(None)
    }
}

#[derive(Clone, Debug)]
enum Op {
    SetAccount(u64, Option<u64>),
    SetStorage(u64, u8, Option<u8>),
    Checkpoint,
    Revert,
    Commit,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u64..4, proptest::option::of(0u64..100)).prop_map(|(a, b)| Op::SetAccount(a, b)),
        (0u64..4, 0u8..3, proptest::option::of(any::<u8>()))
            .prop_map(|(a, k, v)| Op::SetStorage(a, k, v)),
        Just(Op::Checkpoint),
        Just(Op::Revert),
        Just(Op::Commit),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn overlay_matches_snapshot_model(ops in proptest::collection::vec(op(), 0..60)) {
        let mut ov = Overlay::new(Empty);
        // Model: the current write set, and a stack of (checkpoint, saved write set).
        let mut cur = StateChanges::default();
        let mut stack: Vec<(cairn_state::Checkpoint, StateChanges)> = Vec::new();
        for op in ops {
            match op {
                Op::SetAccount(a, b) => {
                    let acct = b.map(|b| account(1, b));
                    ov.set_account(addr(a), acct);
                    cur.accounts.insert(addr(a), acct);
                }
                Op::SetStorage(a, k, v) => {
                    let v = v.map(|v| vec![v]);
                    ov.set_storage(addr(a), vec![k], v.clone()).unwrap();
                    cur.storage.insert((addr(a), vec![k]), v);
                }
                Op::Checkpoint => stack.push((ov.checkpoint(), cur.clone())),
                Op::Revert => {
                    if let Some((cp, saved)) = stack.pop() {
                        ov.revert_to(cp).unwrap();
                        cur = saved;
                        prop_assert!(matches!(ov.revert_to(cp), Err(StateError::UnknownCheckpoint(_))));
                    }
                }
                Op::Commit => {
                    if let Some((cp, _)) = stack.pop() {
                        ov.commit(cp).unwrap();
                    }
                }
            }
            prop_assert_eq!(ov.changes(), &cur);
            for a in 0..4 {
                let want = cur.accounts.get(&addr(a)).copied().flatten();
                prop_assert_eq!(ov.account(&addr(a)).unwrap(), want);
            }
        }
        prop_assert_eq!(ov.into_changes(), cur);
    }
}

#[test]
fn nested_revert_restores_outer_writes() {
    let mut ov = Overlay::new(Empty);
    ov.set_account(addr(1), Some(account(1, 10)));
    let outer = ov.checkpoint();
    ov.set_account(addr(1), Some(account(2, 20)));
    let inner = ov.checkpoint();
    ov.set_account(addr(1), None);
    ov.set_storage(addr(1), b"k".to_vec(), Some(b"v".to_vec()))
        .unwrap();
    ov.revert_to(inner).unwrap();
    assert_eq!(ov.account(&addr(1)).unwrap(), Some(account(2, 20)));
    assert_eq!(ov.storage(&addr(1), b"k").unwrap(), None);
    ov.revert_to(outer).unwrap();
    assert_eq!(ov.account(&addr(1)).unwrap(), Some(account(1, 10)));
    // Both checkpoints are closed now.
    assert!(ov.commit(inner).is_err());
}

#[test]
fn limits_are_contract_visible_errors() {
    let mut ov = Overlay::new(Empty);
    let err = ov
        .set_storage(addr(1), vec![0; MAX_STORAGE_KEY_SIZE + 1], Some(vec![]))
        .unwrap_err();
    assert!(!err.is_fatal());
    assert!(
        err.to_string()
            .contains(&format!("{}", MAX_STORAGE_KEY_SIZE + 1)),
        "{err}"
    );
    let err = ov
        .put_code(vec![0; cairn_primitives::limits::MAX_CODE_SIZE + 1])
        .unwrap_err();
    assert!(matches!(err, StateError::CodeTooLarge { .. }));
    assert!(ov.changes().is_empty());
}

#[test]
fn code_is_deduplicated_against_the_base() {
    let state =
        cairn_state::State::open(MemStore::new(), cairn_state::StateConfig::default()).unwrap();
    let mut ov = Overlay::new(&state);
    let h = ov.put_code(b"\0asm code".to_vec()).unwrap();
    assert_eq!(ov.changes().code.len(), 1);
    state.commit(&ov.into_changes()).unwrap();
    let mut ov = Overlay::new(&state);
    assert_eq!(ov.put_code(b"\0asm code".to_vec()).unwrap(), h);
    assert!(
        ov.changes().code.is_empty(),
        "known code is not written again"
    );
    assert_eq!(ov.code(&h).unwrap().as_deref(), Some(&b"\0asm code"[..]));
}
