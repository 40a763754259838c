//! One test per admission rule, each at its edge: exactly at the limit passes, one over fails.

use cairn_mempool::RejectReason;
use cairn_primitives::{Amount, Call, Canonical, DecodeError, TxKind, U256};

use crate::*;

#[test]
fn size_limit_is_inclusive() {
    let k = key(0);
    let t = tx(&k, 0, 1);
    let bytes = t.encode();
    let at = pool_with(|c| c.max_tx_bytes = bytes.len());
    assert_eq!(at.insert(bytes.clone(), &rich(1)), Ok(hash(&t)));
    let under = pool_with(|c| c.max_tx_bytes = bytes.len() - 1);
    assert_eq!(
        under.insert(bytes.clone(), &rich(1)),
        Err(RejectReason::Oversized {
            size: bytes.len(),
            max: bytes.len() - 1
        })
    );
    // The same limit applies to already-decoded input (on its encoding).
    assert!(matches!(
        under.insert(t, &rich(1)),
        Err(RejectReason::Oversized { .. })
    ));
    assert!(under.is_empty());
}

#[test]
fn size_limit_never_exceeds_the_protocol_limit() {
    use cairn_primitives::{Deploy, limits::MAX_TX_SIZE};
    let k = key(0);
    let mut t = transfer_tx(0, 1, GAS, 0);
    t.kind = TxKind::Deploy(Deploy {
        code: vec![0; MAX_TX_SIZE],
        init: None,
        salt: None,
        value: Amount::zero(),
        admin: None,
    });
    let signed = k.sign_tx(t);
    let size = signed.encode().len();
    let pool = pool_with(|c| c.max_tx_bytes = usize::MAX);
    assert_eq!(
        pool.insert(signed.encode(), &rich(1)),
        Err(RejectReason::Oversized {
            size,
            max: MAX_TX_SIZE
        })
    );
    assert_eq!(
        pool.insert(signed, &rich(1)),
        Err(RejectReason::Oversized {
            size,
            max: MAX_TX_SIZE
        })
    );
}

#[test]
fn non_canonical_bytes_are_malformed() {
    let bytes = tx(&key(0), 0, 1).encode();
    let pool = pool_with(|_| {});
    let accounts = rich(1);
    assert_eq!(
        pool.insert(bytes[..bytes.len() - 1].to_vec(), &accounts),
        Err(RejectReason::Malformed(DecodeError::Truncated {
            what: "SignedTransaction"
        }))
    );
    let mut trailing = bytes.clone();
    trailing.push(0);
    assert!(matches!(
        pool.insert(trailing, &accounts),
        Err(RejectReason::Malformed(DecodeError::TrailingBytes {
            count: 1,
            ..
        }))
    ));
    let mut bad_tag = bytes.clone();
    // chain_id(8) nonce(8) gas_limit(8) gas_price(32) then the TxKind tag.
    bad_tag[56] = 9;
    assert!(matches!(
        pool.insert(bad_tag, &accounts),
        Err(RejectReason::Malformed(DecodeError::InvalidTag {
            tag: 9,
            ..
        }))
    ));
    assert_eq!(pool.insert(bytes, &accounts).map(|_| ()), Ok(()));
}

#[test]
fn decoded_input_still_checks_field_limits() {
    let k = key(0);
    let mut t = transfer_tx(0, 1, GAS, 0);
    t.kind = TxKind::Call(Call {
        to: k.address(),
        method: "1bad".into(),
        args: vec![],
        value: Amount::zero(),
    });
    let signed = k.sign_tx(t);
    let pool = pool_with(|_| {});
    assert!(matches!(
        pool.insert(signed, &rich(1)),
        Err(RejectReason::Malformed(DecodeError::InvalidField { .. }))
    ));
}

#[test]
fn wrong_chain_id() {
    let k = key(0);
    let mut t = transfer_tx(0, 1, GAS, 0);
    t.chain_id = CHAIN + 1;
    let pool = pool_with(|_| {});
    assert_eq!(
        pool.insert(k.sign_tx(t), &rich(1)),
        Err(RejectReason::WrongChainId {
            expected: CHAIN,
            got: CHAIN + 1
        })
    );
    assert!(pool.insert(tx(&k, 0, 1), &rich(1)).is_ok());
}

