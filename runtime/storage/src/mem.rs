//! [`MemStore`]: the in-memory store for tests and tools. One `BTreeMap` per column behind
//! copy-on-write `Arc`s, so a snapshot is an `Arc` clone and a write copies only while a
//! snapshot is alive.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{Arc, PoisonError, RwLock};

use crate::{
    Column, Direction, KeyRange, KvIter, KvPair, KvRead, KvStore, Result, WriteBatch, WriteOp,
};

type Columns = [BTreeMap<Vec<u8>, Vec<u8>>; Column::ALL.len()];

/// An in-memory [`KvStore`]. Cloning the handle shares the same data.
#[derive(Clone, Default)]
pub struct MemStore {
    inner: Arc<RwLock<Arc<Columns>>>,
}

impl std::fmt::Debug for MemStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemStore").finish_non_exhaustive()
    }
}

/// A frozen view of a [`MemStore`].
#[derive(Clone)]
pub struct MemSnapshot {
    cols: Arc<Columns>,
}

impl MemStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn current(&self) -> Arc<Columns> {
        self.inner
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Number of keys in `col` (tests and diagnostics).
    #[must_use]
    pub fn len(&self, col: Column) -> usize {
        self.current()[col.index()].len()
    }

    /// True when `col` holds no key.
    #[must_use]
    pub fn is_empty(&self, col: Column) -> bool {
        self.len(col) == 0
    }
}

fn scan(map: &BTreeMap<Vec<u8>, Vec<u8>>, range: &KeyRange, dir: Direction) -> Vec<KvPair> {
    // An inverted range would make BTreeMap::range panic: it is simply empty.
    let inverted = match (&range.lower, &range.upper) {
        (Bound::Included(l), Bound::Included(u)) => l > u,
        (Bound::Included(l) | Bound::Excluded(l), Bound::Excluded(u))
        | (Bound::Excluded(l), Bound::Included(u)) => l >= u,
        _ => false,
    };
    if inverted {
        return Vec::new();
    }
    let it = map
        .range::<Vec<u8>, _>((range.lower.as_ref(), range.upper.as_ref()))
        .map(|(k, v)| (k.clone(), v.clone()));
    match dir {
        Direction::Forward => it.collect(),
        Direction::Reverse => it.rev().collect(),
    }
}

impl KvRead for MemSnapshot {
    fn get(&self, col: Column, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.cols[col.index()].get(key).cloned())
    }

    fn iter(&self, col: Column, range: KeyRange, dir: Direction) -> Result<KvIter<'_>> {
        Ok(Box::new(
            scan(&self.cols[col.index()], &range, dir)
                .into_iter()
                .map(Ok),
        ))
    }
}

impl KvRead for MemStore {
    fn get(&self, col: Column, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let guard = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        Ok(guard[col.index()].get(key).cloned())
    }

    fn iter(&self, col: Column, range: KeyRange, dir: Direction) -> Result<KvIter<'_>> {
        let cols = self.current();
        Ok(Box::new(
            scan(&cols[col.index()], &range, dir).into_iter().map(Ok),
        ))
    }

    fn last_in(&self, col: Column, lower: &[u8], upper: &[u8]) -> Result<Option<KvPair>> {
        if lower > upper {
            return Ok(None);
        }
        let guard = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        Ok(guard[col.index()]
            .range::<[u8], _>((Bound::Included(lower), Bound::Included(upper)))
            .next_back()
            .map(|(k, v)| (k.clone(), v.clone())))
    }
}

impl KvStore for MemStore {
    type Snapshot<'a> = MemSnapshot;

    fn write(&self, batch: WriteBatch, _sync: bool) -> Result<()> {
        let mut guard = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        let cols = Arc::make_mut(&mut guard);
        for op in batch.into_ops() {
            match op {
                WriteOp::Put { col, key, value } => {
                    cols[col.index()].insert(key, value);
                }
                WriteOp::Delete { col, key } => {
                    cols[col.index()].remove(&key);
                }
            }
        }
        Ok(())
    }

    fn snapshot(&self) -> MemSnapshot {
        MemSnapshot {
            cols: self.current(),
        }
    }
}
