//! Typed decoding and validation errors.

use alloc::string::String;

/// Why bytes were not accepted as a canonical encoding of a Cairn type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The input is longer than the type's maximum encoded size (checked before decoding).
    #[error("{what}: input of {len} bytes exceeds the limit of {max}")]
    Oversized {
        /// The type being decoded.
        what: &'static str,
        /// Length of the input.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The input ended in the middle of a value.
    #[error("{what}: input truncated")]
    Truncated {
        /// The type being decoded.
        what: &'static str,
    },
    /// A complete value was decoded but bytes were left over.
    #[error("{what}: {count} trailing bytes")]
    TrailingBytes {
        /// The type being decoded.
        what: &'static str,
        /// How many bytes were left.
        count: usize,
    },
    /// An enum discriminant that names no variant.
    #[error("{what}: invalid tag {tag}")]
    InvalidTag {
        /// The enum being decoded.
        what: &'static str,
        /// The tag found.
        tag: u8,
    },
    /// Bytes that no canonical encoder produces (a bool other than 0/1, an option tag other
    /// than 0/1, invalid UTF-8, …).
    #[error("{what}: non-canonical encoding: {reason}")]
    NonCanonical {
        /// The type being decoded.
        what: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// A well-formed value whose field breaks a protocol limit.
    #[error("{field}: {len} exceeds the limit of {max}")]
    FieldTooLarge {
        /// The field, e.g. `deploy.code`.
        field: &'static str,
        /// Its length (bytes or items).
        len: usize,
        /// The limit from [`crate::limits`].
        max: usize,
    },
    /// A well-formed value whose field is invalid for another reason.
    #[error("{field}: {reason}")]
    InvalidField {
        /// The field, e.g. `call.method`.
        field: &'static str,
        /// What was wrong.
        reason: String,
    },
}

/// Why a hex string was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseHexError {
    /// The string does not start with `0x`.
    #[error("expected a 0x-prefixed hex string")]
    MissingPrefix,
    /// A character outside `[0-9a-fA-F]`, or an odd number of digits.
    #[error("invalid hex: {0}")]
    InvalidHex(String),
    /// The decoded length is not the expected one.
    #[error("expected {expected} bytes, got {got}")]
    WrongLength {
        /// The required number of bytes.
        expected: usize,
        /// The number found.
        got: usize,
    },
}
