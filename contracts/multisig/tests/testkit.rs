//! The multisig executing real calls on a token contract and plain value transfers.

use cairn_example_multisig::Executed;
use cairn_testkit::{Address, CallOptions, TestChain};

#[test]
fn owners_move_tokens_and_value_after_the_threshold() {
    let token_wasm = cairn_testkit::contract_wasm!("../token");
    let wasm = cairn_testkit::contract_wasm!();
    let mut chain = TestChain::new();
    let (a, b, c) = (chain.alice(), chain.bob(), chain.carol());
    let out = chain.account(3);
    let wallet = chain
        .deploy(a, &wasm, "new", &(vec![a, b, c], 2u32))
        .unwrap();
    let token = chain
        .deploy(
            a,
            &token_wasm,
            "new",
            &("T".to_owned(), "T".to_owned(), 0u8, 1_000u128),
        )
        .unwrap();
    chain
        .call(a, token, "transfer", &(wallet, 400u128))
        .unwrap();

    // A token transfer by the wallet: proposed, confirmed, executed.
    let args = borsh::to_vec(&(out, 150u128)).unwrap();
    let id: u64 = chain
        .call(
            a,
            wallet,
            "propose",
            &(token, "transfer".to_owned(), args, 0u128),
        )
        .unwrap()
        .decode()
        .unwrap();
    let r = chain.call(c, wallet, "execute", &(id,));
    assert_eq!(r.revert_message(), Some("not enough confirmations"));
    chain.call(b, wallet, "confirm", &(id,)).unwrap();
    let r = chain.call(c, wallet, "execute", &(id,)).unwrap();
    assert_eq!(r.events_of::<Executed>(), [Executed { id }]);
    assert_eq!(
        chain.view::<u128, _>(token, "balance_of", &(out,)).unwrap(),
        150
    );
    assert_eq!(
        chain
            .view::<u128, _>(token, "balance_of", &(wallet,))
            .unwrap(),
        250
    );

    // A call the target refuses reverts the execution; the proposal stays pending.
    let too_much = borsh::to_vec(&(out, 10_000u128)).unwrap();
    let id2: u64 = chain
        .call(
            a,
            wallet,
            "propose",
            &(token, "transfer".to_owned(), too_much, 0u128),
        )
        .unwrap()
        .decode()
        .unwrap();
    chain.call(b, wallet, "confirm", &(id2,)).unwrap();
    let r = chain.call(a, wallet, "execute", &(id2,));
    assert_eq!(
        r.revert_message(),
        Some("call reverted: insufficient balance: have 250, need 10000")
    );
    let p: Option<(Address, String, Vec<u8>, u128, u32, bool)> =
        chain.view(wallet, "proposal", &(id2,)).unwrap();
    assert_eq!(p.map(|p| (p.4, p.5)), Some((2, false)));

    // Native value: deposited, then sent by an executed proposal.
    chain
        .call_with(
            a,
            wallet,
            "deposit",
            &(),
            CallOptions {
                value: 1_000,
                ..CallOptions::default()
            },
        )
        .unwrap();
    let before = chain.balance(out);
    let id3: u64 = chain
        .call(
            b,
            wallet,
            "propose",
            &(out, String::new(), Vec::<u8>::new(), 700u128),
        )
        .unwrap()
        .decode()
        .unwrap();
    chain.call(c, wallet, "confirm", &(id3,)).unwrap();
    chain.call(a, wallet, "execute", &(id3,)).unwrap();
    assert_eq!(chain.balance(out), before + 700);
    assert_eq!(chain.balance(wallet), 300);
}
