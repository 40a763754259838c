//! Property tests: every value round-trips, and every byte string the decoder accepts
//! re-encodes to exactly itself (the encoding is canonical).

use cairn_primitives::{
    Address, Block, BlockHeader, Call, Canonical, Deploy, DevAccountState, DevImpersonate, DevOp,
    DevRestore, DevSetAccount, DevSetCode, DevSetStorage, Event, GasProfile, Hash, MethodCall,
    Receipt, ReceiptStatus, SetAdmin, SignedTransaction, Transaction, Transfer, TxKind, U256,
    Upgrade,
};
use proptest::prelude::*;

fn hash() -> impl Strategy<Value = Hash> {
    any::<[u8; 32]>().prop_map(Hash)
}
fn address() -> impl Strategy<Value = Address> {
    any::<[u8; 20]>().prop_map(Address)
}
fn amount() -> impl Strategy<Value = U256> {
    any::<[u64; 4]>().prop_map(U256)
}
fn method() -> impl Strategy<Value = String> {
    "[a-zA-Z_][a-zA-Z0-9_]{0,63}"
}
fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..max)
}

fn user_kind() -> impl Strategy<Value = TxKind> {
    prop_oneof![
        (address(), amount()).prop_map(|(to, amount)| TxKind::Transfer(Transfer { to, amount })),
        (
            bytes(300),
            proptest::option::of(
                (method(), bytes(50)).prop_map(|(method, args)| MethodCall { method, args })
            ),
            proptest::option::of(hash()),
            amount(),
            proptest::option::of(address()),
        )
            .prop_map(|(code, init, salt, value, admin)| TxKind::Deploy(Deploy {
                code,
                init,
                salt,
                value,
                admin,
            })),
        (address(), method(), bytes(100), amount()).prop_map(|(to, method, args, value)| {
            TxKind::Call(Call {
                to,
                method,
                args,
                value,
            })
        }),
        (address(), bytes(300), bytes(50)).prop_map(|(contract, code, migrate_args)| {
            TxKind::Upgrade(Upgrade {
                contract,
                code,
                migrate_args,
            })
        }),
        (address(), proptest::option::of(address()))
            .prop_map(|(contract, admin)| TxKind::SetAdmin(SetAdmin { contract, admin })),
    ]
}

fn dev_account() -> impl Strategy<Value = DevSetAccount> {
    (
        address(),
        proptest::option::of(
            (
                any::<u64>(),
                amount(),
                proptest::option::of(hash()),
                proptest::option::of(address()),
            )
                .prop_map(|(nonce, balance, code_hash, admin)| DevAccountState {
                    nonce,
                    balance,
                    code_hash,
                    admin,
                }),
        ),
    )
        .prop_map(|(address, account)| DevSetAccount { address, account })
}

fn dev_storage() -> impl Strategy<Value = DevSetStorage> {
    (address(), bytes(128), proptest::option::of(bytes(100))).prop_map(|(contract, key, value)| {
        DevSetStorage {
            contract,
            key,
            value,
        }
    })
}

/// Every kind, dev overrides included.
fn kind() -> impl Strategy<Value = TxKind> {
    prop_oneof![
        4 => user_kind(),
        1 => dev_account().prop_map(|a| TxKind::Dev(DevOp::SetAccount(a))),
        1 => dev_storage().prop_map(|s| TxKind::Dev(DevOp::SetStorage(s))),
        1 => (address(), bytes(300))
            .prop_map(|(address, code)| TxKind::Dev(DevOp::SetCode(DevSetCode { address, code }))),
        1 => (address(), any::<u64>(), user_kind()).prop_map(|(from, from_nonce, kind)| {
            TxKind::Dev(DevOp::Impersonate(DevImpersonate {
                from,
                from_nonce,
                kind: Box::new(kind),
            }))
        }),
        1 => (
            proptest::collection::vec(dev_account(), 0..4),
            proptest::collection::vec(dev_storage(), 0..4)
        )
            .prop_map(|(accounts, storage)| TxKind::Dev(DevOp::Restore(DevRestore {
                accounts,
                storage
            }))),
    ]
}

#[test]
fn an_impersonated_dev_op_does_not_decode() {
    let inner = TxKind::Dev(DevOp::SetCode(DevSetCode {
        address: Address([1; 20]),
        code: vec![0],
    }));
    let tx = Transaction {
        chain_id: 1,
        nonce: 0,
        gas_limit: 1,
        gas_price: U256::from(1u64),
        kind: TxKind::Dev(DevOp::Impersonate(DevImpersonate {
            from: Address([2; 20]),
            from_nonce: 0,
            kind: Box::new(inner),
        })),
    };
    let bytes = borsh::to_vec(&tx).expect("encodes");
    assert!(matches!(
        Transaction::decode(&bytes),
        Err(cairn_primitives::DecodeError::InvalidTag { tag: 5, .. })
    ));
}

fn transaction() -> impl Strategy<Value = Transaction> {
    (any::<u64>(), any::<u64>(), any::<u64>(), amount(), kind()).prop_map(
        |(chain_id, nonce, gas_limit, gas_price, kind)| Transaction {
            chain_id,
            nonce,
            gas_limit,
            gas_price,
            kind,
        },
    )
}

