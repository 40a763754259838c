//! The gas-metered, deterministic WebAssembly sandbox (wasmtime) and its host API.
//!
//! (Being built: see the state and VM issues.)
