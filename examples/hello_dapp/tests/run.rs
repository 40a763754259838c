//! The hello DApp run as a user runs it: against a real `cairn devnet`, with the token built
//! from `contracts/token`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long the devnet may take to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// Kills the devnet when the test ends, whatever happens.
struct Devnet(Child);

impl Drop for Devnet {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_hello_dapp_deploys_transfers_and_sees_its_events() {
    let dapp = std::path::PathBuf::from(env!("CARGO_BIN_EXE_hello-dapp"));
    // `cargo test --workspace` builds the `cairn` binary beside this one (node/cli's tests).
    let cairn = dapp
        .parent()
        .expect("bin dir")
        .join(format!("cairn{}", std::env::consts::EXE_SUFFIX));
    assert!(
        cairn.exists(),
        "{} is missing: run through `cargo test --workspace`",
        cairn.display()
    );
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let wasm = cairn_testkit::build_wasm(&root.join("contracts/token")).expect("token builds");
    let dir = tempfile::tempdir().expect("dir");
    let wasm_file = dir.path().join("token.wasm");
    std::fs::write(&wasm_file, wasm.as_slice()).expect("write");

    let mut child = Command::new(&cairn)
        .args(["devnet", "--data-dir"])
        .arg(dir.path().join("chain"))
        .args(["--rpc-addr", "127.0.0.1:0", "--accounts", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("devnet starts");
    let out = child.stdout.take().expect("stdout");
    let _devnet = Devnet(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if let Some(url) = line.split("rpc listening on ").nth(1) {
                let _ = tx.send(url.trim().to_owned());
            }
        }
    });
    let url = rx.recv_timeout(START_TIMEOUT).expect("the devnet listens");

    let run = Command::new(&dapp)
        .arg(&wasm_file)
        .arg(&url)
        .output()
        .expect("the dapp runs");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(stdout.contains("deployed Token at 0x"), "{stdout}");
    assert_eq!(stdout.matches("event Transfer").count(), 3, "{stdout}");
    assert!(stdout.contains("bob holds \"60\""), "{stdout}");
}
