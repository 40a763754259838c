//! The escrow with real native value and block time.

use cairn_example_escrow::Settled;
use cairn_testkit::{Address, CallOptions, TestChain};

fn with_value(value: u128) -> CallOptions {
    CallOptions {
        value,
        ..CallOptions::default()
    }
}

fn deployed() -> (TestChain, Address) {
    let wasm = cairn_testkit::contract_wasm!();
    let mut chain = TestChain::new();
    let escrow = chain.deploy(chain.alice(), &wasm, "new", &()).unwrap();
    (chain, escrow)
}

#[test]
fn release_moves_the_escrowed_value_to_the_seller() {
    let (mut chain, escrow) = deployed();
    let (buyer, seller, arbiter) = (chain.alice(), chain.bob(), chain.carol());
    let deadline = chain.timestamp_ms() + 3_600_000;
    let seller_before = chain.balance(seller);
    let id: u64 = chain
        .call_with(
            buyer,
            escrow,
            "open",
            &(seller, arbiter, deadline),
            with_value(1_000),
        )
        .unwrap()
        .decode()
        .unwrap();
    assert_eq!(chain.balance(escrow), 1_000);
    let r = chain.call(seller, escrow, "release", &(id,));
    assert_eq!(
        r.revert_message(),
        Some("only the buyer or the arbiter can release")
    );
    let r = chain.call(arbiter, escrow, "release", &(id,)).unwrap();
    assert_eq!(
        r.events_of::<Settled>(),
        [Settled {
            id,
            to: seller,
            amount: 1_000
        }]
    );
    assert_eq!(chain.balance(seller), seller_before + 1_000);
    assert_eq!(chain.balance(escrow), 0);
}

#[test]
fn the_buyer_gets_a_refund_only_after_the_deadline() {
    let (mut chain, escrow) = deployed();
    let (buyer, seller, arbiter) = (chain.alice(), chain.bob(), chain.carol());
    let deadline = chain.timestamp_ms() + 60_000;
    let id: u64 = chain
        .call_with(
            buyer,
            escrow,
            "open",
            &(seller, arbiter, deadline),
            with_value(500),
        )
        .unwrap()
        .decode()
        .unwrap();
    let r = chain.call(buyer, escrow, "refund", &(id,));
    assert_eq!(
        r.revert_message(),
        Some("only the arbiter, or the buyer after the deadline, can refund")
    );
    let before = chain.balance(buyer);
    chain.advance_time(120_000);
    chain.call(buyer, escrow, "refund", &(id,)).unwrap();
    assert_eq!(chain.balance(buyer), before + 500);
    let r = chain.call(buyer, escrow, "open", &(seller, arbiter, deadline));
    assert_eq!(r.revert_message(), Some("attach the value to escrow"));
}
