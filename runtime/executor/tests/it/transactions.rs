//! One test per kind of transaction and per failure rule of the executor.

use cairn_executor::test_utils::{Signer, mem_state};
use cairn_executor::{ExecutorError, TxRejection};
use cairn_primitives::{Address, Amount, GasProfile, Hash, ReceiptStatus};
use cairn_state::StateReader;

use crate::common::{CHAIN, FUNDS, PROPOSER, balance, env, execute_commit, executor, nonce};
use crate::contracts::{proxy, store, token};

fn funded(n: u64) -> (Vec<Signer>, cairn_state::State<cairn_storage::MemStore>) {
    let signers: Vec<Signer> = (0..n).map(|i| Signer::new(i, CHAIN)).collect();
    let accounts: Vec<_> = signers
        .iter()
        .map(|s| (s.address(), Amount::from(FUNDS)))
        .collect();
    (signers, mem_state(&accounts))
}

fn storage(state: &impl StateReader, c: &Address, k: &[u8]) -> Option<Vec<u8>> {
    state.storage(c, k).unwrap()
}

#[test]
fn transfer_moves_value_bumps_nonce_and_pays_the_proposer() {
    let (mut s, state) = funded(1);
    let to = Address([9; 20]);
    let tx = s[0].transfer(to, 1234, 21_000 + 16 * 300);
    let out = execute_commit(&state, 1, &[tx]);
    let r = &out.receipts[0];
    assert_eq!(r.status, ReceiptStatus::Success);
    let intrinsic = executor().intrinsic_gas(&s[0].transfer(to, 1234, 25_800));
    assert_eq!(r.gas_used, intrinsic);
    assert_eq!(
        r.gas_profile,
        GasProfile {
            intrinsic,
            ..GasProfile::default()
        },
        "a transfer is all intrinsic gas"
    );
    assert_eq!(out.gas_used, r.gas_used);
    assert_eq!(balance(&state, &to), Amount::from(1234));
    assert_eq!(
        balance(&state, &s[0].address()),
        Amount::from(FUNDS - 1234 - r.gas_used)
    );
    assert_eq!(balance(&state, &PROPOSER), Amount::from(r.gas_used));
    assert_eq!(nonce(&state, &s[0].address()), 1);
    assert_eq!(out.contract_addresses, vec![None]);
}

#[test]
fn deploy_runs_init_and_the_contract_is_callable() {
    let (mut s, state) = funded(1);
    let code = store();
    let deploy = s[0].deploy(&code, Some(("init", &b"hello"[..])), None, 5, 10_000_000);
    let out = execute_commit(&state, 1, &[deploy]);
    assert_eq!(
        out.receipts[0].status,
        ReceiptStatus::Success,
        "{:?}",
        out.receipts[0]
    );
    let addr = Address::for_create(&s[0].address(), 0);
    assert_eq!(out.contract_addresses, vec![Some(addr)]);
    let acct = state.account(&addr).unwrap().unwrap();
    assert_eq!(acct.code_hash, Some(Hash::of(&code)));
    assert_eq!(acct.balance, Amount::from(5));
    assert_eq!(storage(&state, &addr, b"k"), Some(b"hello".to_vec()));
    assert_eq!(state.code(&Hash::of(&code)).unwrap(), Some(code.clone()));

    // call: set then get, in one block; events only on success
    let set = s[0].call(addr, "set", b"world", 0, 1_000_000);
    let get = s[0].call(addr, "get", b"", 0, 1_000_000);
    let emit = s[0].call(addr, "emit", b"", 0, 1_000_000);
    let out = execute_commit(&state, 2, &[set, get, emit]);
    assert!(
        out.receipts
            .iter()
            .all(|r| r.status == ReceiptStatus::Success)
    );
    assert_eq!(out.receipts[1].return_data, b"world");
    assert_eq!(out.receipts[2].events.len(), 1);
    assert_eq!(out.receipts[2].events[0].contract, addr);
    assert_eq!(out.receipts[2].events[0].data, b"bad");
    // Every receipt's gas by category adds up; each category is where its host calls went.
    for r in &out.receipts {
        assert_eq!(r.gas_profile.total(), r.gas_used, "{:?}", r.gas_profile);
        assert!(r.gas_profile.intrinsic > 0 && r.gas_profile.wasm > 0);
        assert_eq!(r.gas_profile.calls, 0);
    }
    let (set, get, emit) = (
        out.receipts[0].gas_profile,
        out.receipts[1].gas_profile,
        out.receipts[2].gas_profile,
    );
    assert!(set.storage > 0 && get.storage > 0, "{set:?} {get:?}");
    assert!(emit.events > 0 && set.events == 0, "{emit:?} {set:?}");

    // the same code again at the same create2 address is refused; a salted deploy works
    let salt = Hash([3; 32]);
    let d1 = s[0].deploy(&code, None, Some(salt), 0, 10_000_000);
    let d2 = s[0].deploy(&code, None, Some(salt), 0, 10_000_000);
    let out = execute_commit(&state, 3, &[d1, d2]);
    let a2 = Address::for_create2(&s[0].address(), &salt, &Hash::of(&code));
    assert_eq!(out.contract_addresses, vec![Some(a2), None]);
    assert_eq!(out.receipts[1].status, ReceiptStatus::Failed);
    assert_eq!(out.receipts[1].error.as_deref(), Some("address in use"));
}

