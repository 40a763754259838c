//! Proof format and verification, free of `std` and of storage: only `core`, `alloc` and
//! keccak from `cairn-primitives`, so a light client (or a contract) can copy this module
//! or depend on the crate without a backend.
//!
//! The tree: a 16-ary sparse Merkle tree over 32-byte key hashes (64 nibbles). A leaf sits
//! in the slot of the shortest key prefix no other key shares; internal nodes hash their
//! present children:
//!
//! ```text
//! leaf hash = keccak(0x00 ‖ key_hash ‖ value_hash)          value_hash = keccak(value)
//! node hash = keccak(0x01 ‖ bitmap(u16 BE) ‖ child hashes in nibble order)
//! empty root = 32 zero bytes
//! ```
//!
//! A proof lists the internal nodes from the root down the key's path. For each it gives
//! the bitmap and the hashes of the children *off* the path; the last node's slot for the
//! key is empty (exclusion), or holds a leaf whose key and value hash are in the proof
//! (inclusion if the key matches, exclusion if another key owns the prefix).

use alloc::vec::Vec;

use cairn_primitives::keccak256;

/// keccak-256 of a state key: the position of the key in the tree.
pub type KeyHash = [u8; 32];
/// keccak-256 of a value: what a leaf commits to.
pub type ValueHash = [u8; 32];

/// Root of the empty tree.
pub const EMPTY_ROOT: [u8; 32] = [0u8; 32];

/// Maximum internal nodes in a proof: a key hash has 64 nibbles, so no path is longer.
pub const MAX_PROOF_NODES: usize = 64;

/// Domain byte of a leaf hash.
pub const LEAF_TAG: u8 = 0x00;
/// Domain byte of an internal-node hash.
pub const NODE_TAG: u8 = 0x01;

/// The `i`-th nibble (high half first) of a key hash.
#[must_use]
pub fn nibble(key: &KeyHash, i: usize) -> u8 {
    let b = key[i / 2];
    if i.is_multiple_of(2) {
        b >> 4
    } else {
        b & 0x0f
    }
}

/// Hash of a leaf holding `key` with value hash `value`.
#[must_use]
pub fn leaf_hash(key: &KeyHash, value: &ValueHash) -> [u8; 32] {
    let mut buf = [0u8; 65];
    buf[0] = LEAF_TAG;
    buf[1..33].copy_from_slice(key);
    buf[33..].copy_from_slice(value);
    keccak256(&buf)
}

/// Hash of an internal node with children `bitmap` whose hashes are `hashes` (nibble order).
#[must_use]
pub fn node_hash<'a>(bitmap: u16, hashes: impl Iterator<Item = &'a [u8; 32]>) -> [u8; 32] {
    let mut buf = [0u8; 3 + 16 * 32];
    buf[0] = NODE_TAG;
    buf[1..3].copy_from_slice(&bitmap.to_be_bytes());
    let mut len = 3;
    for h in hashes.take(16) {
        buf[len..len + 32].copy_from_slice(h);
        len += 32;
    }
    keccak256(&buf[..len])
}

/// One internal node on a proof path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProofNode {
    /// Which of the 16 children are present.
    pub bitmap: u16,
    /// Hashes of the present children other than the one on the key's path, nibble order.
    pub siblings: Vec<[u8; 32]>,
}

/// A Merkle proof of a key's value or absence.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Proof {
    /// Internal nodes from the root down.
    pub nodes: Vec<ProofNode>,
    /// The leaf occupying the key's slot under the last node, if any: `(key hash, value hash)`.
    pub leaf: Option<(KeyHash, ValueHash)>,
}

/// Why a proof was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The recomputed root differs from the trusted one.
    #[error("proof root mismatch")]
    RootMismatch,
    /// The proof shows the key holds a value but absence was claimed, or vice versa, or
    /// the value hash differs.
    #[error("proof does not match the claimed value")]
    ValueMismatch,
    /// The proof is structurally invalid (wrong sibling count, misplaced leaf, ...).
    #[error("malformed proof: {0}")]
    Malformed(&'static str),
    /// The encoded proof is truncated, too long or over a limit.
    #[error("bad proof encoding at byte {0}")]
    Encoding(usize),
}

/// Checks that under `root`, `key` holds `value` (`Some`) or is absent (`None`).
///
/// # Errors
/// [`ProofError`] saying why the proof does not establish the claim.
pub fn verify_proof(
    root: &[u8; 32],
    key: &KeyHash,
    value: Option<&[u8]>,
    proof: &Proof,
) -> Result<(), ProofError> {
    verify_proof_hashed(root, key, value.map(keccak256).as_ref(), proof)
}

