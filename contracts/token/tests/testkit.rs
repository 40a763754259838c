//! The token on the real VM and executor: balances, allowances, events, reverts, forks, gas.

use cairn_example_token::{Approval, TokenError, Transfer};
use cairn_testkit::{Address, ReceiptStatus, TestChain};

fn deployed() -> (TestChain, Address) {
    let wasm = cairn_testkit::contract_wasm!();
    let mut chain = TestChain::new();
    let token = chain
        .deploy(
            chain.alice(),
            &wasm,
            "new",
            &(
                String::from("Gold"),
                String::from("GLD"),
                18u8,
                1_000_000u128,
            ),
        )
        .unwrap();
    (chain, token)
}

fn balance(chain: &TestChain, token: Address, who: Address) -> u128 {
    chain.view(token, "balance_of", &(who,)).unwrap()
}

#[test]
fn metadata_and_initial_supply() {
    let (chain, token) = deployed();
    assert_eq!(chain.view::<String, _>(token, "name", &()).unwrap(), "Gold");
    assert_eq!(
        chain.view::<String, _>(token, "symbol", &()).unwrap(),
        "GLD"
    );
    assert_eq!(chain.view::<u8, _>(token, "decimals", &()).unwrap(), 18);
    assert_eq!(
        chain.view::<u128, _>(token, "total_supply", &()).unwrap(),
        1_000_000
    );
    assert_eq!(balance(&chain, token, chain.alice()), 1_000_000);
}

#[test]
fn transfer_moves_balances_and_emits_transfer() {
    let (mut chain, token) = deployed();
    let (alice, bob) = (chain.alice(), chain.bob());
    let r = chain
        .call(alice, token, "transfer", &(bob, 250u128))
        .unwrap();
    assert_eq!(
        r.events_of::<Transfer>(),
        [Transfer {
            from: alice,
            to: bob,
            amount: 250
        }]
    );
    assert_eq!(r.events[0].contract, token);
    assert_eq!(balance(&chain, token, alice), 999_750);
    assert_eq!(balance(&chain, token, bob), 250);
}

#[test]
fn overdraft_reverts_with_the_error_message_and_changes_nothing() {
    let (mut chain, token) = deployed();
    let (alice, bob) = (chain.alice(), chain.bob());
    let r = chain.call(bob, token, "transfer", &(alice, 1u128));
    assert_eq!(r.status, ReceiptStatus::Reverted);
    assert_eq!(
        r.revert_message(),
        Some("insufficient balance: have 0, need 1")
    );
    // The revert data is the `Err` value itself, for clients to decode.
    assert_eq!(
        r.decode_error::<TokenError>(),
        Some(TokenError::InsufficientBalance {
            balance: 0,
            needed: 1
        })
    );
    assert!(r.events.is_empty());
    assert!(r.gas_used > 0, "a revert still pays for its gas");
    assert_eq!(balance(&chain, token, alice), 1_000_000);
}

#[test]
fn approve_and_transfer_from() {
    let (mut chain, token) = deployed();
    let (alice, bob, carol) = (chain.alice(), chain.bob(), chain.carol());
    let r = chain
        .call(alice, token, "approve", &(bob, 100u128))
        .unwrap();
    assert_eq!(
        r.events_of::<Approval>(),
        [Approval {
            owner: alice,
            spender: bob,
            amount: 100
        }]
    );
    chain
        .call(bob, token, "transfer_from", &(alice, carol, 60u128))
        .unwrap();
    assert_eq!(
        chain
            .view::<u128, _>(token, "allowance", &(alice, bob))
            .unwrap(),
        40
    );
    let r = chain.call(bob, token, "transfer_from", &(alice, carol, 41u128));
    assert_eq!(
        r.revert_message(),
        Some("insufficient allowance: have 40, need 41")
    );
    assert_eq!(balance(&chain, token, carol), 60);
}

#[test]
fn only_the_owner_mints() {
    let (mut chain, token) = deployed();
    let (alice, bob) = (chain.alice(), chain.bob());
    let r = chain.call(bob, token, "mint", &(bob, 5u128));
    assert_eq!(r.revert_message(), Some("only the owner can mint"));
    chain.call(alice, token, "mint", &(bob, 5u128)).unwrap();
    assert_eq!(balance(&chain, token, bob), 5);
}

#[test]
fn forks_are_isolated_copies_of_a_snapshot() {
    let (mut chain, token) = deployed();
    let (alice, bob) = (chain.alice(), chain.bob());
    let snapshot = chain.snapshot();
    let mut a = snapshot.fork();
    let mut b = snapshot.fork();
    a.call(alice, token, "transfer", &(bob, 10u128)).unwrap();
    b.call(alice, token, "transfer", &(bob, 20u128)).unwrap();
    assert_eq!(balance(&a, token, bob), 10);
    assert_eq!(balance(&b, token, bob), 20);
    assert_eq!(balance(&chain, token, bob), 0);
    // Forks of forks, from threads.
    let snap_a = a.snapshot();
    let handles: Vec<_> = (0..4u128)
        .map(|i| {
            let s = snap_a.clone();
            std::thread::spawn(move || {
                let mut c = s.fork();
                c.call(alice, token, "transfer", &(bob, i)).unwrap();
                balance(&c, token, bob)
            })
        })
        .collect();
    let got: Vec<u128> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(got, [10, 11, 12, 13]);
}

#[test]
fn gas_is_reported_per_method_and_is_deterministic() {
    let (mut chain, token) = deployed();
    let (alice, bob) = (chain.alice(), chain.bob());
    let mut forked = chain.fork();
    let g1 = chain
        .call(alice, token, "transfer", &(bob, 1u128))
        .unwrap()
        .gas_used;
    let g2 = forked
        .call(alice, token, "transfer", &(bob, 1u128))
        .unwrap()
        .gas_used;
    assert_eq!(g1, g2, "the same call on the same state costs the same gas");
    for _ in 0..3 {
        chain.call(alice, token, "transfer", &(bob, 1u128)).unwrap();
    }
    let entry = chain.gas_report().get("Token", "transfer").unwrap();
    assert_eq!(entry.calls, 4);
    assert!(entry.min > 0 && entry.min <= entry.max);
    let table = chain.gas_report().to_string();
    assert!(table.contains("| Token | transfer | 4 |"), "{table}");
}

#[test]
fn a_hundred_calls_in_one_suite() {
    let (mut chain, token) = deployed();
    let alice = chain.alice();
    for i in 0..100u8 {
        let to = Address([i; 20]);
        chain.call(alice, token, "transfer", &(to, 1u128)).unwrap();
    }
    assert_eq!(balance(&chain, token, alice), 1_000_000 - 100);
}
