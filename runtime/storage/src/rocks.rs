//! [`RocksStore`]: the RocksDB store every node runs on. One column family per
//! [`Column`], the write-ahead log always on, an fsync on request (block commits), a
//! format-version record that refuses databases written by another format, and open
//! errors mapped to [`StorageError`] variants a caller can act on.
//!
//! ```text
//! open(dir) ─► list existing column families ─► open all ─► read meta/format_version
//!                 │ error "lock"  ─► Locked        absent ─► write FORMAT_VERSION (new db)
//!                 │ Corruption    ─► Corrupt       ≠ ours ─► WrongFormatVersion
//!                 └ other         ─► Rocks
//! ```

use std::ops::Bound;
use std::path::{Path, PathBuf};

use rocksdb::{
    BlockBasedOptions, Cache, ColumnFamily, ColumnFamilyDescriptor, DB,
    DBRawIteratorWithThreadMode, Env, ErrorKind, Options, ReadOptions, SnapshotWithThreadMode,
    WriteOptions,
};

use crate::{
    Column, Direction, KeyRange, KvIter, KvPair, KvRead, KvStore, Result, StorageError, WriteBatch,
    WriteOp,
};

/// The on-disk format this build writes. Bump it whenever a key layout or encoding of any
/// column changes; a database with another number is refused at open.
/// History: 1 → 2 when accounts gained their `admin` (upgradable contracts); 2 → 3 when
/// receipts gained their gas profile; 3 → 4 when trie nodes stopped storing leaf hashes and
/// transaction locations gained their first log index and byte range.
pub const FORMAT_VERSION: u32 = 4;

/// Key of the format-version record in [`Column::Meta`].
pub const FORMAT_VERSION_KEY: &[u8] = b"format_version";

/// Tuning knobs of a [`RocksStore`].
#[derive(Clone, Debug)]
pub struct RocksConfig {
    /// Size of the block cache shared by all columns, in bytes.
    pub block_cache_bytes: usize,
    /// Size of one memtable, in bytes (a block commit should fit in one).
    pub write_buffer_bytes: usize,
    /// Background flush/compaction threads.
    pub background_jobs: i32,
    /// Whether RocksDB reserves disk space ahead of writes with `fallocate`. When on, every
    /// write-ahead log reserves 1.1 × `write_buffer_bytes` at once (141 MiB with the default
    /// memtable) even for an idle devnet, so it is off by default: a node's disk use then
    /// follows the data it holds.
    pub preallocate: bool,
    /// Whether compaction threads run at the lowest CPU priority (nice 19). On a node,
    /// compaction competes for the same cores as block execution, the state root and RPC;
    /// at low priority it takes the idle time between blocks instead of stretching a
    /// commit. Flushes keep normal priority, so memtables never wait for it. The setting
    /// is process-wide (RocksDB's default environment is shared by every database).
    pub low_priority_compaction: bool,
}

impl Default for RocksConfig {
    fn default() -> Self {
        Self {
            block_cache_bytes: 512 << 20,
            write_buffer_bytes: 128 << 20,
            background_jobs: 2,
            preallocate: false,
            low_priority_compaction: true,
        }
    }
}

/// A [`KvStore`] over RocksDB.
pub struct RocksStore {
    db: DB,
    path: PathBuf,
}

impl std::fmt::Debug for RocksStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RocksStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

fn map_open_error(path: &Path, e: &rocksdb::Error) -> StorageError {
    let message = e.to_string();
    let lower = message.to_ascii_lowercase();
    if lower.contains("lock") && (lower.contains("lock file") || lower.contains("/lock")) {
        StorageError::Locked {
            path: path.to_path_buf(),
            message,
        }
    } else if e.kind() == ErrorKind::Corruption || lower.contains("corrupt") {
        StorageError::Corrupt {
            path: path.to_path_buf(),
            message,
        }
    } else {
        StorageError::Rocks(message)
    }
}

