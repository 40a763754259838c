//! Shared helpers: a dev genesis and signed transfers.

use std::net::SocketAddr;

use cairn_chain::{
    DEFAULT_BLOCK_GAS_LIMIT, Genesis, GenesisAccount, GenesisValidator, dev_account_key,
};
use cairn_primitives::{
    Address, Amount, SecretKey, SignedTransaction, Transaction, Transfer, TxKind,
};

pub(crate) const CHAIN_ID: u64 = 7;

pub(crate) fn validator() -> SecretKey {
    SecretKey::from_bytes(&[9u8; 32])
}

pub(crate) fn genesis(accounts: u32) -> Genesis {
    Genesis {
        chain_id: CHAIN_ID,
        timestamp: 1_700_000_000_000,
        block_gas_limit: DEFAULT_BLOCK_GAS_LIMIT,
        min_gas_price: Amount::one(),
        validators: vec![GenesisValidator {
            public_key: validator().public_key(),
            p2p_address: SocketAddr::from(([127, 0, 0, 1], 30_000)),
        }],
        accounts: (0..accounts)
            .map(|i| GenesisAccount {
                address: dev_account_key(i).address(),
                balance: Amount::from(10u64).pow(Amount::from(24u64)),
            })
            .collect(),
        dev_authority: None,
    }
}

pub(crate) fn transfer(
    from: &SecretKey,
    nonce: u64,
    to: Address,
    amount: u64,
) -> SignedTransaction {
    from.sign_tx(Transaction {
        chain_id: CHAIN_ID,
        nonce,
        gas_limit: 50_000,
        gas_price: Amount::from(3u64),
        kind: TxKind::Transfer(Transfer {
            to,
            amount: Amount::from(amount),
        }),
    })
}
