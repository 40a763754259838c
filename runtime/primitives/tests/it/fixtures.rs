//! Fixed sample values of every primitive type, shared by the golden and malformed tests.

use cairn_primitives::{
    Address, Block, BlockHeader, Call, Deploy, Event, GasProfile, Hash, MethodCall, Receipt,
    ReceiptStatus, SecretKey, SignedTransaction, Transaction, Transfer, TxKind, U256,
};

pub(crate) fn key() -> SecretKey {
    SecretKey::from_bytes(&[0x11; 32])
}

pub(crate) fn transfer() -> Transaction {
    Transaction {
        chain_id: 7,
        nonce: 3,
        gas_limit: 21_000,
        gas_price: U256::from(2u8),
        kind: TxKind::Transfer(Transfer {
            to: Address([0xaa; 20]),
            amount: U256::from(1_000_000_000u64),
        }),
    }
}

pub(crate) fn deploy() -> Transaction {
    Transaction {
        chain_id: 7,
        nonce: 4,
        gas_limit: 5_000_000,
        gas_price: U256::from(1u8),
        kind: TxKind::Deploy(Deploy {
            code: b"\0asm\x01\0\0\0".to_vec(),
            init: Some(MethodCall {
                method: "new".into(),
                args: vec![1, 2, 3],
            }),
            salt: Some(Hash([0x5a; 32])),
            value: U256::zero(),
            admin: None,
        }),
    }
}

pub(crate) fn call() -> Transaction {
    Transaction {
        chain_id: 7,
        nonce: u64::MAX,
        gas_limit: u64::MAX,
        gas_price: U256::MAX,
        kind: TxKind::Call(Call {
            to: Address([0xbb; 20]),
            method: "transfer".into(),
            args: vec![0xff; 5],
            value: U256::from(42u8),
        }),
    }
}

pub(crate) fn signed() -> SignedTransaction {
    key().sign_tx(transfer())
}

pub(crate) fn header() -> BlockHeader {
    BlockHeader {
        parent_hash: Hash([1; 32]),
        height: 12,
        timestamp: 1_700_000_000_000,
        proposer: Address([2; 20]),
        tx_root: Hash([3; 32]),
        receipts_root: Hash([4; 32]),
        state_root: Hash([5; 32]),
        gas_used: 21_000,
        gas_limit: 30_000_000,
    }
}

pub(crate) fn block() -> Block {
    let txs = vec![signed(), key().sign_tx(call())];
    let mut block = Block {
        header: header(),
        txs,
    };
    block.header.tx_root = block.compute_tx_root();
    block
}

pub(crate) fn event() -> Event {
    Event {
        contract: Address([9; 20]),
        topics: vec![Hash::of(b"Transfer"), Hash([0; 32])],
        data: vec![0xde, 0xad],
    }
}

pub(crate) fn receipt() -> Receipt {
    Receipt {
        status: ReceiptStatus::Reverted,
        gas_used: 30_123,
        return_data: vec![],
        events: vec![event()],
        error: Some("insufficient balance".into()),
        gas_profile: GasProfile {
            intrinsic: 21_000,
            wasm: 6_000,
            storage: 3_000,
            events: 123,
            ..GasProfile::default()
        },
    }
}