#[test]
fn minimum_gas_price_is_inclusive() {
    let k = key(0);
    let pool = pool_with(|c| c.min_gas_price = Amount::from(10));
    assert_eq!(
        pool.insert(tx(&k, 0, 9), &rich(1)),
        Err(RejectReason::GasPriceTooLow {
            min: Amount::from(10),
            got: Amount::from(9)
        })
    );
    assert!(pool.insert(tx(&k, 0, 10), &rich(1)).is_ok());
}

#[test]
fn gas_limit_bound_is_inclusive() {
    let k = key(0);
    let pool = pool_with(|c| c.max_tx_gas = 50_000);
    assert_eq!(
        pool.insert(tx_gas(&k, 0, 1, 50_001), &rich(1)),
        Err(RejectReason::GasLimitTooHigh {
            max: 50_000,
            got: 50_001
        })
    );
    assert!(pool.insert(tx_gas(&k, 0, 1, 50_000), &rich(1)).is_ok());
}

#[test]
fn intrinsic_gas_is_a_lower_bound_on_the_gas_limit() {
    let k = key(0);
    let size = tx(&k, 0, 1).encode().len() as u64;
    let pool = pool_with(|c| {
        c.intrinsic_gas_base = 20_000;
        c.intrinsic_gas_per_byte = 10;
    });
    let min = 20_000 + 10 * size;
    assert_eq!(
        pool.insert(tx_gas(&k, 0, 1, min - 1), &rich(1)),
        Err(RejectReason::GasLimitTooLow { min, got: min - 1 })
    );
    assert!(pool.insert(tx_gas(&k, 0, 1, min), &rich(1)).is_ok());
}

#[test]
fn a_deploy_pays_intrinsic_gas_for_its_code() {
    use cairn_primitives::Deploy;
    let k = key(0);
    let deploy = |gas_limit| {
        let mut t = transfer_tx(0, 1, gas_limit, 0);
        t.kind = TxKind::Deploy(Deploy {
            code: vec![0; 1_000],
            init: None,
            salt: None,
            value: Amount::zero(),
            admin: None,
        });
        k.sign_tx(t)
    };
    let size = deploy(0).encode().len() as u64;
    let pool = pool_with(|c| {
        c.intrinsic_gas_base = 20_000;
        c.intrinsic_gas_per_byte = 10;
        c.intrinsic_gas_deploy_base = 30_000;
        c.intrinsic_gas_per_code_byte = 200;
    });
    // Without the code's cost the transaction could never execute: refused at the door,
    // not dropped silently by the block builder later.
    let min = 20_000 + 10 * size + 30_000 + 200 * 1_000;
    assert_eq!(
        pool.insert(deploy(min - 1), &rich(1)),
        Err(RejectReason::GasLimitTooLow { min, got: min - 1 })
    );
    assert!(pool.insert(deploy(min), &rich(1)).is_ok());
}

#[test]
fn cost_overflow_is_a_rejection_not_a_panic() {
    let k = key(0);
    let mut accounts = rich(1);
    accounts.get_mut(&k.address()).expect("funded").balance = U256::MAX;
    let pool = pool_with(|_| {});
    // gas_limit 1 × price MAX + value 0 = MAX: fits exactly.
    let mut fits = transfer_tx(0, 1, 1, 0);
    fits.gas_price = U256::MAX;
    // … + value 1 overflows.
    let mut over = fits.clone();
    over.kind = TxKind::Transfer(cairn_primitives::Transfer {
        to: k.address(),
        amount: Amount::one(),
    });
    assert_eq!(
        pool.insert(k.sign_tx(over), &accounts),
        Err(RejectReason::CostOverflow {
            gas_limit: 1,
            gas_price: U256::MAX,
            value: Amount::one()
        })
    );
    // gas_limit 2 × MAX overflows in the multiplication.
    let mut twice = fits.clone();
    twice.gas_limit = 2;
    assert_kind(pool.insert(k.sign_tx(twice), &accounts), "cost_overflow");
    assert!(pool.insert(k.sign_tx(fits), &accounts).is_ok());
}

