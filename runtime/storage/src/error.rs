//! Storage errors: what went wrong opening or using a store, as a value the caller can
//! match on (never a panic).

use std::path::PathBuf;

/// Everything a store can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// Another process (or another handle in this one) holds the database lock.
    #[error("database at {path} is locked by another process: {message}")]
    Locked {
        /// The database directory.
        path: PathBuf,
        /// RocksDB's own message.
        message: String,
    },
    /// Files on disk are damaged or not a RocksDB database.
    #[error("database at {path} is corrupt: {message}")]
    Corrupt {
        /// The database directory.
        path: PathBuf,
        /// RocksDB's own message.
        message: String,
    },
    /// The database was written by a newer (or otherwise unsupported) format version.
    #[error("database at {path} has format version {found}; this build supports {supported}")]
    WrongFormatVersion {
        /// The database directory.
        path: PathBuf,
        /// Version found on disk.
        found: u32,
        /// Version this build writes and reads.
        supported: u32,
    },
    /// The stored format-version record is not 4 bytes.
    #[error("database at {path} has a malformed format-version record of {len} bytes")]
    BadFormatRecord {
        /// The database directory.
        path: PathBuf,
        /// Length of the record found.
        len: usize,
    },
    /// Any other RocksDB failure (I/O, out of space, ...).
    #[error("rocksdb: {0}")]
    Rocks(String),
}

/// Result alias for storage operations.
pub type Result<T, E = StorageError> = std::result::Result<T, E>;
