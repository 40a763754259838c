//! The genesis file: everything a chain starts from, in one JSON document every validator
//! shares (chain id, validators, prefunded accounts, block gas limit, minimum gas price).
//!
//! ```text
//! cairn init ──► genesis.json ──► Genesis::load ──► validate ──► state_changes() ─► State v0
//!                                                           └──► block(state_root) ─► block 0
//! ```
//!
//! The genesis block commits to the genesis state through its `state_root`, so two nodes
//! with different genesis files can never agree on block 1.

use std::net::SocketAddr;
use std::path::Path;

use cairn_executor::{GenesisError, genesis_changes};
use cairn_primitives::serde_helpers::{hex_array, u256_dec};
use cairn_primitives::{
    Address, Amount, Block, BlockHeader, ChainId, Gas, Hash, Timestamp, limits, merkle_root,
};
use cairn_state::StateChanges;
use serde::{Deserialize, Serialize};

/// Largest genesis file read: a million prefunded accounts at ~100 JSON bytes each.
pub const MAX_GENESIS_FILE_BYTES: u64 = 128 * 1024 * 1024;

/// Smallest block gas limit a genesis may set: one plain transfer must fit.
pub const MIN_BLOCK_GAS_LIMIT: Gas = cairn_executor::TX_BASE_GAS;

/// The default block gas limit of `cairn init` and the devnet.
pub const DEFAULT_BLOCK_GAS_LIMIT: Gas = 100_000_000;

/// Why a genesis file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum GenesisFileError {
    /// The file cannot be read or written.
    #[error("genesis file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is larger than [`MAX_GENESIS_FILE_BYTES`].
    #[error("genesis file {path} is {len} bytes, over the limit of {MAX_GENESIS_FILE_BYTES}")]
    TooLarge {
        /// The file.
        path: String,
        /// Its size.
        len: u64,
    },
    /// The JSON does not parse into a genesis.
    #[error("genesis file {path}: {source}")]
    Json {
        /// The file.
        path: String,
        /// The parse error (with line and column).
        source: serde_json::Error,
    },
    /// A rule of [`Genesis::validate`] is broken.
    #[error("invalid genesis: {0}")]
    Invalid(String),
    /// The prefunded accounts are not usable.
    #[error("invalid genesis accounts: {0}")]
    Accounts(#[from] GenesisError),
}

/// A validator of the genesis set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisValidator {
    /// Its ed25519 public key (0x-hex, 32 bytes): consensus and p2p identity.
    #[serde(with = "hex_array")]
    pub public_key: [u8; 32],
    /// Where its p2p listener is reachable.
    pub p2p_address: SocketAddr,
}

/// A prefunded account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisAccount {
    /// The account.
    pub address: Address,
    /// Its starting balance (decimal string).
    #[serde(with = "u256_dec")]
    pub balance: Amount,
}

/// The genesis file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    /// The chain id every transaction must carry.
    pub chain_id: ChainId,
    /// Timestamp of the genesis block (milliseconds since the Unix epoch).
    pub timestamp: Timestamp,
    /// Most gas one block's transactions may use together.
    pub block_gas_limit: Gas,
    /// Lowest gas price the mempool admits (decimal string).
    #[serde(with = "u256_dec")]
    pub min_gas_price: Amount,
    /// The validator set.
    pub validators: Vec<GenesisValidator>,
    /// Prefunded accounts.
    pub accounts: Vec<GenesisAccount>,
    /// The devnet's dev authority: the only signer of dev overrides (`dev_setBalance`,
    /// `dev_impersonate`, `dev_revert`, …). Absent on every real network, which then
    /// refuses them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dev_authority: Option<Address>,
}

impl Genesis {
    /// Reads and validates a genesis file.
    ///
    /// # Errors
    /// An unreadable, oversized, malformed or invalid file.
    pub fn load(path: &Path) -> Result<Self, GenesisFileError> {
        let shown = path.display().to_string();
        let io = |source| GenesisFileError::Io {
            path: shown.clone(),
            source,
        };
        let len = std::fs::metadata(path).map_err(io)?.len();
        if len > MAX_GENESIS_FILE_BYTES {
            return Err(GenesisFileError::TooLarge { path: shown, len });
        }
        let bytes = std::fs::read(path).map_err(io)?;
        let genesis: Self =
            serde_json::from_slice(&bytes).map_err(|source| GenesisFileError::Json {
                path: shown.clone(),
                source,
            })?;
        genesis.validate()?;
        Ok(genesis)
    }