#[test]
fn invalid_code_and_failing_init_fail_the_receipt_and_keep_nothing() {
    let (mut s, state) = funded(1);
    let bad = s[0].deploy(b"\0asm\x01\0\0\0garbage", None, None, 0, 1_000_000);
    let reverting = s[0].deploy(&store(), Some(("fail", &b""[..])), None, 7, 10_000_000);
    let out = execute_commit(&state, 1, &[bad, reverting]);
    assert_eq!(out.receipts[0].status, ReceiptStatus::Failed);
    assert!(
        out.receipts[0]
            .error
            .as_deref()
            .unwrap()
            .starts_with("invalid code: ")
    );
    assert_eq!(out.receipts[1].status, ReceiptStatus::Reverted);
    assert_eq!(out.receipts[1].error.as_deref(), Some("no"));
    assert_eq!(out.contract_addresses, vec![None, None]);
    let addr = Address::for_create(&s[0].address(), 1);
    assert_eq!(
        state.account(&addr).unwrap(),
        None,
        "no account, no value moved"
    );
    assert_eq!(
        state.code(&Hash::of(&store())).unwrap(),
        None,
        "code not stored"
    );
    assert_eq!(nonce(&state, &s[0].address()), 2);
}

#[test]
fn nested_call_with_inner_revert_keeps_the_callers_writes() {
    let (mut s, state) = funded(1);
    let d1 = s[0].deploy(&store(), Some(("init", &b"orig"[..])), None, 0, 10_000_000);
    let d2 = s[0].deploy(&proxy(), None, None, 0, 10_000_000);
    execute_commit(&state, 1, &[d1, d2]);
    let callee = Address::for_create(&s[0].address(), 0);
    let caller = Address::for_create(&s[0].address(), 1);
    let tx = s[0].call(caller, "nested", &callee.0, 0, 2_000_000);
    let out = execute_commit(&state, 2, &[tx]);
    assert_eq!(
        out.receipts[0].status,
        ReceiptStatus::Success,
        "{:?}",
        out.receipts[0]
    );
    // Nested calls: their base cost under `calls`, the callees' own gas in its categories
    // (not counted twice), all adding up.
    let p = out.receipts[0].gas_profile;
    assert!(p.calls > 0 && p.storage > 0, "{p:?}");
    assert_eq!(p.total(), out.receipts[0].gas_used, "{p:?}");
    // caller's writes kept; the reverted call's status recorded (1 = reverted)
    assert_eq!(storage(&state, &caller, b"o"), Some(b"fail".to_vec()));
    assert_eq!(storage(&state, &caller, b"s"), Some(vec![1]));
    // the callee's write from the reverted call ("bad") is gone; the later call's kept
    assert_eq!(storage(&state, &callee, b"k"), Some(b"v2".to_vec()));
}

#[test]
fn a_failed_top_level_call_reverts_its_state_but_charges_and_bumps_the_nonce() {
    let (mut s, state) = funded(1);
    let d = s[0].deploy(&store(), Some(("init", &b"orig"[..])), None, 0, 10_000_000);
    execute_commit(&state, 1, &[d]);
    let addr = Address::for_create(&s[0].address(), 0);
    let before = balance(&state, &s[0].address());
    let tx = s[0].call(addr, "fail", b"", 1000, 1_000_000);
    let out = execute_commit(&state, 2, &[tx]);
    let r = &out.receipts[0];
    assert_eq!(r.status, ReceiptStatus::Reverted);
    assert_eq!(r.error.as_deref(), Some("no"));
    assert!(r.events.is_empty() && r.return_data.is_empty());
    assert_eq!(storage(&state, &addr, b"k"), Some(b"orig".to_vec()));
    assert_eq!(
        balance(&state, &addr),
        Amount::zero(),
        "value transfer reverted"
    );
    assert_eq!(
        balance(&state, &s[0].address()),
        before - Amount::from(r.gas_used)
    );
    assert_eq!(nonce(&state, &s[0].address()), 2);

    // calling an account without code fails, value stays
    let tx = s[0].call(Address([1; 20]), "x", b"", 10, 100_000);
    let out = execute_commit(&state, 3, &[tx]);
    assert_eq!(out.receipts[0].status, ReceiptStatus::Failed);
    assert_eq!(out.receipts[0].error.as_deref(), Some("contract not found"));
    assert_eq!(balance(&state, &Address([1; 20])), Amount::zero());
}

