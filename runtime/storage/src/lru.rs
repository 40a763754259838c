//! [`LruCache`]: a bounded least-recently-used map with O(1) get/insert, shared by the
//! trie's node cache and the state's hot-account cache. Its iteration order never reaches
//! a hash or a root: it only decides what stays in memory.

#[allow(clippy::disallowed_types)] // see `LruCache::index`
use std::collections::HashMap;
use std::hash::Hash;

use foldhash::fast::RandomState;

const NIL: usize = usize::MAX;

struct Entry<K, V> {
    key: K,
    value: V,
    prev: usize,
    next: usize,
}

/// A bounded map that evicts the least recently used entry when full.
pub struct LruCache<K, V> {
    // A hash map is fine here: only membership is used, its order never leaves the cache.
    // foldhash instead of SipHash: a node key is 41 bytes, hashed on every lookup, insert
    // and removal of a commit. Its seed is random per process, so keys an attacker grinds
    // cannot be aimed at one bucket.
    #[allow(clippy::disallowed_types)]
    index: HashMap<K, usize, RandomState>,
    entries: Vec<Entry<K, V>>,
    head: usize,
    tail: usize,
    capacity: usize,
}

impl<K: Hash + Eq + Clone, V> LruCache<K, V> {
    /// A cache holding at most `capacity` entries (0 disables caching). Nothing is reserved
    /// up front: memory grows with what is cached, so a large bound costs nothing until used.
    #[must_use]
    #[allow(clippy::disallowed_types)] // see the field's comment
    pub fn new(capacity: usize) -> Self {
        Self {
            index: HashMap::with_hasher(RandomState::default()),
            entries: Vec::new(),
            head: NIL,
            tail: NIL,
            capacity,
        }
    }

    /// Number of cached entries.
    #[must_use]
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// True when nothing is cached.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Maximum number of entries.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    fn unlink(&mut self, i: usize) {
        let (prev, next) = (self.entries[i].prev, self.entries[i].next);
        if prev == NIL {
            self.head = next;
        } else {
            self.entries[prev].next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            self.entries[next].prev = prev;
        }
    }

    fn push_front(&mut self, i: usize) {
        self.entries[i].prev = NIL;
        self.entries[i].next = self.head;
        if self.head != NIL {
            self.entries[self.head].prev = i;
        }
        self.head = i;
        if self.tail == NIL {
            self.tail = i;
        }
    }

    /// The cached value of `key`, marking it most recently used.
    pub fn get(&mut self, key: &K) -> Option<&V> {
        let i = *self.index.get(key)?;
        if self.head != i {
            self.unlink(i);
            self.push_front(i);
        }
        Some(&self.entries[i].value)
    }

    /// The cached value of `key`, leaving the recency order as it is: for a reader that is
    /// about to replace what it reads (a trie update reads nodes it then makes stale), where
    /// marking them used would only cost writes to other entries.
    #[must_use]
    pub fn peek(&self, key: &K) -> Option<&V> {
        self.index.get(key).map(|&i| &self.entries[i].value)
    }

    /// Caches `key = value`, evicting the least recently used entry if full.
    pub fn insert(&mut self, key: K, value: V) {
        if self.capacity == 0 {
            return;
        }
        if let Some(&i) = self.index.get(&key) {
            self.entries[i].value = value;
            if self.head != i {
                self.unlink(i);
                self.push_front(i);
            }
            return;
        }
        let i = if self.entries.len() < self.capacity {
            self.entries.push(Entry {
                key: key.clone(),
                value,
                prev: NIL,
                next: NIL,
            });
            self.entries.len() - 1
        } else {
            let i = self.tail;
            self.unlink(i);
            let old = std::mem::replace(&mut self.entries[i].key, key.clone());
            // A slot freed by `remove` keeps its old key; that key may live elsewhere now.
            if self.index.get(&old) == Some(&i) {
                self.index.remove(&old);
            }
            self.entries[i].value = value;
            i
        };
        self.index.insert(key, i);
        self.push_front(i);
    }

    /// Drops `key` from the cache; its slot moves to the tail and is reused first.
    pub fn remove(&mut self, key: &K) {
        if let Some(i) = self.index.remove(key) {
            // Keep the slot but move it to the tail so it is reused first; the index no
            // longer points at it, so it is invisible.
            self.unlink(i);
            self.entries[i].prev = self.tail;
            self.entries[i].next = NIL;
            if self.tail != NIL {
                self.entries[self.tail].next = i;
            }
            self.tail = i;
            if self.head == NIL {
                self.head = i;
            }
        }
    }

    /// Empties the cache.
    pub fn clear(&mut self) {
        self.index.clear();
        self.entries.clear();
        self.head = NIL;
        self.tail = NIL;
    }
}

#[cfg(test)]
mod tests {
    use super::LruCache;

    #[test]
    fn evicts_least_recently_used() {
        let mut c = LruCache::new(2);
        c.insert(1, "a");
        c.insert(2, "b");
        assert_eq!(c.get(&1), Some(&"a"));
        c.insert(3, "c"); // evicts 2
        assert_eq!(c.get(&2), None);
        assert_eq!(c.get(&1), Some(&"a"));
        assert_eq!(c.get(&3), Some(&"c"));
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn peek_reads_without_changing_what_is_evicted() {
        let mut c = LruCache::new(2);
        c.insert(1, "a");
        c.insert(2, "b");
        assert_eq!(c.peek(&1), Some(&"a"));
        assert_eq!(c.peek(&9), None);
        c.insert(3, "c"); // 1 is still the least recently used: evicted
        assert_eq!(c.peek(&1), None);
        assert_eq!(c.peek(&2), Some(&"b"));
        assert_eq!(c.peek(&3), Some(&"c"));
    }

    #[test]
    fn remove_then_reuse_slot() {
        let mut c = LruCache::new(2);
        c.insert(1, 10);
        c.insert(2, 20);
        c.remove(&1);
        assert_eq!(c.get(&1), None);
        c.insert(3, 30);
        assert_eq!(c.get(&2), Some(&20));
        assert_eq!(c.get(&3), Some(&30));
        c.insert(4, 40); // evicts 2 (least recent)
        assert_eq!(c.get(&2), None);
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn reinserted_key_survives_eviction_of_its_old_slot() {
        let mut c = LruCache::new(3);
        c.insert(1, 10);
        c.remove(&1); // slot 0 keeps key 1, unindexed, at the tail
        c.insert(2, 20);
        c.insert(1, 11); // key 1 again, in a new slot
        c.insert(3, 30); // full: reuses the tail slot 0 whose stale key is 1
        assert_eq!(c.get(&1), Some(&11), "live key 1 must not be unindexed");
        assert_eq!(c.get(&2), Some(&20));
        assert_eq!(c.get(&3), Some(&30));
    }

    #[test]
    fn a_large_bound_reserves_nothing_until_used() {
        let mut c: LruCache<u64, u64> = LruCache::new(1 << 20);
        assert_eq!((c.index.capacity(), c.entries.capacity()), (0, 0));
        for i in 0..100 {
            c.insert(i, i);
        }
        assert!(c.entries.capacity() < 1024, "grows with what is cached");
        assert_eq!(c.capacity(), 1 << 20);
    }

    #[test]
    fn zero_capacity_caches_nothing() {
        let mut c = LruCache::new(0);
        c.insert(1, 1);
        assert_eq!(c.get(&1), None);
    }
}
