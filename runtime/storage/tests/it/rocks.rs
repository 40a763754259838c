//! RocksDB-specific behaviour: persistence across reopen and clear open errors.

use cairn_storage::{
    Column, FORMAT_VERSION, FORMAT_VERSION_KEY, KvRead, KvStore, RocksStore, StorageError,
    WriteBatch,
};

#[test]
fn data_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let s = RocksStore::open(dir.path()).unwrap();
        let mut b = WriteBatch::new();
        b.put(Column::Flat, b"k", b"v");
        s.write(b, true).unwrap();
    }
    let s = RocksStore::open(dir.path()).unwrap();
    assert_eq!(s.get(Column::Flat, b"k").unwrap(), Some(b"v".to_vec()));
    assert_eq!(
        s.get(Column::Meta, FORMAT_VERSION_KEY).unwrap(),
        Some(FORMAT_VERSION.to_be_bytes().to_vec())
    );
}

#[test]
fn second_open_reports_locked() {
    let dir = tempfile::tempdir().unwrap();
    let _first = RocksStore::open(dir.path()).unwrap();
    let err = RocksStore::open(dir.path()).unwrap_err();
    assert!(matches!(err, StorageError::Locked { .. }), "{err}");
    assert!(err.to_string().contains("locked"), "{err}");
}

#[test]
fn newer_format_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    {
        let s = RocksStore::open(dir.path()).unwrap();
        let mut b = WriteBatch::new();
        b.put(
            Column::Meta,
            FORMAT_VERSION_KEY,
            (FORMAT_VERSION + 1).to_be_bytes(),
        );
        s.write(b, true).unwrap();
    }
    let err = RocksStore::open(dir.path()).unwrap_err();
    match &err {
        StorageError::WrongFormatVersion {
            found, supported, ..
        } => {
            assert_eq!(*found, FORMAT_VERSION + 1);
            assert_eq!(*supported, FORMAT_VERSION);
        }
        other => panic!("expected WrongFormatVersion, got {other}"),
    }
    assert!(
        err.to_string()
            .contains(&format!("format version {}", FORMAT_VERSION + 1))
    );
}

#[test]
fn corrupt_files_are_reported_not_panicked() {
    let dir = tempfile::tempdir().unwrap();
    {
        let s = RocksStore::open(dir.path()).unwrap();
        let mut b = WriteBatch::new();
        b.put(Column::Flat, b"k", b"v");
        s.write(b, true).unwrap();
    }
    std::fs::write(dir.path().join("CURRENT"), b"garbage without newline").unwrap();
    let err = RocksStore::open(dir.path()).unwrap_err();
    assert!(matches!(err, StorageError::Corrupt { .. }), "{err}");
}

#[test]
fn a_directory_that_is_a_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"x").unwrap();
    assert!(RocksStore::open(&file).is_err());
}

/// Bytes of disk the files under `dir` occupy (allocated blocks, not their lengths).
fn disk_use(dir: &std::path::Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let mut total = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let meta = entry.metadata().unwrap();
        total += if meta.is_dir() {
            disk_use(&entry.path())
        } else {
            meta.blocks() * 512
        };
    }
    total
}

#[test]
fn a_small_store_takes_little_disk() {
    // With the default 128 MiB memtable, a preallocated write-ahead log alone would take
    // 141 MiB; a devnet that stores a few accounts must not.
    let dir = tempfile::tempdir().unwrap();
    let s = RocksStore::open(dir.path()).unwrap();
    let mut b = WriteBatch::new();
    b.put(Column::Flat, b"k", [7u8; 1000]);
    s.write(b, true).unwrap();
    let used = disk_use(dir.path());
    assert!(
        used < 16 << 20,
        "an almost empty store uses {used} bytes of disk"
    );
}
