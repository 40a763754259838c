//! 20-byte account and contract addresses and their derivations.
//!
//! ```text
//! account:  address = keccak256(ed25519 public key)[12..32]
//! create:   address = keccak256("cairn/create"  ‖ deployer ‖ nonce as u64 LE)[12..32]
//! create2:  address = keccak256("cairn/create2" ‖ deployer ‖ salt ‖ code hash)[12..32]
//! ```

use crate::hash::{fixed_bytes, keccak256_parts};
use crate::{Hash, Nonce};

fixed_bytes!(
    /// A 20-byte address of an account or a contract, shown as `0x` + 40 lowercase hex digits.
    Address,
    20
);

/// Domain tag of [`Address::for_create`].
pub const CREATE_DOMAIN: &[u8] = b"cairn/create";
/// Domain tag of [`Address::for_create2`].
pub const CREATE2_DOMAIN: &[u8] = b"cairn/create2";

impl Address {
    /// The address of an ed25519 public key: the last 20 bytes of its keccak-256.
    #[must_use]
    pub fn from_public_key(public_key: &[u8; 32]) -> Self {
        Self::from_hash_tail(&keccak256_parts(&[public_key]))
    }

    /// The address of a contract deployed by `deployer` in its transaction with `nonce`.
    #[must_use]
    pub fn for_create(deployer: &Address, nonce: Nonce) -> Self {
        Self::from_hash_tail(&keccak256_parts(&[
            CREATE_DOMAIN,
            &deployer.0,
            &nonce.to_le_bytes(),
        ]))
    }

    /// The address of a contract deployed by `deployer` with `salt`: independent of the
    /// deployer's nonce, so it can be known (and funded) before the deploy.
    #[must_use]
    pub fn for_create2(deployer: &Address, salt: &Hash, code_hash: &Hash) -> Self {
        Self::from_hash_tail(&keccak256_parts(&[
            CREATE2_DOMAIN,
            &deployer.0,
            &salt.0,
            &code_hash.0,
        ]))
    }

    fn from_hash_tail(hash: &[u8; 32]) -> Self {
        let mut out = [0u8; 20];
        out.copy_from_slice(&hash[12..]);
        Self(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivations_differ_by_input() {
        let a = Address([1; 20]);
        let b = Address([2; 20]);
        assert_ne!(Address::for_create(&a, 0), Address::for_create(&a, 1));
        assert_ne!(Address::for_create(&a, 0), Address::for_create(&b, 0));
        let code = Hash::of(b"code");
        let salt = Hash([7; 32]);
        assert_ne!(
            Address::for_create2(&a, &salt, &code),
            Address::for_create2(&b, &salt, &code)
        );
        assert_ne!(
            Address::for_create2(&a, &salt, &code),
            Address::for_create2(&a, &Hash([8; 32]), &code)
        );
        assert_ne!(
            Address::for_create2(&a, &salt, &code),
            Address::for_create2(&a, &salt, &Hash::of(b"other"))
        );
    }

    #[test]
    fn address_parses_mixed_case() {
        let a: Address = "0x00112233445566778899AaBbCcDdEeFf00112233"
            .parse()
            .unwrap();
        assert_eq!(a.to_string(), "0x00112233445566778899aabbccddeeff00112233");
    }
}
