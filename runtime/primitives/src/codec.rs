//! The canonical binary encoding: borsh, plus explicit size limits and strict decoding.
//!
//! ```text
//! decode(bytes): len ≤ MAX_SIZE? ─► borsh decode ─► no trailing bytes? ─► validate() limits ─► value
//!                 Oversized          Truncated /       TrailingBytes        FieldTooLarge /
//!                                    InvalidTag /                           InvalidField
//!                                    NonCanonical
//! ```
//!
//! For every accepted input `encode(decode(b)) == b`: there is exactly one encoding per value.

use alloc::string::ToString;
use alloc::vec::Vec;

use borsh::{BorshDeserialize, BorshSerialize};

use crate::{DecodeError, Hash};

/// A type with one canonical byte encoding, a maximum encoded size and protocol limits.
pub trait Canonical: BorshSerialize + BorshDeserialize + Sized {
    /// Name used in errors.
    const NAME: &'static str;
    /// Largest accepted encoding, checked before decoding starts.
    const MAX_SIZE: usize;

    /// Checks protocol limits that borsh cannot express (field lengths, name syntax).
    ///
    /// # Errors
    /// The first limit broken.
    fn validate(&self) -> Result<(), DecodeError> {
        Ok(())
    }

    /// The canonical encoding.
    #[must_use]
    fn encode(&self) -> Vec<u8> {
        borsh::to_vec(self).expect("writing to a Vec cannot fail")
    }

    /// keccak-256 of the canonical encoding.
    #[must_use]
    fn hash(&self) -> Hash {
        Hash::of(&self.encode())
    }

    /// Decodes exactly one value from `bytes`, enforcing every limit.
    ///
    /// # Errors
    /// A [`DecodeError`] naming what was wrong; never panics.
    fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        if bytes.len() > Self::MAX_SIZE {
            return Err(DecodeError::Oversized {
                what: Self::NAME,
                len: bytes.len(),
                max: Self::MAX_SIZE,
            });
        }
        let mut rest = bytes;
        let value = Self::deserialize(&mut rest).map_err(|e| map_borsh_error(Self::NAME, &e))?;
        if !rest.is_empty() {
            return Err(DecodeError::TrailingBytes {
                what: Self::NAME,
                count: rest.len(),
            });
        }
        value.validate()?;
        Ok(value)
    }
}

/// An invalid enum tag, carried through borsh's `io::Error` by our hand-written enum decoders.
#[cfg(feature = "std")]
#[derive(Debug)]
pub(crate) struct BadTag {
    pub(crate) what: &'static str,
    pub(crate) tag: u8,
}

#[cfg(feature = "std")]
impl core::fmt::Display for BadTag {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}: invalid tag {}", self.what, self.tag)
    }
}

#[cfg(feature = "std")]
impl core::error::Error for BadTag {}

/// Builds the error an enum decoder returns for an unknown tag.
pub(crate) fn bad_tag(what: &'static str, tag: u8) -> borsh::io::Error {
    #[cfg(feature = "std")]
    {
        borsh::io::Error::new(borsh::io::ErrorKind::InvalidData, BadTag { what, tag })
    }
    #[cfg(not(feature = "std"))]
    {
        // borsh's no_std io::Error carries only a static message; the tag is recovered as 0xff.
        let _ = (what, tag);
        borsh::io::Error::new(borsh::io::ErrorKind::InvalidData, "invalid tag")
    }
}

fn map_borsh_error(what: &'static str, e: &borsh::io::Error) -> DecodeError {
    // borsh reports running out of input either as `UnexpectedEof` or with this message.
    if e.kind() == borsh::io::ErrorKind::UnexpectedEof
        || e.to_string().contains("Unexpected length of input")
    {
        return DecodeError::Truncated { what };
    }
    #[cfg(feature = "std")]
    if let Some(bad) = e.get_ref().and_then(|inner| inner.downcast_ref::<BadTag>()) {
        return DecodeError::InvalidTag {
            what: bad.what,
            tag: bad.tag,
        };
    }
    #[cfg(not(feature = "std"))]
    if e.to_string().contains("invalid tag") {
        return DecodeError::InvalidTag { what, tag: 0xff };
    }
    DecodeError::NonCanonical {
        what,
        reason: e.to_string(),
    }
}

/// Reads one tag byte (used by the hand-written enum decoders).
pub(crate) fn read_tag<R: borsh::io::Read>(reader: &mut R) -> borsh::io::Result<u8> {
    u8::deserialize_reader(reader)
}

/// Checks a byte length against a limit.
pub(crate) fn check_len(field: &'static str, len: usize, max: usize) -> Result<(), DecodeError> {
    if len > max {
        Err(DecodeError::FieldTooLarge { field, len, max })
    } else {
        Ok(())
    }
}
