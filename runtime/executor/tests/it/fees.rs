//! Fee accounting: the sender pays exactly gas_used × price + value, the proposer gets
//! the fees, and the total supply is conserved — over random blocks of transfers.

use cairn_executor::test_utils::{Signer, mem_state};
use cairn_primitives::{Address, Amount};
use proptest::prelude::*;

use crate::common::{CHAIN, PROPOSER, balance, env, executor};

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn random_transfer_blocks_conserve_supply(
        txs in prop::collection::vec((0u64..4, 0u8..6, 0u64..2_000_000, 1u64..5, 21_000u64..60_000), 1..20),
        funds in prop::collection::vec(0u64..3_000_000, 4),
    ) {
        let mut signers: Vec<Signer> = (0..4).map(|i| Signer::new(i, CHAIN)).collect();
        let genesis: Vec<_> = signers.iter().zip(&funds).map(|(s, f)| (s.address(), Amount::from(*f))).collect();
        let state = mem_state(&genesis);
        let supply: Amount = funds.iter().map(|f| Amount::from(*f)).fold(Amount::zero(), |a, b| a + b);
        let mut candidates = Vec::new();
        for (from, to, amount, price, gas) in txs {
            let s = &mut signers[usize::try_from(from).unwrap()];
            s.gas_price = Amount::from(price);
            candidates.push(s.transfer(Address([to; 20]), amount, gas));
        }
        let built = executor().build(&state, &env(1), &candidates).unwrap();
        // every included transaction: sender pays gas_used × price + value exactly
        let mut expected = std::collections::BTreeMap::new();
        for (tx, r) in built.txs.iter().zip(&built.outcome.receipts) {
            let cost = Amount::from(r.gas_used) * tx.tx.gas_price + tx.tx.value();
            *expected.entry(tx.sender()).or_insert(Amount::zero()) += cost;
        }
        state.commit(&built.outcome.changes).unwrap();
        for (s, f) in signers.iter().zip(&funds) {
            let paid = expected.get(&s.address()).copied().unwrap_or_default();
            prop_assert_eq!(balance(&state, &s.address()), Amount::from(*f) - paid);
        }
        let fees: Amount = built.txs.iter().zip(&built.outcome.receipts)
            .map(|(t, r)| Amount::from(r.gas_used) * t.tx.gas_price)
            .fold(Amount::zero(), |a, b| a + b);
        prop_assert_eq!(balance(&state, &PROPOSER), fees);
        let mut total = balance(&state, &PROPOSER);
        for s in &signers { total += balance(&state, &s.address()); }
        for to in 0..6u8 { total += balance(&state, &Address([to; 20])); }
        prop_assert_eq!(total, supply);
        prop_assert_eq!(built.txs.len() + built.skipped.len(), candidates.len());
    }
}
