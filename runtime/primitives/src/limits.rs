//! Every externally supplied length has a named maximum here, with the reason for the number.
//!
//! Decoders check these before allocating or hashing, so an adversarial peer or client cannot
//! make a node spend unbounded memory or time on one message.

/// Largest contract code accepted in a deploy: 512 KiB.
///
/// Between pallet-contracts (~123 KiB) and CosmWasm (800 KiB); a size-optimised Rust token
/// contract is well under 64 KiB, and compile time grows with size.
pub const MAX_CODE_SIZE: usize = 512 * 1024;

/// Largest argument payload of a call or an init: 64 KiB (CosmWasm's key limit, NEAR allows more
/// but the cost is paid by every validator on every re-execution).
pub const MAX_ARGS_SIZE: usize = 64 * 1024;

/// Longest method name: 64 bytes of `[A-Za-z_][A-Za-z0-9_]*`, enough for any Rust identifier
/// a contract author would type, short enough to log and index.
pub const MAX_METHOD_NAME_LEN: usize = 64;

/// Largest encoded signed transaction: the code limit plus 64 KiB of room for args and envelope.
pub const MAX_TX_SIZE: usize = MAX_CODE_SIZE + 64 * 1024;

/// Most topics on one event: 4, like the EVM's LOG4 and pallet-contracts.
pub const MAX_EVENT_TOPICS: usize = 4;

/// Largest data payload of one event: 16 KiB (pallet-contracts' payload cap).
pub const MAX_EVENT_DATA_SIZE: usize = 16 * 1024;

/// Most events one transaction may emit: 1,024, bounding receipt size to ~16 MiB worst case.
pub const MAX_EVENTS_PER_TX: usize = 1024;

/// Longest contract storage key: SDK collections use a short prefix plus a 32-byte hash or
/// a small index, so 128 bytes leaves room while bounding the flat index's key hashing.
pub const MAX_STORAGE_KEY_SIZE: usize = 128;

/// Longest contract storage value: one value is read into guest memory at once; 64 KiB
/// matches `MAX_ARGS_SIZE`/`MAX_RETURN_DATA_SIZE`, so a value always fits in a call.
pub const MAX_STORAGE_VALUE_SIZE: usize = 64 * 1024;

/// Largest return data of a call: 64 KiB, kept in the receipt and returned over RPC.
pub const MAX_RETURN_DATA_SIZE: usize = 64 * 1024;

/// Longest error message in a receipt: 1 KiB, enough for a revert reason, bounded for storage.
pub const MAX_ERROR_MESSAGE_LEN: usize = 1024;

/// Largest encoded receipt: the worst case allowed by the event, return and message limits.
pub const MAX_RECEIPT_SIZE: usize = MAX_EVENTS_PER_TX
    * (MAX_EVENT_DATA_SIZE + MAX_EVENT_TOPICS * 32 + 20 + 8)
    + MAX_RETURN_DATA_SIZE
    + MAX_ERROR_MESSAGE_LEN
    + 64
    + crate::GasProfile::ENCODED_SIZE;

/// Most transactions in one block: 65,536, a bound for decoding peers' blocks; the block gas
/// limit is the binding constraint in practice.
pub const MAX_BLOCK_TXS: usize = 65_536;

/// Largest encoded block: 64 MiB, the bound a node accepts from a peer before decoding.
pub const MAX_BLOCK_SIZE: usize = 64 * 1024 * 1024;

/// Size of an encoded block header (fixed: every field has a fixed width).
pub const BLOCK_HEADER_SIZE: usize = 32 + 8 + 8 + 20 + 32 * 3 + 8 + 8;
