//! JSON types of the API. Amounts are decimal strings, bytes `0x`-hex, counters numbers.

use std::fmt;
use std::str::FromStr;

use cairn_primitives::serde_helpers::{hex_bytes, u256_dec};
use cairn_primitives::{
    Address, Amount, BlockHeader, ChainId, Event, Gas, Hash, Height, Nonce, ReceiptStatus,
    SignedTransaction, Timestamp, TxKind,
};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Opaque bytes, `0x`-hex in JSON.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Bytes(#[serde(with = "hex_bytes")] pub Vec<u8>);

impl From<Vec<u8>> for Bytes {
    fn from(v: Vec<u8>) -> Self {
        Self(v)
    }
}

/// An amount as a JSON parameter: a decimal string (`"1000"`), like every amount Cairn
/// returns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AmountDec(#[serde(with = "u256_dec")] pub Amount);

/// Which block a query refers to: a height, a block hash, `"latest"` or `"finalized"`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BlockId {
    /// The newest block this node has executed (the default).
    #[default]
    Latest,
    /// The newest finalized block.
    Finalized,
    /// The block at this height.
    Height(Height),
    /// The block with this hash.
    Hash(Hash),
}

impl fmt::Display for BlockId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Latest => f.write_str("latest"),
            Self::Finalized => f.write_str("finalized"),
            Self::Height(h) => write!(f, "{h}"),
            Self::Hash(h) => write!(f, "{h}"),
        }
    }
}

impl FromStr for BlockId {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "latest" => Ok(Self::Latest),
            "finalized" => Ok(Self::Finalized),
            s if s.starts_with("0x") => s
                .parse()
                .map(Self::Hash)
                .map_err(|e| format!("block hash: {e}")),
            s => s.parse().map(Self::Height).map_err(|_| {
                format!(
                    "expected a height, a 0x block hash, \"latest\" or \"finalized\"; got {s:?}"
                )
            }),
        }
    }
}

impl Serialize for BlockId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Height(h) => s.serialize_u64(*h),
            other => s.collect_str(other),
        }
    }
}

impl<'de> Deserialize<'de> for BlockId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Height(u64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Height(h) => Ok(Self::Height(h)),
            Raw::Text(s) => s.parse().map_err(serde::de::Error::custom),
        }
    }
}

/// The head of the chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    /// Height of the latest block.
    pub height: Height,
    /// Its hash.
    pub hash: Hash,
    /// Its timestamp (milliseconds since the Unix epoch).
    pub timestamp: Timestamp,
}

/// An account as seen at some block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountInfo {
    /// The address asked about.
    pub address: Address,
    /// Balance in the smallest unit.
    #[serde(with = "u256_dec")]
    pub balance: Amount,
    /// Number of transactions sent (the next valid nonce).
    pub nonce: Nonce,
    /// Hash of the contract code, or `null` for a plain account.
    pub code_hash: Option<Hash>,
    /// Who may upgrade the contract's code; `null`: immutable (or a plain account).
    #[serde(default)]
    pub admin: Option<Address>,
}

/// A block, with its transactions as hashes or in full.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockInfo {
    /// The block hash.
    pub hash: Hash,
    /// The header.
    pub header: BlockHeader,
    /// The transactions.
    pub transactions: BlockTransactions,
}

/// A block's transactions: hashes only, or whole.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum BlockTransactions {
    /// Whole transactions, in block order (`full_txs = true`).
    Full(Vec<SignedTransaction>),
    /// Transaction hashes, in block order.
    Hashes(Vec<Hash>),
}

/// Where an included transaction is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxLocation {
    /// Height of the including block.
    pub block_height: Height,
    /// Hash of the including block.
    pub block_hash: Hash,
    /// Position in the block.
    pub index: u32,
}

/// An included transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxInfo {
    /// The transaction hash.
    pub hash: Hash,
    /// The sender (derived from the public key; for a devnet impersonation, the account
    /// acted for, while `transaction.public_key` is the dev authority's).
    pub from: Address,
    /// The signed transaction.
    pub transaction: SignedTransaction,
    /// Where it is.
    #[serde(flatten)]
    pub location: TxLocation,
}

/// An event with where it was emitted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventLog {
    /// The event.
    #[serde(flatten)]
    pub event: EventFields,
    /// Hash of the emitting transaction.
    pub tx_hash: Hash,
    /// Height of its block.
    pub block_height: Height,
    /// Position of the event within the block (across transactions).
    pub log_index: u32,
}

