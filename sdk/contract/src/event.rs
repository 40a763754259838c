//! Events: structs marked `#[event]`, emitted with [`crate::env::emit`].
//!
//! An event's topics are its signature hash — `keccak256("Name(type,type,..)")` with ABI
//! type names — then one topic per `#[topic]` field (at most three): the field's encoding
//! right-padded with zeros when it is at most 32 bytes, its keccak-256 otherwise. Its data
//! is the encoding of ALL fields, in order, so a reader decodes it without the topics.

use alloc::vec::Vec;

use borsh::{BorshDeserialize, BorshSerialize};
use cairn_primitives::Hash;

/// An event type. Implemented by `#[event]`; not by hand.
pub trait Event: BorshSerialize + BorshDeserialize {
    /// The event's name.
    const NAME: &'static str;
    /// `Name(type,..)` with the ABI type of each field.
    const SIGNATURE: &'static str;
    /// keccak-256 of [`Self::SIGNATURE`]: the first topic.
    const SIGNATURE_HASH: Hash;

    /// The topics: the signature hash, then each `#[topic]` field's topic.
    fn topics(&self) -> Vec<Hash>;

    /// Decodes an event emitted as this type: `None` when the first topic is another
    /// event's or the data does not decode.
    fn decode(topics: &[Hash], data: &[u8]) -> Option<Self> {
        if topics.first() != Some(&Self::SIGNATURE_HASH) {
            return None;
        }
        borsh::from_slice(data).ok()
    }
}

/// The topic of an indexed field: its encoding right-padded to 32 bytes, or the
/// keccak-256 of the encoding when longer than 32 bytes.
#[must_use]
pub fn topic_of<T: BorshSerialize + ?Sized>(value: &T) -> Hash {
    let bytes = crate::__private::encode(value);
    if bytes.len() <= 32 {
        let mut out = [0u8; 32];
        out[..bytes.len()].copy_from_slice(&bytes);
        Hash(out)
    } else {
        crate::env::keccak256(&bytes)
    }
}
