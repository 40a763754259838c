//! `cargo bench -p cairn-executor`: native transfers and token-contract calls per second
//! through `Executor::execute` (including the dry-run state root), on an in-memory state.
//! Sizes: `CAIRN_BENCH_TXS` (default 2,000 per block).

use std::sync::Arc;
use std::time::Instant;

use cairn_executor::test_utils::{Signer, mem_state};
use cairn_executor::{BlockEnv, Executor, ExecutorConfig};
use cairn_primitives::{Address, Amount, SignedTransaction};
use cairn_vm::{HOST_IMPORTS, Ty, Vm, VmConfig};

fn wat(body: &str) -> Vec<u8> {
    let mut imports = String::new();
    for imp in HOST_IMPORTS {
        let ty = |t: &Ty| if *t == Ty::I32 { "i32" } else { "i64" };
        let params: Vec<&str> = imp.params.iter().map(ty).collect();
        let results: Vec<&str> = imp.results.iter().map(ty).collect();
        imports.push_str(&format!(
            "(import \"cairn\" \"{0}\" (func ${0} (param {1}) (result {2})))\n",
            imp.name,
            params.join(" "),
            results.join(" ")
        ));
    }
    wat::parse_str(format!(
        "(module\n{imports}(memory (export \"memory\") 1 4)\n{body}\n)"
    ))
    .expect("wat")
}

const TOKEN: &str = r#"
(data (i32.const 200) "insufficient")
(func (export "mint")
  (call $caller (i32.const 0))
  (call $input_read (i32.const 64))
  (call $storage_write (i32.const 0) (i32.const 20) (i32.const 64) (i32.const 8)))
(func (export "transfer") (local $from i64) (local $amt i64)
  (call $caller (i32.const 0))
  (call $input_read (i32.const 32))
  (local.set $amt (i64.load (i32.const 52)))
  (drop (call $storage_read (i32.const 0) (i32.const 20) (i32.const 100) (i32.const 8)))
  (local.set $from (i64.load (i32.const 100)))
  (if (i64.lt_u (local.get $from) (local.get $amt))
    (then (call $revert (i32.const 200) (i32.const 12))))
  (i64.store (i32.const 100) (i64.sub (local.get $from) (local.get $amt)))
  (call $storage_write (i32.const 0) (i32.const 20) (i32.const 100) (i32.const 8))
  (drop (call $storage_read (i32.const 32) (i32.const 20) (i32.const 108) (i32.const 8)))
  (i64.store (i32.const 108) (i64.add (i64.load (i32.const 108)) (local.get $amt)))
  (call $storage_write (i32.const 32) (i32.const 20) (i32.const 108) (i32.const 8))
  (call $emit_event (i32.const 0) (i32.const 0) (i32.const 52) (i32.const 8)))
"#;

fn env(height: u64) -> BlockEnv {
    BlockEnv {
        chain_id: 1,
        height,
        timestamp_ms: 1_700_000_000_000,
        proposer: Address([0xbb; 20]),
        gas_limit: u64::MAX,
    }
}

fn best_of(runs: usize, mut f: impl FnMut() -> f64) -> f64 {
    (0..runs).map(|_| f()).fold(f64::INFINITY, f64::min)
}

fn main() {
    let n: usize = std::env::var("CAIRN_BENCH_TXS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let vm = Arc::new(Vm::new(VmConfig::default()).expect("vm"));
    let ex = Executor::new(vm, ExecutorConfig::default());
    let senders = 100u64;
    let mut signers: Vec<Signer> = (0..senders).map(|i| Signer::new(i, 1)).collect();
    let genesis: Vec<_> = signers
        .iter()
        .map(|s| (s.address(), Amount::from(u64::MAX)))
        .collect();

    // native transfers
    let state = mem_state(&genesis);
    let txs: Vec<SignedTransaction> = (0..n)
        .map(|i| {
            let s = &mut signers[i % 100];
            s.transfer(Address([u8::try_from(i % 250).unwrap_or(0); 20]), 1, 30_000)
        })
        .collect();
    let transfer_s = best_of(5, || {
        let t = Instant::now();
        let out = ex.execute(&state, &env(1), &txs).expect("execute");
        assert_eq!(out.receipts.len(), n);
        t.elapsed().as_secs_f64()
    });

    // token calls: deploy + mint for each sender, committed; then n transfers
    let state = mem_state(&genesis);
    let mut signers: Vec<Signer> = (0..senders).map(|i| Signer::new(i, 1)).collect();
    let code = wat(TOKEN);
    let deployer = signers[0].address();
    let token = Address::for_create(&deployer, 0);
    let mut setup = vec![signers[0].deploy(&code, None, None, 0, 10_000_000)];
    for s in &mut signers {
        setup.push(s.call(token, "mint", &1_000_000_000u64.to_le_bytes(), 0, 1_000_000));
    }
    let out = ex.execute(&state, &env(1), &setup).expect("setup");
    state.commit(&out.changes).expect("commit");
    let calls: Vec<SignedTransaction> = (0..n)
        .map(|i| {
            let s = &mut signers[i % 100];
            let mut args = [u8::try_from(i % 250).unwrap_or(0); 28];
            args[20..].copy_from_slice(&1u64.to_le_bytes());
            s.call(token, "transfer", &args, 0, 1_000_000)
        })
        .collect();
    let mut gas = 0;
    let call_s = best_of(5, || {
        let t = Instant::now();
        let out = ex.execute(&state, &env(2), &calls).expect("execute");
        assert!(out.receipts.iter().all(|r| r.error.is_none()));
        gas = out.gas_used / u64::try_from(n).unwrap_or(1);
        t.elapsed().as_secs_f64()
    });

    println!("| workload ({n} txs per block, 100 senders, best of 5) | tx/s | µs/tx | gas/tx |");
    println!("|---|---|---|---|");
    let transfer_gas = ex.intrinsic_gas(&txs[0]);
    println!(
        "| native transfer (execute + state root) | {:.0} | {:.1} | {transfer_gas} |",
        n as f64 / transfer_s,
        transfer_s * 1e6 / n as f64
    );
    println!(
        "| token transfer call (2 reads, 2 writes, 1 event; + state root) | {:.0} | {:.1} | {gas} |",
        n as f64 / call_s,
        call_s * 1e6 / n as f64
    );
}
