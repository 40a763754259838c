//! The block as consensus sees it: our own [`ChainBlock`] trait, its implementation for
//! [`cairn_primitives::Block`], and the private [`Wire`] newtype that gives a block the codec and
//! digest traits Commonware needs.
//!
//! ```text
//! ChainBlock (ours: hash, parent, height, timestamp, canonical bytes)
//!      │ wrapped by
//!      ▼
//! Wire<B> { Arc<B>, hash } ── commonware Block + Digestible + Codec ──► marshal, simplex, p2p
//!      on the wire and in marshal's archives: varint(len) ‖ B::to_bytes()
//! ```
//!
//! Commonware's 32-byte `sha256::Digest` is used only as a container for our keccak-256 block
//! hash: Commonware never rehashes a block, it asks [`Digestible::digest`], which returns the
//! hash the block itself defines.

use std::sync::Arc;

use bytes::BufMut;
use cairn_primitives::{Canonical, Hash};
use commonware_codec::Buf;
use commonware_codec::{EncodeSize, Error as CodecError, Read, ReadExt, Write, varint::UInt};
use commonware_consensus::types::Height as CwHeight;
use commonware_cryptography::{Digestible, sha256::Digest as CwDigest};

/// Largest encoded block the consensus layer accepts from the network or its archives.
///
/// Equal to the protocol's block limit ([`cairn_primitives::limits::MAX_BLOCK_SIZE`]), so
/// every block the executor can produce fits, and nothing larger is ever buffered.
pub const MAX_BLOCK_BYTES: usize = cairn_primitives::limits::MAX_BLOCK_SIZE;

/// Why a block's bytes were rejected.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid block encoding: {0}")]
pub struct BlockDecodeError(pub String);

/// A block the consensus layer can order: identified by a 32-byte hash, linked to its parent,
/// with a canonical byte encoding.
///
/// Obligations of an implementation:
/// - `hash` commits to the whole block (two different blocks never share a hash);
/// - `to_bytes` is canonical and `from_bytes(to_bytes(b)) == b`; `from_bytes` rejects every
///   other byte string (trailing bytes, non-canonical forms) and never panics;
/// - the genesis block has height 0; every other block has `height = parent height + 1`.
pub trait ChainBlock: Clone + Send + Sync + 'static {
    /// The block hash (for Cairn: keccak-256 of the header).
    fn hash(&self) -> Hash;
    /// The parent's hash ([`Hash::ZERO`] for genesis).
    fn parent_hash(&self) -> Hash;
    /// Height; genesis is 0.
    fn height(&self) -> u64;
    /// Proposer's timestamp in milliseconds since the Unix epoch.
    fn timestamp_ms(&self) -> u64;
    /// Canonical encoding, at most [`MAX_BLOCK_BYTES`] bytes.
    fn to_bytes(&self) -> Vec<u8>;
    /// Decodes a canonical encoding.
    ///
    /// # Errors
    /// Any byte string that `to_bytes` would not produce.
    fn from_bytes(bytes: &[u8]) -> Result<Self, BlockDecodeError>;
}

impl ChainBlock for cairn_primitives::Block {
    fn hash(&self) -> Hash {
        cairn_primitives::Block::hash(self)
    }
    fn parent_hash(&self) -> Hash {
        self.header.parent_hash
    }
    fn height(&self) -> u64 {
        self.header.height
    }
    fn timestamp_ms(&self) -> u64 {
        self.header.timestamp
    }
    fn to_bytes(&self) -> Vec<u8> {
        Canonical::encode(self)
    }
    fn from_bytes(bytes: &[u8]) -> Result<Self, BlockDecodeError> {
        <Self as Canonical>::decode(bytes).map_err(|e| BlockDecodeError(e.to_string()))
    }
}

/// Converts our hash into Commonware's 32-byte digest container.
pub(crate) fn to_digest(hash: Hash) -> CwDigest {
    CwDigest(hash.0)
}

/// Converts Commonware's 32-byte digest container back into our hash.
pub(crate) fn from_digest(digest: &CwDigest) -> Hash {
    Hash(digest.0)
}

/// A [`ChainBlock`] with its hash and encoding computed once, carrying the Commonware traits.
pub(crate) struct Wire<B> {
    block: Arc<B>,
    hash: Hash,
    bytes: bytes::Bytes,
}

impl<B: ChainBlock> Wire<B> {
    /// Wraps a block, computing its hash and encoding.
    pub(crate) fn new(block: Arc<B>) -> Self {
        let bytes = bytes::Bytes::from(block.to_bytes());
        Self::with_bytes(block, bytes)
    }

    fn with_bytes(block: Arc<B>, bytes: bytes::Bytes) -> Self {
        let hash = block.hash();
        Self { block, hash, bytes }
    }