/// The fields of an [`Event`] in JSON (flattened into [`EventLog`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventFields {
    /// Emitting contract.
    pub contract: Address,
    /// Topics.
    pub topics: Vec<Hash>,
    /// Data.
    #[serde(with = "hex_bytes")]
    pub data: Vec<u8>,
}

impl From<Event> for EventFields {
    fn from(e: Event) -> Self {
        Self {
            contract: e.contract,
            topics: e.topics,
            data: e.data,
        }
    }
}

/// A receipt with the transaction's identity and location.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptInfo {
    /// The transaction hash.
    pub tx_hash: Hash,
    /// The sender.
    pub from: Address,
    /// The recipient or called contract; `null` for a deploy.
    pub to: Option<Address>,
    /// For a deploy: the new contract's address.
    pub contract_address: Option<Address>,
    /// How the transaction ended.
    pub status: ReceiptStatus,
    /// Gas charged.
    pub gas_used: Gas,
    /// What the method returned; on a revert, the contract's encoded error.
    #[serde(with = "hex_bytes")]
    pub return_data: Vec<u8>,
    /// Events emitted (empty on failure).
    pub events: Vec<EventLog>,
    /// Revert message or failure description (on a devnet, a trap's ends with the wasm
    /// backtrace, innermost function first).
    pub error: Option<String>,
    /// Gas by category; the categories add up to `gas_used`.
    #[serde(default)]
    pub gas_profile: GasProfileInfo,
    /// Where it is.
    #[serde(flatten)]
    pub location: TxLocation,
}

/// `node_health`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeHealth {
    /// True when the node is serving and not catching up.
    pub healthy: bool,
    /// Latest executed height.
    pub head: Height,
    /// Latest finalized height.
    pub finalized: Height,
    /// True while fetching and executing missed blocks.
    pub syncing: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_id_json_forms() {
        let cases = [
            ("\"latest\"", BlockId::Latest),
            ("\"finalized\"", BlockId::Finalized),
            ("12", BlockId::Height(12)),
            (
                "\"0x0101010101010101010101010101010101010101010101010101010101010101\"",
                BlockId::Hash(Hash([1; 32])),
            ),
        ];
        for (json, id) in cases {
            assert_eq!(serde_json::from_str::<BlockId>(json).unwrap(), id, "{json}");
            assert_eq!(serde_json::to_string(&id).unwrap(), json);
        }
        for bad in ["\"earliest\"", "-1", "\"0x12\"", "1.5", "null"] {
            assert!(serde_json::from_str::<BlockId>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn account_amounts_are_decimal_strings() {
        let a = AccountInfo {
            address: Address([1; 20]),
            balance: Amount::from(10u64).pow(Amount::from(30u64)),
            nonce: 3,
            code_hash: None,
            admin: None,
        };
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(json["balance"], "1000000000000000000000000000000");
        assert_eq!(json["nonce"], 3);
        assert_eq!(json["code_hash"], serde_json::Value::Null);
        assert_eq!(serde_json::from_value::<AccountInfo>(json).unwrap(), a);
    }
}

/// `node_info`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeInfo {
    /// The node's version (`cairn --version`).
    pub version: String,
    /// The chain id.
    pub chain_id: ChainId,
    /// The validators' public keys (0x-hex).
    pub validators: Vec<Bytes>,
    /// Connected peers (validators other than this one that are reachable).
    pub peers: u32,
    /// Latest executed height.
    pub head: Height,
    /// Latest finalized height.
    pub finalized: Height,
    /// True while catching up.
    pub syncing: bool,
    /// True on a devnet (the `dev_*` methods exist).
    pub dev: bool,
    /// The block gas limit.
    pub block_gas_limit: Gas,
    /// The lowest gas price the mempool admits (decimal string).
    #[serde(with = "u256_dec")]
    pub min_gas_price: Amount,
}

/// `events_get`'s filter.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventQuery {
    /// First height (inclusive); default: the head minus the range cap plus one, or 0.
    #[serde(default)]
    pub from_block: Option<Height>,
    /// Last height (inclusive); default: the head.
    #[serde(default)]
    pub to_block: Option<Height>,
    /// Only events of this contract.
    #[serde(default)]
    pub contract: Option<Address>,
    /// Only events whose first topic is this.
    #[serde(default)]
    pub topic: Option<Hash>,
}

/// A transaction waiting in the mempool.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingTx {
    /// Its hash.
    pub hash: Hash,
    /// The sender.
    pub from: Address,
    /// Its nonce.
    pub nonce: Nonce,
    /// Its gas price (decimal string).
    #[serde(with = "u256_dec")]
    pub gas_price: Amount,
    /// True when executable now (no nonce gap before it).
    pub ready: bool,
}

