//! Integration tests of the node's chain: genesis files, opening and reopening a data dir,
//! building, verifying and committing blocks through the consensus application.

mod app;
mod common;
mod genesis;
