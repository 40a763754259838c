//! The same block from the same parent gives byte-identical outcomes, on every store.

use cairn_executor::test_utils::{Signer, funded_state};
use cairn_executor::{ExecutionOutcome, PendingState, RootedReader, merge_changes};
use cairn_primitives::{Address, Amount, Canonical, SignedTransaction};
use cairn_storage::{KvStore, MemStore, RocksStore};

use crate::common::{CHAIN, FUNDS, env, executor};
use crate::contracts::{proxy, store, token};

/// A mixed block: deploys, calls (one nested with a revert), transfers, a failure.
fn block(signers: &mut [Signer]) -> Vec<SignedTransaction> {
    let a0 = signers[0].address();
    let mut txs = vec![
        signers[0].deploy(&store(), Some(("init", &b"x"[..])), None, 3, 10_000_000),
        signers[0].deploy(&proxy(), None, None, 0, 10_000_000),
        signers[0].deploy(
            &token(),
            Some(("mint", &500u64.to_le_bytes()[..])),
            None,
            0,
            10_000_000,
        ),
    ];
    let callee = Address::for_create(&a0, 0);
    let caller = Address::for_create(&a0, 1);
    txs.push(signers[1].call(caller, "nested", &callee.0, 0, 2_000_000));
    txs.push(signers[1].call(callee, "spin", b"", 0, 200_000));
    for i in 0..6u8 {
        txs.push(signers[2].transfer(Address([i; 20]), 10 + u64::from(i), 30_000));
    }
    txs
}

fn signers() -> Vec<Signer> {
    (0..3).map(|i| Signer::new(i, CHAIN)).collect()
}

fn genesis() -> Vec<(Address, Amount)> {
    signers()
        .iter()
        .map(|s| (s.address(), Amount::from(FUNDS)))
        .collect()
}

fn run_on<S: KvStore + 'static>(store: S) -> Vec<ExecutionOutcome> {
    let state = funded_state(store, &genesis());
    let mut s = signers();
    let txs = block(&mut s);
    let first = executor().execute(&state, &env(1), &txs).unwrap();
    let second = executor().execute(&state, &env(1), &txs).unwrap();
    assert_eq!(first, second, "same parent, same block, same outcome");
    let enc = |o: &ExecutionOutcome| o.receipts.iter().map(Canonical::encode).collect::<Vec<_>>();
    assert_eq!(enc(&first), enc(&second));
    state.commit(&first.changes).unwrap();
    let more: Vec<_> = (0..3)
        .map(|i| s[2].transfer(Address([i; 20]), 1, 30_000))
        .collect();
    let next = executor().execute(&state, &env(2), &more).unwrap();
    vec![first, next]
}

#[test]
fn the_same_block_twice_and_on_both_stores_gives_identical_outcomes() {
    let mem = run_on(MemStore::new());
    let dir = tempfile::tempdir().unwrap();
    let rocks = run_on(RocksStore::open(dir.path()).unwrap());
    assert_eq!(
        mem, rocks,
        "MemStore and RocksStore agree on receipts, changes and roots"
    );
    assert!(
        mem[0]
            .receipts
            .iter()
            .any(|r| r.status != cairn_primitives::ReceiptStatus::Success)
    );
}

#[test]
fn executing_on_a_pending_parent_matches_committing_first() {
    let mut s = signers();
    let txs = block(&mut s);
    let more: Vec<_> = (0..3)
        .map(|i| s[2].transfer(Address([i; 20]), 1, 30_000))
        .collect();

    // path A: block 1 committed, then block 2
    let a = funded_state(MemStore::new(), &genesis());
    let a1 = executor().execute(&a, &env(1), &txs).unwrap();
    a.commit(&a1.changes).unwrap();
    let a2 = executor().execute(&a, &env(2), &more).unwrap();

    // path B: block 2 executed on block 1's pending changes
    let b = funded_state(MemStore::new(), &genesis());
    let b1 = executor().execute(&b, &env(1), &txs).unwrap();
    let pending = PendingState::new(&b, merge_changes([&b1.changes]));
    let b2 = executor().execute(&pending, &env(2), &more).unwrap();
    assert_eq!(a2, b2);
    assert_eq!(
        pending.root_after(&Default::default()).unwrap(),
        a1.state_root
    );
    b.commit(&b1.changes).unwrap();
    assert_eq!(b.commit(&b2.changes).unwrap().root, a2.state_root);
}

/// A caller whose thread has `VM_THREAD_STACK` (a node's RPC threads) runs the block itself
/// instead of handing it to an execution thread; the outcome is byte for byte the same.
#[test]
fn a_caller_with_a_vm_sized_stack_gets_the_execution_threads_outcome() {
    let state = funded_state(MemStore::new(), &genesis());
    let txs = block(&mut signers());
    let on_pool = executor().execute(&state, &env(1), &txs).unwrap();
    let here = std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(cairn_executor::VM_THREAD_STACK)
            .spawn_scoped(s, || executor().execute(&state, &env(1), &txs).unwrap())
            .unwrap()
            .join()
            .unwrap()
    });
    assert_eq!(on_pool, here);
}
