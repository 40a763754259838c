//! ed25519 keys: signing, strict verification and batch verification.
//!
//! Validity is `verify_strict` (RFC 8032 with canonical encodings, no small-order key or R).
//! [`verify_batch`] is a faster path with exactly the same accept set: it rejects up front
//! what strict verification would reject but a batch equation could let through.

use alloc::vec::Vec;

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};

use crate::{Address, Canonical, Hash, SignedTransaction, Transaction};

/// Why a signature was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The public key is not a valid, non-small-order curve point.
    #[error("invalid public key")]
    InvalidPublicKey,
    /// The signature does not verify for this key and message.
    #[error("invalid signature")]
    InvalidSignature,
    /// In a batch: the entry at this index is invalid.
    #[error("invalid signature at index {0}")]
    InvalidAt(usize),
}

/// An ed25519 secret key (its 32-byte seed). Zeroized on drop.
#[derive(Clone)]
pub struct SecretKey(SigningKey);

impl core::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "SecretKey({})", self.address())
    }
}

impl SecretKey {
    /// The key with this 32-byte seed.
    #[must_use]
    pub fn from_bytes(seed: &[u8; 32]) -> Self {
        Self(SigningKey::from_bytes(seed))
    }

    /// A fresh random key.
    #[must_use]
    pub fn generate<R: rand_core::CryptoRngCore + ?Sized>(rng: &mut R) -> Self {
        Self(SigningKey::generate(rng))
    }

    /// The 32-byte seed (keep it secret).
    #[must_use]
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The public key (32 bytes).
    #[must_use]
    pub fn public_key(&self) -> [u8; 32] {
        self.0.verifying_key().to_bytes()
    }

    /// The account address of this key.
    #[must_use]
    pub fn address(&self) -> Address {
        Address::from_public_key(&self.public_key())
    }

    /// Signs an arbitrary message.
    #[must_use]
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.0.sign(message).to_bytes()
    }

    /// Signs a transaction, producing the [`SignedTransaction`] a node accepts.
    #[must_use]
    pub fn sign_tx(&self, tx: Transaction) -> SignedTransaction {
        let signature = self.sign(&tx.signing_message());
        SignedTransaction {
            tx,
            public_key: self.public_key(),
            signature,
        }
    }
}

/// Verifies one signature strictly.
///
/// # Errors
/// [`SignatureError::InvalidPublicKey`] or [`SignatureError::InvalidSignature`].
pub fn verify(
    public_key: &[u8; 32],
    message: &[u8],
    signature: &[u8; 64],
) -> Result<(), SignatureError> {
    PublicKey::from_bytes(public_key)?.verify(message, signature)
}

impl SignedTransaction {
    /// Verifies the signature over [`Transaction::signing_message`].
    ///
    /// # Errors
    /// When the key or the signature is invalid.
    pub fn verify(&self) -> Result<(), SignatureError> {
        verify(
            &self.public_key,
            &self.tx.signing_message(),
            &self.signature,
        )
    }

    /// The transaction hash (keccak-256 of the whole encoding).
    #[must_use]
    pub fn tx_hash(&self) -> Hash {
        Canonical::hash(self)
    }
}

/// One entry of a batch: public key, message, signature.
pub type BatchItem<'a> = (&'a [u8; 32], &'a [u8], &'a [u8; 64]);

/// A public key that passed the strict key checks: its bytes decompress to a curve point
/// that is not of small order. Parsing costs a point decompression (a field square root);
/// a pool that sees the same senders again keeps parsed keys (see [`verify_batch_keys`])
/// instead of paying it per transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// Parses and checks `bytes` as [`verify`] does.
    ///
    /// # Errors
    /// [`SignatureError::InvalidPublicKey`] when `bytes` is not a point, or a small-order one.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, SignatureError> {
        let key = VerifyingKey::from_bytes(bytes).map_err(|_| SignatureError::InvalidPublicKey)?;
        if key.is_weak() {
            return Err(SignatureError::InvalidPublicKey);
        }
        Ok(Self(key))
    }

    /// Verifies one signature strictly ([`verify`] without parsing the key again).
    ///
    /// # Errors
    /// [`SignatureError::InvalidSignature`].
    pub fn verify(&self, message: &[u8], signature: &[u8; 64]) -> Result<(), SignatureError> {
        self.0
            .verify_strict(message, &ed25519_dalek::Signature::from_bytes(signature))
            .map_err(|_| SignatureError::InvalidSignature)
    }

    /// The 32 bytes it was parsed from.
    #[must_use]
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }
}