#[test]
fn out_of_gas_charges_the_whole_limit_reverts_state_and_bumps_the_nonce() {
    let (mut s, state) = funded(1);
    let d = s[0].deploy(&store(), Some(("init", &b"orig"[..])), None, 0, 10_000_000);
    execute_commit(&state, 1, &[d]);
    let addr = Address::for_create(&s[0].address(), 0);
    let before = balance(&state, &s[0].address());
    let proposer_before = balance(&state, &PROPOSER);
    let gas_limit = 300_000;
    let tx = s[0].call(addr, "spin", b"", 77, gas_limit);
    let out = execute_commit(&state, 2, &[tx]);
    let r = &out.receipts[0];
    assert_eq!(r.status, ReceiptStatus::OutOfGas);
    assert_eq!(r.error.as_deref(), Some("out of gas"));
    assert_eq!(r.gas_used, gas_limit, "fee = gas_limit × price");
    assert_eq!(r.gas_profile.total(), gas_limit, "{:?}", r.gas_profile);
    assert_eq!(
        balance(&state, &s[0].address()),
        before - Amount::from(gas_limit)
    );
    assert_eq!(
        balance(&state, &PROPOSER),
        proposer_before + Amount::from(gas_limit)
    );
    assert_eq!(
        storage(&state, &addr, b"k"),
        Some(b"orig".to_vec()),
        "write reverted"
    );
    assert_eq!(balance(&state, &addr), Amount::zero(), "value reverted");
    assert_eq!(nonce(&state, &s[0].address()), 2);
}

#[test]
fn bad_nonce_and_insufficient_balance_are_rejected_before_execution() {
    let (mut s, state) = funded(2);
    let to = Address([9; 20]);
    let ok = s[0].transfer(to, 1, 30_000);
    let mut replay = s[0].clone_at(0);
    let dup = replay.transfer(to, 1, 30_000); // nonce 0 again
    let mut gap = s[0].clone_at(5);
    let future = gap.transfer(to, 1, 30_000);
    let broke = s[1].transfer(to, FUNDS, 30_000); // value + fee > balance
    let mut wrong = Signer::new(0, CHAIN + 1);
    wrong.nonce = 1;
    let other_chain = wrong.transfer(to, 1, 30_000);
    let low_gas = s[1].clone_at(0).transfer(to, 1, 20_000);

    let ex = executor();
    let cases = [
        (dup.clone(), "NonceTooLow"),
        (future, "NonceTooHigh"),
        (broke.clone(), "InsufficientBalance"),
        (other_chain, "WrongChainId"),
        (low_gas, "GasLimitTooLow"),
    ];
    for (tx, what) in cases {
        // verifying: the block is invalid, typed
        let err = ex
            .execute(&state, &env(1), &[ok.clone(), tx.clone()])
            .unwrap_err();
        let ExecutorError::InvalidBlock(inv) = &err else {
            panic!("{err}")
        };
        assert!(!err.is_fatal());
        assert_eq!(inv.index, 1);
        assert!(
            format!("{:?}", inv.reason).starts_with(what),
            "{what}: {:?}",
            inv.reason
        );
        // building: skipped and reported, the rest executes
        let built = ex.build(&state, &env(1), &[ok.clone(), tx]).unwrap();
        assert_eq!(built.txs, vec![ok.clone()]);
        assert_eq!(built.skipped.len(), 1);
        assert_eq!(built.skipped[0].index, 1);
        assert_eq!(built.outcome.receipts.len(), 1);
    }
    // nothing was persisted by any of this
    assert_eq!(nonce(&state, &s[0].address()), 0);
    let r = ex
        .check_tx(&state, &env(1), &broke, 30_000_000)
        .unwrap()
        .unwrap_err();
    assert!(matches!(r, TxRejection::InsufficientBalance { .. }));
    assert!(!r.is_permanent());
    assert!(
        ex.check_tx(&state, &env(1), &dup, 30_000_000)
            .unwrap()
            .is_ok()
    );
}

