//! The `cairn` client commands run as a user runs them, against a real devnet: every
//! subcommand in human and `--json` form, keys in an encrypted keystore, bad input that
//! gets one clear line and a non-zero exit, and the README's quickstart exactly as written.

use std::path::Path;
use std::process::{Command, Output};

use cairn_client::Wallet;
use serde_json::Value;

use crate::rpc_e2e::devnet;

/// Runs `cairn args…` against `rpc` (through `CAIRN_RPC`, as a user would set it).
fn cairn(rpc: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(cairn_tests::cairn_bin());
    cmd.args(args)
        .env("CAIRN_RPC", rpc)
        .env_remove("CAIRN_FROM");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("cairn runs")
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "status {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn json(out: &Output) -> Value {
    serde_json::from_str(&ok(out)).expect("--json prints one JSON document")
}

/// A failure: non-zero exit, exactly one line on stderr starting with `error:` and
/// containing `expect`, no panic.
fn refused(out: &Output, expect: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "should fail: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.starts_with("error: ") && stderr.contains(expect),
        "expected {expect:?} in {stderr}"
    );
}

fn wasm_target() -> std::path::PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(
            || cairn_tests::workspace_root().join("target"),
            std::path::PathBuf::from,
        )
        .join("wasm")
}

fn token_file(dir: &Path) -> String {
    let wasm = cairn_testkit::build_wasm(&cairn_tests::workspace_root().join("contracts/token"))
        .expect("token builds");
    let file = dir.join("token.wasm");
    std::fs::write(&file, wasm.as_slice()).expect("write");
    file.display().to_string()
}

/// Deploys the token (1,000 to dev account 0) with `cairn deploy --json`; its address and
/// the constructor arguments used.
fn deploy_token(rpc: &str, token_wasm: &str) -> (String, &'static str) {
    let args = r#"{"name":"Gold","symbol":"GLD","decimals":18,"initial_supply":"1000"}"#;
    let v = json(&cairn(
        rpc,
        &[
            "deploy", token_wasm, "--init", "new", "--args", args, "--json",
        ],
        &[],
    ));
    assert_eq!(v["name"], "Token");
    (v["address"].as_str().expect("address").to_owned(), args)
}

