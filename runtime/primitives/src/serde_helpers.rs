//! JSON forms used at the RPC edge: bytes as `0x`-hex strings, amounts as decimal strings.
//!
//! Use with `#[serde(with = "cairn_primitives::serde_helpers::hex_bytes")]` and friends.

/// `Vec<u8>` as a `0x`-prefixed lowercase hex string.
pub mod hex_bytes {
    use alloc::borrow::Cow;
    use alloc::vec::Vec;

    /// Serializes bytes as `0x…` hex.
    ///
    /// # Errors
    /// Only the serializer's own errors.
    pub fn serialize<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::to_hex(bytes))
    }

    /// Deserializes `0x…` hex (either case) into bytes.
    ///
    /// # Errors
    /// When the string lacks the prefix or holds a non-hex digit.
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = <Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
        crate::parse_hex(&s).map_err(serde::de::Error::custom)
    }
}

/// [`crate::U256`] as a decimal string (JavaScript numbers lose precision past 2^53).
pub mod u256_dec {
    use alloc::borrow::Cow;

    use crate::U256;

    /// Serializes as a decimal string.
    ///
    /// # Errors
    /// Only the serializer's own errors.
    pub fn serialize<S: serde::Serializer>(value: &U256, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(value)
    }

    /// Deserializes a decimal string of digits.
    ///
    /// # Errors
    /// When the string is not a decimal number below 2^256.
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<U256, D::Error> {
        let s = <Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
        crate::parse_amount(&s).map_err(serde::de::Error::custom)
    }
}

/// Fixed-size byte arrays (public keys, signatures) as `0x`-hex strings.
pub mod hex_array {
    use alloc::borrow::Cow;

    /// Serializes as `0x…` hex.
    ///
    /// # Errors
    /// Only the serializer's own errors.
    pub fn serialize<S: serde::Serializer, const N: usize>(
        bytes: &[u8; N],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::to_hex(bytes))
    }

    /// Deserializes `0x…` hex of exactly `N` bytes.
    ///
    /// # Errors
    /// When the string is not hex of the right length.
    pub fn deserialize<'de, D: serde::Deserializer<'de>, const N: usize>(
        d: D,
    ) -> Result<[u8; N], D::Error> {
        let s = <Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
        crate::parse_fixed_hex::<N>(&s).map_err(serde::de::Error::custom)
    }
}