#[test]
fn duplicate_hash_is_already_known() {
    let k = key(0);
    let t = tx(&k, 0, 1);
    let pool = pool_with(|_| {});
    assert!(pool.insert(t.clone(), &rich(1)).is_ok());
    assert_eq!(
        pool.insert(t.encode(), &rich(1)),
        Err(RejectReason::AlreadyKnown(hash(&t)))
    );
    assert_eq!(pool.len(), 1);
}

#[test]
fn bad_signature_and_wrong_key_are_rejected() {
    let k = key(0);
    let mut t = tx(&k, 0, 1);
    t.signature[10] ^= 1;
    let pool = pool_with(|_| {});
    assert_eq!(pool.insert(t, &rich(2)), Err(RejectReason::BadSignature));
    let mut other = tx(&k, 0, 1);
    other.public_key = key(1).public_key();
    assert_eq!(
        pool.insert(other, &rich(2)),
        Err(RejectReason::BadSignature)
    );
    // A small-order public key (the identity point) is rejected by strict verification.
    let mut weak = tx(&k, 0, 1);
    weak.public_key = [0; 32];
    weak.public_key[0] = 1;
    assert_eq!(pool.insert(weak, &rich(2)), Err(RejectReason::BadSignature));
    assert!(pool.is_empty());
}

#[test]
fn nonce_below_account_is_too_low() {
    let k = key(0);
    let mut accounts = rich(1);
    set(&mut accounts, &k, 5, u64::MAX);
    let pool = pool_with(|_| {});
    assert_eq!(
        pool.insert(tx(&k, 4, 1), &accounts),
        Err(RejectReason::NonceTooLow { account: 5, got: 4 })
    );
    assert!(pool.insert(tx(&k, 5, 1), &accounts).is_ok());
}

#[test]
fn nonce_ahead_is_bounded() {
    let k = key(0);
    let mut accounts = rich(1);
    set(&mut accounts, &k, 5, u64::MAX);
    let pool = pool_with(|c| c.max_nonce_ahead = 3);
    assert_eq!(
        pool.insert(tx(&k, 9, 1), &accounts),
        Err(RejectReason::NonceTooHigh {
            account: 5,
            max: 8,
            got: 9
        })
    );
    assert!(pool.insert(tx(&k, 8, 1), &accounts).is_ok());
}

#[test]
fn balance_must_cover_max_cost_exactly() {
    let k = key(0);
    // cost = 21_000 × 3 + 100 = 63_100
    let t = k.sign_tx(transfer_tx(0, 3, GAS, 100));
    let mut accounts = rich(1);
    set(&mut accounts, &k, 0, 63_099);
    let pool = pool_with(|_| {});
    assert_eq!(
        pool.insert(t.clone(), &accounts),
        Err(RejectReason::InsufficientBalance {
            have: Amount::from(63_099),
            need: Amount::from(63_100)
        })
    );
    set(&mut accounts, &k, 0, 63_100);
    assert!(pool.insert(t, &accounts).is_ok());
}

#[test]
fn balance_must_cover_all_pooled_txs_of_the_sender() {
    let k = key(0);
    let mut accounts = rich(1);
    set(&mut accounts, &k, 0, 2 * GAS);
    let pool = pool_with(|_| {});
    assert!(pool.insert(tx(&k, 0, 1), &accounts).is_ok());
    assert!(pool.insert(tx(&k, 1, 1), &accounts).is_ok());
    assert_eq!(
        pool.insert(tx(&k, 2, 1), &accounts),
        Err(RejectReason::InsufficientBalance {
            have: Amount::from(2 * GAS),
            need: Amount::from(3 * GAS)
        })
    );
    // A replacement counts its own cost instead of the replaced one's.
    assert_kind(pool.insert(tx(&k, 1, 2), &accounts), "insufficient_balance");
    set(&mut accounts, &k, 0, 3 * GAS);
    assert!(pool.insert(tx(&k, 1, 2), &accounts).is_ok());
}

