//! 32-byte hashes, keccak-256, and the fixed-size byte types' shared hex forms.

use alloc::string::String;
use core::fmt;

use crate::ParseHexError;

/// Parses a `0x`-prefixed hex string of exactly `N` bytes (either case).
///
/// # Errors
/// [`ParseHexError`] when the prefix is missing, a digit is invalid or the length is wrong.
pub fn parse_fixed_hex<const N: usize>(s: &str) -> Result<[u8; N], ParseHexError> {
    let digits = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .ok_or(ParseHexError::MissingPrefix)?;
    if digits.len() != 2 * N {
        return Err(ParseHexError::WrongLength {
            expected: N,
            got: digits.len() / 2,
        });
    }
    let mut out = [0u8; N];
    hex::decode_to_slice(digits, &mut out)
        .map_err(|e| ParseHexError::InvalidHex(alloc::format!("{e}")))?;
    Ok(out)
}

/// Parses a `0x`-prefixed hex string of any even length into bytes.
///
/// # Errors
/// [`ParseHexError`] when the prefix is missing or a digit is invalid.
pub fn parse_hex(s: &str) -> Result<alloc::vec::Vec<u8>, ParseHexError> {
    let digits = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .ok_or(ParseHexError::MissingPrefix)?;
    hex::decode(digits).map_err(|e| ParseHexError::InvalidHex(alloc::format!("{e}")))
}

/// Formats bytes as `0x` followed by lowercase hex.
#[must_use]
pub fn to_hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(2 + 2 * bytes.len());
    s.push_str("0x");
    s.push_str(&hex::encode(bytes));
    s
}

/// Defines a fixed-size byte newtype with hex display/parse, borsh and serde forms.
macro_rules! fixed_bytes {
    ($(#[$meta:meta])* $name:ident, $len:expr) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, core::hash::Hash, Default, borsh::BorshSerialize, borsh::BorshDeserialize)]
        pub struct $name(pub [u8; $len]);

        impl $name {
            /// Number of bytes.
            pub const LEN: usize = $len;
            /// All zero bytes.
            pub const ZERO: Self = Self([0u8; $len]);

            /// The raw bytes.
            #[must_use]
            pub const fn as_bytes(&self) -> &[u8; $len] {
                &self.0
            }

            /// Builds from a slice of exactly the right length.
            ///
            /// # Errors
            /// [`crate::ParseHexError::WrongLength`] when the slice has another length.
            pub fn from_slice(bytes: &[u8]) -> Result<Self, crate::ParseHexError> {
                <[u8; $len]>::try_from(bytes)
                    .map(Self)
                    .map_err(|_| crate::ParseHexError::WrongLength { expected: $len, got: bytes.len() })
            }
        }

        impl From<[u8; $len]> for $name {
            fn from(bytes: [u8; $len]) -> Self {
                Self(bytes)
            }
        }

        impl AsRef<[u8]> for $name {
            fn as_ref(&self) -> &[u8] {
                &self.0
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("0x")?;
                for b in &self.0 {
                    write!(f, "{b:02x}")?;
                }
                Ok(())
            }
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                core::fmt::Display::fmt(self, f)
            }
        }

        impl core::str::FromStr for $name {
            type Err = crate::ParseHexError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                crate::parse_fixed_hex::<$len>(s).map(Self)
            }
        }

        #[cfg(feature = "serde")]
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        #[cfg(feature = "serde")]
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <alloc::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use fixed_bytes;

fixed_bytes!(
    /// A 32-byte hash (keccak-256 unless said otherwise): block, transaction and code hashes,
    /// state roots, event topics. Shown as `0x` + 64 lowercase hex digits.
    Hash,
    32
);

impl Hash {
    /// keccak-256 of `data`.
    #[must_use]
    pub fn of(data: &[u8]) -> Self {
        Self(keccak256(data))
    }
}

/// keccak-256 (the original Keccak padding, as in Ethereum; not NIST SHA3-256).
#[must_use]
pub fn keccak256(data: &[u8]) -> [u8; 32] {
    keccak256_parts(&[data])
}

/// keccak-256 of the concatenation of `parts`, without building the concatenation.
#[must_use]
pub fn keccak256_parts(parts: &[&[u8]]) -> [u8; 32] {
    use tiny_keccak::Hasher;
    let mut h = tiny_keccak::Keccak::v256();
    for p in parts {
        h.update(p);
    }
    let mut out = [0u8; 32];
    h.finalize(&mut out);
    out
}

/// Writes `bytes` as lowercase hex without a prefix (for log lines that must not allocate).
///
/// # Errors
/// Only the formatter's own errors.
pub fn write_hex(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    for b in bytes {
        write!(f, "{b:02x}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keccak_matches_known_vectors() {
        // keccak256("") and keccak256("abc"), as published for Ethereum's Keccak.
        assert_eq!(
            to_hex(&keccak256(b"")),
            "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
        );
        assert_eq!(
            to_hex(&keccak256(b"abc")),
            "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"
        );
        assert_eq!(keccak256_parts(&[b"a", b"bc"]), keccak256(b"abc"));
    }

    #[test]
    fn hash_hex_round_trip_and_errors() {
        let h = Hash::of(b"cairn");
        let s = h.to_string();
        assert_eq!(s.len(), 66);
        assert_eq!(s.parse::<Hash>().unwrap(), h);
        assert_eq!(
            s.to_uppercase()
                .replace("0X", "0x")
                .parse::<Hash>()
                .unwrap(),
            h
        );
        assert_eq!("00".parse::<Hash>(), Err(ParseHexError::MissingPrefix));
        assert_eq!(
            "0x00".parse::<Hash>(),
            Err(ParseHexError::WrongLength {
                expected: 32,
                got: 1
            })
        );
        assert!(matches!(
            format!("0x{}", "zz".repeat(32)).parse::<Hash>(),
            Err(ParseHexError::InvalidHex(_))
        ));
    }
}
