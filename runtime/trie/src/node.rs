//! Stored trie nodes and their keys. A node is written once under a key made of the
//! version that created it and its position, and never modified: a later version writes a
//! new node and records the old one as stale. That makes every past root readable until
//! the pruner removes its stale nodes, and makes caching trivially coherent.
//!
//! ```text
//! node key   = version (u64 BE) ‖ depth (u8, nibbles) ‖ path nibbles packed (⌈depth/2⌉ bytes)
//! node bytes = bitmap (u16 BE) ‖ leaf bitmap (u16 BE) ‖ per present child in nibble order:
//!                leaf:     key hash ‖ value hash          (64 bytes)
//!                internal: hash ‖ version (u64 BE)        (40 bytes)
//! ```
//!
//! Leaves live inline in their parent: a leaf update rewrites one node instead of two, and
//! a lookup never needs a separate leaf read. A leaf's own hash is not stored: it is a
//! function of the two hashes that are, so decoding recomputes it (one 65-byte keccak per
//! leaf, paid only on a node-cache miss) and a commit writes a third fewer leaf bytes.
//! Storing it was format 3.

use crate::proof::{KeyHash, ValueHash, leaf_hash, node_hash};
use crate::{TrieError, Version};

/// Where a node is stored: the version that wrote it and its nibble path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeKey {
    /// Version that created the node.
    pub version: Version,
    /// Path length in nibbles (0 = root).
    pub depth: u8,
    /// The path, packed two nibbles a byte; nibbles past `depth` are zero.
    pub path: [u8; 32],
}

impl NodeKey {
    /// The key of the node at `depth` on `key`'s path, written at `version`.
    #[must_use]
    pub fn new(version: Version, key: &KeyHash, depth: usize) -> Self {
        let mut path = [0u8; 32];
        let full = depth / 2;
        path[..full].copy_from_slice(&key[..full]);
        if depth % 2 == 1 {
            path[full] = key[full] & 0xf0;
        }
        #[allow(clippy::cast_possible_truncation)] // depth ≤ 64
        Self {
            version,
            depth: depth as u8,
            path,
        }
    }

    /// The root node key of `version`.
    #[must_use]
    pub fn root(version: Version) -> Self {
        Self {
            version,
            depth: 0,
            path: [0; 32],
        }
    }

    /// Storage key bytes.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let n = usize::from(self.depth).div_ceil(2);
        let mut out = Vec::with_capacity(9 + n);
        out.extend_from_slice(&self.version.to_be_bytes());
        out.push(self.depth);
        out.extend_from_slice(&self.path[..n]);
        out
    }

    /// Parses [`NodeKey::encode`]'s output.
    ///
    /// # Errors
    /// [`TrieError::CorruptNode`] on a malformed key.
    pub fn decode(bytes: &[u8]) -> Result<Self, TrieError> {
        let bad =
            || TrieError::CorruptNode(format!("bad node key {}", cairn_primitives::to_hex(bytes)));
        if bytes.len() < 9 {
            return Err(bad());
        }
        let version = u64::from_be_bytes(bytes[..8].try_into().map_err(|_| bad())?);
        let depth = bytes[8];
        let n = usize::from(depth).div_ceil(2);
        if depth > 64 || bytes.len() != 9 + n {
            return Err(bad());
        }
        let mut path = [0u8; 32];
        path[..n].copy_from_slice(&bytes[9..]);
        Ok(Self {
            version,
            depth,
            path,
        })
    }
}

/// Stored bytes of a leaf child: key hash ‖ value hash.
pub const LEAF_BYTES: usize = 64;

/// Stored bytes of an internal child: hash ‖ version.
pub const INTERNAL_BYTES: usize = 40;

/// A child slot of an internal node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Child {
    /// A single key living in this slot.
    Leaf {
        /// keccak of the state key.
        key: KeyHash,
        /// keccak of the value.
        value: ValueHash,
        /// [`leaf_hash`] of the two (kept in memory to avoid rehashing siblings; not
        /// stored, recomputed when a node is decoded).
        hash: [u8; 32],
    },
    /// An internal node one nibble deeper.
    Node {
        /// Its hash.
        hash: [u8; 32],
        /// The version that wrote it (with the path, its storage key).
        version: Version,
    },
}

impl Child {
    /// A leaf child, hashing it.
    #[must_use]
    pub fn leaf(key: KeyHash, value: ValueHash) -> Self {
        Child::Leaf {
            key,
            value,
            hash: leaf_hash(&key, &value),
        }
    }

    /// The child's hash.
    #[must_use]
    pub fn hash(&self) -> &[u8; 32] {
        match self {
            Child::Leaf { hash, .. } | Child::Node { hash, .. } => hash,
        }
    }
}

/// An internal node: up to 16 children, sorted by nibble.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Node {
    /// `(nibble, child)` pairs in ascending nibble order.
    pub children: Vec<(u8, Child)>,
}

impl Node {
    /// Bit `i` set when child `i` is present.
    #[must_use]
    pub fn bitmap(&self) -> u16 {
        self.children.iter().fold(0u16, |m, (i, _)| m | (1 << i))
    }