#[test]
#[allow(clippy::too_many_lines)]
fn every_client_subcommand_in_text_and_json() {
    let _serial = crate::node_restart::serial();
    let dir = tempfile::tempdir().expect("dir");
    let token_wasm = token_file(dir.path());
    let (_node, rpc) = devnet(&dir.path().join("d"));
    let rpc = rpc.as_str();
    let dev0 = Wallet::dev(0).address().to_string();
    let dev1 = Wallet::dev(1).address().to_string();

    // balance
    let text = ok(&cairn(rpc, &["balance", &dev0], &[]));
    assert!(text.contains(&dev0) && text.contains("units"), "{text}");
    let v = json(&cairn(rpc, &["balance", &dev0, "--json"], &[]));
    assert_eq!(v["address"], dev0.as_str());
    assert_eq!(v["nonce"], 0);

    // transfer (dev account 0 by default)
    let text = ok(&cairn(rpc, &["transfer", &dev1, "7"], &[]));
    assert!(
        text.starts_with(&format!("sent 7 units from {dev0} to {dev1}")),
        "{text}"
    );
    let v = json(&cairn(rpc, &["transfer", &dev1, "3", "--json"], &[]));
    assert_eq!(v["status"], "success");
    let transfer_hash = v["tx_hash"].as_str().expect("hash").to_owned();

    // deploy
    let (token, args) = deploy_token(rpc, &token_wasm);
    let text = ok(&cairn(
        rpc,
        &["deploy", &token_wasm, "--init", "new", "--args", args],
        &[],
    ));
    assert!(text.starts_with("deployed Token at 0x"), "{text}");

    // call and view
    let call_args = format!(r#"{{"to":"{dev1}","amount":"250"}}"#);
    let text = ok(&cairn(rpc, &["call", &token, "transfer", &call_args], &[]));
    assert!(text.starts_with("transfer → null"), "{text}");
    assert!(text.contains("event  Transfer"), "{text}");
    let v = json(&cairn(
        rpc,
        &["call", &token, "transfer", &call_args, "--json"],
        &[],
    ));
    assert_eq!(v["events"][0]["name"], "Transfer");
    assert_eq!(v["events"][0]["fields"]["amount"], "250");
    let call_hash = v["receipt"]["tx_hash"].as_str().expect("hash").to_owned();
    let view_args = format!(r#"["{dev1}"]"#);
    assert_eq!(
        ok(&cairn(
            rpc,
            &["view", &token, "balance_of", &view_args],
            &[]
        ))
        .trim(),
        "500"
    );
    assert_eq!(
        json(&cairn(rpc, &["view", &token, "symbol", "--json"], &[])),
        "GLD"
    );

    // tx
    let text = ok(&cairn(rpc, &["tx", &transfer_hash], &[]));
    assert!(
        text.contains("status Success") && text.contains(&dev0),
        "{text}"
    );
    let v = json(&cairn(rpc, &["tx", &call_hash, "--json"], &[]));
    assert_eq!(v["receipt"]["status"], "success");
    assert_eq!(v["transaction"]["from"], dev0.as_str());

    // block
    let text = ok(&cairn(rpc, &["block"], &[]));
    assert!(text.starts_with("block "), "{text}");
    let v = json(&cairn(rpc, &["block", "1", "--json"], &[]));
    assert_eq!(v["header"]["height"], 1);

    // events
    let text = ok(&cairn(
        rpc,
        &["events", "--contract", &token, "--event", "Transfer"],
        &[],
    ));
    assert_eq!(
        text.lines().filter(|l| l.contains("Transfer")).count(),
        3,
        "{text}"
    );
    let v = json(&cairn(
        rpc,
        &["events", "--contract", &token, "--json"],
        &[],
    ));
    assert!(v.as_array().expect("array").len() >= 3);

    // abi from the node
    let v = json(&cairn(rpc, &["abi", &token], &[]));
    assert_eq!(v["name"], "Token");

    // keys: an encrypted keystore, then sending from it
    let keys = dir.path().join("keys");
    let keys = keys.to_str().expect("utf-8");
    let env = [("CAIRN_KEYS_DIR", keys), ("CAIRN_PASSWORD", "hunter22")];
    let v = json(&cairn(rpc, &["keys", "new", "alice", "--json"], &env));
    let alice = v["address"].as_str().expect("address").to_owned();
    let secret = Wallet::dev(5).secret_hex();
    let text = ok(&cairn(rpc, &["keys", "import", "five", &secret], &env));
    assert!(
        text.contains(&Wallet::dev(5).address().to_string()),
        "{text}"
    );
    let list = json(&cairn(rpc, &["keys", "list", "--json"], &env));
    assert_eq!(list[0]["name"], "alice");
    assert_eq!(list[1]["name"], "five");
    let text = ok(&cairn(rpc, &["keys", "list"], &env));
    assert!(text.contains(&alice), "{text}");
    let v = json(&cairn(rpc, &["keys", "export", "five", "--json"], &env));
    assert_eq!(v["secret_key"], secret.as_str());
    let text = ok(&cairn(rpc, &["keys", "export", "five"], &env));
    assert!(text.contains(&secret), "{text}");
    let text = ok(&cairn(rpc, &["keys", "new", "spare"], &env));
    assert!(text.starts_with("created key spare  0x"), "{text}");
    refused(
        &cairn(
            rpc,
            &["keys", "export", "five"],
            &[("CAIRN_KEYS_DIR", keys), ("CAIRN_PASSWORD", "nope")],
        ),
        "wrong password",
    );
    refused(
        &cairn(rpc, &["keys", "new", "alice"], &env),
        "already exists",
    );
    ok(&cairn(rpc, &["transfer", &alice, "1000000"], &[]));
    let v = json(&cairn(
        rpc,
        &["transfer", &dev1, "1", "--from", "alice", "--json"],
        &env,
    ));
    assert_eq!(v["from"], alice.as_str());
}

#[test]
fn bad_input_gets_one_clear_line_and_a_non_zero_exit() {
    let _serial = crate::node_restart::serial();
    let dir = tempfile::tempdir().expect("dir");
    let token_wasm = token_file(dir.path());
    let (_node, rpc) = devnet(&dir.path().join("d"));
    let rpc = rpc.as_str();
    let dev1 = Wallet::dev(1).address().to_string();
    let (token, _) = deploy_token(rpc, &token_wasm);

    refused(
        &cairn(rpc, &["balance", "0xnothex"], &[]),
        "invalid address \"0xnothex\"",
    );
    refused(
        &cairn(rpc, &["transfer", "bob", "1"], &[]),
        "invalid address \"bob\"",
    );
    refused(
        &cairn(rpc, &["transfer", &dev1, "lots"], &[]),
        "invalid amount \"lots\"",
    );
    refused(
        &cairn(rpc, &["call", &token, "transfer", "{not json"], &[]),
        "invalid JSON arguments",
    );
    refused(
        &cairn(rpc, &["call", &token, "steal", "{}"], &[]),
        "has no method `steal`",
    );
    refused(
        &cairn(
            rpc,
            &["call", &token, "transfer", r#"{"to":"0x12","amount":"1"}"#],
            &[],
        ),
        "to: expected address",
    );
    refused(
        &cairn(
            rpc,
            &[
                "call",
                &token,
                "transfer",
                &format!(r#"{{"to":"{dev1}","amount":"5000"}}"#),
            ],
            &[],
        ),
        "reverted: insufficient balance",
    );
    refused(&cairn(rpc, &["view", &dev1, "get"], &[]), "no contract");
    refused(&cairn(rpc, &["tx", "0x1234"], &[]), "invalid hash");
    refused(
        &cairn(rpc, &["transfer", &dev1, "1", "--from", "dev:x"], &[]),
        "invalid --from",
    );
    refused(
        &cairn("http://127.0.0.1:1", &["balance", &dev1], &[]),
        "cannot reach the node at http://127.0.0.1:1",
    );
}

/// The README's quickstart block, run by `sh` exactly as written, against a devnet.
#[test]
fn readme_quickstart_runs_as_written() {
    let _serial = crate::node_restart::serial();
    let readme =
        std::fs::read_to_string(cairn_tests::workspace_root().join("README.md")).expect("README");
    let start = readme
        .find("<!-- quickstart -->")
        .expect("README has a quickstart marker");
    let block = &readme[start..];
    let body = block
        .split_once("```sh\n")
        .and_then(|(_, rest)| rest.split_once("\n```"))
        .map(|(b, _)| b)
        .expect("a sh block after the marker");
    let dir = tempfile::tempdir().expect("dir");
    let (_node, rpc) = devnet(&dir.path().join("d"));
    let bin_dir = cairn_tests::cairn_bin()
        .parent()
        .expect("dir")
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("sh")
        .args(["-e", "-c", body])
        .current_dir(cairn_tests::workspace_root())
        .env("PATH", path)
        .env("CAIRN_RPC", &rpc)
        .env("CARGO_TARGET_DIR", wasm_target())
        .output()
        .expect("sh runs");
    let stdout = ok(&out);
    // The last command reads the recipient's balance: what the quickstart sent.
    assert_eq!(stdout.trim_end().lines().last(), Some("250"), "{stdout}");
}
