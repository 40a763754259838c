//! Upgrading a deployed counter (version 1, `contracts/counter`) in place to version 2.

use cairn_example_counter_v2::Changed;
use cairn_testkit::{Address, CallOptions, ReceiptStatus, TestChain};

struct Setup {
    chain: TestChain,
    v1: std::sync::Arc<Vec<u8>>,
    v2: std::sync::Arc<Vec<u8>>,
    counter: Address,
}

/// Version 1 deployed by alice with `admin` as its admin, incremented to 12 by bob.
fn setup(admin: Option<Address>) -> Setup {
    let v1 = cairn_testkit::contract_wasm!("../counter");
    let v2 = cairn_testkit::contract_wasm!();
    let mut chain = TestChain::new();
    let options = CallOptions {
        admin,
        ..CallOptions::default()
    };
    let counter = chain
        .deploy_with(chain.alice(), &v1, Some(("new", &(7u64,))), options)
        .unwrap();
    chain
        .call(chain.bob(), counter, "increment", &(5u64,))
        .unwrap();
    Setup {
        chain,
        v1,
        v2,
        counter,
    }
}

#[test]
fn the_admin_upgrades_in_place_and_the_migration_keeps_the_state() {
    let Setup {
        mut chain,
        v2,
        counter,
        ..
    } = setup(Some(TestChain::new().carol()));
    let carol = chain.carol();
    assert_eq!(chain.admin(counter), Some(carol));
    let balance_before = chain.balance(counter);
    let r = chain.upgrade(carol, counter, &v2, &(10u64,));
    assert!(r.is_success(), "{r}");
    assert_eq!(
        chain.code_hash(counter),
        Some(cairn_testkit::Hash::of(&v2).0)
    );
    // Same address, same storage, new code and the field the migration added.
    assert_eq!(chain.view::<u64, _>(counter, "get", &()).unwrap(), 12);
    assert_eq!(chain.view::<u64, _>(counter, "step", &()).unwrap(), 10);
    assert_eq!(
        chain.view::<Address, _>(counter, "owner", &()).unwrap(),
        chain.alice()
    );
    assert_eq!(chain.balance(counter), balance_before);
    let r = chain
        .call(chain.bob(), counter, "increment", &(3u64,))
        .unwrap();
    assert_eq!(r.decode::<u64>().unwrap(), 42);
    assert_eq!(
        r.events_of::<Changed>(),
        [Changed {
            by: chain.bob(),
            value: 42
        }]
    );
    // The ABI now says version 2.
    let abi = cairn_vm::abi_section(&v2).unwrap();
    assert!(abi.contains("\"version\":2"), "{abi}");
    assert!(abi.contains("\"kind\":\"migrate\""), "{abi}");
}

#[test]
fn a_failing_migration_leaves_the_old_code_and_state() {
    let Setup {
        mut chain,
        v1,
        v2,
        counter,
    } = setup(Some(TestChain::new().alice()));
    let alice = chain.alice();
    let r = chain.upgrade(alice, counter, &v2, &(0u64,));
    assert_eq!(r.status, ReceiptStatus::Reverted);
    assert_eq!(r.revert_message(), Some("the step must be positive"));
    assert_eq!(
        chain.code_hash(counter),
        Some(cairn_testkit::Hash::of(&v1).0)
    );
    assert_eq!(chain.view::<u64, _>(counter, "get", &()).unwrap(), 12);
    // Still version 1: `step` does not exist.
    let r = chain.try_view(counter, "step", &());
    assert_eq!(r.status, ReceiptStatus::Failed, "{r}");
    // Arguments that do not decode as the migration's are refused the same way.
    let r = chain.upgrade(alice, counter, &v2, &());
    assert!(
        r.revert_message()
            .is_some_and(|m| m.starts_with("invalid arguments for `migrate`")),
        "{r}"
    );
}

#[test]
fn the_migration_sees_the_previous_version_and_refuses_incompatible_jumps() {
    let Setup {
        mut chain,
        v1,
        v2,
        counter,
    } = setup(Some(TestChain::new().alice()));
    let alice = chain.alice();
    assert!(chain.upgrade(alice, counter, &v2, &(2u64,)).is_success());
    // 2 → 2: the migration refuses (it only knows how to come from version 1).
    let r = chain.upgrade(alice, counter, &v2, &(2u64,));
    assert_eq!(
        r.revert_message(),
        Some("cannot migrate from version 2, only from 1")
    );
    // 2 → 1: version 1 has no #[migrate]; its default migration refuses a downgrade.
    let r = chain.upgrade(alice, counter, &v1, &());
    assert!(
        r.revert_message()
            .is_some_and(|m| m.starts_with("cannot downgrade from version 2 to 1")),
        "{r}"
    );
    assert_eq!(
        chain.code_hash(counter),
        Some(cairn_testkit::Hash::of(&v2).0)
    );
    assert_eq!(chain.view::<u64, _>(counter, "step", &()).unwrap(), 2);
}

#[test]
fn only_the_admin_upgrades_and_without_one_the_code_is_immutable() {
    let Setup {
        mut chain,
        v1,
        v2,
        counter,
    } = setup(Some(TestChain::new().alice()));
    let (alice, bob) = (chain.alice(), chain.bob());
    let r = chain.upgrade(bob, counter, &v2, &(1u64,));
    assert_eq!(r.status, ReceiptStatus::Failed);
    assert_eq!(
        r.error.as_deref(),
        Some(format!("only the admin {alice} may change contract {counter}").as_str())
    );
    // Hand over to bob, who then upgrades.
    assert!(chain.set_admin(bob, counter, Some(bob)).status == ReceiptStatus::Failed);
    assert!(chain.set_admin(alice, counter, Some(bob)).is_success());
    assert_eq!(chain.admin(counter), Some(bob));
    assert!(chain.upgrade(bob, counter, &v2, &(1u64,)).is_success());
    // Renounce: immutable for good.
    assert!(chain.set_admin(bob, counter, None).is_success());
    let r = chain.upgrade(bob, counter, &v1, &());
    assert_eq!(
        r.error.as_deref(),
        Some(format!("contract {counter} is immutable: it has no admin").as_str())
    );
    assert_eq!(
        chain.code_hash(counter),
        Some(cairn_testkit::Hash::of(&v2).0)
    );

    // Deployed without an admin: nobody can upgrade, not even the deployer.
    let Setup {
        mut chain, counter, ..
    } = setup(None);
    assert_eq!(chain.admin(counter), None);
    let r = chain.upgrade(chain.alice(), counter, &v2, &(1u64,));
    assert_eq!(r.status, ReceiptStatus::Failed);
    assert_eq!(
        chain.code_hash(counter),
        Some(cairn_testkit::Hash::of(&v1).0)
    );
}

#[test]
fn invalid_code_and_missing_contracts_are_refused() {
    let Setup {
        mut chain, counter, ..
    } = setup(Some(TestChain::new().alice()));
    let alice = chain.alice();
    let r = chain.upgrade(alice, counter, b"not wasm", &());
    assert_eq!(r.status, ReceiptStatus::Failed);
    assert!(
        r.error
            .as_deref()
            .is_some_and(|e| e.starts_with("invalid code")),
        "{r}"
    );
    let nobody = Address([9; 20]);
    let r = chain.upgrade(alice, nobody, &cairn_testkit::contract_wasm!(), &(1u64,));
    assert_eq!(
        r.error.as_deref(),
        Some(format!("no contract at {nobody}").as_str())
    );
    assert_eq!(chain.view::<u64, _>(counter, "get", &()).unwrap(), 12);
}
