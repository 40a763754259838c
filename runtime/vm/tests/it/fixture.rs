//! Builds the Rust test contract (`tests/fixtures/token`) for wasm32-unknown-unknown once
//! per test binary and returns its bytes.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// The linker flags every Cairn contract needs: a declared memory maximum (the VM
/// refuses memories without one) and a small shadow stack (fewer initial pages).
pub(crate) const CONTRACT_RUSTFLAGS: &str =
    "-C link-arg=--max-memory=4194304 -C link-arg=-zstack-size=65536";

/// The token contract's wasm bytes.
pub(crate) fn token_wasm() -> &'static [u8] {
    static WASM: OnceLock<Vec<u8>> = OnceLock::new();
    WASM.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/token");
        let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fixture-target");
        let status = Command::new(env!("CARGO"))
            .args([
                "build",
                "--release",
                "--target",
                "wasm32-unknown-unknown",
                "--quiet",
            ])
            .current_dir(&dir)
            .env("CARGO_TARGET_DIR", &target)
            .env("RUSTFLAGS", CONTRACT_RUSTFLAGS)
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the test contract failed");
        std::fs::read(target.join("wasm32-unknown-unknown/release/cairn_vm_test_token.wasm"))
            .expect("contract built")
    })
}