fn rocks_err(e: &rocksdb::Error) -> StorageError {
    StorageError::Rocks(e.to_string())
}

impl RocksStore {
    /// Opens (creating if absent) the database in `path` with default tuning.
    ///
    /// # Errors
    /// [`StorageError::Locked`] if another process has it open, [`StorageError::Corrupt`] for
    /// damaged files, [`StorageError::WrongFormatVersion`] for another format, or
    /// [`StorageError::Rocks`] for other failures.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(path, &RocksConfig::default())
    }

    /// Opens (creating if absent) the database in `path` with `config`.
    ///
    /// # Errors
    /// As [`RocksStore::open`].
    pub fn open_with(path: impl AsRef<Path>, config: &RocksConfig) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        // The rocksdb crate has no setter for `allow_fallocate`; its options-string parser does.
        let mut opts = Options::default()
            .get_options_from_string(format!("allow_fallocate={}", config.preallocate))
            .map_err(|e| rocks_err(&e))?;
        opts.create_if_missing(true);
        opts.create_missing_column_families(true);
        opts.set_max_background_jobs(config.background_jobs);
        if config.low_priority_compaction {
            let mut env = Env::new().map_err(|e| rocks_err(&e))?;
            env.lower_thread_pool_cpu_priority();
            opts.set_env(&env);
        }
        opts.set_write_buffer_size(config.write_buffer_bytes);
        opts.set_max_write_buffer_number(4);
        opts.set_keep_log_file_num(4);

        let cache = Cache::new_lru_cache(config.block_cache_bytes);
        let cf_opts = |col: Column| {
            let mut table = BlockBasedOptions::default();
            table.set_block_cache(&cache);
            table.set_bloom_filter(10.0, false);
            table.set_cache_index_and_filter_blocks(false);
            let mut o = Options::default();
            o.set_block_based_table_factory(&table);
            o.set_write_buffer_size(config.write_buffer_bytes);
            if matches!(col, Column::Flat | Column::TrieNodes | Column::Code) {
                o.optimize_for_point_lookup(0);
                o.set_block_based_table_factory(&table);
            }
            o
        };

        // Column families that exist on disk but this build does not know (written by a
        // newer build) must still be opened, or RocksDB refuses the whole database; the
        // format version then gives the real answer.
        let mut names: Vec<String> = Column::ALL.iter().map(|c| c.name().to_string()).collect();
        if path.join("CURRENT").exists() {
            let existing =
                DB::list_cf(&Options::default(), &path).map_err(|e| map_open_error(&path, &e))?;
            for name in existing {
                if name != "default" && !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        let descriptors = names.iter().map(|name| {
            let o = Column::ALL
                .iter()
                .find(|c| c.name() == name.as_str())
                .map_or_else(Options::default, |c| cf_opts(*c));
            ColumnFamilyDescriptor::new(name, o)
        });
        let db = DB::open_cf_descriptors(&opts, &path, descriptors)
            .map_err(|e| map_open_error(&path, &e))?;
        let store = Self { db, path };
        store.check_format_version()?;
        Ok(store)
    }

    fn check_format_version(&self) -> Result<()> {
        match self.get(Column::Meta, FORMAT_VERSION_KEY)? {
            None => {
                let mut batch = WriteBatch::new();
                batch.put(
                    Column::Meta,
                    FORMAT_VERSION_KEY,
                    FORMAT_VERSION.to_be_bytes(),
                );
                self.write(batch, true)
            }
            Some(bytes) => {
                let found = <[u8; 4]>::try_from(bytes.as_slice())
                    .map(u32::from_be_bytes)
                    .map_err(|_| StorageError::BadFormatRecord {
                        path: self.path.clone(),
                        len: bytes.len(),
                    })?;
                if found == FORMAT_VERSION {
                    Ok(())
                } else {
                    Err(StorageError::WrongFormatVersion {
                        path: self.path.clone(),
                        found,
                        supported: FORMAT_VERSION,
                    })
                }
            }
        }
    }

    /// The database directory.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn cf(&self, col: Column) -> Result<&ColumnFamily> {
        self.db
            .cf_handle(col.name())
            .ok_or_else(|| StorageError::Rocks(format!("column family {} missing", col.name())))
    }

    /// Forces memtables to disk (tests and benchmarks that want reads from SST files).
    ///
    /// # Errors
    /// On a backend failure.
    pub fn flush(&self) -> Result<()> {
        for col in Column::ALL {
            self.db.flush_cf(self.cf(col)?).map_err(|e| rocks_err(&e))?;
        }
        Ok(())
    }
}

