//! An in-process chain for contract integration tests: the node's real VM, state overlay
//! and executor, without consensus, networking or disk.
//!
//! ```text
//!   TestChain::new()  ─► dev accounts funded (the devnet's keys)
//!   deploy / call / transfer ─► Executor::simulate on the layered state ─► TxResult
//!        (one block per transaction; the same pre-check, gas and fees as a node)
//!   state = current changes ─► frozen layers (Arc, shared by forks) ─► empty
//!   snapshot() freezes the current changes: forks share everything below and copy nothing
//! ```
//!
//! ```ignore
//! let wasm = cairn_testkit::contract_wasm!();            // builds this crate for wasm32
//! let mut chain = TestChain::new();
//! let alice = chain.alice();
//! let token = chain.deploy(alice, &wasm, "new", &(String::from("Gold"), 1_000u128))?;
//! let r = chain.call(alice, token, "transfer", &(chain.bob(), 10u128));
//! assert!(r.is_success(), "{r}");
//! let bal: u128 = chain.view(token, "balance_of", &(chain.bob(),))?;
//! ```

mod build;
mod chain;
mod report;
mod result;

pub use build::{
    BuildError, CONTRACT_PROFILE, CONTRACT_PROFILE_SETTINGS, CONTRACT_RUSTFLAGS, build_contract,
    build_wasm,
};
pub use chain::{
    BLOCK_TIME_MS, CallOptions, DEFAULT_ACCOUNTS, DEFAULT_BALANCE, DEFAULT_GAS_LIMIT,
    GENESIS_TIMESTAMP_MS, Snapshot, TestChain, TestChainBuilder,
};
pub use report::{GasEntry, GasReport};
pub use result::{TxError, TxResult};

pub use cairn_primitives::{Address, Gas, Hash, ReceiptStatus};

/// The wasm of the crate this is written in (`CARGO_MANIFEST_DIR`), built for
/// `wasm32-unknown-unknown` with the `contract` profile on first use and cached for the
/// process. Panics with the compiler's message when the build fails.
#[macro_export]
macro_rules! contract_wasm {
    () => {
        $crate::build_wasm(::std::path::Path::new(env!("CARGO_MANIFEST_DIR")))
            .unwrap_or_else(|e| panic!("{e}"))
    };
    ($dir:expr) => {
        $crate::build_wasm(&::std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join($dir))
            .unwrap_or_else(|e| panic!("{e}"))
    };
}
