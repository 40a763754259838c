//! Integration tests of `cairn-mempool`: one module per concern, shared helpers here.

mod admission;
mod batch;
mod block;
mod eviction;
mod ordering;
mod props;
mod replacement;

use std::collections::BTreeMap;

use cairn_mempool::{AccountInfo, Mempool, MempoolConfig, RejectReason};
use cairn_primitives::{
    Address, Amount, Canonical, Gas, Hash, Nonce, SecretKey, SignedTransaction, Transaction,
    Transfer, TxKind,
};

/// The chain id every helper signs for.
pub const CHAIN: u64 = 7;
/// Gas limit of a plain transfer in these tests.
pub const GAS: Gas = 21_000;

/// A deterministic key.
pub fn key(i: u32) -> SecretKey {
    let mut seed = [0u8; 32];
    seed[..4].copy_from_slice(&i.to_le_bytes());
    seed[31] = 0xc4;
    SecretKey::from_bytes(&seed)
}

/// A transfer of `amount` to a fixed address.
pub fn transfer_tx(nonce: Nonce, gas_price: u64, gas_limit: Gas, amount: u64) -> Transaction {
    Transaction {
        chain_id: CHAIN,
        nonce,
        gas_limit,
        gas_price: Amount::from(gas_price),
        kind: TxKind::Transfer(Transfer {
            to: Address([0xaa; 20]),
            amount: Amount::from(amount),
        }),
    }
}

/// A signed transfer with the default gas limit and no value.
pub fn tx(k: &SecretKey, nonce: Nonce, gas_price: u64) -> SignedTransaction {
    k.sign_tx(transfer_tx(nonce, gas_price, GAS, 0))
}

/// A signed transfer with the given gas limit.
pub fn tx_gas(k: &SecretKey, nonce: Nonce, gas_price: u64, gas_limit: Gas) -> SignedTransaction {
    k.sign_tx(transfer_tx(nonce, gas_price, gas_limit, 0))
}

/// The hash the pool uses for a transaction.
pub fn hash(t: &SignedTransaction) -> Hash {
    Hash::of(&t.encode())
}

/// Committed accounts for the tests.
pub type Accounts = BTreeMap<Address, AccountInfo>;

/// Accounts for keys `0..n`, each with nonce 0 and a large balance.
pub fn rich(n: u32) -> Accounts {
    (0..n)
        .map(|i| {
            (
                key(i).address(),
                AccountInfo {
                    nonce: 0,
                    balance: Amount::from(u64::MAX),
                },
            )
        })
        .collect()
}

/// Sets one account.
pub fn set(accounts: &mut Accounts, k: &SecretKey, nonce: Nonce, balance: u64) {
    accounts.insert(
        k.address(),
        AccountInfo {
            nonce,
            balance: Amount::from(balance),
        },
    );
}

/// A config for chain [`CHAIN`] with single-threaded verification unless overridden.
pub fn config() -> MempoolConfig {
    let mut c = MempoolConfig::new(CHAIN);
    c.verify_threads = 1;
    c
}

/// A pool with [`config`] changed by `f`.
pub fn pool_with(f: impl FnOnce(&mut MempoolConfig)) -> Mempool {
    let mut c = config();
    f(&mut c);
    Mempool::new(c)
}

/// Asserts a rejection's `kind`, showing the reason on failure.
#[track_caller]
pub fn assert_kind(result: Result<Hash, RejectReason>, kind: &str) {
    match result {
        Err(reason) => assert_eq!(reason.kind(), kind, "got {reason}"),
        Ok(h) => panic!("expected {kind}, admitted {h}"),
    }
}

/// (sender, nonce) pairs of a selection.
pub fn order(txs: &[cairn_mempool::PooledTx]) -> Vec<(Address, Nonce)> {
    txs.iter().map(|p| (p.sender, p.tx.tx.nonce)).collect()
}