/// A dev account (devnet only).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevAccount {
    /// Its address.
    pub address: Address,
    /// Its secret key (0x-hex; public knowledge, never use on a real network).
    pub secret_key: Bytes,
    /// Its current balance (decimal string).
    #[serde(with = "u256_dec")]
    pub balance: Amount,
}

/// `dev_send`'s transaction.
pub type DevTransaction = TxRequest;

/// An unsigned transaction: what to do and from whom; the node fills what is left out
/// (`dev_send`, `tx_simulate`, `tx_estimateGas`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TxRequest {
    /// The sender (for `dev_send`: a dev account, see `dev_accounts`).
    pub from: Address,
    /// What the transaction does (`{"type": "transfer", "to", "amount"}`, `"deploy"`, `"call"`).
    pub kind: TxKind,
    /// Default: the sender's next nonce (`dev_send`: counting its pending transactions).
    #[serde(default)]
    pub nonce: Option<Nonce>,
    /// Default: the transaction's intrinsic gas plus [`DEV_DEFAULT_GAS_LIMIT`], capped at
    /// the block gas limit (`dev_send`: a large deploy's code costs more than the budget
    /// alone); the block gas limit (`tx_simulate`).
    #[serde(default)]
    pub gas_limit: Option<Gas>,
    /// Default: the node's minimum gas price (decimal string).
    #[serde(default, with = "opt_u256_dec")]
    pub gas_price: Option<Amount>,
}

/// The execution budget `dev_send` gives a transaction on top of its intrinsic gas when no
/// gas limit is given.
pub const DEV_DEFAULT_GAS_LIMIT: Gas = 10_000_000;

mod opt_u256_dec {
    use cairn_primitives::Amount;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(v: &Option<Amount>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(a) => s.collect_str(a),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Amount>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(s) => cairn_primitives::parse_amount(&s)
                .map(Some)
                .map_err(serde::de::Error::custom),
        }
    }
}

/// An account's fields in a state diff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountState {
    /// Balance (decimal string).
    #[serde(with = "u256_dec")]
    pub balance: Amount,
    /// Nonce.
    pub nonce: Nonce,
    /// Code hash of a contract.
    pub code_hash: Option<Hash>,
    /// The contract's admin, if upgradable.
    #[serde(default)]
    pub admin: Option<Address>,
}

/// One account a transaction changes: before and after (`null` = absent).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountDiff {
    /// The account.
    pub address: Address,
    /// Before.
    pub before: Option<AccountState>,
    /// After.
    pub after: Option<AccountState>,
}

/// One storage value a transaction changes: before and after (`null` = unset).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageDiff {
    /// The contract.
    pub contract: Address,
    /// The key.
    pub key: Bytes,
    /// Before.
    pub before: Option<Bytes>,
    /// After.
    pub after: Option<Bytes>,
}

/// `tx_simulate`'s result: what inclusion on the same state would do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimulationInfo {
    /// How it would end.
    pub status: ReceiptStatus,
    /// Gas it would burn (identical to inclusion on the same state).
    pub gas_used: Gas,
    /// What the method would return; on a revert, the contract's encoded error.
    #[serde(with = "hex_bytes")]
    pub return_data: Vec<u8>,
    /// Events it would emit.
    pub events: Vec<EventFields>,
    /// Revert message or failure description.
    pub error: Option<String>,
    /// For a deploy: the contract's address.
    pub contract_address: Option<Address>,
    /// Accounts it would change (fees and nonce included), by address.
    pub accounts: Vec<AccountDiff>,
    /// Storage values it would change, by contract then key.
    pub storage: Vec<StorageDiff>,
    /// The contract calls it would make, nested, with every host call.
    #[serde(default)]
    pub calls: Vec<CallFrameInfo>,
    /// Its gas by category.
    #[serde(default)]
    pub gas_profile: GasProfileInfo,
}

/// A transaction's gas by where it went (receipts, `tx_simulate`, `tx_trace`); the
/// categories add up to `gas_used`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GasProfileInfo {
    /// Intrinsic gas (base, per byte, per code byte).
    pub intrinsic: Gas,
    /// Wasm instructions and memory growth.
    pub wasm: Gas,
    /// Storage reads, writes and removals.
    pub storage: Gas,
    /// Events.
    pub events: Gas,
    /// Base cost of nested calls and deploys (callees' gas is split by category too).
    pub calls: Gas,
    /// Hashing and signature checks.
    pub crypto: Gas,
    /// Other host calls: input and output copies, context reads, balances, logs.
    pub host: Gas,
}

