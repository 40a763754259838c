//! The counter on the real VM and executor.

use cairn_example_counter::Changed;
use cairn_testkit::{CallOptions, ReceiptStatus, TestChain};

#[test]
fn deploy_increment_view_and_events() {
    let wasm = cairn_testkit::contract_wasm!();
    let mut chain = TestChain::new();
    let alice = chain.alice();
    let counter = chain.deploy(alice, &wasm, "new", &(7u64,)).unwrap();
    assert_eq!(chain.view::<u64, _>(counter, "get", &()).unwrap(), 7);
    let r = chain
        .call(chain.bob(), counter, "increment", &(5u64,))
        .unwrap();
    assert_eq!(r.decode::<u64>().unwrap(), 12);
    assert_eq!(
        r.events_of::<Changed>(),
        [Changed {
            by: chain.bob(),
            value: 12
        }]
    );
    assert!(r.gas_used > 0);
    assert_eq!(chain.view::<u64, _>(counter, "get", &()).unwrap(), 12);
}

#[test]
fn a_revert_keeps_state_and_reports_the_message() {
    let wasm = cairn_testkit::contract_wasm!();
    let mut chain = TestChain::new();
    let counter = chain.deploy(chain.alice(), &wasm, "new", &(1u64,)).unwrap();
    let r = chain.call(chain.bob(), counter, "reset", &());
    assert_eq!(r.status, ReceiptStatus::Reverted);
    assert_eq!(r.revert_message(), Some("only the owner can reset"));
    assert_eq!(chain.view::<u64, _>(counter, "get", &()).unwrap(), 1);
    let r = chain.call(chain.alice(), counter, "reset", &());
    assert!(r.is_success(), "{r}");
    assert_eq!(chain.view::<u64, _>(counter, "get", &()).unwrap(), 0);
}

#[test]
fn generated_dispatch_refuses_bad_calls() {
    let wasm = cairn_testkit::contract_wasm!();
    let mut chain = TestChain::new();
    let alice = chain.alice();
    let counter = chain.deploy(alice, &wasm, "new", &(1u64,)).unwrap();
    // #[init] runs once.
    let r = chain.call(alice, counter, "new", &(9u64,));
    assert_eq!(r.revert_message(), Some("contract is already initialized"));
    // Arguments that do not decode as the parameters.
    let r = chain.call(alice, counter, "increment", &(1u8,));
    assert!(
        r.revert_message()
            .is_some_and(|m| m.starts_with("invalid arguments for `increment`")),
        "{r}"
    );
    // Value sent to a method that is not #[payable].
    let r = chain.call_with(
        alice,
        counter,
        "increment",
        &(1u64,),
        CallOptions {
            value: 5,
            ..CallOptions::default()
        },
    );
    assert_eq!(
        r.revert_message(),
        Some("method `increment` is not payable")
    );
    assert_eq!(
        chain.balance(counter),
        0,
        "the value went back with the revert"
    );
    // A method that does not exist.
    let r = chain.call(alice, counter, "decrement", &());
    assert_eq!(r.status, ReceiptStatus::Failed, "{r}");
    // Overflow panics are reverts with the message.
    let r = chain.call(alice, counter, "increment", &(u64::MAX,));
    assert_eq!(r.revert_message(), Some("counter overflow"));
    assert_eq!(chain.view::<u64, _>(counter, "get", &()).unwrap(), 1);
}
