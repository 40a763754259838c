//! Receipts and events: what executing a transaction did, as every node records it.

use alloc::string::String;
use alloc::vec::Vec;

use borsh::io::{Read, Result as IoResult, Write};
use borsh::{BorshDeserialize, BorshSerialize};

use crate::codec::{bad_tag, check_len, read_tag};
use crate::limits::{
    MAX_ERROR_MESSAGE_LEN, MAX_EVENT_DATA_SIZE, MAX_EVENT_TOPICS, MAX_EVENTS_PER_TX,
    MAX_RECEIPT_SIZE, MAX_RETURN_DATA_SIZE,
};
use crate::{Address, Canonical, DecodeError, Gas, Hash};

/// How a transaction ended. Every variant but `Success` reverted the transaction's state
/// changes; the fee was charged and the nonce bumped in all cases.
#[derive(Clone, Copy, Debug, PartialEq, Eq, core::hash::Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum ReceiptStatus {
    /// Executed to completion (tag 0).
    Success,
    /// The contract reverted, with a message in the receipt's `error` (tag 1).
    Reverted,
    /// Gas ran out; execution stopped at the limit (tag 2).
    OutOfGas,
    /// The contract trapped: unreachable, division by zero, out-of-bounds access, stack
    /// exhaustion (tag 3).
    Trapped,
    /// Any other contract-visible failure: invalid code at deploy, call depth, reentrancy,
    /// a missing method or contract (tag 4).
    Failed,
}

impl ReceiptStatus {
    const ALL: [Self; 5] = [
        Self::Success,
        Self::Reverted,
        Self::OutOfGas,
        Self::Trapped,
        Self::Failed,
    ];

    /// The encoding tag.
    #[must_use]
    pub const fn tag(self) -> u8 {
        self as u8
    }
}

impl BorshSerialize for ReceiptStatus {
    fn serialize<W: Write>(&self, writer: &mut W) -> IoResult<()> {
        writer.write_all(&[self.tag()])
    }
}

impl BorshDeserialize for ReceiptStatus {
    fn deserialize_reader<R: Read>(reader: &mut R) -> IoResult<Self> {
        let tag = read_tag(reader)?;
        Self::ALL
            .get(usize::from(tag))
            .copied()
            .ok_or_else(|| bad_tag("ReceiptStatus", tag))
    }
}

/// A log entry emitted by a contract: indexed topics and opaque data.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct Event {
    /// The contract that emitted it.
    pub contract: Address,
    /// Up to [`MAX_EVENT_TOPICS`] topics; the first is conventionally the event's signature hash.
    pub topics: Vec<Hash>,
    /// Up to [`MAX_EVENT_DATA_SIZE`] bytes.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_helpers::hex_bytes"))]
    pub data: Vec<u8>,
}

impl Event {
    /// Checks topic count and data size.
    ///
    /// # Errors
    /// The first limit broken.
    pub fn validate(&self) -> Result<(), DecodeError> {
        check_len("event.topics", self.topics.len(), MAX_EVENT_TOPICS)?;
        check_len("event.data", self.data.len(), MAX_EVENT_DATA_SIZE)
    }
}

/// A transaction's gas by where it went. The categories add up to the receipt's `gas_used`.
///
/// Every node computes it the same way while executing (the VM reports each host call's
/// charge with the import's name), so it is part of the receipt's hash like every other field.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct GasProfile {
    /// Intrinsic gas (base, bytes, code).
    pub intrinsic: Gas,
    /// Wasm instructions and memory growth: what is left after every other category.
    pub wasm: Gas,
    /// Storage reads, writes and removals.
    pub storage: Gas,
    /// Events.
    pub events: Gas,
    /// The base cost of nested calls and deploys (the callees' own gas is split by these
    /// same categories).
    pub calls: Gas,
    /// Hashing and signature checks.
    pub crypto: Gas,
    /// Every other host call (input and output copies, context reads, balances, logs).
    pub host: Gas,
}

impl GasProfile {
    /// The encoded size: seven `u64`s.
    pub const ENCODED_SIZE: usize = 7 * 8;

    /// The sum of every category.
    #[must_use]
    pub fn total(&self) -> Gas {
        self.intrinsic
            .saturating_add(self.wasm)
            .saturating_add(self.storage)
            .saturating_add(self.events)
            .saturating_add(self.calls)
            .saturating_add(self.crypto)
            .saturating_add(self.host)
    }

    /// Adds a host import's charge to its category (never `intrinsic` or `wasm`, which are
    /// not host calls); saturating.
    pub fn add_host(&mut self, import: &str, gas: Gas) {
        let slot = match import {
            "storage_read" | "storage_write" | "storage_remove" | "storage_has" => {
                &mut self.storage
            }
            "emit_event" => &mut self.events,
            "call" | "deploy" | "result_size" | "result_read" => &mut self.calls,
            "keccak256" | "sha256" | "ed25519_verify" => &mut self.crypto,
            _ => &mut self.host,
        };
        *slot = slot.saturating_add(gas);
    }
}

/// The outcome of one transaction.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct Receipt {
    /// How it ended.
    pub status: ReceiptStatus,
    /// Gas charged (intrinsic + execution).
    pub gas_used: Gas,
    /// What the called method returned; on a revert, the encoded error the contract set
    /// (empty for transfers, other failures, and reverts without data).
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_helpers::hex_bytes"))]
    pub return_data: Vec<u8>,
    /// Events emitted, in order; empty when the transaction failed.
    pub events: Vec<Event>,
    /// Why it failed: a revert message or a deterministic description of the failure
    /// (on a devnet, a trap's message ends with the wasm backtrace).
    pub error: Option<String>,
    /// Its gas by category; the categories add up to `gas_used`.
    pub gas_profile: GasProfile,
}

impl Canonical for Receipt {
    const NAME: &'static str = "Receipt";
    const MAX_SIZE: usize = MAX_RECEIPT_SIZE;

    fn validate(&self) -> Result<(), DecodeError> {
        check_len(
            "receipt.return_data",
            self.return_data.len(),
            MAX_RETURN_DATA_SIZE,
        )?;
        check_len("receipt.events", self.events.len(), MAX_EVENTS_PER_TX)?;
        if let Some(e) = &self.error {
            check_len("receipt.error", e.len(), MAX_ERROR_MESSAGE_LEN)?;
        }
        self.events.iter().try_for_each(Event::validate)
    }
}

impl Canonical for Event {
    const NAME: &'static str = "Event";
    const MAX_SIZE: usize = 20 + 4 + MAX_EVENT_TOPICS * 32 + 4 + MAX_EVENT_DATA_SIZE;

    fn validate(&self) -> Result<(), DecodeError> {
        Event::validate(self)
    }
}
