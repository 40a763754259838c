//! The state of height 0: prefunded accounts, as plain [`StateChanges`] the node commits
//! as version 0.
//!
//! ```text
//!   genesis file ─► [(address, balance)] ─► genesis_changes ─► State::commit (version 0)
//! ```

use std::collections::BTreeMap;

use cairn_primitives::{Address, Amount};
use cairn_state::{Account, StateChanges};

/// Most prefunded accounts in a genesis: it is one commit (one batch) and a genesis file
/// read from disk; a million accounts keeps both in the hundreds of megabytes at most.
pub const MAX_GENESIS_ACCOUNTS: usize = 1_000_000;

/// Why a genesis cannot be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GenesisError {
    /// More than [`MAX_GENESIS_ACCOUNTS`] accounts.
    #[error("genesis has {0} accounts, more than the limit")]
    TooManyAccounts(usize),
    /// The same address is listed twice.
    #[error("genesis lists {0} twice")]
    Duplicate(Address),
}

/// The changes creating the `prefunded` accounts (nonce 0, no code). Accounts with a zero
/// balance are still created, so a listed address always exists.
///
/// # Errors
/// Too many accounts or a duplicate address (a genesis file is external input).
pub fn genesis_changes(prefunded: &[(Address, Amount)]) -> Result<StateChanges, GenesisError> {
    if prefunded.len() > MAX_GENESIS_ACCOUNTS {
        return Err(GenesisError::TooManyAccounts(prefunded.len()));
    }
    let mut accounts = BTreeMap::new();
    for (address, balance) in prefunded {
        let account = Account {
            nonce: 0,
            balance: *balance,
            code_hash: None,
            admin: None,
        };
        if accounts.insert(*address, Some(account)).is_some() {
            return Err(GenesisError::Duplicate(*address));
        }
    }
    Ok(StateChanges {
        accounts,
        ..StateChanges::default()
    })
}