/// [`verify_proof`] for a caller that holds the value's hash rather than the value.
///
/// # Errors
/// As [`verify_proof`].
pub fn verify_proof_hashed(
    root: &[u8; 32],
    key: &KeyHash,
    value_hash: Option<&ValueHash>,
    proof: &Proof,
) -> Result<(), ProofError> {
    if proof.nodes.is_empty() {
        if proof.leaf.is_some() {
            return Err(ProofError::Malformed("leaf without nodes"));
        }
        if value_hash.is_some() {
            return Err(ProofError::ValueMismatch);
        }
        return if *root == EMPTY_ROOT {
            Ok(())
        } else {
            Err(ProofError::RootMismatch)
        };
    }
    if proof.nodes.len() > MAX_PROOF_NODES {
        return Err(ProofError::Malformed("too many nodes"));
    }
    let last = proof.nodes.len() - 1;
    let slot = nibble(key, last);
    let slot_bit = 1u16 << slot;
    // The hash of the child on the path below the last node (None: empty slot).
    let mut below: Option<[u8; 32]> = if proof.nodes[last].bitmap & slot_bit != 0 {
        let (leaf_key, leaf_value) = proof
            .leaf
            .ok_or(ProofError::Malformed("occupied slot without leaf"))?;
        if (0..=last).any(|i| nibble(&leaf_key, i) != nibble(key, i)) {
            return Err(ProofError::Malformed("leaf outside the key's slot"));
        }
        let matches = if leaf_key == *key {
            value_hash == Some(&leaf_value)
        } else {
            value_hash.is_none()
        };
        if !matches {
            return Err(ProofError::ValueMismatch);
        }
        Some(leaf_hash(&leaf_key, &leaf_value))
    } else {
        if proof.leaf.is_some() {
            return Err(ProofError::Malformed("leaf in an empty slot"));
        }
        if value_hash.is_some() {
            return Err(ProofError::ValueMismatch);
        }
        None
    };
    for depth in (0..=last).rev() {
        let node = &proof.nodes[depth];
        let slot = nibble(key, depth);
        let present = node.bitmap.count_ones() as usize;
        let on_path = below.is_some();
        if depth < last && node.bitmap & (1u16 << slot) == 0 {
            return Err(ProofError::Malformed("path child missing from bitmap"));
        }
        if node.siblings.len() + usize::from(on_path) != present {
            return Err(ProofError::Malformed("sibling count does not match bitmap"));
        }
        let mut hashes: [[u8; 32]; 16] = [[0; 32]; 16];
        let mut n = 0;
        let mut sib = node.siblings.iter();
        for i in 0..16u8 {
            if node.bitmap & (1u16 << i) == 0 {
                continue;
            }
            hashes[n] = match (i == slot, below) {
                (true, Some(h)) => h,
                _ => *sib
                    .next()
                    .ok_or(ProofError::Malformed("too few siblings"))?,
            };
            n += 1;
        }
        below = Some(node_hash(node.bitmap, hashes[..n].iter()));
    }
    if below == Some(*root) {
        Ok(())
    } else {
        Err(ProofError::RootMismatch)
    }
}

impl Proof {
    /// Canonical bytes: `node count (u8)`, per node `bitmap (u16 BE)`, `sibling count (u8)`,
    /// siblings; then `0` or `1 ‖ key hash ‖ value hash`.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        #[allow(clippy::cast_possible_truncation)] // ≤ MAX_PROOF_NODES for proofs we build
        out.push(self.nodes.len() as u8);
        for n in &self.nodes {
            out.extend_from_slice(&n.bitmap.to_be_bytes());
            #[allow(clippy::cast_possible_truncation)] // ≤ 16 siblings
            out.push(n.siblings.len() as u8);
            for s in &n.siblings {
                out.extend_from_slice(s);
            }
        }
        match &self.leaf {
            None => out.push(0),
            Some((k, v)) => {
                out.push(1);
                out.extend_from_slice(k);
                out.extend_from_slice(v);
            }
        }
        out
    }

    /// Size of [`Proof::encode`]'s output in bytes.
    #[must_use]
    pub fn encoded_len(&self) -> usize {
        1 + self
            .nodes
            .iter()
            .map(|n| 3 + 32 * n.siblings.len())
            .sum::<usize>()
            + if self.leaf.is_some() { 65 } else { 1 }
    }

    /// Parses [`Proof::encode`]'s output, rejecting anything over the limits or with
    /// trailing bytes.
    ///
    /// # Errors
    /// [`ProofError::Encoding`] with the offset of the problem.
    pub fn decode(bytes: &[u8]) -> Result<Self, ProofError> {
        let mut r = Reader { bytes, pos: 0 };
        let count = usize::from(r.take(1)?[0]);
        if count > MAX_PROOF_NODES {
            return Err(ProofError::Encoding(0));
        }
        let mut nodes = Vec::with_capacity(count);
        for _ in 0..count {
            let b = r.take(2)?;
            let bitmap = u16::from_be_bytes([b[0], b[1]]);
            let at = r.pos;
            let n = usize::from(r.take(1)?[0]);
            if n > 16 {
                return Err(ProofError::Encoding(at));
            }
            let mut siblings = Vec::with_capacity(n);
            for _ in 0..n {
                siblings.push(r.hash()?);
            }
            nodes.push(ProofNode { bitmap, siblings });
        }
        let at = r.pos;
        let leaf = match r.take(1)?[0] {
            0 => None,
            1 => Some((r.hash()?, r.hash()?)),
            _ => return Err(ProofError::Encoding(at)),
        };
        if r.pos != bytes.len() {
            return Err(ProofError::Encoding(r.pos));
        }
        Ok(Self { nodes, leaf })
    }
}

/// A cursor over encoded proof bytes.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ProofError> {
        let s = self
            .bytes
            .get(self.pos..self.pos + n)
            .ok_or(ProofError::Encoding(self.pos))?;
        self.pos += n;
        Ok(s)
    }

    fn hash(&mut self) -> Result<[u8; 32], ProofError> {
        let mut h = [0u8; 32];
        h.copy_from_slice(self.take(32)?);
        Ok(h)
    }
}