/// One entry of [`verify_batch_keys`]: parsed public key, message, signature.
pub type KeyedBatchItem<'a> = (&'a PublicKey, &'a [u8], &'a [u8; 64]);

/// Verifies many signatures at once; accepts exactly what [`verify`] accepts one by one.
///
/// Per entry it first rejects what strict verification rejects and a batch equation might
/// not (weak keys; a small-order or non-canonically encoded R), then checks the batch
/// equation. On failure it falls back to single verification to name the first bad index.
///
/// # Errors
/// [`SignatureError::InvalidAt`] with the index of the first invalid entry.
pub fn verify_batch(items: &[BatchItem<'_>]) -> Result<(), SignatureError> {
    let mut keys = Vec::with_capacity(items.len());
    for (i, (pk, _, sig)) in items.iter().enumerate() {
        // R is checked here too (again in `verify_batch_keys`, a few compares), so the
        // index reported is the first bad entry's whichever of the two is bad.
        let key = PublicKey::from_bytes(pk).map_err(|_| SignatureError::InvalidAt(i))?;
        if !r_may_be_strict(&signature_r(sig)) {
            return Err(SignatureError::InvalidAt(i));
        }
        keys.push(key);
    }
    let keyed: Vec<KeyedBatchItem<'_>> = items
        .iter()
        .zip(&keys)
        .map(|((_, msg, sig), key)| (key, *msg, *sig))
        .collect();
    verify_batch_keys(&keyed)
}

/// [`verify_batch`] for keys already parsed with [`PublicKey::from_bytes`]: the same
/// accept set, without a key decompression per entry.
///
/// # Errors
/// [`SignatureError::InvalidAt`] with the index of the first invalid entry.
pub fn verify_batch_keys(items: &[KeyedBatchItem<'_>]) -> Result<(), SignatureError> {
    let mut keys = Vec::with_capacity(items.len());
    let mut sigs = Vec::with_capacity(items.len());
    let mut msgs = Vec::with_capacity(items.len());
    for (i, (key, msg, sig)) in items.iter().enumerate() {
        if !r_may_be_strict(&signature_r(sig)) {
            return Err(SignatureError::InvalidAt(i));
        }
        keys.push(key.0);
        sigs.push(ed25519_dalek::Signature::from_bytes(sig));
        msgs.push(*msg);
    }
    if ed25519_dalek::verify_batch(&msgs, &sigs, &keys).is_ok() {
        return Ok(());
    }
    for (i, (key, msg, sig)) in items.iter().enumerate() {
        if key.verify(msg, sig).is_err() {
            return Err(SignatureError::InvalidAt(i));
        }
    }
    // The batch equation failed but every entry verified alone: impossible for honest
    // inputs; treat the batch as invalid at its first entry rather than accept it.
    Err(SignatureError::InvalidAt(0))
}

/// A signature's R: its first 32 bytes.
fn signature_r(sig: &[u8; 64]) -> [u8; 32] {
    let mut r = [0u8; 32];
    r.copy_from_slice(&sig[..32]);
    r
}

/// The y-coordinates of edwards25519's eight small-order points (little-endian, sign bit
/// clear): 1 (the identity), p − 1 (order 2), 0 (order 4) and the two of order 8. Each of
/// them belongs to small-order points only, whichever sign x takes.
const SMALL_ORDER_Y: [[u8; 32]; 5] = [
    [0; 32],
    [
        1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0,
    ],
    [
        0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ],
    [
        0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98,
        0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53,
        0xfc, 0x05,
    ],
    [
        0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67,
        0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac,
        0x03, 0x7a,
    ],
];

/// The strict checks on a signature's R that a batch equation would not make, from its
/// bytes alone: its y is below p = 2²⁵⁵ − 19 (canonical) and is not a small-order point's.
///
/// For every `r` that decompresses to a curve point this decides exactly as "decompress,
/// not small order, re-compresses to `r`" (`strict_r_reference` in the tests), without the
/// point decompression and compression (a square root and an inversion, a third of a
/// batch entry's cost). An `r` that is not on the curve passes here, then fails the batch
/// equation's own decompression, and the one-by-one fallback rejects it as [`verify`] does.
/// A non-canonical sign bit (x = 0 with the bit set) needs y = 1 or y = p − 1, both in
/// [`SMALL_ORDER_Y`].
fn r_may_be_strict(r: &[u8; 32]) -> bool {
    let mut y = *r;
    y[31] &= 0x7f;
    // y ≥ p only for p ..= 2²⁵⁵ − 1: top byte 0x7f, bytes 1..=30 all 0xff, byte 0 ≥ 0xed.
    let non_canonical = y[31] == 0x7f && y[1..31].iter().all(|&b| b == 0xff) && y[0] >= 0xed;
    !non_canonical && !SMALL_ORDER_Y.contains(&y)
}

/// Domain of the dev-account key derivation: dev account `i` has the secret key
/// `keccak256(DEV_ACCOUNT_DOMAIN ‖ i as 4 big-endian bytes)`, so its address is the same on
/// every machine and every run: the devnet, the testkit and the client all derive the same
/// accounts (documented in `docs/architecture.md`). Never fund these keys on a real
/// network: everyone knows them.
pub const DEV_ACCOUNT_DOMAIN: &[u8] = b"cairn/dev-account/v1";

/// The secret key of dev account `index`.
#[must_use]
pub fn dev_account_key(index: u32) -> SecretKey {
    let seed = crate::keccak256_parts(&[DEV_ACCOUNT_DOMAIN, &index.to_be_bytes()]);
    SecretKey::from_bytes(&seed)
}

/// Domain of the devnet's dev authority key (see [`dev_authority_key`]).
pub const DEV_AUTHORITY_DOMAIN: &[u8] = b"cairn/dev-authority/v1";

/// The secret key of the devnet's dev authority: the only signer of
/// [`TxKind::Dev`](crate::TxKind::Dev) on a chain whose genesis names its address. Fixed
/// and public, like the dev accounts.
#[must_use]
pub fn dev_authority_key() -> SecretKey {
    SecretKey::from_bytes(&crate::keccak256(DEV_AUTHORITY_DOMAIN))
}

#[cfg(test)]
mod tests {
    use curve25519_dalek::edwards::CompressedEdwardsY;

    use super::*;

    fn key(i: u8) -> SecretKey {
        SecretKey::from_bytes(&[i; 32])
    }

    #[test]
    fn sign_and_verify() {
        let k = key(1);
        let sig = k.sign(b"hello");
        assert_eq!(verify(&k.public_key(), b"hello", &sig), Ok(()));
        assert_eq!(
            verify(&k.public_key(), b"hellO", &sig),
            Err(SignatureError::InvalidSignature)
        );
        assert_eq!(
            verify(&key(2).public_key(), b"hello", &sig),
            Err(SignatureError::InvalidSignature)
        );
    }

    #[test]
    fn weak_and_small_order_inputs_rejected_by_both_paths() {
        let k = key(3);
        let msg = b"m";
        let mut sig = k.sign(msg);
        // Identity point as the public key: small order.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert!(verify(&identity, msg, &sig).is_err());
        assert_eq!(
            verify_batch(&[(&identity, msg, &sig)]),
            Err(SignatureError::InvalidAt(0))
        );
        // Identity as R.
        sig[..32].copy_from_slice(&identity);
        assert!(verify(&k.public_key(), msg, &sig).is_err());
        let pk = k.public_key();
        assert_eq!(
            verify_batch(&[(&pk, msg, &sig)]),
            Err(SignatureError::InvalidAt(0))
        );
    }

    /// The check the batch path made before: decompress R, refuse a small-order point and a
    /// non-canonical encoding.
    fn strict_r_reference(r: &[u8; 32]) -> bool {
        CompressedEdwardsY(*r)
            .decompress()
            .is_some_and(|p| !p.is_small_order() && p.compress().0 == *r)
    }

    fn on_curve(r: &[u8; 32]) -> bool {
        CompressedEdwardsY(*r).decompress().is_some()
    }

    /// Every R edge: the small-order y's and every y in p ..= 2²⁵⁵ − 1, with both sign bits.
    fn r_edges() -> Vec<[u8; 32]> {
        let mut out = Vec::new();
        for y in SMALL_ORDER_Y {
            out.push(y);
        }
        // p ..= 2²⁵⁵ − 1, among them p and p + 1 (non-canonical 0 and 1).
        for low in 0xedu8..=0xff {
            let mut y = [0xff; 32];
            y[0] = low;
            y[31] = 0x7f;
            out.push(y);
        }
        let signed: Vec<[u8; 32]> = out
            .iter()
            .map(|y| {
                let mut s = *y;
                s[31] |= 0x80;
                s
            })
            .collect();
        out.extend(signed);
        out
    }

    #[test]
    fn small_order_y_are_exactly_the_small_order_points() {
        for y in SMALL_ORDER_Y {
            for sign in [0u8, 0x80] {
                let mut r = y;
                r[31] |= sign;
                let p = CompressedEdwardsY(r).decompress().expect("on the curve");
                assert!(p.is_small_order(), "{r:?}");
            }
        }
        // The eight torsion points, generated: each one's y is listed.
        let t = CompressedEdwardsY(SMALL_ORDER_Y[3])
            .decompress()
            .expect("order 8");
        let mut p = t;
        for _ in 0..8 {
            let mut y = p.compress().0;
            y[31] &= 0x7f;
            assert!(SMALL_ORDER_Y.contains(&y), "{y:?}");
            p += t;
        }
    }

    #[test]
    fn r_precheck_decides_as_decompression_for_every_point() {
        let mut cases = r_edges();
        // Pseudo-random encodings (half of them on the curve) and real signatures' R.
        for i in 0..4_000u32 {
            cases.push(crate::keccak256(&i.to_le_bytes()));
        }
        for i in 0..64u8 {
            let sig = key(i).sign(b"r");
            let mut r = [0u8; 32];
            r.copy_from_slice(&sig[..32]);
            cases.push(r);
        }
        let mut on = 0;
        for r in &cases {
            if on_curve(r) {
                on += 1;
                assert_eq!(r_may_be_strict(r), strict_r_reference(r), "{r:?}");
            } else {
                assert!(!strict_r_reference(r));
            }
        }
        assert!(on > 1_000, "the cases reach the curve ({on})");
    }

    #[test]
    fn batch_and_single_agree_on_every_r_edge() {
        let k = key(9);
        let pk = k.public_key();
        let msg = b"edge";
        let good = k.sign(msg);
        for r in r_edges() {
            let mut sig = good;
            sig[..32].copy_from_slice(&r);
            let single = verify(&pk, msg, &sig).is_ok();
            let batch = verify_batch(&[(&pk, msg, &sig), (&pk, msg, &good)]).is_ok();
            assert!(!single, "{r:?}");
            assert_eq!(batch, single, "{r:?}");
        }
    }

    #[test]
    fn public_key_parsing_rejects_what_verify_rejects() {
        let k = key(4);
        let pk = k.public_key();
        assert_eq!(PublicKey::from_bytes(&pk).map(|p| p.to_bytes()), Ok(pk));
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(
            PublicKey::from_bytes(&identity),
            Err(SignatureError::InvalidPublicKey)
        );
        // y = 2 is not on the curve: decompression fails.
        let mut off = [0u8; 32];
        off[0] = 2;
        assert!(CompressedEdwardsY(off).decompress().is_none());
        assert_eq!(
            PublicKey::from_bytes(&off),
            Err(SignatureError::InvalidPublicKey)
        );
    }

    #[test]
    fn keyed_batch_decides_as_the_byte_batch_and_single_verification() {
        let keys: Vec<SecretKey> = (10..26).map(key).collect();
        let pks: Vec<[u8; 32]> = keys.iter().map(SecretKey::public_key).collect();
        let parsed: Vec<PublicKey> = pks
            .iter()
            .map(|p| PublicKey::from_bytes(p).expect("valid key"))
            .collect();
        let msgs: Vec<Vec<u8>> = (0..16u8).map(|i| alloc::vec![i; 20]).collect();
        let good: Vec<[u8; 64]> = keys.iter().zip(&msgs).map(|(k, m)| k.sign(m)).collect();
        // Each case corrupts one entry's signature: s, R, R made the identity, or nothing.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        for bad in [
            None,
            Some((0, 40)),
            Some((7, 3)),
            Some((15, 63)),
            Some((9, 99)),
        ] {
            let mut sigs = good.clone();
            if let Some((i, byte)) = bad {
                if byte == 99 {
                    sigs[i][..32].copy_from_slice(&identity);
                } else {
                    sigs[i][byte] ^= 1;
                }
            }
            let bytes: Vec<BatchItem<'_>> = (0..16)
                .map(|i| (&pks[i], msgs[i].as_slice(), &sigs[i]))
                .collect();
            let keyed: Vec<KeyedBatchItem<'_>> = (0..16)
                .map(|i| (&parsed[i], msgs[i].as_slice(), &sigs[i]))
                .collect();
            let expected = bad.map_or(Ok(()), |(i, _)| Err(SignatureError::InvalidAt(i)));
            assert_eq!(verify_batch_keys(&keyed), expected, "{bad:?}");
            assert_eq!(verify_batch(&bytes), expected, "{bad:?}");
            let first_single = (0..16).find(|&i| verify(&pks[i], &msgs[i], &sigs[i]).is_err());
            assert_eq!(first_single, bad.map(|(i, _)| i), "{bad:?}");
        }
    }

    #[test]
    fn byte_batch_names_the_first_bad_entry_whether_key_or_r() {
        let k = key(30);
        let pk = k.public_key();
        let msg = b"order";
        let good = k.sign(msg);
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let mut bad_r = good;
        bad_r[..32].copy_from_slice(&identity);
        // Entry 0 has a bad R, entry 1 a bad key: entry 0 is named.
        let items: [BatchItem<'_>; 3] = [
            (&pk, msg, &bad_r),
            (&identity, msg, &good),
            (&pk, msg, &good),
        ];
        assert_eq!(verify_batch(&items), Err(SignatureError::InvalidAt(0)));
        let items: [BatchItem<'_>; 2] = [(&identity, msg, &good), (&pk, msg, &bad_r)];
        assert_eq!(verify_batch(&items), Err(SignatureError::InvalidAt(0)));
    }

    #[test]
    fn batch_names_first_bad_index() {
        let keys: Vec<SecretKey> = (0..8).map(key).collect();
        let pks: Vec<[u8; 32]> = keys.iter().map(SecretKey::public_key).collect();
        let msgs: Vec<Vec<u8>> = (0..8u8).map(|i| alloc::vec![i; 10]).collect();
        let mut sigs: Vec<[u8; 64]> = keys.iter().zip(&msgs).map(|(k, m)| k.sign(m)).collect();
        let items = |sigs: &Vec<[u8; 64]>| -> Vec<([u8; 32], Vec<u8>, [u8; 64])> {
            (0..8).map(|i| (pks[i], msgs[i].clone(), sigs[i])).collect()
        };
        let owned = items(&sigs);
        let refs: Vec<BatchItem<'_>> = owned.iter().map(|(p, m, s)| (p, m.as_slice(), s)).collect();
        assert_eq!(verify_batch(&refs), Ok(()));
        sigs[5][40] ^= 1;
        let owned = items(&sigs);
        let refs: Vec<BatchItem<'_>> = owned.iter().map(|(p, m, s)| (p, m.as_slice(), s)).collect();
        assert_eq!(verify_batch(&refs), Err(SignatureError::InvalidAt(5)));
    }
}
