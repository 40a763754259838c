//! An ordered list of writes applied atomically: all of them become visible together, or
//! (after a crash) none of them do.

use crate::Column;

/// One write in a [`WriteBatch`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WriteOp {
    /// Set `key` to `value`.
    Put {
        /// Target column.
        col: Column,
        /// Key bytes.
        key: Vec<u8>,
        /// Value bytes.
        value: Vec<u8>,
    },
    /// Remove `key` (no-op if absent).
    Delete {
        /// Target column.
        col: Column,
        /// Key bytes.
        key: Vec<u8>,
    },
}

/// Writes applied in order and atomically by [`crate::KvStore::write`]. A later write to the
/// same key wins.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteBatch {
    ops: Vec<WriteOp>,
}

impl WriteBatch {
    /// An empty batch.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty batch with room for `n` writes.
    #[must_use]
    pub fn with_capacity(n: usize) -> Self {
        Self {
            ops: Vec::with_capacity(n),
        }
    }

    /// Queues `key = value` in `col`.
    pub fn put(&mut self, col: Column, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) {
        self.ops.push(WriteOp::Put {
            col,
            key: key.into(),
            value: value.into(),
        });
    }

    /// Queues the removal of `key` from `col`.
    pub fn delete(&mut self, col: Column, key: impl Into<Vec<u8>>) {
        self.ops.push(WriteOp::Delete {
            col,
            key: key.into(),
        });
    }

    /// Appends every write of `other` after this batch's own.
    pub fn extend(&mut self, other: WriteBatch) {
        self.ops.extend(other.ops);
    }

    /// Number of queued writes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// True when nothing is queued.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// The queued writes, in order.
    #[must_use]
    pub fn ops(&self) -> &[WriteOp] {
        &self.ops
    }

    /// Consumes the batch into its writes.
    #[must_use]
    pub fn into_ops(self) -> Vec<WriteOp> {
        self.ops
    }
}
