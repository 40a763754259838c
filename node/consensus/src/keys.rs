//! Conversions between our raw 32-byte ed25519 keys and Commonware's key types.

use commonware_codec::{DecodeExt, Encode};
use commonware_cryptography::Signer;
use commonware_cryptography::ed25519::{PrivateKey, PublicKey};

use crate::error::{Error, Result};

/// Lowercase hex of `bytes` (for messages).
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses a 32-byte ed25519 seed.
pub(crate) fn parse_private(seed: &[u8; 32]) -> PrivateKey {
    PrivateKey::decode(bytes::Bytes::copy_from_slice(seed))
        .expect("every 32-byte string is an ed25519 seed")
}

/// Parses a 32-byte ed25519 public key.
pub(crate) fn parse_public(key: &[u8; 32]) -> Result<PublicKey> {
    PublicKey::decode(bytes::Bytes::copy_from_slice(key)).map_err(|_| Error::Key(hex(key)))
}

/// Raw bytes of a public key.
pub(crate) fn public_bytes(key: &PublicKey) -> [u8; 32] {
    let encoded = key.encode();
    let mut out = [0u8; 32];
    out.copy_from_slice(&encoded);
    out
}

/// The public key of a 32-byte ed25519 seed (RFC 8032; the same key `cairn_primitives` derives).
#[must_use]
pub fn public_key(seed: &[u8; 32]) -> [u8; 32] {
    public_bytes(&parse_private(seed).public_key())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_key_matches_cairn_primitives() {
        let seed = [9u8; 32];
        let sk = cairn_primitives::SecretKey::from_bytes(&seed);
        assert_eq!(public_key(&seed), sk.public_key());
    }

    #[test]
    fn rejects_invalid_public_key() {
        // y = 2 has no x on the curve: (y² − 1)/(d·y² + 1) is not a square mod 2^255 − 19.
        let mut bad = [0u8; 32];
        bad[0] = 2;
        assert!(parse_public(&bad).is_err());
    }
}