fn read_opts(range: &KeyRange) -> ReadOptions {
    let mut ro = ReadOptions::default();
    match &range.lower {
        Bound::Included(l) => ro.set_iterate_lower_bound(l.clone()),
        Bound::Excluded(l) => {
            let mut k = l.clone();
            k.push(0);
            ro.set_iterate_lower_bound(k);
        }
        Bound::Unbounded => {}
    }
    match &range.upper {
        Bound::Excluded(u) => ro.set_iterate_upper_bound(u.clone()),
        Bound::Included(u) => {
            let mut k = u.clone();
            k.push(0);
            ro.set_iterate_upper_bound(k);
        }
        Bound::Unbounded => {}
    }
    ro
}

/// Adapts a RocksDB raw iterator to [`KvIter`] items, reporting its status at the end.
struct RawIter<'a> {
    raw: DBRawIteratorWithThreadMode<'a, DB>,
    dir: Direction,
    done: bool,
}

impl Iterator for RawIter<'_> {
    type Item = Result<KvPair>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        if let (Some(k), Some(v)) = (self.raw.key(), self.raw.value()) {
            let item = (k.to_vec(), v.to_vec());
            match self.dir {
                Direction::Forward => self.raw.next(),
                Direction::Reverse => self.raw.prev(),
            }
            return Some(Ok(item));
        }
        self.done = true;
        self.raw.status().err().map(|e| Err(rocks_err(&e)))
    }
}

fn start<'a>(mut raw: DBRawIteratorWithThreadMode<'a, DB>, dir: Direction) -> KvIter<'a> {
    match dir {
        Direction::Forward => raw.seek_to_first(),
        Direction::Reverse => raw.seek_to_last(),
    }
    Box::new(RawIter {
        raw,
        dir,
        done: false,
    })
}

fn last_in_raw(
    mut raw: DBRawIteratorWithThreadMode<'_, DB>,
    upper: &[u8],
) -> Result<Option<KvPair>> {
    raw.seek_for_prev(upper);
    match (raw.key(), raw.value()) {
        (Some(k), Some(v)) => Ok(Some((k.to_vec(), v.to_vec()))),
        _ => raw.status().map(|()| None).map_err(|e| rocks_err(&e)),
    }
}

impl KvRead for RocksStore {
    fn get(&self, col: Column, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.get_with(col, key, <[u8]>::to_vec)
    }

    /// Reads through a pinned slice: the value is not copied out of RocksDB's block cache.
    fn get_with<T>(
        &self,
        col: Column,
        key: &[u8],
        f: impl FnOnce(&[u8]) -> T,
    ) -> Result<Option<T>> {
        let cf = self.cf(col)?;
        Ok(self
            .db
            .get_pinned_cf(cf, key)
            .map_err(|e| rocks_err(&e))?
            .map(|v| f(&v)))
    }

