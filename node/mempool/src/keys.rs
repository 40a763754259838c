//! Parsed public keys of recent senders. Parsing a key is a point decompression (a field
//! square root), about a fifth of a batch signature check, and a pool sees the same senders
//! over and over: a transfer bench's 10,000 accounts, a DApp's users. The cache changes
//! only what admission costs, never what it decides: an entry exists only for bytes that
//! [`PublicKey::from_bytes`] accepted, and parsing is a pure function of the bytes.

// A hash map is fine here: only membership is used, its order never leaves the cache.
#![allow(clippy::disallowed_types)]

use std::collections::HashMap;

use cairn_primitives::{PublicKey, SignatureError};
use parking_lot::Mutex;

/// Parsed keys kept in all (≈ 200 bytes each: 3.2 MiB).
pub const KEY_CACHE_ENTRIES: usize = 16_384;

/// Shards of the cache, picked by a key byte, so verifying threads rarely share a lock.
const SHARDS: usize = 16;

/// Public key bytes → parsed key, bounded: a full shard is emptied and refilled (cheaper
/// than LRU bookkeeping on every lookup, and a working set that fits never hits it).
pub(crate) struct KeyCache {
    shards: Vec<Mutex<HashMap<[u8; 32], PublicKey>>>,
    per_shard: usize,
}

impl std::fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyCache")
            .field("per_shard", &self.per_shard)
            .finish_non_exhaustive()
    }
}

impl KeyCache {
    /// A cache of about `entries` keys (0: parse every time).
    pub(crate) fn new(entries: usize) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            per_shard: entries.div_ceil(SHARDS),
        }
    }

    fn shard(&self, bytes: &[u8; 32]) -> &Mutex<HashMap<[u8; 32], PublicKey>> {
        // Public keys are uniformly distributed curve points: their first byte spreads them.
        &self.shards[usize::from(bytes[0]) % SHARDS]
    }

    /// The parsed key of `bytes`, from the cache or parsed now (and kept if valid).
    pub(crate) fn get(&self, bytes: &[u8; 32]) -> Result<PublicKey, SignatureError> {
        if self.per_shard == 0 {
            return PublicKey::from_bytes(bytes);
        }
        if let Some(key) = self.shard(bytes).lock().get(bytes) {
            return Ok(*key);
        }
        let key = PublicKey::from_bytes(bytes)?;
        let mut shard = self.shard(bytes).lock();
        if shard.len() >= self.per_shard {
            shard.clear();
        }
        shard.insert(*bytes, key);
        Ok(key)
    }

    /// Keys cached now (tests).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use cairn_primitives::SecretKey;

    use super::*;

    #[test]
    fn caches_valid_keys_only_and_stays_bounded() {
        let cache = KeyCache::new(32);
        let pk = SecretKey::from_bytes(&[1; 32]).public_key();
        assert_eq!(cache.get(&pk).map(|k| k.to_bytes()), Ok(pk));
        assert_eq!(cache.get(&pk).map(|k| k.to_bytes()), Ok(pk));
        assert_eq!(cache.len(), 1);
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(cache.get(&identity), Err(SignatureError::InvalidPublicKey));
        assert_eq!(cache.get(&identity), Err(SignatureError::InvalidPublicKey));
        assert_eq!(cache.len(), 1, "an invalid key is never cached");
        for i in 0..500u32 {
            let mut seed = [9u8; 32];
            seed[..4].copy_from_slice(&i.to_le_bytes());
            let pk = SecretKey::from_bytes(&seed).public_key();
            assert_eq!(cache.get(&pk).map(|k| k.to_bytes()), Ok(pk));
        }
        assert!(cache.len() <= 32, "bounded: {}", cache.len());
        let off = KeyCache::new(0);
        assert_eq!(off.get(&pk).map(|k| k.to_bytes()), Ok(pk));
        assert_eq!(off.len(), 0);
    }
}