#[test]
fn sender_slot_limit_is_inclusive() {
    let k = key(0);
    let accounts = rich(2);
    let pool = pool_with(|c| c.max_txs_per_sender = 3);
    for n in 0..3 {
        assert!(pool.insert(tx(&k, n, 1), &accounts).is_ok());
    }
    assert_eq!(
        pool.insert(tx(&k, 3, 1), &accounts),
        Err(RejectReason::SenderFull {
            sender: k.address(),
            max: 3
        })
    );
    // A replacement takes no new slot; other senders are unaffected.
    assert!(pool.insert(tx(&k, 2, 2), &accounts).is_ok());
    assert!(pool.insert(tx(&key(1), 0, 1), &accounts).is_ok());
    assert_eq!(pool.len(), 4);
    // Gapped transactions count towards the slots too.
    let pool = pool_with(|c| {
        c.max_txs_per_sender = 2;
        c.max_future_per_sender = 5;
    });
    assert!(pool.insert(tx(&k, 7, 1), &accounts).is_ok());
    assert!(pool.insert(tx(&k, 9, 1), &accounts).is_ok());
    assert_kind(pool.insert(tx(&k, 0, 1), &accounts), "sender_full");
}

#[test]
fn gapped_txs_per_sender_are_bounded() {
    let k = key(0);
    let pool = pool_with(|c| c.max_future_per_sender = 2);
    let accounts = rich(1);
    // Account nonce 0; 2 and 3 wait behind the gap at 0..1.
    assert!(pool.insert(tx(&k, 2, 1), &accounts).is_ok());
    assert!(pool.insert(tx(&k, 3, 1), &accounts).is_ok());
    assert_eq!(
        pool.insert(tx(&k, 5, 1), &accounts),
        Err(RejectReason::TooManyFuture {
            sender: k.address(),
            max: 2
        })
    );
    // Executable nonces are always welcome: 0 and 1 close the gap, and then 4 is ready too.
    assert!(pool.insert(tx(&k, 0, 1), &accounts).is_ok());
    assert!(pool.insert(tx(&k, 1, 1), &accounts).is_ok());
    assert!(pool.insert(tx(&k, 4, 1), &accounts).is_ok());
    assert!(pool.pending(Some(&k.address())).iter().all(|p| p.ready));
}

#[test]
fn first_rule_broken_is_reported() {
    let k = key(0);
    let mut t = transfer_tx(0, 0, GAS, 0);
    t.chain_id = 99;
    let mut signed = k.sign_tx(t);
    signed.signature[0] ^= 1;
    let pool = pool_with(|c| c.min_gas_price = Amount::from(5));
    // Wrong chain, too cheap and badly signed: the chain id is checked first.
    assert_kind(pool.insert(signed, &rich(1)), "wrong_chain_id");
    // Too cheap and unfunded: the gas price is checked before the balance.
    let mut accounts = rich(1);
    set(&mut accounts, &k, 0, 0);
    assert_kind(pool.insert(tx(&k, 0, 1), &accounts), "gas_price_too_low");
}

#[test]
fn rejection_messages_carry_the_values() {
    let r = RejectReason::NonceTooLow { account: 5, got: 4 };
    assert_eq!(r.to_string(), "nonce 4 is below the account nonce 5");
    let r = RejectReason::ReplacementUnderpriced {
        pooled: Amount::from(1000),
        required: Amount::from(1100),
        got: Amount::from(1099),
    };
    assert_eq!(
        r.to_string(),
        "replacement gas price 1099 is below the required 1100 (pooled: 1000)"
    );
    assert!(!r.is_transient());
    assert!(
        RejectReason::PoolFull {
            lowest: Amount::one(),
            got: Amount::one()
        }
        .is_transient()
    );
}