fn signed() -> impl Strategy<Value = SignedTransaction> {
    (
        transaction(),
        any::<[u8; 32]>(),
        any::<[u8; 32]>(),
        any::<[u8; 32]>(),
    )
        .prop_map(|(tx, public_key, s1, s2)| {
            let mut signature = [0u8; 64];
            signature[..32].copy_from_slice(&s1);
            signature[32..].copy_from_slice(&s2);
            SignedTransaction {
                tx,
                public_key,
                signature,
            }
        })
}

fn header() -> impl Strategy<Value = BlockHeader> {
    (
        hash(),
        any::<u64>(),
        any::<u64>(),
        address(),
        hash(),
        hash(),
        hash(),
        any::<u64>(),
        any::<u64>(),
    )
        .prop_map(
            |(
                parent_hash,
                height,
                timestamp,
                proposer,
                tx_root,
                receipts_root,
                state_root,
                gas_used,
                gas_limit,
            )| {
                BlockHeader {
                    parent_hash,
                    height,
                    timestamp,
                    proposer,
                    tx_root,
                    receipts_root,
                    state_root,
                    gas_used,
                    gas_limit,
                }
            },
        )
}

fn event() -> impl Strategy<Value = Event> {
    (
        address(),
        proptest::collection::vec(hash(), 0..=4),
        bytes(64),
    )
        .prop_map(|(contract, topics, data)| Event {
            contract,
            topics,
            data,
        })
}

fn receipt() -> impl Strategy<Value = Receipt> {
    (
        prop_oneof![
            Just(ReceiptStatus::Success),
            Just(ReceiptStatus::Reverted),
            Just(ReceiptStatus::OutOfGas),
            Just(ReceiptStatus::Trapped),
            Just(ReceiptStatus::Failed)
        ],
        any::<u64>(),
        bytes(64),
        proptest::collection::vec(event(), 0..4),
        proptest::option::of("[ -~]{0,80}"),
        any::<[u64; 7]>(),
    )
        .prop_map(
            |(status, gas_used, return_data, events, error, g)| Receipt {
                status,
                gas_used,
                return_data,
                events,
                error,
                gas_profile: GasProfile {
                    intrinsic: g[0],
                    wasm: g[1],
                    storage: g[2],
                    events: g[3],
                    calls: g[4],
                    crypto: g[5],
                    host: g[6],
                },
            },
        )
}

fn round_trips<T: Canonical + PartialEq + std::fmt::Debug>(value: &T) {
    let bytes = value.encode();
    let back = T::decode(&bytes).expect("a valid value decodes");
    assert_eq!(&back, value);
    assert_eq!(back.encode(), bytes);
}

/// Flips, truncates or extends an encoding; whatever the decoder accepts must re-encode to
/// the same bytes (one encoding per value), and nothing may panic.
fn mutated_is_canonical_or_rejected<T: Canonical>(
    mut bytes: Vec<u8>,
    op: u8,
    pos: usize,
    byte: u8,
) {
    if !bytes.is_empty() {
        let i = pos % bytes.len();
        match op % 4 {
            0 => bytes[i] = byte,
            1 => bytes.truncate(i),
            2 => bytes.insert(i, byte),
            _ => bytes.push(byte),
        }
    }
    if let Ok(v) = T::decode(&bytes) {
        assert_eq!(v.encode(), bytes, "accepted a non-canonical encoding");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn transaction_round_trips(tx in transaction()) { round_trips(&tx); }

    #[test]
    fn signed_transaction_round_trips(tx in signed()) { round_trips(&tx); }

    #[test]
    fn header_round_trips(h in header()) { round_trips(&h); }

    #[test]
    fn block_round_trips(header in header(), txs in proptest::collection::vec(signed(), 0..4)) {
        round_trips(&Block { header, txs });
    }

    #[test]
    fn receipt_round_trips(r in receipt()) { round_trips(&r); }

    #[test]
    fn event_round_trips(e in event()) { round_trips(&e); }

    #[test]
    fn json_round_trips(tx in signed(), r in receipt(), h in header()) {
        let back: SignedTransaction = serde_json::from_str(&serde_json::to_string(&tx).unwrap()).unwrap();
        prop_assert_eq!(back, tx);
        let back: Receipt = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        prop_assert_eq!(back, r);
        let back: BlockHeader = serde_json::from_str(&serde_json::to_string(&h).unwrap()).unwrap();
        prop_assert_eq!(back, h);
    }

    #[test]
    fn mutated_signed_tx(tx in signed(), op in any::<u8>(), pos in any::<usize>(), byte in any::<u8>()) {
        mutated_is_canonical_or_rejected::<SignedTransaction>(tx.encode(), op, pos, byte);
    }

    #[test]
    fn mutated_receipt(r in receipt(), op in any::<u8>(), pos in any::<usize>(), byte in any::<u8>()) {
        mutated_is_canonical_or_rejected::<Receipt>(r.encode(), op, pos, byte);
    }

    #[test]
    fn mutated_block(header in header(), txs in proptest::collection::vec(signed(), 0..3),
                     op in any::<u8>(), pos in any::<usize>(), byte in any::<u8>()) {
        mutated_is_canonical_or_rejected::<Block>(Block { header, txs }.encode(), op, pos, byte);
    }

    #[test]
    fn random_bytes_never_panic(data in bytes(400)) {
        let _ = SignedTransaction::decode(&data);
        let _ = Transaction::decode(&data);
        let _ = Block::decode(&data);
        let _ = Receipt::decode(&data);
        let _ = BlockHeader::decode(&data);
        let _ = Event::decode(&data);
    }
}
