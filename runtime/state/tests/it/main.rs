//! Integration tests of cairn-state: overlay and state against `BTreeMap` models, stores
//! agreeing, versions and pruning, the golden root, and kill -9 crash recovery.
// Test indices and sizes are small: casts between integer types cannot truncate here.
#![allow(clippy::cast_possible_truncation, clippy::cast_lossless)]

mod commit;
mod crash;
mod golden;
mod overlay;
mod versions;

use std::collections::BTreeMap;

use cairn_primitives::{Address, U256};
use cairn_state::{Account, StateChanges};

/// The logical contents of a state: accounts and storage.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Model {
    /// Live accounts.
    pub accounts: BTreeMap<Address, Account>,
    /// Live storage entries.
    pub storage: BTreeMap<(Address, Vec<u8>), Vec<u8>>,
}

impl Model {
    /// Applies one block's changes.
    pub fn apply(&mut self, c: &StateChanges) {
        for (a, v) in &c.accounts {
            match v {
                Some(v) => self.accounts.insert(*a, *v),
                None => self.accounts.remove(a),
            };
        }
        for (k, v) in &c.storage {
            match v {
                Some(v) => self.storage.insert(k.clone(), v.clone()),
                None => self.storage.remove(k),
            };
        }
    }
}

/// A deterministic address for index `i`.
pub fn addr(i: u64) -> Address {
    let mut a = [0u8; 20];
    a[12..].copy_from_slice(&i.to_be_bytes());
    Address(a)
}

/// A plain account.
pub fn account(nonce: u64, balance: u64) -> Account {
    Account {
        nonce,
        balance: U256::from(balance),
        code_hash: None,
        admin: None,
    }
}

/// Deterministic pseudo-random changes for version `v` over a pool of `pool` addresses.
pub fn changes_for(v: u64, pool: u64, n: u64) -> StateChanges {
    let mut s = v.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let mut c = StateChanges::default();
    for _ in 0..n {
        let a = addr(next() % pool);
        match next() % 8 {
            0 => {
                c.accounts.insert(a, None);
            }
            1 | 2 => {
                let key = vec![(next() % 4) as u8];
                let val = (!next().is_multiple_of(3)).then(|| v.to_be_bytes().to_vec());
                c.storage.insert((a, key), val);
            }
            _ => {
                c.accounts.insert(a, Some(account(v, next() % 1_000_000)));
            }
        }
    }
    c
}
