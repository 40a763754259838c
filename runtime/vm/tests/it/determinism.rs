//! The same calls give the same gas, return data and state changes: 100 times on a cached
//! module, on freshly compiled modules, from the disk cache, and in a fresh process.

use cairn_primitives::{Address, Hash, to_hex};
use cairn_vm::{CallContext, MemHost, Vm, VmConfig};

use crate::common::SENDER;
use crate::fixture::token_wasm;

const GAS: u64 = 10_000_000;

/// Runs a fixed scenario on `vm` and hashes every execution and the final state.
fn scenario(vm: &Vm) -> Hash {
    let mut host = MemHost::new();
    let t = host.install(vm, token_wasm()).unwrap();
    let mut log = String::new();
    let mut run = |host: &mut MemHost, method: &str, input: Vec<u8>, gas: u64| {
        let exec = host
            .run(vm, CallContext::new(t, SENDER, method, input, gas))
            .unwrap();
        log.push_str(&format!("{method}: {exec:?}\n"));
    };
    run(&mut host, "init", 1_000_000u128.to_le_bytes().to_vec(), GAS);
    for i in 0..5u8 {
        let mut input = Address([i; 20]).0.to_vec();
        input.extend_from_slice(&(1_000u128 * u128::from(i)).to_le_bytes());
        run(&mut host, "transfer", input, GAS);
    }
    let mut over = Address([9; 20]).0.to_vec();
    over.extend_from_slice(&u128::MAX.to_le_bytes());
    run(&mut host, "transfer", over, GAS);
    run(&mut host, "describe", vec![], GAS);
    run(&mut host, "nan", vec![0; 24], GAS);
    run(&mut host, "fib", 25u32.to_le_bytes().to_vec(), 200_000);
    run(&mut host, "recurse", 100_000u32.to_le_bytes().to_vec(), GAS);
    log.push_str(&format!("{:?}", host.state));
    Hash::of(log.as_bytes())
}

fn fresh_vm(cache_dir: Option<std::path::PathBuf>) -> Vm {
    Vm::new(VmConfig {
        cache_dir,
        ..VmConfig::default()
    })
    .unwrap()
}

#[test]
fn same_result_cached_fresh_disk_and_in_a_child_process() {
    let vm = fresh_vm(None);
    let expected = scenario(&vm);
    for _ in 0..100 {
        assert_eq!(scenario(&vm), expected, "cached module");
    }
    let (hits, _, compiles) = vm.cache_stats();
    assert_eq!(compiles, 1);
    assert!(hits >= 100);
    for _ in 0..20 {
        vm.clear_memory_cache();
        assert_eq!(scenario(&vm), expected, "freshly compiled module");
    }
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        scenario(&fresh_vm(Some(dir.path().into()))),
        expected,
        "compiled and stored"
    );
    for _ in 0..3 {
        let restarted = fresh_vm(Some(dir.path().into()));
        assert_eq!(scenario(&restarted), expected, "loaded from disk");
        assert_eq!(
            restarted.cache_stats().2,
            0,
            "a restarted node never recompiles"
        );
        assert_eq!(restarted.cache_stats().1, 1);
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "determinism::child_digest",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("CAIRN_VM_DIGEST_CHILD", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.split_once("DIGEST=").map(|(_, d)| d.trim()))
        .unwrap_or_else(|| panic!("child said: {stdout}"));
    assert_eq!(line, to_hex(&expected.0), "fresh process");
}

/// Prints the scenario digest when run as the child of the test above.
#[test]
fn child_digest() {
    if std::env::var_os("CAIRN_VM_DIGEST_CHILD").is_some() {
        println!("DIGEST={}", to_hex(&scenario(&fresh_vm(None)).0));
    }
}
