//! What the state holds and where: accounts and contract storage are keys of one trie
//! (and of the flat index), code is stored once by hash beside them.
//!
//! ```text
//! account key  = 0x00 ‖ address (20)             value = Account (borsh)
//! storage key  = 0x01 ‖ address (20) ‖ key bytes  value = raw bytes
//! trie / flat key = keccak(state key)             code: Column::Code, keccak(code) → code
//! ```

use borsh::{BorshDeserialize, BorshSerialize};
use cairn_primitives::{Address, Amount, Canonical, Hash, Nonce, keccak256, keccak256_parts};
use cairn_trie::KeyHash;

use crate::{Result, StateError};

pub use cairn_primitives::limits::{MAX_STORAGE_KEY_SIZE, MAX_STORAGE_VALUE_SIZE};

/// Domain byte of account keys.
pub const ACCOUNT_TAG: u8 = 0x00;
/// Domain byte of contract storage keys.
pub const STORAGE_TAG: u8 = 0x01;

/// An account: transaction counter, native balance, and for a contract the hash of its
/// code and its admin (who may upgrade it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Account {
    /// Next transaction nonce.
    pub nonce: Nonce,
    /// Native balance.
    #[borsh(
        serialize_with = "cairn_primitives::u256_borsh::serialize",
        deserialize_with = "cairn_primitives::u256_borsh::deserialize"
    )]
    pub balance: Amount,
    /// keccak of the contract's code; `None` for a plain account.
    pub code_hash: Option<Hash>,
    /// Who may upgrade the contract's code; `None`: the code is immutable (and always
    /// `None` for a plain account).
    pub admin: Option<Address>,
}

impl Canonical for Account {
    const NAME: &'static str = "Account";
    /// nonce 8 + balance 32 + option tag 1 + hash 32 + option tag 1 + address 20.
    const MAX_SIZE: usize = 94;
}

/// The trie/flat key of `address`'s account.
#[must_use]
pub fn account_key(address: &Address) -> KeyHash {
    keccak256_parts(&[&[ACCOUNT_TAG], &address.0])
}

/// The trie/flat key of contract `address`'s storage `key`.
///
/// # Errors
/// [`StateError::KeyTooLarge`] over [`MAX_STORAGE_KEY_SIZE`].
pub fn storage_key(address: &Address, key: &[u8]) -> Result<KeyHash> {
    check_storage_key(key)?;
    Ok(keccak256_parts(&[&[STORAGE_TAG], &address.0, key]))
}

pub(crate) fn check_storage_key(key: &[u8]) -> Result<()> {
    if key.len() > MAX_STORAGE_KEY_SIZE {
        return Err(StateError::KeyTooLarge {
            len: key.len(),
            max: MAX_STORAGE_KEY_SIZE,
        });
    }
    Ok(())
}

pub(crate) fn check_storage_value(value: &[u8]) -> Result<()> {
    if value.len() > MAX_STORAGE_VALUE_SIZE {
        return Err(StateError::ValueTooLarge {
            len: value.len(),
            max: MAX_STORAGE_VALUE_SIZE,
        });
    }
    Ok(())
}

/// keccak of `code`: its address in the code store.
#[must_use]
pub fn code_hash(code: &[u8]) -> Hash {
    Hash(keccak256(code))
}

pub(crate) fn decode_account(bytes: &[u8]) -> Result<Account> {
    Account::decode(bytes).map_err(|e| StateError::Corrupt(format!("account: {e}")))
}
