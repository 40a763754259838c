//! cairn-vm benchmark: instantiate + call of a cached module, host-call overhead, fuel
//! overhead, compile throughput, and the ns-per-gas calibration table of the schedule.
//! Run with `cargo bench -p cairn-vm`; prints markdown tables.

#[path = "../tests/it/fixture.rs"]
mod fixture;

use std::hint::black_box;
use std::time::{Duration, Instant};

use cairn_primitives::{Address, Amount, SecretKey};
use cairn_vm::{CallContext, HOST_IMPORTS, MemHost, Ty, Vm, VmConfig, engine_config};

const SENDER: Address = Address([0xaa; 20]);

fn wat(body: &str) -> Vec<u8> {
    let mut imports = String::new();
    for imp in HOST_IMPORTS {
        let ty = |t: &Ty| if *t == Ty::I32 { "i32" } else { "i64" };
        let p: Vec<&str> = imp.params.iter().map(ty).collect();
        let r: Vec<&str> = imp.results.iter().map(ty).collect();
        imports.push_str(&format!(
            "(import \"cairn\" \"{0}\" (func ${0} (param {1}) (result {2})))\n",
            imp.name,
            p.join(" "),
            r.join(" ")
        ));
    }
    wat::parse_str(format!(
        "(module\n{imports}(memory (export \"memory\") 1 16)\n{body}\n)"
    ))
    .expect("wat")
}

fn percentile(mut v: Vec<Duration>, permille: usize) -> Duration {
    v.sort();
    v[(v.len() - 1) * permille / 1000]
}

/// Times `n` executions of `method`; returns (p50, p99, gas of one run).
fn time_calls(
    vm: &Vm,
    host: &mut MemHost,
    contract: Address,
    method: &str,
    input: &[u8],
    n: usize,
) -> (Duration, Duration, u64) {
    let module = vm
        .module(
            host.state.contracts[&contract],
            &host.codes[&host.state.contracts[&contract]].clone(),
        )
        .unwrap();
    let mut samples = Vec::with_capacity(n);
    let mut gas = 0;
    for _ in 0..n {
        host.state.events.clear();
        let ctx = CallContext::new(contract, SENDER, method, input.to_vec(), 1_000_000_000);
        let t = Instant::now();
        let exec = vm.execute(host, &module, ctx).unwrap();
        samples.push(t.elapsed());
        assert!(exec.outcome.is_success(), "{method}: {:?}", exec.outcome);
        gas = exec.gas_used;
    }
    (
        percentile(samples.clone(), 500),
        percentile(samples, 990),
        gas,
    )
}