#[test]
fn block_gas_limit_is_respected() {
    let (mut s, state) = funded(1);
    let to = Address([9; 20]);
    let mut e = env(1);
    e.gas_limit = 100_000;
    // each reserves 40,000: two fit (80,000 ≤ 100,000 counting used gas), ...
    let txs: Vec<_> = (0..4).map(|_| s[0].transfer(to, 1, 40_000)).collect();
    let built = executor().build(&state, &e, &txs).unwrap();
    assert!(built.outcome.gas_used <= e.gas_limit);
    // transfers use ~25k of their 40k: the third still fits the remaining gas, the fourth not
    let used: u64 = built.outcome.receipts.iter().map(|r| r.gas_used).sum();
    assert_eq!(used, built.outcome.gas_used);
    assert_eq!(built.txs.len(), 3, "{:?}", built.skipped);
    assert!(matches!(
        built.skipped[0].reason,
        TxRejection::BlockGasExceeded { got: 40_000, .. }
    ));
    // verifying a block whose transaction exceeds the remaining gas is invalid
    let err = executor().execute(&state, &e, &txs).unwrap_err();
    assert!(
        matches!(err, ExecutorError::InvalidBlock(ref i) if i.index == 3),
        "{err}"
    );
}

#[test]
fn token_transfers_through_the_executor() {
    let (mut s, state) = funded(2);
    let d = s[0].deploy(
        &token(),
        Some(("mint", &1000u64.to_le_bytes()[..])),
        None,
        0,
        10_000_000,
    );
    execute_commit(&state, 1, &[d]);
    let t = Address::for_create(&s[0].address(), 0);
    let mut args = s[1].address().0.to_vec();
    args.extend_from_slice(&300u64.to_le_bytes());
    let ok = s[0].call(t, "transfer", &args, 0, 1_000_000);
    let mut too_much = s[1].address().0.to_vec();
    too_much.extend_from_slice(&800u64.to_le_bytes());
    let short = s[0].call(t, "transfer", &too_much, 0, 1_000_000);
    let out = execute_commit(&state, 2, &[ok, short]);
    assert_eq!(out.receipts[0].status, ReceiptStatus::Success);
    assert_eq!(out.receipts[0].events.len(), 1);
    assert_eq!(out.receipts[1].error.as_deref(), Some("insufficient"));
    let bal = |a: &Address| storage(&state, &t, &a.0);
    assert_eq!(bal(&s[0].address()), Some(700u64.to_le_bytes().to_vec()));
    assert_eq!(bal(&s[1].address()), Some(300u64.to_le_bytes().to_vec()));
}

#[test]
fn simulate_predicts_inclusion_exactly_and_persists_nothing() {
    let (mut s, state) = funded(1);
    let code = store();
    let deploy = s[0].deploy(&code, Some(("init", &b"hello"[..])), None, 5, 10_000_000);
    execute_commit(&state, 1, &[deploy]);
    let addr = Address::for_create(&s[0].address(), 0);
    let root = state.root();
    let ex = executor();
    let at = |n| s[0].clone_at(n);
    let txs = [
        at(1).call(addr, "set", b"simulated", 0, 1_000_000),
        at(1).call(addr, "fail", b"", 0, 1_000_000),
        at(1).call(addr, "spin", b"", 0, 200_000),
        at(1).transfer(Address([0x42; 20]), 77, 100_000),
    ];
    for tx in txs {
        let sim = ex
            .simulate(&state, &env(2), tx.sender(), &tx.tx)
            .expect("no node failure")
            .expect("passes the pre-check");
        assert_eq!(state.root(), root, "simulation writes nothing");
        let out = ex.execute(&state, &env(2), &[tx]).expect("execute");
        assert_eq!(sim.receipt, out.receipts[0], "same receipt as inclusion");
        assert_eq!(sim.changes, out.changes, "same state changes as inclusion");
    }
    let stale = s[0].transfer(Address([0x42; 20]), 1, 100_000);
    let mut tx = stale.tx.clone();
    tx.nonce += 5;
    let rejected = ex
        .simulate(&state, &env(2), stale.sender(), &tx)
        .expect("no node failure");
    assert!(
        matches!(rejected, Err(TxRejection::NonceTooHigh { .. })),
        "{rejected:?}"
    );
}
