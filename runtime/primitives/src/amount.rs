//! 256-bit unsigned amounts: balances, values and fees.
//!
//! Encoded as 32 bytes little-endian (like borsh's own integers); shown in JSON as decimal
//! strings so that JavaScript clients never lose precision.

pub use primitive_types::U256;

/// An amount of the native token, in its smallest unit.
pub type Amount = U256;

/// Borsh encoding of [`U256`] as 32 bytes little-endian, for `#[borsh(serialize_with)]`.
pub mod u256_borsh {
    use super::U256;
    use borsh::io::{Read, Result, Write};

    /// Writes `value` as 32 bytes little-endian.
    ///
    /// # Errors
    /// Only the writer's own errors.
    pub fn serialize<W: Write>(value: &U256, writer: &mut W) -> Result<()> {
        writer.write_all(&value.to_little_endian())
    }

    /// Reads 32 bytes little-endian; every bit pattern is a valid (canonical) value.
    ///
    /// # Errors
    /// When fewer than 32 bytes remain.
    pub fn deserialize<R: Read>(reader: &mut R) -> Result<U256> {
        let mut buf = [0u8; 32];
        reader.read_exact(&mut buf)?;
        Ok(U256::from_little_endian(&buf))
    }
}

/// Parses a decimal amount string (digits only, no sign, no exponent, at most 78 digits).
///
/// # Errors
/// A message saying what is wrong with the string.
pub fn parse_amount(s: &str) -> Result<U256, &'static str> {
    if s.is_empty() {
        return Err("empty amount");
    }
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err("amount must be a decimal string of digits");
    }
    U256::from_dec_str(s).map_err(|_| "amount does not fit in 256 bits")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_amount_edges() {
        assert_eq!(parse_amount("0"), Ok(U256::zero()));
        assert_eq!(
            parse_amount(
                "115792089237316195423570985008687907853269984665640564039457584007913129639935"
            ),
            Ok(U256::MAX)
        );
        assert!(
            parse_amount(
                "115792089237316195423570985008687907853269984665640564039457584007913129639936"
            )
            .is_err()
        );
        assert!(parse_amount("").is_err());
        assert!(parse_amount("-1").is_err());
        assert!(parse_amount("1e18").is_err());
        assert!(parse_amount("0x10").is_err());
    }
}
