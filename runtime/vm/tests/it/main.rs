//! cairn-vm integration tests: hand-written WAT modules for every host import and failure
//! mode, a Rust contract built for wasm32 in the test setup, validation and compile bombs,
//! determinism (fresh, cached, child process), and a wasm-smith fuzz run.

mod cache;
mod common;
mod determinism;
mod failures;
mod fixture;
mod fuzz;
mod host_api;
mod rust_contract;
mod validation;
