//! Block headers, blocks, and the binary Merkle root used for transaction and receipt lists.
//!
//! ```text
//! block hash = keccak256(encode(BlockHeader))        (180 bytes, fixed layout)
//! tx_root    = merkle_root([tx hash of each tx])      (RFC 6962 shape, keccak-256)
//! ```

use alloc::vec::Vec;

use borsh::{BorshDeserialize, BorshSerialize};

use crate::codec::check_len;
use crate::hash::keccak256_parts;
use crate::limits::{BLOCK_HEADER_SIZE, MAX_BLOCK_SIZE, MAX_BLOCK_TXS};
use crate::{Address, Canonical, DecodeError, Gas, Hash, Height, SignedTransaction, Timestamp};

/// A block header: everything the block hash commits to.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct BlockHeader {
    /// Hash of the parent block's header ([`Hash::ZERO`] for genesis).
    pub parent_hash: Hash,
    /// Height; genesis is 0.
    pub height: Height,
    /// Milliseconds since the Unix epoch, set by the proposer; never decreases.
    pub timestamp: Timestamp,
    /// Address that proposed the block and receives its fees.
    pub proposer: Address,
    /// [`merkle_root`] of the transaction hashes.
    pub tx_root: Hash,
    /// [`merkle_root`] of the receipt hashes.
    pub receipts_root: Hash,
    /// Root of the state trie after executing the block.
    pub state_root: Hash,
    /// Gas used by all transactions.
    pub gas_used: Gas,
    /// Most gas the block's transactions may use together.
    pub gas_limit: Gas,
}

impl Canonical for BlockHeader {
    const NAME: &'static str = "BlockHeader";
    const MAX_SIZE: usize = BLOCK_HEADER_SIZE;
}

/// A block: its header and its transactions in execution order.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct Block {
    /// The header.
    pub header: BlockHeader,
    /// The transactions.
    pub txs: Vec<SignedTransaction>,
}

impl Block {
    /// The block hash: keccak-256 of the encoded header.
    #[must_use]
    pub fn hash(&self) -> Hash {
        Canonical::hash(&self.header)
    }

    /// The [`merkle_root`] of this block's transaction hashes (to compare with `tx_root`).
    #[must_use]
    pub fn compute_tx_root(&self) -> Hash {
        let hashes: Vec<Hash> = self.txs.iter().map(Canonical::hash).collect();
        merkle_root(&hashes)
    }
}

impl Canonical for Block {
    const NAME: &'static str = "Block";
    const MAX_SIZE: usize = MAX_BLOCK_SIZE;

    fn validate(&self) -> Result<(), DecodeError> {
        check_len("block.txs", self.txs.len(), MAX_BLOCK_TXS)?;
        self.txs.iter().try_for_each(|tx| tx.tx.validate())
    }
}

/// Domain byte of a Merkle leaf, so a leaf can never be taken for an inner node.
pub const MERKLE_LEAF_PREFIX: u8 = 0x00;
/// Domain byte of a Merkle inner node.
pub const MERKLE_NODE_PREFIX: u8 = 0x01;

/// The binary Merkle root of a list of hashes, shaped as in RFC 6962 with keccak-256:
///
/// ```text
/// root([])      = keccak256("")
/// root([x])     = keccak256(0x00 ‖ x)
/// root(xs)      = keccak256(0x01 ‖ root(xs[..k]) ‖ root(xs[k..]))   k = largest power of 2 < len
/// ```
#[must_use]
pub fn merkle_root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => Hash::of(&[]),
        1 => Hash(keccak256_parts(&[&[MERKLE_LEAF_PREFIX], &leaves[0].0])),
        n => {
            // The largest power of two strictly below n (n ≥ 2).
            let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
            let left = merkle_root(&leaves[..k]);
            let right = merkle_root(&leaves[k..]);
            Hash(keccak256_parts(&[&[MERKLE_NODE_PREFIX], &left.0, &right.0]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(i: u8) -> Hash {
        Hash([i; 32])
    }

    #[test]
    fn merkle_shape_is_rfc6962() {
        let l = |h: Hash| Hash(keccak256_parts(&[&[0], &h.0]));
        let n = |a: Hash, b: Hash| Hash(keccak256_parts(&[&[1], &a.0, &b.0]));
        assert_eq!(merkle_root(&[]), Hash::of(b""));
        assert_eq!(merkle_root(&[leaf(1)]), l(leaf(1)));
        assert_eq!(merkle_root(&[leaf(1), leaf(2)]), n(l(leaf(1)), l(leaf(2))));
        // Three leaves split 2 | 1.
        assert_eq!(
            merkle_root(&[leaf(1), leaf(2), leaf(3)]),
            n(n(l(leaf(1)), l(leaf(2))), l(leaf(3)))
        );
        // Five leaves split 4 | 1.
        let four = n(n(l(leaf(1)), l(leaf(2))), n(l(leaf(3)), l(leaf(4))));
        assert_eq!(
            merkle_root(&[leaf(1), leaf(2), leaf(3), leaf(4), leaf(5)]),
            n(four, l(leaf(5)))
        );
    }

    #[test]
    fn header_size_is_fixed() {
        let h = BlockHeader {
            parent_hash: Hash::ZERO,
            height: u64::MAX,
            timestamp: 0,
            proposer: Address::ZERO,
            tx_root: Hash::ZERO,
            receipts_root: Hash::ZERO,
            state_root: Hash::ZERO,
            gas_used: 0,
            gas_limit: 0,
        };
        assert_eq!(h.encode().len(), BLOCK_HEADER_SIZE);
    }
}
