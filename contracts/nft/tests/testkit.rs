//! The NFT collection on the real VM and executor.

use cairn_example_nft::{Approval, Transfer};
use cairn_testkit::{Address, TestChain};

fn deployed() -> (TestChain, Address) {
    let wasm = cairn_testkit::contract_wasm!();
    let mut chain = TestChain::new();
    let nft = chain
        .deploy(
            chain.alice(),
            &wasm,
            "new",
            &("Cats".to_owned(), "CAT".to_owned()),
        )
        .unwrap();
    (chain, nft)
}

#[test]
fn mint_transfer_and_approve() {
    let (mut chain, nft) = deployed();
    let (alice, bob, carol) = (chain.alice(), chain.bob(), chain.carol());
    let r = chain
        .call(alice, nft, "mint", &(bob, "ipfs://cat/1".to_owned()))
        .unwrap();
    assert_eq!(r.decode::<u64>().unwrap(), 1);
    assert_eq!(
        r.events_of::<Transfer>(),
        [Transfer {
            from: Address([0; 20]),
            to: bob,
            token_id: 1
        }]
    );
    assert_eq!(
        chain
            .view::<Option<Address>, _>(nft, "owner_of", &(1u64,))
            .unwrap(),
        Some(bob)
    );
    assert_eq!(
        chain
            .view::<Option<String>, _>(nft, "token_uri", &(1u64,))
            .unwrap()
            .as_deref(),
        Some("ipfs://cat/1")
    );
    let r = chain.call(carol, nft, "transfer_from", &(bob, carol, 1u64));
    assert_eq!(r.revert_message(), Some("caller may not move token 1"));
    let r = chain.call(bob, nft, "approve", &(carol, 1u64)).unwrap();
    assert_eq!(r.events_of::<Approval>().len(), 1);
    chain
        .call(carol, nft, "transfer_from", &(bob, carol, 1u64))
        .unwrap();
    assert_eq!(
        chain.view::<u64, _>(nft, "balance_of", &(carol,)).unwrap(),
        1
    );
    assert_eq!(chain.view::<u64, _>(nft, "balance_of", &(bob,)).unwrap(), 0);
    let r = chain.call(bob, nft, "mint", &(bob, String::new()));
    assert_eq!(r.revert_message(), Some("only the minter can mint"));
}
