//! [`Wallet`]: an ed25519 key that signs transactions, and [`Keystore`]: the encrypted file
//! form of a real key.
//!
//! ```text
//! keystore JSON (version 1)
//!   {"version":1, "address":"0x…",
//!    "kdf":"scrypt", "kdf_params":{"log_n":15,"r":8,"p":1,"salt":"0x…32 bytes"},
//!    "cipher":"chacha20poly1305", "nonce":"0x…12 bytes", "ciphertext":"0x…(32 + 16 bytes)"}
//!   key        = scrypt(password, salt, log_n, r, p) → 32 bytes
//!   ciphertext = ChaCha20-Poly1305(key, nonce, seed, associated data = address bytes)
//! ```
//!
//! The address is stored in the clear (to list keys without a password) and bound to the
//! ciphertext as associated data, so an edited address fails decryption.

use cairn_primitives::{Address, SecretKey, SignedTransaction, Transaction, parse_fixed_hex};
use cairn_primitives::{dev_account_key, parse_hex, to_hex};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::ClientError;

/// The keystore format this crate writes and reads.
pub const KEYSTORE_VERSION: u32 = 1;
/// scrypt cost (log₂ N) for new keystores: ~0.1 s and 32 MiB on a laptop core.
const SCRYPT_LOG_N: u8 = 15;
/// Highest cost accepted when reading (bounds the memory a hostile file can demand).
const MAX_SCRYPT_LOG_N: u8 = 20;

/// An ed25519 signing key and its address.
#[derive(Clone, Debug)]
pub struct Wallet {
    key: SecretKey,
}

impl Wallet {
    /// A new random key (from the OS's randomness).
    #[must_use]
    pub fn generate() -> Self {
        Self {
            key: SecretKey::generate(&mut rand::rngs::OsRng),
        }
    }

    /// The key whose 32-byte seed is `hex` (`0x` optional).
    ///
    /// # Errors
    /// Not 32 bytes of hex.
    pub fn from_hex(hex: &str) -> Result<Self, ClientError> {
        let seed = parse_fixed_hex::<32>(hex.trim())
            .map_err(|e| ClientError::Keystore(format!("secret key: {e}")))?;
        Ok(Self {
            key: SecretKey::from_bytes(&seed),
        })
    }

    /// Devnet account `index` (the documented, public dev keys: never for real funds).
    #[must_use]
    pub fn dev(index: u32) -> Self {
        Self {
            key: dev_account_key(index),
        }
    }

    /// The address.
    #[must_use]
    pub fn address(&self) -> Address {
        self.key.address()
    }

    /// The 32-byte seed as `0x` hex (handle with care).
    #[must_use]
    pub fn secret_hex(&self) -> String {
        to_hex(&self.key.to_bytes())
    }

    /// Signs `tx`.
    #[must_use]
    pub fn sign(&self, tx: Transaction) -> SignedTransaction {
        self.key.sign_tx(tx)
    }

    /// This key encrypted under `password`.
    ///
    /// # Errors
    /// Never in practice (the parameters are fixed and valid).
    pub fn encrypt(&self, password: &str) -> Result<Keystore, ClientError> {
        let mut salt = [0u8; 32];
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut salt);
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let params = KdfParams {
            log_n: SCRYPT_LOG_N,
            r: 8,
            p: 1,
            salt: to_hex(&salt),
        };
        let key = derive(password, &params)?;
        let address = self.address();
        let ciphertext = ChaCha20Poly1305::new(Key::from_slice(&key))
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &self.key.to_bytes(),
                    aad: &address.0,
                },
            )
            .map_err(|_| ClientError::Keystore("encryption failed".into()))?;
        Ok(Keystore {
            version: KEYSTORE_VERSION,
            address,
            kdf: "scrypt".into(),
            kdf_params: params,
            cipher: "chacha20poly1305".into(),
            nonce: to_hex(&nonce),
            ciphertext: to_hex(&ciphertext),
        })
    }
}

/// scrypt parameters of a keystore.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KdfParams {
    /// log₂ of the cost N.
    pub log_n: u8,
    /// Block size.
    pub r: u32,
    /// Parallelism.
    pub p: u32,
    /// Salt, `0x` hex.
    pub salt: String,
}

