//! Helpers for tests of this crate and of crates built on it (feature `test-utils`):
//! deterministic keys, signed transactions, and a funded in-memory state.
//!
//! ```text
//!   key(i) ─► Signer { nonce } ─► transfer / call / deploy ─► SignedTransaction
//!   mem_state(&[(address, balance)]) ─► State<MemStore> at version 0
//! ```

use cairn_primitives::{
    Address, Amount, Call, Deploy, Gas, Hash, MethodCall, SecretKey, SignedTransaction,
    Transaction, Transfer, TxKind,
};
use cairn_state::{State, StateConfig};
use cairn_storage::{KvStore, MemStore};

use crate::genesis_changes;

/// The deterministic secret key number `i` (seed = `i` as 8 bytes little-endian, padded).
#[must_use]
pub fn key(i: u64) -> SecretKey {
    let mut seed = [0x5au8; 32];
    seed[..8].copy_from_slice(&i.to_le_bytes());
    SecretKey::from_bytes(&seed)
}

/// Signs transactions for one key, counting its nonce.
pub struct Signer {
    /// The key.
    pub key: SecretKey,
    /// The next nonce.
    pub nonce: u64,
    /// Chain id put in every transaction.
    pub chain_id: u64,
    /// Gas price put in every transaction.
    pub gas_price: Amount,
}

impl Signer {
    /// Key number `i`, nonce 0, gas price 1.
    #[must_use]
    pub fn new(i: u64, chain_id: u64) -> Self {
        Self {
            key: key(i),
            nonce: 0,
            chain_id,
            gas_price: Amount::one(),
        }
    }

    /// The same key and settings with the nonce set to `nonce`.
    #[must_use]
    pub fn clone_at(&self, nonce: u64) -> Self {
        Self {
            key: SecretKey::from_bytes(&self.key.to_bytes()),
            nonce,
            chain_id: self.chain_id,
            gas_price: self.gas_price,
        }
    }

    /// The signer's address.
    #[must_use]
    pub fn address(&self) -> Address {
        self.key.address()
    }

    /// Signs `kind` with the next nonce and `gas_limit`.
    pub fn sign(&mut self, gas_limit: Gas, kind: TxKind) -> SignedTransaction {
        let tx = Transaction {
            chain_id: self.chain_id,
            nonce: self.nonce,
            gas_limit,
            gas_price: self.gas_price,
            kind,
        };
        self.nonce += 1;
        self.key.sign_tx(tx)
    }

    /// A transfer.
    pub fn transfer(&mut self, to: Address, amount: u64, gas_limit: Gas) -> SignedTransaction {
        self.sign(
            gas_limit,
            TxKind::Transfer(Transfer {
                to,
                amount: Amount::from(amount),
            }),
        )
    }

    /// A call of `method` with `args` and `value`.
    pub fn call(
        &mut self,
        to: Address,
        method: &str,
        args: &[u8],
        value: u64,
        gas_limit: Gas,
    ) -> SignedTransaction {
        self.sign(
            gas_limit,
            TxKind::Call(Call {
                to,
                method: method.into(),
                args: args.to_vec(),
                value: Amount::from(value),
            }),
        )
    }

    /// A deploy of `code`, running `init` (method, args) if given.
    pub fn deploy(
        &mut self,
        code: &[u8],
        init: Option<(&str, &[u8])>,
        salt: Option<Hash>,
        value: u64,
        gas_limit: Gas,
    ) -> SignedTransaction {
        self.sign(
            gas_limit,
            TxKind::Deploy(Deploy {
                code: code.to_vec(),
                init: init.map(|(m, a)| MethodCall {
                    method: m.into(),
                    args: a.to_vec(),
                }),
                salt,
                value: Amount::from(value),
                admin: None,
            }),
        )
    }
}

/// A state over `store` whose version 0 holds `prefunded` (no background pruning).
///
/// # Panics
/// On a store failure or an invalid genesis (test helper).
#[must_use]
pub fn funded_state<S: KvStore + 'static>(store: S, prefunded: &[(Address, Amount)]) -> State<S> {
    let config = StateConfig {
        background_pruning: false,
        sync_commits: false,
        ..StateConfig::default()
    };
    let state = State::open(store, config).expect("open state");
    state
        .commit(&genesis_changes(prefunded).expect("genesis"))
        .expect("genesis commit");
    state
}

/// [`funded_state`] in memory.
#[must_use]
pub fn mem_state(prefunded: &[(Address, Amount)]) -> State<MemStore> {
    funded_state(MemStore::new(), prefunded)
}
