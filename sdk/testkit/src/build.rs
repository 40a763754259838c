//! Building a contract crate for wasm32 from a test: `cargo build --lib --target
//! wasm32-unknown-unknown --profile contract` in the crate's directory, into a target
//! directory of its own (the test's own cargo holds the main one), once per process.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};

/// Linker flags every contract needs: a declared memory maximum (the VM refuses memories
/// without one; 4 MiB) and a 64 KiB shadow stack (fewer initial pages to instantiate).
pub const CONTRACT_RUSTFLAGS: &[&str] = &[
    "-Clink-arg=--max-memory=4194304",
    "-Clink-arg=-zstack-size=65536",
];

/// The cargo profile contracts are built with (size-optimised, `panic = "abort"`).
pub const CONTRACT_PROFILE: &str = "contract";

/// The `contract` profile, passed to cargo as `--config` overrides so a crate builds the
/// same way whether or not its workspace defines the profile (the repository's root
/// `Cargo.toml` defines the same values).
pub const CONTRACT_PROFILE_SETTINGS: &[&str] = &[
    "profile.contract.inherits=\"release\"",
    "profile.contract.opt-level=\"z\"",
    "profile.contract.lto=true",
    "profile.contract.codegen-units=1",
    "profile.contract.panic=\"abort\"",
    "profile.contract.debug=false",
    "profile.contract.strip=true",
    "profile.contract.overflow-checks=true",
    "profile.contract.incremental=false",
];

/// Why a contract did not build.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// Cargo could not be started.
    #[error("could not run cargo for {dir}: {source}")]
    Spawn {
        /// The crate.
        dir: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The build failed (the compiler's messages were printed on stderr).
    #[error("building the contract in {dir} for wasm32 failed (see the compiler output above)")]
    Failed {
        /// The crate.
        dir: PathBuf,
    },
    /// The build produced no `.wasm` file.
    #[error("cargo built {dir} but produced no .wasm (is `crate-type = [\"cdylib\"]` set?)")]
    NoArtifact {
        /// The crate.
        dir: PathBuf,
    },
    /// The artifact could not be read.
    #[error("reading {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// The wasm of the contract crate at `dir`, built on first use and cached for the process.
///
/// The target directory is `$CAIRN_WASM_TARGET_DIR`, else `$CARGO_TARGET_DIR/wasm`, else
/// `<workspace root>/target/wasm`.
///
/// # Errors
/// When cargo fails or produces no wasm.
pub fn build_wasm(dir: &Path) -> Result<Arc<Vec<u8>>, BuildError> {
    static CACHE: OnceLock<Mutex<BTreeMap<PathBuf, Arc<Vec<u8>>>>> = OnceLock::new();
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let cache = CACHE.get_or_init(Mutex::default);
    let mut cache = cache
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(w) = cache.get(&dir) {
        return Ok(Arc::clone(w));
    }
    let wasm = Arc::new(build_uncached(&dir)?);
    cache.insert(dir, Arc::clone(&wasm));
    Ok(wasm)
}

fn target_dir(dir: &Path) -> PathBuf {
    if let Some(d) = std::env::var_os("CAIRN_WASM_TARGET_DIR") {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(d).join("wasm");
    }
    let root = Command::new(cargo())
        .args(["locate-project", "--workspace", "--message-format", "plain"])
        .current_dir(dir)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| PathBuf::from(s.trim()))
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| dir.to_path_buf());
    root.join("target").join("wasm")
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

fn build_uncached(dir: &Path) -> Result<Vec<u8>, BuildError> {
    let path = build_contract(dir, Some(&target_dir(dir)))?;
    std::fs::read(&path).map_err(|source| BuildError::Read { path, source })
}

/// Builds the contract crate at `dir` for wasm32 with the `contract` profile (compiler
/// messages on stderr) into `target_dir` (cargo's default when `None`); the `.wasm` path.
///
/// # Errors
/// When cargo cannot run, fails, or produces no wasm.
pub fn build_contract(dir: &Path, target_dir: Option<&Path>) -> Result<PathBuf, BuildError> {
    let mut cmd = Command::new(cargo());
    cmd.args([
        "build",
        "--lib",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        CONTRACT_PROFILE,
        "--message-format=json-render-diagnostics",
    ]);
    for setting in CONTRACT_PROFILE_SETTINGS {
        cmd.args(["--config", setting]);
    }
    if let Some(t) = target_dir {
        cmd.env("CARGO_TARGET_DIR", t);
    }
    let output = cmd
        .current_dir(dir)
        .env("CARGO_ENCODED_RUSTFLAGS", CONTRACT_RUSTFLAGS.join("\x1f"))
        .env_remove("RUSTFLAGS")
        .stderr(Stdio::inherit())
        .output()
        .map_err(|source| BuildError::Spawn {
            dir: dir.to_path_buf(),
            source,
        })?;
    if !output.status.success() {
        return Err(BuildError::Failed {
            dir: dir.to_path_buf(),
        });
    }
    // The last compiler artifact with a .wasm file is the crate itself.
    let mut wasm = None;
    for line in output.stdout.split(|b| *b == b'\n') {
        let Ok(msg) = serde_json::from_slice::<serde_json::Value>(line) else {
            continue;
        };
        if msg["reason"] != "compiler-artifact" {
            continue;
        }
        if let Some(files) = msg["filenames"].as_array() {
            for f in files.iter().filter_map(|f| f.as_str()) {
                if Path::new(f).extension().is_some_and(|e| e == "wasm") {
                    wasm = Some(PathBuf::from(f));
                }
            }
        }
    }
    wasm.ok_or_else(|| BuildError::NoArtifact {
        dir: dir.to_path_buf(),
    })
}