/// One contract execution in a call tree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallFrameInfo {
    /// The caller.
    pub caller: Address,
    /// The contract run.
    pub contract: Address,
    /// The method.
    pub method: String,
    /// Value sent (decimal string).
    #[serde(with = "u256_dec")]
    pub value: Amount,
    /// Gas given.
    pub gas_limit: Gas,
    /// Gas used, nested calls included.
    pub gas_used: Gas,
    /// `"success"` or why it failed.
    pub outcome: String,
    /// Return data (revert data on a revert).
    #[serde(with = "hex_bytes")]
    pub return_data: Vec<u8>,
    /// Its host calls, in order.
    pub steps: Vec<TraceStepInfo>,
    /// Its nested calls, in order.
    pub calls: Vec<CallFrameInfo>,
}

/// One host call: the import, its gas, the gas left after it, and what it touched.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceStepInfo {
    /// The import (`storage_read`, `storage_write`, `emit_event`, `call`, …; `callee` for
    /// the gas of the nested call that just returned).
    pub op: String,
    /// Gas it charged.
    pub gas: Gas,
    /// Gas left after it.
    pub gas_left: Gas,
    /// Storage key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<Bytes>,
    /// Storage value read (`null`: absent) or written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Option<Bytes>>,
    /// Whether a removed key existed, or whether a transfer happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ok: Option<bool>,
    /// Event topics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topics: Option<Vec<Hash>>,
    /// Event data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Bytes>,
    /// Account of a balance read, or the payer of a transfer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// Payee of a transfer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Address>,
    /// Balance read or amount moved (decimal string).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
}

/// `tx_trace`'s result: an included transaction re-executed on its parent state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceInfo {
    /// The transaction.
    pub tx_hash: Hash,
    /// Where it is.
    #[serde(flatten)]
    pub location: TxLocation,
    /// How it ended (as its receipt says).
    pub status: ReceiptStatus,
    /// Gas it burned (as its receipt says).
    pub gas_used: Gas,
    /// Revert message or failure description.
    pub error: Option<String>,
    /// Its gas by category.
    pub gas_profile: GasProfileInfo,
    /// Its contract calls, nested, with every host call.
    pub calls: Vec<CallFrameInfo>,
}

/// Most transactions one `tx_sendBatch` call may carry (the request body limit also applies).
pub const MAX_SEND_BATCH: usize = 1_000;

/// One transaction's outcome in `tx_sendBatch`: its hash once admitted, or why not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendOutcome {
    /// The transaction hash, when admitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<Hash>,
    /// The rejection, with the code and message `tx_send` would have returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<SendError>,
}

/// A rejection inside `tx_sendBatch`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendError {
    /// The Cairn error code (see [`crate::ErrorCode`]).
    pub code: i32,
    /// What was wrong.
    pub message: String,
}

/// `contract_view`'s result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewResult {
    /// What the method returned; on a revert, the contract's encoded error.
    #[serde(with = "hex_bytes")]
    pub return_data: Vec<u8>,
    /// Gas it used.
    pub gas_used: Gas,
    /// Events it emitted (nothing is written).
    pub events: Vec<EventFields>,
}

/// One internal node of a trie proof (16-ary sparse Merkle tree, docs/state.md).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrieProofNode {
    /// Which of the 16 children are present (bit i = nibble i).
    pub bitmap: u16,
    /// Hashes of the present children other than the one on the key's path, nibble order.
    pub siblings: Vec<Hash>,
}

/// The leaf occupying the key's slot, if any.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrieLeaf {
    /// Its key hash.
    pub key_hash: Hash,
    /// Keccak-256 of its value.
    pub value_hash: Hash,
}

/// A Merkle proof of a key's value or absence against a state root.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrieProof {
    /// Internal nodes from the root down.
    pub nodes: Vec<TrieProofNode>,
    /// The leaf under the last node on the key's path.
    pub leaf: Option<TrieLeaf>,
}

/// A storage value with its proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageProof {
    /// The key.
    pub key: Bytes,
    /// Its value (`null` = unset, proved absent).
    pub value: Option<Bytes>,
    /// The proof (trie key `storage_key(contract, key)`, value the raw bytes).
    pub proof: TrieProof,
}

/// `state_getProof`'s result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofInfo {
    /// The block whose state is proved.
    pub block_height: Height,
    /// That block's `state_root`, the root every proof verifies against.
    pub state_root: Hash,
    /// The account (`null` = absent, proved absent).
    pub account: Option<AccountState>,
    /// Its proof (trie key `account_key(address)`, value the canonical account encoding).
    pub account_proof: TrieProof,
    /// The requested storage values.
    pub storage: Vec<StorageProof>,
}