fn main() {
    let vm = Vm::new(VmConfig::default()).unwrap();
    let token = fixture::token_wasm();

    // ---- compile throughput ----
    let mut compile = Vec::new();
    for _ in 0..5 {
        vm.clear_memory_cache();
        let t = Instant::now();
        let fresh = Vm::new(VmConfig::default()).unwrap();
        let t0 = Instant::now();
        fresh.prepare(token).unwrap();
        compile.push(t0.elapsed());
        let _ = t;
    }
    let compile = percentile(compile, 500);
    let t = Instant::now();
    for _ in 0..20 {
        black_box(cairn_vm::validate(token).unwrap());
    }
    let validate = t.elapsed() / 20;
    let dir = tempfile_dir();
    Vm::new(VmConfig {
        cache_dir: Some(dir.clone()),
        ..VmConfig::default()
    })
    .unwrap()
    .prepare(token)
    .unwrap();
    let mut loads = Vec::new();
    for _ in 0..5 {
        let restarted = Vm::new(VmConfig {
            cache_dir: Some(dir.clone()),
            ..VmConfig::default()
        })
        .unwrap();
        let t = Instant::now();
        restarted
            .cached(&cairn_primitives::Hash::of(token))
            .unwrap()
            .unwrap();
        loads.push(t.elapsed());
    }
    let load = percentile(loads, 500);
    let _ = std::fs::remove_dir_all(&dir);
    let mb = token.len() as f64 / 1e6;
    println!(
        "\n## cairn-vm: compile (token contract, {} bytes)\n",
        token.len()
    );
    println!("| step | time | throughput |\n|---|---|---|");
    println!(
        "| validate (wasmparser + limits) | {:.2} ms | {:.1} MB/s |",
        ms(validate),
        mb / validate.as_secs_f64()
    );
    println!(
        "| validate + compile (Cranelift, fuel) + InstancePre | {:.2} ms | {:.2} MB/s |",
        ms(compile),
        mb / compile.as_secs_f64()
    );
    println!(
        "| load from disk cache (deserialize + InstancePre) | {:.3} ms | — |",
        ms(load)
    );

    // ---- instantiate + call ----
    let mut host = MemHost::new();
    let t_addr = host.install(&vm, token).unwrap();
    host.run(
        &vm,
        CallContext::new(
            t_addr,
            SENDER,
            "init",
            1_000_000u128.to_le_bytes().to_vec(),
            10_000_000,
        ),
    )
    .unwrap();
    let noop = wat(r#"(func (export "noop"))"#);
    let n_addr = host.install(&vm, &noop).unwrap();
    let mut transfer = Address([0xbb; 20]).0.to_vec();
    transfer.extend_from_slice(&1u128.to_le_bytes());
    println!(
        "\n## cairn-vm: instantiate + call of a cached module (fresh pooled instance per call)\n"
    );
    println!("| call | p50 | p99 | gas |\n|---|---|---|---|");
    for (label, addr, method, input) in [
        ("bare WAT module, no-op method", n_addr, "noop", vec![]),
        ("token contract, no-op `ping`", t_addr, "ping", vec![]),
        (
            "token `balance_of` (1 storage read)",
            t_addr,
            "balance_of",
            SENDER.0.to_vec(),
        ),
        (
            "token `transfer` (2 reads, 2 writes, event)",
            t_addr,
            "transfer",
            transfer.clone(),
        ),
    ] {
        time_calls(&vm, &mut host, addr, method, &input, 500);
        let (p50, p99, gas) = time_calls(&vm, &mut host, addr, method, &input, 5_000);
        println!(
            "| {label} | {:.2} µs | {:.2} µs | {gas} |",
            us(p50),
            us(p99)
        );
    }

    // ---- host-call overhead ----
    let loops = r#"
      (func (export "empty") (local i32) (loop (local.set 0 (i32.add (local.get 0) (i32.const 1))) (br_if 0 (i32.lt_u (local.get 0) (i32.const 100000)))))
      (func (export "host") (local i32) (loop (drop (call $block_height)) (local.set 0 (i32.add (local.get 0) (i32.const 1))) (br_if 0 (i32.lt_u (local.get 0) (i32.const 100000)))))"#;
    let l_addr = host.install(&vm, &wat(loops)).unwrap();
    let (empty, _, _) = time_calls(&vm, &mut host, l_addr, "empty", &[], 30);
    let (hosted, _, _) = time_calls(&vm, &mut host, l_addr, "host", &[], 30);
    let per_call = (hosted.saturating_sub(empty)).as_nanos() as f64 / 100_000.0;
    println!("\n## cairn-vm: host-call overhead\n");
    println!(
        "| measure | ns |\n|---|---|\n| wasm → host → wasm (`block_height`, incl. gas charge) | {per_call:.1} |"
    );

    // ---- fuel overhead ----
    println!("\n## cairn-vm: fuel overhead (same engine config, fuel on vs off)\n");
    println!("| kernel | no fuel | fuel | ratio |\n|---|---|---|---|");
    let kernels = r#"(module
      (func $fib (export "fib") (param i32) (result i32)
        (if (result i32) (i32.lt_u (local.get 0) (i32.const 2)) (then (local.get 0))
          (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1))) (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
      (func (export "loop") (param i32) (result i32) (local i32 i32)
        (local.set 2 (i32.const 1))
        (loop (local.set 2 (i32.add (i32.mul (local.get 2) (i32.const 1664525)) (i32.const 1013904223)))
              (local.set 1 (i32.add (local.get 1) (i32.const 1)))
              (br_if 0 (i32.lt_u (local.get 1) (local.get 0))))
        (local.get 2))
      (memory 1 1)
      (func (export "mem") (param i32) (result i32) (local i32 i32)
        (loop (i32.store (i32.and (i32.mul (local.get 1) (i32.const 4)) (i32.const 0xfffc))
                         (i32.add (local.get 2) (i32.load (i32.and (i32.mul (local.get 1) (i32.const 8)) (i32.const 0xfffc)))))
              (local.set 2 (i32.add (local.get 2) (local.get 1)))
              (local.set 1 (i32.add (local.get 1) (i32.const 1)))
              (br_if 0 (i32.lt_u (local.get 1) (local.get 0))))
        (local.get 2)))"#;
    let kernels = wat::parse_str(kernels).unwrap();
    for (name, arg) in [
        ("fib(27) recursive", 27),
        ("LCG loop ×10M", 10_000_000),
        ("memory loop ×5M", 5_000_000),
    ] {
        let func = match name.split(' ').next().unwrap() {
            n if n.starts_with("fib") => "fib",
            "LCG" => "loop",
            _ => "mem",
        };
        let mut times = [Duration::ZERO; 2];
        for (i, fuel) in [false, true].into_iter().enumerate() {
            let engine = wasmtime::Engine::new(&engine_config(fuel)).unwrap();
            let module = wasmtime::Module::new(&engine, &kernels).unwrap();
            let mut samples = Vec::new();
            for _ in 0..7 {
                let mut store = wasmtime::Store::new(&engine, ());
                if fuel {
                    store.set_fuel(u64::MAX / 2).unwrap();
                }
                let inst = wasmtime::Instance::new(&mut store, &module, &[]).unwrap();
                let f = inst.get_typed_func::<i32, i32>(&mut store, func).unwrap();
                let t = Instant::now();
                black_box(f.call(&mut store, arg).unwrap());
                samples.push(t.elapsed());
            }
            times[i] = samples.into_iter().min().unwrap();
        }
        println!(
            "| {name} | {:.1} ms | {:.1} ms | {:.2}× |",
            ms(times[0]),
            ms(times[1]),
            times[1].as_secs_f64() / times[0].as_secs_f64()
        );
    }

    // The Rust token's `fib` (compiled Rust, its real imports stubbed for the raw engine).
    let mut times = [Duration::ZERO; 2];
    for (i, fuel) in [false, true].into_iter().enumerate() {
        let engine = wasmtime::Engine::new(&engine_config(fuel)).unwrap();
        let module = wasmtime::Module::new(&engine, token).unwrap();
        let mut linker = wasmtime::Linker::<Vec<u8>>::new(&engine);
        linker
            .func_wrap("cairn", "input_size", |_: wasmtime::Caller<'_, Vec<u8>>| {
                4i32
            })
            .unwrap();
        linker
            .func_wrap(
                "cairn",
                "input_read",
                |mut c: wasmtime::Caller<'_, Vec<u8>>, ptr: i32| {
                    let mem = c.get_export("memory").unwrap().into_memory().unwrap();
                    mem.write(&mut c, ptr as u32 as usize, &27u32.to_le_bytes())
                        .unwrap();
                },
            )
            .unwrap();
        linker
            .func_wrap(
                "cairn",
                "set_return",
                |_: wasmtime::Caller<'_, Vec<u8>>, _: i32, _: i32| {},
            )
            .unwrap();
        linker.define_unknown_imports_as_traps(&module).unwrap();
        let mut samples = Vec::new();
        for _ in 0..7 {
            let mut store = wasmtime::Store::new(&engine, Vec::new());
            if fuel {
                store.set_fuel(u64::MAX / 2).unwrap();
            }
            let inst = linker.instantiate(&mut store, &module).unwrap();
            let f = inst.get_typed_func::<(), ()>(&mut store, "fib").unwrap();
            let t = Instant::now();
            f.call(&mut store, ()).unwrap();
            samples.push(t.elapsed());
        }
        times[i] = samples.into_iter().min().unwrap();
    }
    println!(
        "| Rust token `fib(27)` (compiled Rust) | {:.1} ms | {:.1} ms | {:.2}× |",
        ms(times[0]),
        ms(times[1]),
        times[1].as_secs_f64() / times[0].as_secs_f64()
    );

    // ---- ns per gas ----
    calibrate(&vm);
}