    /// The child in slot `nibble`.
    #[must_use]
    pub fn child(&self, nibble: u8) -> Option<&Child> {
        self.children
            .iter()
            .find(|(i, _)| *i == nibble)
            .map(|(_, c)| c)
    }

    /// The node's hash (see [`crate::proof`]).
    #[must_use]
    pub fn hash(&self) -> [u8; 32] {
        node_hash(self.bitmap(), self.children.iter().map(|(_, c)| c.hash()))
    }

    /// Stored bytes.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let mut leaves = 0u16;
        let mut out = Vec::with_capacity(self.encoded_len());
        out.extend_from_slice(&self.bitmap().to_be_bytes());
        out.extend_from_slice(&[0, 0]);
        for (i, c) in &self.children {
            match c {
                Child::Leaf { key, value, .. } => {
                    leaves |= 1 << i;
                    out.extend_from_slice(key);
                    out.extend_from_slice(value);
                }
                Child::Node { hash, version } => {
                    out.extend_from_slice(hash);
                    out.extend_from_slice(&version.to_be_bytes());
                }
            }
        }
        out[2..4].copy_from_slice(&leaves.to_be_bytes());
        out
    }

    /// Length of [`Node::encode`]'s output, without encoding.
    #[must_use]
    pub fn encoded_len(&self) -> usize {
        4 + self
            .children
            .iter()
            .map(|(_, c)| match c {
                Child::Leaf { .. } => LEAF_BYTES,
                Child::Node { .. } => INTERNAL_BYTES,
            })
            .sum::<usize>()
    }

    /// Parses [`Node::encode`]'s output.
    ///
    /// # Errors
    /// [`TrieError::CorruptNode`] on malformed bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, TrieError> {
        let bad =
            |why: &str| TrieError::CorruptNode(format!("{why} in node of {} bytes", bytes.len()));
        if bytes.len() < 4 {
            return Err(bad("truncated header"));
        }
        let bitmap = u16::from_be_bytes([bytes[0], bytes[1]]);
        let leaves = u16::from_be_bytes([bytes[2], bytes[3]]);
        if leaves & !bitmap != 0 {
            return Err(bad("leaf bit outside bitmap"));
        }
        let mut pos = 4;
        let mut children = Vec::with_capacity(bitmap.count_ones() as usize);
        let take32 = |pos: &mut usize| -> Result<[u8; 32], TrieError> {
            let s = bytes
                .get(*pos..*pos + 32)
                .ok_or_else(|| bad("truncated child"))?;
            *pos += 32;
            let mut h = [0u8; 32];
            h.copy_from_slice(s);
            Ok(h)
        };
        for i in 0..16u8 {
            if bitmap & (1 << i) == 0 {
                continue;
            }
            if leaves & (1 << i) != 0 {
                let key = take32(&mut pos)?;
                let value = take32(&mut pos)?;
                children.push((i, Child::leaf(key, value)));
            } else {
                let hash = take32(&mut pos)?;
                let v = bytes
                    .get(pos..pos + 8)
                    .ok_or_else(|| bad("truncated version"))?;
                pos += 8;
                let version = u64::from_be_bytes(v.try_into().map_err(|_| bad("version"))?);
                children.push((i, Child::Node { hash, version }));
            }
        }
        if pos != bytes.len() {
            return Err(bad("trailing bytes"));
        }
        Ok(Node { children })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_roundtrip() {
        let n = Node {
            children: vec![
                (1, Child::leaf([1; 32], [2; 32])),
                (
                    7,
                    Child::Node {
                        hash: [3; 32],
                        version: 9,
                    },
                ),
                (15, Child::leaf([4; 32], [5; 32])),
            ],
        };
        let bytes = n.encode();
        assert_eq!(bytes.len(), 4 + 64 + 40 + 64);
        assert_eq!(bytes.len(), n.encoded_len());
        // The leaf hashes are not stored, yet come back: decode recomputes them.
        assert_eq!(Node::decode(&bytes).unwrap(), n);
        assert_eq!(Node::decode(&bytes).unwrap().hash(), n.hash());
        assert!(Node::decode(&bytes[..bytes.len() - 1]).is_err());
        let mut extra = bytes;
        extra.push(0);
        assert!(Node::decode(&extra).is_err());
    }

    #[test]
    fn node_key_roundtrip_and_masking() {
        let key = [0xab; 32];
        let k = NodeKey::new(5, &key, 3);
        assert_eq!(k.path[..2], [0xab, 0xa0]);
        assert_eq!(k.encode(), vec![0, 0, 0, 0, 0, 0, 0, 5, 3, 0xab, 0xa0]);
        assert_eq!(NodeKey::decode(&k.encode()).unwrap(), k);
        assert!(NodeKey::decode(&[0; 8]).is_err());
        assert!(NodeKey::decode(&[0, 0, 0, 0, 0, 0, 0, 5, 3, 0xab]).is_err());
    }
}