/// An encrypted key file (see the module docs for the format).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keystore {
    /// Format version ([`KEYSTORE_VERSION`]).
    pub version: u32,
    /// The key's address (also authenticated by the cipher).
    pub address: Address,
    /// Key derivation: `"scrypt"`.
    pub kdf: String,
    /// Its parameters.
    pub kdf_params: KdfParams,
    /// Cipher: `"chacha20poly1305"`.
    pub cipher: String,
    /// The 12-byte nonce, `0x` hex.
    pub nonce: String,
    /// The encrypted seed and its tag, `0x` hex.
    pub ciphertext: String,
}

impl Keystore {
    /// The key, decrypted with `password`.
    ///
    /// # Errors
    /// An unknown version, KDF or cipher, parameters over the limits, or the wrong password
    /// (or a tampered file: the two cannot be told apart).
    pub fn decrypt(&self, password: &str) -> Result<Wallet, ClientError> {
        let bad = |what: &str| ClientError::Keystore(what.to_owned());
        if self.version != KEYSTORE_VERSION {
            return Err(bad(&format!(
                "unsupported version {} (this client reads {KEYSTORE_VERSION})",
                self.version
            )));
        }
        if self.kdf != "scrypt" || self.cipher != "chacha20poly1305" {
            return Err(bad("unsupported kdf or cipher"));
        }
        let key = derive(password, &self.kdf_params)?;
        let nonce = parse_fixed_hex::<12>(&self.nonce).map_err(|_| bad("bad nonce"))?;
        let ciphertext = parse_hex(&self.ciphertext).map_err(|_| bad("bad ciphertext"))?;
        let seed = ChaCha20Poly1305::new(Key::from_slice(&key))
            .decrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &ciphertext,
                    aad: &self.address.0,
                },
            )
            .map_err(|_| bad("wrong password (or a corrupted file)"))?;
        let seed: [u8; 32] = seed.try_into().map_err(|_| bad("bad key length"))?;
        let wallet = Wallet {
            key: SecretKey::from_bytes(&seed),
        };
        if wallet.address() != self.address {
            return Err(bad("the key does not match the address"));
        }
        Ok(wallet)
    }

    /// The JSON text of the file.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a keystore serializes")
    }

    /// Parses a keystore file's text.
    ///
    /// # Errors
    /// Not a keystore.
    pub fn from_json(text: &str) -> Result<Self, ClientError> {
        serde_json::from_str(text)
            .map_err(|e| ClientError::Keystore(format!("not a keystore: {e}")))
    }
}

fn derive(password: &str, p: &KdfParams) -> Result<[u8; 32], ClientError> {
    if p.log_n > MAX_SCRYPT_LOG_N || p.r == 0 || p.r > 32 || p.p == 0 || p.p > 16 {
        return Err(ClientError::Keystore(format!(
            "scrypt parameters out of range (log_n ≤ {MAX_SCRYPT_LOG_N}, r ≤ 32, p ≤ 16)"
        )));
    }
    let salt = parse_hex(&p.salt).map_err(|_| ClientError::Keystore("bad salt".into()))?;
    let params = scrypt::Params::new(p.log_n, p.r, p.p, 32)
        .map_err(|e| ClientError::Keystore(format!("scrypt parameters: {e}")))?;
    let mut out = [0u8; 32];
    scrypt::scrypt(password.as_bytes(), &salt, &params, &mut out)
        .map_err(|e| ClientError::Keystore(format!("scrypt: {e}")))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keystore_round_trips_and_refuses_the_wrong_password() {
        let w = Wallet::generate();
        let ks = w.encrypt("correct horse").unwrap();
        let text = ks.to_json();
        let back = Keystore::from_json(&text).unwrap();
        assert_eq!(
            back.decrypt("correct horse").unwrap().address(),
            w.address()
        );
        let err = back.decrypt("wrong").unwrap_err().to_string();
        assert!(err.contains("wrong password"), "{err}");
        // An edited address no longer authenticates.
        let mut edited = back.clone();
        edited.address = Address([7; 20]);
        assert!(edited.decrypt("correct horse").is_err());
        // A hostile cost is refused before any work.
        let mut costly = back;
        costly.kdf_params.log_n = 40;
        assert!(
            costly
                .decrypt("correct horse")
                .unwrap_err()
                .to_string()
                .contains("out of range")
        );
    }

    #[test]
    fn hex_and_dev_keys() {
        let w = Wallet::dev(0);
        let again = Wallet::from_hex(&w.secret_hex()).unwrap();
        assert_eq!(again.address(), w.address());
        assert_eq!(w.address(), dev_account_key(0).address());
        assert!(Wallet::from_hex("0x1234").is_err());
    }
}
