//! Malformed inputs return typed errors, never panic: truncated, trailing bytes, oversized,
//! wrong enum tags, non-canonical forms and broken field limits.

use cairn_primitives::limits::{MAX_ARGS_SIZE, MAX_CODE_SIZE, MAX_EVENT_TOPICS, MAX_TX_SIZE};
use cairn_primitives::{
    Block, BlockHeader, Call, Canonical, DecodeError, Deploy, Event, Hash, Receipt,
    SignedTransaction, Transaction, TxKind, U256,
};

use crate::fixtures;

/// Offset of the `TxKind` tag inside an encoded transaction: chain_id, nonce, gas_limit (u64
/// each) and gas_price (32 bytes) come first.
const KIND_TAG_OFFSET: usize = 8 * 3 + 32;

#[test]
fn truncated_input_is_truncated_error() {
    let bytes = fixtures::signed().encode();
    for len in [0, 1, 8, KIND_TAG_OFFSET, bytes.len() / 2, bytes.len() - 1] {
        assert_eq!(
            SignedTransaction::decode(&bytes[..len]),
            Err(DecodeError::Truncated {
                what: "SignedTransaction"
            }),
            "length {len}"
        );
    }
    let header = fixtures::header().encode();
    assert_eq!(
        BlockHeader::decode(&header[..header.len() - 1]),
        Err(DecodeError::Truncated {
            what: "BlockHeader"
        })
    );
}

#[test]
fn trailing_bytes_are_rejected() {
    let mut bytes = fixtures::signed().encode();
    bytes.extend_from_slice(&[0, 0]);
    assert_eq!(
        SignedTransaction::decode(&bytes),
        Err(DecodeError::TrailingBytes {
            what: "SignedTransaction",
            count: 2
        })
    );
    let mut bytes = fixtures::receipt().encode();
    bytes.push(1);
    assert_eq!(
        Receipt::decode(&bytes),
        Err(DecodeError::TrailingBytes {
            what: "Receipt",
            count: 1
        })
    );
}

#[test]
fn oversized_input_is_rejected_before_decoding() {
    let bytes = vec![0u8; MAX_TX_SIZE + 1];
    assert_eq!(
        SignedTransaction::decode(&bytes),
        Err(DecodeError::Oversized {
            what: "SignedTransaction",
            len: MAX_TX_SIZE + 1,
            max: MAX_TX_SIZE
        })
    );
    let mut header = fixtures::header().encode();
    header.push(0);
    assert!(matches!(
        BlockHeader::decode(&header),
        Err(DecodeError::Oversized { .. })
    ));
}

#[test]
fn unknown_enum_tags_are_typed() {
    let mut bytes = fixtures::transfer().encode();
    assert_eq!(bytes[KIND_TAG_OFFSET], 0, "transfer tag");
    bytes[KIND_TAG_OFFSET] = 6;
    assert_eq!(
        Transaction::decode(&bytes),
        Err(DecodeError::InvalidTag {
            what: "TxKind",
            tag: 6
        })
    );
    // Tag 5 is a dev op: the next byte is the op's tag (a transfer's address byte here).
    bytes[KIND_TAG_OFFSET] = 5;
    bytes[KIND_TAG_OFFSET + 1] = 9;
    assert_eq!(
        Transaction::decode(&bytes),
        Err(DecodeError::InvalidTag {
            what: "DevOp",
            tag: 9
        })
    );
    bytes[KIND_TAG_OFFSET] = 0xff;
    assert_eq!(
        Transaction::decode(&bytes),
        Err(DecodeError::InvalidTag {
            what: "TxKind",
            tag: 0xff
        })
    );

    let mut receipt = fixtures::receipt().encode();
    receipt[0] = 5;
    assert_eq!(
        Receipt::decode(&receipt),
        Err(DecodeError::InvalidTag {
            what: "ReceiptStatus",
            tag: 5
        })
    );
}

