//! Integration tests of the production entry point: a one-validator devnet on the tokio
//! runtime with real p2p (authenticated lookup on 127.0.0.1) and real files, stopped and
//! restarted on the same data directory.

mod devnet;
