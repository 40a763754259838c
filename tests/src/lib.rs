//! Helpers for Cairn's cross-crate tests (the tests themselves live in `tests/it/`).

use std::path::PathBuf;

/// The workspace root (the directory holding the top-level `Cargo.toml`).
#[must_use]
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ lives inside the workspace")
        .to_path_buf()
}

/// Path of the `cairn` binary built by the same `cargo test` run (it builds the binary for
/// `node/cli`'s own integration tests), next to this test executable's `deps/` directory.
///
/// # Panics
/// When the binary is missing: build it with `cargo build -p cairn-cli` first.
#[must_use]
pub fn cairn_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(std::path::Path::parent)
        .expect("test executables live in <target>/<profile>/deps");
    let bin = profile_dir.join(format!("cairn{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build -p cairn-cli`",
        bin.display()
    );
    bin
}
