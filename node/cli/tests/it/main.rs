//! The real `cairn` binary, run as a user would.

use std::process::Command;

fn cairn(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(args)
        .output()
        .expect("the cairn binary runs")
}

#[test]
fn version_and_help() {
    let out = cairn(&["--version"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("cairn {}", env!("CARGO_PKG_VERSION"))
    );
    let out = cairn(&["--help"]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("Usage: cairn"), "{help}");
}

#[test]
fn address_of_a_known_key_matches_the_protocol_vector() {
    let out = cairn(&[
        "address",
        "0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
    ]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "address 0x6c87813fdfc7b0f59e46c29459bc6fea12923ba7"
    );
}

#[test]
fn bad_key_is_a_one_line_error() {
    let out = cairn(&["address", "nothex"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("secret key"), "{err}");
}