#[test]
fn non_canonical_option_and_utf8_are_rejected() {
    // Deploy: tag(1) | code len u32 | code | init option tag ...
    let tx = fixtures::deploy();
    let mut bytes = tx.encode();
    let TxKind::Deploy(d) = &tx.kind else {
        unreachable!()
    };
    let init_tag = KIND_TAG_OFFSET + 1 + 4 + d.code.len();
    assert_eq!(bytes[init_tag], 1, "init is Some");
    bytes[init_tag] = 2;
    assert!(matches!(
        Transaction::decode(&bytes),
        Err(DecodeError::NonCanonical { .. })
    ));

    // Call method "transfer": replace its first byte with 0xff (invalid UTF-8).
    let call = fixtures::call();
    let mut bytes = call.encode();
    let method_start = KIND_TAG_OFFSET + 1 + 20 + 4;
    assert_eq!(&bytes[method_start..method_start + 8], b"transfer");
    bytes[method_start] = 0xff;
    assert!(matches!(
        Transaction::decode(&bytes),
        Err(DecodeError::NonCanonical { .. })
    ));
}

#[test]
fn huge_length_prefix_does_not_allocate_or_panic() {
    let mut bytes = fixtures::call().encode();
    let len_at = KIND_TAG_OFFSET + 1 + 20;
    bytes[len_at..len_at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(Transaction::decode(&bytes).is_err());
}

fn call_with(method: &str, args: Vec<u8>) -> Transaction {
    let mut tx = fixtures::call();
    tx.kind = TxKind::Call(Call {
        to: Default::default(),
        method: method.into(),
        args,
        value: U256::zero(),
    });
    tx
}

#[test]
fn field_limits_are_enforced_at_their_edge() {
    assert!(Transaction::decode(&call_with("m", vec![0; MAX_ARGS_SIZE]).encode()).is_ok());
    assert_eq!(
        Transaction::decode(&call_with("m", vec![0; MAX_ARGS_SIZE + 1]).encode()),
        Err(DecodeError::FieldTooLarge {
            field: "call.args",
            len: MAX_ARGS_SIZE + 1,
            max: MAX_ARGS_SIZE
        })
    );
    assert!(matches!(
        Transaction::decode(&call_with("not-an-ident", vec![]).encode()),
        Err(DecodeError::InvalidField {
            field: "call.method",
            ..
        })
    ));

    let deploy = |size: usize| {
        let mut tx = fixtures::deploy();
        tx.kind = TxKind::Deploy(Deploy {
            code: vec![0; size],
            init: None,
            salt: None,
            value: U256::zero(),
            admin: None,
        });
        tx
    };
    assert!(Transaction::decode(&deploy(MAX_CODE_SIZE).encode()).is_ok());
    assert_eq!(
        Transaction::decode(&deploy(MAX_CODE_SIZE + 1).encode()),
        Err(DecodeError::FieldTooLarge {
            field: "deploy.code",
            len: MAX_CODE_SIZE + 1,
            max: MAX_CODE_SIZE
        })
    );

    let mut event = fixtures::event();
    event.topics = vec![Hash::ZERO; MAX_EVENT_TOPICS];
    assert!(Event::decode(&event.encode()).is_ok());
    event.topics.push(Hash::ZERO);
    assert!(matches!(
        Event::decode(&event.encode()),
        Err(DecodeError::FieldTooLarge {
            field: "event.topics",
            len: 5,
            max: 4
        })
    ));
}

#[test]
fn block_validates_its_transactions() {
    let mut block = fixtures::block();
    block.txs[0].tx = call_with("bad name", vec![]);
    assert!(matches!(
        Block::decode(&block.encode()),
        Err(DecodeError::InvalidField { .. })
    ));
}

#[test]
fn errors_have_clear_messages() {
    let e = SignedTransaction::decode(&[1, 2, 3]).unwrap_err();
    assert_eq!(e.to_string(), "SignedTransaction: input truncated");
    let e = Transaction::decode(&call_with("m", vec![0; MAX_ARGS_SIZE + 1]).encode()).unwrap_err();
    assert_eq!(e.to_string(), "call.args: 65537 exceeds the limit of 65536");
}
