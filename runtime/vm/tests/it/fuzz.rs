//! wasm-smith modules through validate + compile + instantiate + call with a small gas
//! limit: no panic, no hang, every result typed. `CAIRN_VM_FUZZ_N` sets the count.

use std::time::{Duration, Instant};

use arbitrary::Unstructured;
use cairn_primitives::Address;
use cairn_vm::{CallContext, HOST_IMPORTS, MemHost, Ty, Vm, VmConfig, VmError};

/// A module declaring every host import: wasm-smith may import any of them.
fn available_imports() -> Vec<u8> {
    let mut text = String::from("(module\n");
    for imp in HOST_IMPORTS {
        let ty = |t: &Ty| if *t == Ty::I32 { "i32" } else { "i64" };
        let p: Vec<&str> = imp.params.iter().map(ty).collect();
        let r: Vec<&str> = imp.results.iter().map(ty).collect();
        text.push_str(&format!(
            "(import \"cairn\" \"{}\" (func (param {}) (result {})))\n",
            imp.name,
            p.join(" "),
            r.join(" ")
        ));
    }
    text.push(')');
    wat::parse_str(&text).unwrap()
}

/// The exports every generated module must have: our ABI's memory and three methods.
fn required_exports() -> Vec<u8> {
    wat::parse_str(r#"(module (memory (export "memory") 1 2) (func (export "a")) (func (export "b")) (func (export "c")))"#)
        .unwrap()
}

fn config(imports: &[u8]) -> wasm_smith::Config {
    wasm_smith::Config {
        available_imports: Some(imports.to_vec()),
        exports: Some(required_exports()),
        simd_enabled: false,
        relaxed_simd_enabled: false,
        threads_enabled: false,
        exceptions_enabled: false,
        gc_enabled: false,
        tail_call_enabled: false,
        memory64_enabled: false,
        extended_const_enabled: false,
        custom_page_sizes_enabled: false,
        wide_arithmetic_enabled: false,
        reference_types_enabled: false,
        bulk_memory_enabled: true,
        allow_start_export: false,
        min_memories: 0,
        max_memories: 0,
        memory_max_size_required: true,
        max_memory32_bytes: 8 * 65_536,
        max_tables: 1,
        table_max_size_required: true,
        max_table_elements: 64,
        max_funcs: 12,
        max_instructions: 60,
        max_imports: 8,
        max_exports: 16,
        max_globals: 8,
        max_data_segments: 4,
        max_element_segments: 4,
        max_nesting_depth: 6,
        ..wasm_smith::Config::default()
    }
}

#[test]
fn generated_modules_never_crash_the_vm() {
    let n: u32 = std::env::var("CAIRN_VM_FUZZ_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let vm = Vm::new(VmConfig {
        cache_capacity: 16,
        ..VmConfig::default()
    })
    .unwrap();
    let imports = available_imports();
    let cfg = config(&imports);
    let (mut valid, mut ran, mut outcomes) =
        (0u32, 0u32, std::collections::BTreeMap::<String, u32>::new());
    let mut slowest = Duration::ZERO;
    let mut rejected = std::collections::BTreeMap::<String, u32>::new();
    let mut seed_bytes = vec![0u8; 4096];
    for seed in 0..n {
        // A cheap deterministic byte stream per seed (splitmix64).
        let mut x = u64::from(seed).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        for chunk in seed_bytes.chunks_mut(8) {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            chunk.copy_from_slice(&(z ^ (z >> 31)).to_le_bytes()[..chunk.len()]);
        }
        let Ok(module) = wasm_smith::Module::new(cfg.clone(), &mut Unstructured::new(&seed_bytes))
        else {
            continue;
        };
        let code = module.to_bytes();
        let start = Instant::now();
        let prepared = match vm.prepare(&code) {
            Ok(m) => m,
            Err(VmError::Invalid(e)) => {
                *rejected
                    .entry(e.to_string().chars().take(60).collect::<String>())
                    .or_default() += 1;
                continue;
            }
            Err(e) => panic!("seed {seed}: validated module failed node-side: {e}"),
        };
        valid += 1;
        for method in prepared.info.methods.iter().take(3) {
            // The call's base cost plus a small budget for the code itself.
            let limit = vm.schedule().call_base + 20_000;
            let ctx = CallContext::new(
                Address([1; 20]),
                Address([2; 20]),
                method,
                vec![1, 2, 3],
                limit,
            );
            let exec = vm
                .execute(&mut MemHost::new(), &prepared, ctx)
                .unwrap_or_else(|e| panic!("seed {seed} method {method}: node-side error {e}"));
            assert!(exec.gas_used <= limit, "seed {seed}: gas {}", exec.gas_used);
            // Same call again on a fresh instance: the same outcome and gas.
            let again = CallContext::new(
                Address([1; 20]),
                Address([2; 20]),
                method,
                vec![1, 2, 3],
                limit,
            );
            assert_eq!(
                vm.execute(&mut MemHost::new(), &prepared, again).unwrap(),
                exec,
                "seed {seed}: not repeatable"
            );
            let key = format!("{:?}", exec.outcome)
                .split('(')
                .next()
                .unwrap_or_default()
                .to_owned();
            *outcomes.entry(key).or_default() += 1;
            ran += 1;
        }
        slowest = slowest.max(start.elapsed());
    }
    println!(
        "fuzz: {n} generated, {valid} valid, {ran} calls, slowest {slowest:?}, outcomes {outcomes:?}, rejected {rejected:?}"
    );
    assert!(
        valid * 4 >= n,
        "too few valid modules to mean anything: {valid}/{n}"
    );
    assert!(ran >= valid, "every valid module has a method");
    assert!(
        slowest < Duration::from_secs(5),
        "a module took {slowest:?}"
    );
}
