//! The storage traits: [`KvRead`] for lookups and ordered scans, [`KvStore`] for atomic
//! batches and consistent snapshots. Implementations must behave identically (the
//! conformance suite checks it): keys are compared as unsigned byte strings.

use std::ops::Bound;

use crate::{Column, Result, WriteBatch};

/// A key-value pair as returned by scans.
pub type KvPair = (Vec<u8>, Vec<u8>);

/// A fallible ordered iterator over key-value pairs.
pub type KvIter<'a> = Box<dyn Iterator<Item = Result<KvPair>> + 'a>;

/// Scan direction for [`KvRead::iter`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Ascending key order.
    Forward,
    /// Descending key order.
    Reverse,
}

/// Key bounds of a scan: `lower` and `upper` as in [`std::ops::RangeBounds`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRange {
    /// Lower bound.
    pub lower: Bound<Vec<u8>>,
    /// Upper bound.
    pub upper: Bound<Vec<u8>>,
}

impl KeyRange {
    /// Every key of the column.
    #[must_use]
    pub fn all() -> Self {
        Self {
            lower: Bound::Unbounded,
            upper: Bound::Unbounded,
        }
    }

    /// Every key starting with `prefix`.
    #[must_use]
    pub fn prefix(prefix: &[u8]) -> Self {
        Self {
            lower: Bound::Included(prefix.to_vec()),
            upper: prefix_successor(prefix).map_or(Bound::Unbounded, Bound::Excluded),
        }
    }

    /// Keys in `[from, to)`.
    #[must_use]
    pub fn between(from: &[u8], to: &[u8]) -> Self {
        Self {
            lower: Bound::Included(from.to_vec()),
            upper: Bound::Excluded(to.to_vec()),
        }
    }

    /// True when `key` lies inside the range.
    #[must_use]
    pub fn contains(&self, key: &[u8]) -> bool {
        let lower_ok = match &self.lower {
            Bound::Included(l) => key >= l.as_slice(),
            Bound::Excluded(l) => key > l.as_slice(),
            Bound::Unbounded => true,
        };
        let upper_ok = match &self.upper {
            Bound::Included(u) => key <= u.as_slice(),
            Bound::Excluded(u) => key < u.as_slice(),
            Bound::Unbounded => true,
        };
        lower_ok && upper_ok
    }
}

/// The smallest key greater than every key starting with `prefix`, or `None` when there is
/// none (the prefix is empty or all `0xff`).
#[must_use]
pub fn prefix_successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut out = prefix.to_vec();
    while let Some(last) = out.pop() {
        if last != 0xff {
            out.push(last + 1);
            return Some(out);
        }
    }
    None
}

/// Read access to a store or a snapshot of one.
pub trait KvRead {
    /// The value of `key` in `col`, or `None` when absent.
    ///
    /// # Errors
    /// Only on an I/O or corruption failure of the backend.
    fn get(&self, col: Column, key: &[u8]) -> Result<Option<Vec<u8>>>;

    /// Looks `key` up and hands the value to `f` (a backend may do so without copying).
    ///
    /// # Errors
    /// Only on an I/O or corruption failure of the backend.
    fn get_with<T>(&self, col: Column, key: &[u8], f: impl FnOnce(&[u8]) -> T) -> Result<Option<T>>
    where
        Self: Sized,
    {
        Ok(self.get(col, key)?.map(|v| f(&v)))
    }

    /// The pairs of `col` whose keys lie in `range`, in `dir` order.
    ///
    /// # Errors
    /// Only on a backend failure (also reported through the iterator's items).
    fn iter(&self, col: Column, range: KeyRange, dir: Direction) -> Result<KvIter<'_>>;

    /// The pair with the greatest key in `[lower, upper]` (both inclusive), or `None`.
    /// One seek: this is how versioned records `key ‖ version` are read "as of" a version.
    ///
    /// # Errors
    /// Only on a backend failure.
    fn last_in(&self, col: Column, lower: &[u8], upper: &[u8]) -> Result<Option<KvPair>> {
        let range = KeyRange {
            lower: Bound::Included(lower.to_vec()),
            upper: Bound::Included(upper.to_vec()),
        };
        self.iter(col, range, Direction::Reverse)?
            .next()
            .transpose()
    }
}

impl<T: KvRead> KvRead for &T {
    fn get(&self, col: Column, key: &[u8]) -> Result<Option<Vec<u8>>> {
        (**self).get(col, key)
    }
    fn get_with<U>(
        &self,
        col: Column,
        key: &[u8],
        f: impl FnOnce(&[u8]) -> U,
    ) -> Result<Option<U>> {
        (**self).get_with(col, key, f)
    }
    fn iter(&self, col: Column, range: KeyRange, dir: Direction) -> Result<KvIter<'_>> {
        (**self).iter(col, range, dir)
    }
    fn last_in(&self, col: Column, lower: &[u8], upper: &[u8]) -> Result<Option<KvPair>> {
        (**self).last_in(col, lower, upper)
    }
}

impl<T: KvRead> KvRead for std::sync::Arc<T> {
    fn get(&self, col: Column, key: &[u8]) -> Result<Option<Vec<u8>>> {
        (**self).get(col, key)
    }
    fn get_with<U>(
        &self,
        col: Column,
        key: &[u8],
        f: impl FnOnce(&[u8]) -> U,
    ) -> Result<Option<U>> {
        (**self).get_with(col, key, f)
    }
    fn iter(&self, col: Column, range: KeyRange, dir: Direction) -> Result<KvIter<'_>> {
        (**self).iter(col, range, dir)
    }
    fn last_in(&self, col: Column, lower: &[u8], upper: &[u8]) -> Result<Option<KvPair>> {
        (**self).last_in(col, lower, upper)
    }
}

/// A store: reads, atomic batches, snapshots. Shared between threads (the state's
/// background pruner writes while commits write).
pub trait KvStore: KvRead + Send + Sync {
    /// A consistent read-only view: later writes to the store are not visible in it.
    type Snapshot<'a>: KvRead + Send + Sync
    where
        Self: 'a;

    /// Applies every write of `batch` atomically, in order. With `sync`, returns only once
    /// the batch is durable on disk (an fsync of the write-ahead log); use it for block
    /// commits. Without it the batch survives a process crash but maybe not a power cut.
    ///
    /// # Errors
    /// On a backend failure; then none of the batch is applied.
    fn write(&self, batch: WriteBatch, sync: bool) -> Result<()>;

    /// A consistent snapshot of the current contents.
    fn snapshot(&self) -> Self::Snapshot<'_>;
}

impl<T: KvStore> KvStore for std::sync::Arc<T> {
    type Snapshot<'a>
        = T::Snapshot<'a>
    where
        Self: 'a;
    fn write(&self, batch: WriteBatch, sync: bool) -> Result<()> {
        (**self).write(batch, sync)
    }
    fn snapshot(&self) -> Self::Snapshot<'_> {
        (**self).snapshot()
    }
}
