//! The AMM over two real token contracts: every token movement is a cross-contract call
//! through the VM; a token's revert reverts the swap.

use cairn_example_amm::{LiquidityAdded, Swap};
use cairn_example_token::Transfer;
use cairn_testkit::{Address, ReceiptStatus, TestChain};

struct Market {
    chain: TestChain,
    a: Address,
    b: Address,
    pool: Address,
}

fn market() -> Market {
    let token_wasm = cairn_testkit::contract_wasm!("../token");
    let pool_wasm = cairn_testkit::contract_wasm!();
    let mut chain = TestChain::new();
    let alice = chain.alice();
    let bob = chain.bob();
    let mut token = |name: &str| {
        chain
            .deploy(
                alice,
                &token_wasm,
                "new",
                &(name.to_owned(), name.to_owned(), 18u8, 10_000_000u128),
            )
            .unwrap()
    };
    let a = token("A");
    let b = token("B");
    let pool = chain
        .deploy(alice, &pool_wasm, "new", &(a, b, 30u16))
        .unwrap();
    for t in [a, b] {
        chain.call(alice, t, "approve", &(pool, u128::MAX)).unwrap();
        chain
            .call(alice, t, "transfer", &(bob, 100_000u128))
            .unwrap();
    }
    let r = chain
        .call(
            alice,
            pool,
            "add_liquidity",
            &(1_000_000u128, 2_000_000u128, 1u128),
        )
        .unwrap();
    assert_eq!(
        r.events_of::<LiquidityAdded>(),
        [LiquidityAdded {
            provider: alice,
            amount_a: 1_000_000,
            amount_b: 2_000_000,
            shares: 1_414_213
        }]
    );
    Market { chain, a, b, pool }
}

fn balance(chain: &TestChain, token: Address, who: Address) -> u128 {
    chain.view(token, "balance_of", &(who,)).unwrap()
}

#[test]
fn swap_moves_both_tokens_through_cross_contract_calls() {
    let Market {
        mut chain,
        a,
        b,
        pool,
    } = market();
    let bob = chain.bob();
    chain.call(bob, a, "approve", &(pool, 10_000u128)).unwrap();
    let quoted: u128 = chain.view(pool, "quote", &(a, 10_000u128)).unwrap();
    assert_eq!(quoted, 19_743);
    let r = chain
        .call(bob, pool, "swap", &(a, 10_000u128, quoted))
        .unwrap();
    assert_eq!(r.decode::<u128>().unwrap(), 19_743);
    // The tokens' events (emitted in nested calls) and the pool's, in order.
    let transfers = r.events_of::<Transfer>();
    assert_eq!(
        transfers,
        [
            Transfer {
                from: bob,
                to: pool,
                amount: 10_000
            },
            Transfer {
                from: pool,
                to: bob,
                amount: 19_743
            }
        ]
    );
    assert_eq!(r.events[0].contract, a);
    assert_eq!(r.events[1].contract, b);
    assert_eq!(
        r.events_of::<Swap>(),
        [Swap {
            trader: bob,
            token_in: a,
            amount_in: 10_000,
            amount_out: 19_743
        }]
    );
    assert_eq!(balance(&chain, a, bob), 90_000);
    assert_eq!(balance(&chain, b, bob), 119_743);
    assert_eq!(
        chain
            .view::<(u128, u128), _>(pool, "reserves", &())
            .unwrap(),
        (1_010_000, 1_980_257)
    );
}

#[test]
fn a_token_revert_inside_the_swap_reverts_everything() {
    let Market {
        mut chain,
        a,
        b,
        pool,
    } = market();
    let bob = chain.bob();
    // No allowance: the token's transfer_from reverts inside the pool's swap.
    let r = chain.call(bob, pool, "swap", &(a, 10_000u128, 1u128));
    assert_eq!(r.status, ReceiptStatus::Reverted);
    assert_eq!(
        r.revert_message(),
        Some("token call reverted: insufficient allowance: have 0, need 10000")
    );
    assert!(r.events.is_empty());
    assert_eq!(balance(&chain, a, bob), 100_000);
    assert_eq!(balance(&chain, b, bob), 100_000);
    assert_eq!(
        chain
            .view::<(u128, u128), _>(pool, "reserves", &())
            .unwrap(),
        (1_000_000, 2_000_000)
    );
    // Allowance but not the balance: the revert comes from deeper in the token.
    chain.call(bob, a, "approve", &(pool, u128::MAX)).unwrap();
    let r = chain.call(bob, pool, "swap", &(a, 200_000u128, 1u128));
    assert_eq!(
        r.revert_message(),
        Some("token call reverted: insufficient balance: have 100000, need 200000")
    );
}

#[test]
fn slippage_bound_and_liquidity_round_trip() {
    let Market {
        mut chain,
        a,
        b,
        pool,
    } = market();
    let (alice, bob) = (chain.alice(), chain.bob());
    chain.call(bob, a, "approve", &(pool, u128::MAX)).unwrap();
    let r = chain.call(bob, pool, "swap", &(a, 10_000u128, 19_744u128));
    assert_eq!(
        r.revert_message(),
        Some("slippage: output 19743 is below the minimum 19744")
    );
    let shares: u128 = chain.view(pool, "shares_of", &(alice,)).unwrap();
    let r = chain
        .call(alice, pool, "remove_liquidity", &(shares, 1u128, 1u128))
        .unwrap();
    let (out_a, out_b): (u128, u128) = r.decode().unwrap();
    assert_eq!((out_a, out_b), (1_000_000, 2_000_000));
    assert_eq!(
        chain
            .view::<(u128, u128), _>(pool, "reserves", &())
            .unwrap(),
        (0, 0)
    );
    assert_eq!(balance(&chain, a, alice), 10_000_000 - 100_000);
    assert_eq!(balance(&chain, b, alice), 10_000_000 - 100_000);
}
