//! The dependency rules of `docs/architecture.md`, checked from `cargo metadata`:
//! heavy backends stay in their leaf crates and nothing points up a floor.

use std::collections::BTreeMap;
use std::process::Command;

use cairn_tests::workspace_root;

/// Workspace crates and their direct dependencies (normal, dev and build), from cargo.
fn workspace_deps() -> BTreeMap<String, (String, Vec<String>)> {
    let out = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(workspace_root())
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let root = workspace_root();
    meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let name = p["name"].as_str().unwrap().to_string();
            let manifest = std::path::Path::new(p["manifest_path"].as_str().unwrap());
            let dir = manifest
                .parent()
                .unwrap()
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let deps = p["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["name"].as_str().unwrap().to_string())
                .collect();
            (name, (dir, deps))
        })
        .collect()
}

#[test]
fn heavy_backends_live_in_one_leaf_crate_each() {
    let deps = workspace_deps();
    assert!(deps.len() >= 6, "workspace crates found: {:?}", deps.keys());
    for (krate, (_, list)) in &deps {
        for d in list {
            if d == "rocksdb" || d.starts_with("librocksdb") {
                assert_eq!(
                    krate, "cairn-storage",
                    "{krate} names {d}: only the storage backend may"
                );
            }
            if d == "wasmtime" || d.starts_with("wasmtime-") || d.starts_with("cranelift") {
                assert_eq!(krate, "cairn-vm", "{krate} names {d}: only the vm may");
            }
        }
    }
}

#[test]
fn nothing_depends_up_a_floor() {
    let deps = workspace_deps();
    let floor = |dir: &str| -> u8 {
        match dir.split('/').next().unwrap() {
            "runtime" => 0,
            "sdk" => 1,
            "node" => 2,
            _ => 3, // tests/ may use everything
        }
    };
    for (krate, (dir, list)) in &deps {
        for d in list {
            if let Some((dep_dir, _)) = deps.get(d) {
                assert!(
                    floor(dep_dir) <= floor(dir),
                    "{krate} ({dir}) depends on {d} ({dep_dir}), a higher floor"
                );
            }
        }
    }
}

#[test]
fn every_crate_uses_the_workspace_lints() {
    for (krate, (dir, _)) in workspace_deps() {
        let manifest =
            std::fs::read_to_string(workspace_root().join(&dir).join("Cargo.toml")).unwrap();
        assert!(
            manifest.contains("[lints]\nworkspace = true"),
            "{krate}: add `[lints] workspace = true` to {dir}/Cargo.toml"
        );
    }
}