    fn iter(&self, col: Column, range: KeyRange, dir: Direction) -> Result<KvIter<'_>> {
        let cf = self.cf(col)?;
        Ok(start(
            self.db.raw_iterator_cf_opt(cf, read_opts(&range)),
            dir,
        ))
    }

    fn last_in(&self, col: Column, lower: &[u8], upper: &[u8]) -> Result<Option<KvPair>> {
        if lower > upper {
            return Ok(None);
        }
        let cf = self.cf(col)?;
        let mut ro = ReadOptions::default();
        ro.set_iterate_lower_bound(lower.to_vec());
        last_in_raw(self.db.raw_iterator_cf_opt(cf, ro), upper)
    }
}

/// A consistent view of a [`RocksStore`] (a RocksDB snapshot).
pub struct RocksSnapshot<'a> {
    store: &'a RocksStore,
    snap: SnapshotWithThreadMode<'a, DB>,
}

impl KvRead for RocksSnapshot<'_> {
    fn get(&self, col: Column, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let cf = self.store.cf(col)?;
        self.snap.get_cf(cf, key).map_err(|e| rocks_err(&e))
    }

    fn iter(&self, col: Column, range: KeyRange, dir: Direction) -> Result<KvIter<'_>> {
        let cf = self.store.cf(col)?;
        Ok(start(
            self.snap.raw_iterator_cf_opt(cf, read_opts(&range)),
            dir,
        ))
    }

    fn last_in(&self, col: Column, lower: &[u8], upper: &[u8]) -> Result<Option<KvPair>> {
        if lower > upper {
            return Ok(None);
        }
        let cf = self.store.cf(col)?;
        let mut ro = ReadOptions::default();
        ro.set_iterate_lower_bound(lower.to_vec());
        last_in_raw(self.snap.raw_iterator_cf_opt(cf, ro), upper)
    }
}

impl KvStore for RocksStore {
    type Snapshot<'a> = RocksSnapshot<'a>;

    fn write(&self, batch: WriteBatch, sync: bool) -> Result<()> {
        // Size RocksDB's batch once (a block's batch is megabytes; growing it by doubling
        // copies it several times) and resolve each column family once, not per write.
        let bytes: usize = batch
            .ops()
            .iter()
            .map(|op| match op {
                WriteOp::Put { key, value, .. } => key.len() + value.len() + 16,
                WriteOp::Delete { key, .. } => key.len() + 16,
            })
            .sum();
        let mut wb = rocksdb::WriteBatch::with_capacity_bytes(bytes + 12);
        let mut cfs: [Option<&ColumnFamily>; Column::ALL.len()] = [None; Column::ALL.len()];
        let mut cf = |col: Column| -> Result<&ColumnFamily> {
            let slot = &mut cfs[col.index()];
            if let Some(h) = slot {
                return Ok(*h);
            }
            let h = self.cf(col)?;
            *slot = Some(h);
            Ok(h)
        };
        // Feed RocksDB each column's keys in ascending order: its memtable skiplist keeps
        // the last insert position, so sorted inserts skip most of the search that random
        // ones pay. The sort is stable, so of two writes to one key the later still wins.
        let mut order: Vec<&WriteOp> = batch.ops().iter().collect();
        fn col_key(op: &WriteOp) -> (usize, &[u8]) {
            match op {
                WriteOp::Put { col, key, .. } | WriteOp::Delete { col, key } => (col.index(), key),
            }
        }
        order.sort_by(|a, b| {
            let (ca, ka) = col_key(a);
            let (cb, kb) = col_key(b);
            ca.cmp(&cb).then_with(|| ka.cmp(kb))
        });
        for op in order {
            match op {
                WriteOp::Put { col, key, value } => wb.put_cf(cf(*col)?, key, value),
                WriteOp::Delete { col, key } => wb.delete_cf(cf(*col)?, key),
            }
        }
        let mut wo = WriteOptions::default();
        wo.set_sync(sync);
        wo.disable_wal(false);
        self.db.write_opt(wb, &wo).map_err(|e| rocks_err(&e))
    }

    fn snapshot(&self) -> RocksSnapshot<'_> {
        RocksSnapshot {
            store: self,
            snap: self.db.snapshot(),
        }
    }
}