fn tempfile_dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("cairn-vm-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// A method that repeats `stmt` `n` times in a loop.
fn looped(name: &str, n: u32, stmt: &str) -> String {
    format!(
        r#"(func (export "{name}") (local $i i32) (local i32)
          (loop {stmt} (local.set $i (i32.add (local.get $i) (i32.const 1))) (br_if 0 (i32.lt_u (local.get $i) (i32.const {n})))))"#
    )
}

fn calibrate(vm: &Vm) {
    let key = SecretKey::from_bytes(&[3; 32]);
    let msg = [7u8; 64];
    let sig = key.sign(&msg);
    let pk = key.public_key();
    let hex = |b: &[u8]| b.iter().map(|x| format!("\\{x:02x}")).collect::<String>();
    // memory layout: 0.. scratch; 8192: pk, 8224: sig, 8288: msg; 16384.. 4 KiB buffer
    let rows: Vec<(&str, u32, String)> = vec![
        ("wasm: integer loop", 200_000, "(local.set 1 (i32.add (local.get 1) (i32.mul (local.get $i) (i32.const 3))))".into()),
        ("wasm: memory loop", 200_000, "(i32.store (i32.and (local.get $i) (i32.const 0xfffc)) (i32.add (local.get $i) (i32.load (i32.const 64))))".into()),
        ("wasm: call loop", 100_000, "(local.set 1 (call $leaf (local.get $i)))".into()),
        ("input_size", 20_000, "(drop (call $input_size))".into()),
        ("block_height", 20_000, "(drop (call $block_height))".into()),
        ("gas_left", 20_000, "(drop (call $gas_left))".into()),
        ("caller (20 B)", 20_000, "(call $caller (i32.const 0))".into()),
        ("value (32 B)", 20_000, "(call $value (i32.const 0))".into()),
        ("input_read 1 KiB", 10_000, "(call $input_read (i32.const 16384))".into()),
        ("set_return 4 KiB", 5_000, "(call $set_return (i32.const 16384) (i32.const 4096))".into()),
        ("keccak256 32 B", 5_000, "(call $keccak256 (i32.const 16384) (i32.const 32) (i32.const 0))".into()),
        ("keccak256 4 KiB", 500, "(call $keccak256 (i32.const 16384) (i32.const 4096) (i32.const 0))".into()),
        ("sha256 32 B", 5_000, "(call $sha256 (i32.const 16384) (i32.const 32) (i32.const 0))".into()),
        ("sha256 4 KiB", 500, "(call $sha256 (i32.const 16384) (i32.const 4096) (i32.const 0))".into()),
        ("ed25519_verify 64 B", 100, "(drop (call $ed25519_verify (i32.const 8192) (i32.const 8288) (i32.const 64) (i32.const 8224)))".into()),
        ("storage_write 32 B key, 32 B value", 5_000, "(i32.store (i32.const 16384) (local.get $i)) (call $storage_write (i32.const 16384) (i32.const 32) (i32.const 16416) (i32.const 32))".into()),
        ("storage_write 32 B key, 4 KiB value", 500, "(i32.store (i32.const 16384) (local.get $i)) (call $storage_write (i32.const 16384) (i32.const 32) (i32.const 16384) (i32.const 4096))".into()),
        ("storage_read hit 32 B", 5_000, "(drop (call $storage_read (i32.const 4096) (i32.const 4) (i32.const 0) (i32.const 64)))".into()),
        ("storage_read miss", 5_000, "(i32.store (i32.const 16384) (local.get $i)) (drop (call $storage_read (i32.const 16384) (i32.const 32) (i32.const 0) (i32.const 64)))".into()),
        ("storage_has", 5_000, "(drop (call $storage_has (i32.const 4096) (i32.const 4)))".into()),
        ("storage_remove", 5_000, "(i32.store (i32.const 16384) (local.get $i)) (drop (call $storage_remove (i32.const 16384) (i32.const 32)))".into()),
        ("balance", 5_000, "(call $balance (i32.const 0) (i32.const 64))".into()),
        ("transfer", 5_000, "(drop (call $transfer (i32.const 4200) (i32.const 4300)))".into()),
        ("emit_event 2 topics, 64 B", 1_000, "(call $emit_event (i32.const 16384) (i32.const 2) (i32.const 16384) (i32.const 64))".into()),
        ("debug_log 64 B (off)", 10_000, "(call $debug_log (i32.const 16384) (i32.const 64))".into()),
        ("memory.grow 1 page", 15, "(drop (memory.grow (i32.const 1)))".into()),
        ("call (nested no-op)", 1_000, "(drop (call $call (i32.const 4400) (i32.const 4500) (i32.const 4) (i32.const 0) (i32.const 0) (i32.const 4300) (i64.const 0)))".into()),
    ];
    let mut host = MemHost::new();
    let noop = host.install(vm, &wat(r#"(func (export "noop"))"#)).unwrap();
    let mut one = [0u8; 32];
    one[0] = 1;
    let mut body = format!(
        r#"(func $leaf (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
           (data (i32.const 8192) "{}{}{}") (data (i32.const 4096) "kkkk") (data (i32.const 4500) "noop")
           (data (i32.const 4200) "{}") (data (i32.const 4300) "{}") (data (i32.const 4400) "{}")"#,
        hex(&pk),
        hex(&sig),
        hex(&msg),
        hex(&[0x77; 20]),
        hex(&one),
        hex(&noop.0)
    );
    for (i, (_, n, stmt)) in rows.iter().enumerate() {
        body.push_str(&looped(&format!("r{i}"), *n, stmt));
    }
    let code = wat(&body);
    let c = host.install(vm, &code).unwrap();
    host.state.balances.insert(c, Amount::from(u64::MAX));
    host.state
        .storage
        .insert((c, b"kkkk".to_vec()), vec![1; 32]);
    let module = vm.prepare(&code).unwrap();
    println!(
        "\n## cairn-vm: ns per gas (schedule v{}; MemHost storage)\n",
        vm.schedule().version
    );
    println!("| operation | iterations | gas / op | ns / op | ns / gas |\n|---|---|---|---|---|");
    let mut ratios = Vec::new();
    for (i, (label, n, _)) in rows.iter().enumerate() {
        let method = format!("r{i}");
        let input = vec![0u8; 1024];
        let mut best = Duration::MAX;
        let mut gas = 0;
        for _ in 0..5 {
            let ctx = CallContext::new(c, SENDER, &method, input.clone(), 10_000_000_000);
            host.state.events.clear();
            let t = Instant::now();
            let exec = vm.execute(&mut host, &module, ctx).unwrap();
            let el = t.elapsed();
            assert!(exec.outcome.is_success(), "{label}: {:?}", exec.outcome);
            best = best.min(el);
            gas = exec.gas_used;
        }
        let per_op_ns = best.as_nanos() as f64 / f64::from(*n);
        let per_op_gas = gas as f64 / f64::from(*n);
        let r = per_op_ns / per_op_gas;
        ratios.push((r, *label));
        println!("| {label} | {n} | {per_op_gas:.0} | {per_op_ns:.1} | {r:.3} |");
    }
    let mut sorted: Vec<f64> = ratios.iter().map(|r| r.0).collect();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    let (worst, worst_label) = ratios
        .iter()
        .copied()
        .fold((0.0, ""), |a, b| if b.0 > a.0 { b } else { a });
    let (best, best_label) = ratios
        .iter()
        .copied()
        .fold((f64::MAX, ""), |a, b| if b.0 < a.0 { b } else { a });
    println!(
        "\nmedian {median:.3} ns/gas; slowest per gas: {worst_label} {worst:.3} ({:.2}× median); cheapest per gas: {best_label} {best:.3} ({:.2}× median)",
        worst / median,
        best / median
    );
}