    /// Writes the genesis as pretty JSON.
    ///
    /// # Errors
    /// When the file cannot be written.
    pub fn save(&self, path: &Path) -> Result<(), GenesisFileError> {
        let json = serde_json::to_vec_pretty(self).map_err(|source| GenesisFileError::Json {
            path: path.display().to_string(),
            source,
        })?;
        std::fs::write(path, json).map_err(|source| GenesisFileError::Io {
            path: path.display().to_string(),
            source,
        })
    }

    /// Checks the rules a chain relies on: at least one validator and no duplicate key or
    /// address, a block gas limit of at least [`MIN_BLOCK_GAS_LIMIT`], a positive minimum
    /// gas price, and usable prefunded accounts (no duplicates, total supply fits).
    ///
    /// # Errors
    /// [`GenesisFileError::Invalid`] or [`GenesisFileError::Accounts`] naming the first
    /// broken rule.
    pub fn validate(&self) -> Result<(), GenesisFileError> {
        let invalid = |m: String| Err(GenesisFileError::Invalid(m));
        if self.validators.is_empty() {
            return invalid("no validators".into());
        }
        let mut keys: Vec<_> = self.validators.iter().map(|v| v.public_key).collect();
        keys.sort_unstable();
        keys.dedup();
        if keys.len() != self.validators.len() {
            return invalid("duplicate validator public key".into());
        }
        for v in &self.validators {
            if ed25519_dalek::VerifyingKey::from_bytes(&v.public_key).is_err() {
                return invalid(format!(
                    "validator key 0x{} is not an ed25519 point",
                    hex::encode(v.public_key)
                ));
            }
        }
        if self.block_gas_limit < MIN_BLOCK_GAS_LIMIT {
            return invalid(format!(
                "block_gas_limit {} is below the minimum {MIN_BLOCK_GAS_LIMIT}",
                self.block_gas_limit
            ));
        }
        if self.min_gas_price.is_zero() {
            return invalid("min_gas_price must be positive".into());
        }
        let mut supply = Amount::zero();
        for a in &self.accounts {
            supply = supply.checked_add(a.balance).ok_or_else(|| {
                GenesisFileError::Invalid("total supply of the accounts exceeds 2^256 - 1".into())
            })?;
        }
        let _ = self.state_changes()?;
        Ok(())
    }

    /// The prefunded accounts as state changes (version 0 of the state).
    ///
    /// # Errors
    /// Duplicate accounts, too many accounts, or a total supply over `U256`.
    pub fn state_changes(&self) -> Result<StateChanges, GenesisError> {
        let prefunded: Vec<(Address, Amount)> = self
            .accounts
            .iter()
            .map(|a| (a.address, a.balance))
            .collect();
        genesis_changes(&prefunded)
    }

    /// The genesis block (height 0, no transactions) over the genesis state `state_root`.
    #[must_use]
    pub fn block(&self, state_root: Hash) -> Block {
        Block {
            header: BlockHeader {
                parent_hash: Hash::ZERO,
                height: 0,
                timestamp: self.timestamp,
                proposer: Address::ZERO,
                tx_root: merkle_root(&[]),
                receipts_root: merkle_root(&[]),
                state_root,
                gas_used: 0,
                gas_limit: self.block_gas_limit,
            },
            txs: Vec::new(),
        }
    }

    /// The consensus namespace of this chain: `b"cairn-" ‖ chain id (decimal)`, so a vote
    /// for one chain is never valid on another.
    #[must_use]
    pub fn namespace(&self) -> Vec<u8> {
        format!("cairn-{}", self.chain_id).into_bytes()
    }
}

/// Largest block a proposer builds, in transactions (the protocol's limit).
pub const MAX_BLOCK_TXS: usize = limits::MAX_BLOCK_TXS;

pub use cairn_primitives::{DEV_ACCOUNT_DOMAIN, dev_account_key};

/// Most dev accounts a genesis may be generated with.
pub const MAX_DEV_ACCOUNTS: u32 = 10_000;