    /// Length of the block's canonical encoding.
    pub(crate) fn encoded_len(&self) -> usize {
        self.bytes.len()
    }

    /// The wrapped block.
    pub(crate) fn block(&self) -> &Arc<B> {
        &self.block
    }
}

impl<B> Clone for Wire<B> {
    fn clone(&self) -> Self {
        Self {
            block: Arc::clone(&self.block),
            hash: self.hash,
            bytes: self.bytes.clone(),
        }
    }
}

impl<B: ChainBlock> PartialEq for Wire<B> {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash
    }
}

impl<B: ChainBlock> Eq for Wire<B> {}

impl<B: ChainBlock> std::fmt::Debug for Wire<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Block")
            .field("height", &self.block.height())
            .field("hash", &self.hash)
            .finish()
    }
}

impl<B: ChainBlock> Write for Wire<B> {
    fn write(&self, buf: &mut impl BufMut) {
        let len = u32::try_from(self.bytes.len()).expect("a block never exceeds MAX_BLOCK_BYTES");
        UInt(len).write(buf);
        buf.put_slice(&self.bytes);
    }
}

impl<B: ChainBlock> EncodeSize for Wire<B> {
    fn encode_size(&self) -> usize {
        let len = self.bytes.len();
        let len32 = u32::try_from(len).expect("a block never exceeds MAX_BLOCK_BYTES");
        UInt(len32).encode_size() + len
    }
}

impl<B: ChainBlock> Read for Wire<B> {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _cfg: &()) -> Result<Self, CodecError> {
        let len: u32 = UInt::read(buf)?.into();
        let len = len as usize;
        if len > MAX_BLOCK_BYTES {
            return Err(CodecError::InvalidLength(len));
        }
        if buf.remaining() < len {
            return Err(CodecError::EndOfBuffer);
        }
        let bytes = buf.copy_to_bytes(len);
        let block = B::from_bytes(&bytes).map_err(|_| CodecError::Invalid("Block", "decode"))?;
        Ok(Self::with_bytes(Arc::new(block), bytes))
    }
}

impl<B: ChainBlock> Digestible for Wire<B> {
    type Digest = CwDigest;

    fn digest(&self) -> CwDigest {
        to_digest(self.hash)
    }
}

impl<B: ChainBlock> commonware_consensus::Heightable for Wire<B> {
    fn height(&self) -> CwHeight {
        CwHeight::new(self.block.height())
    }
}

impl<B: ChainBlock> commonware_consensus::Block for Wire<B> {
    fn parent(&self) -> CwDigest {
        to_digest(self.block.parent_hash())
    }
}

impl<B: ChainBlock> commonware_consensus::BoundedBlock for Wire<B> {
    fn max_encode_size(_cfg: &()) -> usize {
        // varint(u32) is at most 5 bytes.
        5 + MAX_BLOCK_BYTES
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cairn_primitives::{Address, Block, BlockHeader};
    use commonware_codec::{DecodeExt, Encode};

    fn block(height: u64) -> Block {
        Block {
            header: BlockHeader {
                parent_hash: Hash([7; 32]),
                height,
                timestamp: 1_700_000_000_000,
                proposer: Address::ZERO,
                tx_root: Hash::ZERO,
                receipts_root: Hash::ZERO,
                state_root: Hash([3; 32]),
                gas_used: 0,
                gas_limit: 30_000_000,
            },
            txs: vec![],
        }
    }

    #[test]
    fn wire_round_trips_and_keeps_the_cairn_hash() {
        let b = block(5);
        let wire = Wire::new(Arc::new(b.clone()));
        let bytes = wire.encode();
        assert_eq!(bytes.len(), wire.encode_size());
        let back = Wire::<Block>::decode(bytes).unwrap();
        assert_eq!(back.block().as_ref(), &b);
        assert_eq!(from_digest(&back.digest()), b.hash());
        assert_eq!(
            from_digest(&commonware_consensus::Block::parent(&back)),
            Hash([7; 32])
        );
    }

    #[test]
    fn wire_rejects_trailing_and_truncated_bytes() {
        let wire = Wire::new(Arc::new(block(1)));
        let mut bytes = wire.encode().to_vec();
        bytes.push(0);
        assert!(Wire::<Block>::decode(bytes::Bytes::from(bytes.clone())).is_err());
        bytes.truncate(bytes.len() - 2);
        assert!(Wire::<Block>::decode(bytes::Bytes::from(bytes.clone())).is_err());
    }

    #[test]
    fn wire_rejects_oversized_length_prefix() {
        let mut bytes = Vec::new();
        UInt(u32::try_from(MAX_BLOCK_BYTES + 1).unwrap()).write(&mut bytes);
        assert!(matches!(
            Wire::<Block>::decode(bytes::Bytes::from(bytes.clone())),
            Err(CodecError::InvalidLength(_))
        ));
    }
}
