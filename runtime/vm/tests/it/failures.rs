//! Every failure mode is a typed outcome with its gas: out of gas, revert (see host_api),
//! traps, memory growth past the cap, stack exhaustion, call depth, reentrancy.

use cairn_vm::limits::MAX_CALL_DEPTH;
use cairn_vm::{GasSchedule, MemHost, Outcome, TrapKind, status};

use crate::common::{call, install, on_vm_stack, run, wat};

const GAS: u64 = 5_000_000;

#[test]
fn infinite_loop_runs_out_of_gas_at_the_limit_every_time() {
    let body = r#"(func (export "spin") (loop (br 0)))"#;
    for limit in [10_000u64, 123_457] {
        for _ in 0..3 {
            let (exec, _) = run(body, "spin", b"", limit);
            assert_eq!(exec.outcome, Outcome::OutOfGas);
            assert_eq!(exec.gas_used, limit);
        }
    }
}

#[test]
fn a_host_charge_that_does_not_fit_is_out_of_gas() {
    let body = r#"(func (export "m") (call $storage_write (i32.const 0) (i32.const 4) (i32.const 0) (i32.const 4)))"#;
    // Enough to start (base + one page), not enough for the write's base cost.
    let s = GasSchedule::V1;
    let limit = s.call_base + s.initial_page + s.storage_write_base / 2;
    let (exec, host) = run(body, "m", b"", limit);
    assert_eq!(exec.outcome, Outcome::OutOfGas);
    assert_eq!(exec.gas_used, limit);
    assert!(
        host.state.storage.is_empty(),
        "charged before work: nothing written"
    );
    // Below the call's base cost: out of gas before instantiation.
    let (exec, _) = run(body, "m", b"", 100);
    assert_eq!((exec.outcome, exec.gas_used), (Outcome::OutOfGas, 100));
}

#[test]
fn traps_are_typed() {
    let body = r#"
      (func (export "unreachable") unreachable)
      (func (export "div0") (drop (i32.div_u (i32.const 1) (call $input_size))))
      (func (export "overflow") (drop (i32.div_s (i32.const 0x80000000) (i32.sub (call $input_size) (i32.const 1)))))
      (func (export "oob") (drop (i32.load (i32.const 0x10000))))
      (func (export "conv") (drop (i32.trunc_f32_s (f32.const nan))))
      (func (export "null") (call_indirect (i32.const 0)))
      (func (export "badsig") (call_indirect (i32.const 1)))
      (func (export "table") (call_indirect (i32.const 5)))
      (func $f (param i32))
      (table 2 2 funcref) (elem (i32.const 1) $f)"#;
    let cases = [
        ("unreachable", TrapKind::Unreachable),
        ("div0", TrapKind::DivisionByZero),
        ("overflow", TrapKind::IntegerOverflow),
        ("oob", TrapKind::MemoryOutOfBounds),
        ("conv", TrapKind::BadConversion),
        ("null", TrapKind::IndirectCallToNull),
        ("badsig", TrapKind::BadSignature),
        ("table", TrapKind::TableOutOfBounds),
    ];
    let mut host = MemHost::new();
    let c = install(&mut host, &wat(body));
    for (m, kind) in cases {
        let exec = call(&mut host, c, m, b"", GAS);
        assert_eq!(exec.outcome, Outcome::Trapped(kind), "{m}");
        assert!(
            exec.gas_used > 0 && exec.gas_used < GAS,
            "{m}: {}",
            exec.gas_used
        );
        assert_eq!(
            exec.outcome.error_message().unwrap(),
            format!("trap: {kind}")
        );
    }
}

#[test]
fn memory_grow_past_the_cap_returns_minus_one_and_growth_is_charged() {
    // Declared 1..4 pages.
    let body = r#"(func (export "grow")
        (i32.store (i32.const 0) (memory.grow (call $input_size)))
        (call $set_return (i32.const 0) (i32.const 4)))"#;
    let (ok, _) = run(body, "grow", &[0; 3], GAS);
    assert_eq!(ok.return_data, 1i32.to_le_bytes(), "old size");
    let (none, _) = run(body, "grow", &[], GAS);
    let (too_far, _) = run(body, "grow", &[0; 4], GAS);
    assert_eq!(too_far.return_data, (-1i32).to_le_bytes());
    assert_eq!(too_far.outcome, Outcome::Success);
    // 3 pages at the schedule's page price, plus 3 bytes of input.
    assert_eq!(
        ok.gas_used - none.gas_used,
        3 * GasSchedule::V1.memory_grow_page + 3
    );
    // Growth that the remaining gas cannot pay for ends out of gas.
    let (poor, _) = run(body, "grow", &[0; 3], none.gas_used + 100);
    assert_eq!(poor.outcome, Outcome::OutOfGas);
}

#[test]
fn stack_exhaustion_is_deterministic_and_charges_the_limit() {
    let body = r#"(func $down (export "deep") (call $down))
       (func $down2 (param i64 i64 i64 i64) (call $down2 (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
       (func (export "deep2") (call $down2 (i64.const 1) (i64.const 2) (i64.const 3) (i64.const 4)))"#;
    for m in ["deep", "deep2"] {
        for _ in 0..3 {
            let (exec, _) = run(body, m, b"", 50_000_000);
            assert_eq!(exec.outcome, Outcome::StackExhausted, "{m}");
            assert_eq!(exec.gas_used, 50_000_000);
        }
    }
}

/// Calls itself (re-entry opted in) until the depth limit refuses; returns the depth
/// reached (i32) after the status it saw.
const RECURSE: &str = r#"
(global $d (mut i32) (i32.const 0))
(func (export "cairn_reentrant"))
(func (export "rec")
  (call $self_address (i32.const 0))
  (i32.store (i32.const 100) (call $call (i32.const 0) (i32.const 40) (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 60) (i64.const 0)))
  (if (i32.eqz (i32.load (i32.const 100)))
     (then (call $result_read (i32.const 104))
           (i32.store (i32.const 104) (i32.add (i32.load (i32.const 104)) (i32.const 1))))
     (else (i32.store (i32.const 104) (i32.const 1))
           (i32.store (i32.const 108) (i32.load (i32.const 100)))))
  (call $set_return (i32.const 104) (i32.const 8)))
(data (i32.const 40) "rec")"#;

#[test]
fn call_depth_is_limited() {
    let (exec, _) = on_vm_stack(|| run(RECURSE, "rec", b"", 1_000_000_000));
    assert_eq!(exec.outcome, Outcome::Success);
    let depth = i32::from_le_bytes(exec.return_data[..4].try_into().unwrap());
    let seen = i32::from_le_bytes(exec.return_data[4..].try_into().unwrap());
    assert_eq!(seen, status::CALL_DEPTH);
    assert_eq!(
        depth as u32,
        MAX_CALL_DEPTH + 1,
        "levels 0..=MAX_CALL_DEPTH ran"
    );
}

#[test]
fn reentrancy_is_denied_unless_opted_in() {
    // A calls B.bounce; B calls back A.back; A's `back` returns "ok".
    let a_body = |opt_in: bool| {
        format!(
            r#"{}
            (data (i32.const 40) "bounce") (data (i32.const 60) "ok")
            (func (export "back") (call $set_return (i32.const 60) (i32.const 2)))
            (func (export "start")
              (call $input_read (i32.const 0))
              (i32.store (i32.const 100) (call $call (i32.const 0) (i32.const 40) (i32.const 6) (i32.const 0) (i32.const 0) (i32.const 200) (i64.const 0)))
              (call $result_read (i32.const 104))
              (call $set_return (i32.const 100) (i32.add (i32.const 4) (call $result_size))))"#,
            if opt_in {
                r#"(global (export "cairn_reentrant") i32 (i32.const 1))"#
            } else {
                ""
            }
        )
    };
    // B: input-free; calls its caller's "back", returns status ++ result.
    let b_body = r#"(data (i32.const 40) "back")
      (func (export "bounce")
        (call $caller (i32.const 0))
        (i32.store (i32.const 100) (call $call (i32.const 0) (i32.const 40) (i32.const 4) (i32.const 0) (i32.const 0) (i32.const 200) (i64.const 0)))
        (call $result_read (i32.const 104))
        (call $set_return (i32.const 100) (i32.add (i32.const 4) (call $result_size))))"#;
    for opt_in in [false, true] {
        let mut host = MemHost::new();
        let a = install(&mut host, &wat(&a_body(opt_in)));
        let b = install(&mut host, &wat(b_body));
        let exec = call(&mut host, a, "start", &b.0, GAS);
        assert_eq!(exec.outcome, Outcome::Success);
        let outer = i32::from_le_bytes(exec.return_data[..4].try_into().unwrap());
        let inner = i32::from_le_bytes(exec.return_data[4..8].try_into().unwrap());
        assert_eq!(outer, status::SUCCESS);
        if opt_in {
            assert_eq!(inner, status::SUCCESS);
            assert_eq!(&exec.return_data[8..], b"ok");
        } else {
            assert_eq!(inner, status::REENTRANCY);
        }
    }
}

#[test]
fn unknown_and_reserved_methods_are_not_found() {
    let body =
        r#"(func (export "m")) (func (export "cairn_reentrant")) (func (export "f") (param i32))"#;
    for m in ["nope", "cairn_reentrant", "f"] {
        let (exec, _) = run(body, m, b"", GAS);
        assert_eq!(
            (exec.outcome, exec.gas_used),
            (Outcome::MethodNotFound, 0),
            "{m}"
        );
    }
}

#[test]
fn nan_results_are_canonical() {
    // input: two f64 (a, b) then two f32 (x, y); returns the bits of several NaN-producing ops.
    let body = r#"
      (func (export "nan") (local f64 f64 f32 f32)
        (call $input_read (i32.const 0))
        (local.set 0 (f64.load (i32.const 0))) (local.set 1 (f64.load (i32.const 8)))
        (local.set 2 (f32.load (i32.const 16))) (local.set 3 (f32.load (i32.const 20)))
        (f64.store (i32.const 100) (f64.div (local.get 0) (local.get 1)))
        (f64.store (i32.const 108) (f64.sqrt (f64.neg (f64.const 1))))
        (f64.store (i32.const 116) (f64.mul (f64.div (local.get 0) (local.get 1)) (f64.const -3)))
        (f64.store (i32.const 124) (f64.sub (f64.const inf) (f64.add (f64.const inf) (local.get 0))))
        (f32.store (i32.const 132) (f32.div (local.get 2) (local.get 3)))
        (f32.store (i32.const 136) (f32.sqrt (f32.sub (local.get 2) (f32.const 1))))
        (call $set_return (i32.const 100) (i32.const 40)))"#;
    let mut input = Vec::new();
    input.extend_from_slice(&0f64.to_le_bytes());
    input.extend_from_slice(&0f64.to_le_bytes());
    input.extend_from_slice(&0f32.to_le_bytes());
    input.extend_from_slice(&0f32.to_le_bytes());
    let (exec, _) = run(body, "nan", &input, GAS);
    let r = exec.return_data;
    for i in 0..4 {
        let bits = u64::from_le_bytes(r[i * 8..i * 8 + 8].try_into().unwrap());
        assert_eq!(bits, 0x7ff8_0000_0000_0000, "f64 #{i}: {bits:#x}");
    }
    for i in 0..2 {
        let bits = u32::from_le_bytes(r[32 + i * 4..36 + i * 4].try_into().unwrap());
        assert_eq!(bits, 0x7fc0_0000, "f32 #{i}: {bits:#x}");
    }
}

/// A VM with wasm backtraces on (what a devnet runs).
fn backtrace_vm() -> &'static cairn_vm::Vm {
    static VM: std::sync::OnceLock<cairn_vm::Vm> = std::sync::OnceLock::new();
    VM.get_or_init(|| {
        cairn_vm::Vm::new(cairn_vm::VmConfig {
            backtraces: true,
            ..cairn_vm::VmConfig::default()
        })
        .expect("vm")
    })
}

const NESTED_TRAP: &str = r#"
    (func $divide (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0)))
    (func $helper (drop (call $divide (i32.const 0))))
    (func (export "go") (call $helper))
    (func $rec (call $rec))
    (func (export "deep") (call $rec))
    (func $spin (loop (br 0)))
    (func (export "spin") (call $spin))
    (func (export "fail") (call $revert (i32.const 0) (i32.const 4)))"#;

#[test]
fn backtraces_name_the_functions_on_the_stack_innermost_first() {
    let code = wat(NESTED_TRAP);
    let vm = backtrace_vm();
    let mut host = MemHost::new();
    let addr = host.install(vm, &code).expect("install");
    let run = |host: &mut MemHost, method: &str| {
        let ctx = cairn_vm::CallContext::new(addr, crate::common::SENDER, method, vec![], GAS);
        host.run(vm, ctx).expect("no host failure")
    };

    let exec = run(&mut host, "go");
    assert_eq!(exec.outcome, Outcome::Trapped(TrapKind::DivisionByZero));
    // Names from the name section; the export's own name where it has none.
    assert_eq!(exec.backtrace, ["divide", "helper", "go"]);

    let exec = run(&mut host, "spin");
    assert_eq!(exec.outcome, Outcome::OutOfGas);
    assert_eq!(exec.backtrace, ["spin", "spin"]);

    let exec = run(&mut host, "deep");
    assert_eq!(exec.outcome, Outcome::StackExhausted);
    assert_eq!(exec.backtrace.len(), cairn_vm::limits::MAX_BACKTRACE_FRAMES);
    assert!(
        exec.backtrace.iter().all(|f| f == "rec"),
        "{:?}",
        exec.backtrace
    );
}

#[test]
fn reverts_and_nodes_without_backtraces_record_none() {
    let (exec, _) = run(NESTED_TRAP, "go", b"", GAS);
    assert_eq!(exec.outcome, Outcome::Trapped(TrapKind::DivisionByZero));
    assert!(exec.backtrace.is_empty());

    let vm = backtrace_vm();
    let mut host = MemHost::new();
    let addr = host.install(vm, &wat(NESTED_TRAP)).expect("install");
    let ctx = cairn_vm::CallContext::new(addr, crate::common::SENDER, "fail", vec![], GAS);
    let exec = host.run(vm, ctx).expect("no host failure");
    assert!(
        matches!(exec.outcome, Outcome::Reverted(_)),
        "{:?}",
        exec.outcome
    );
    assert!(exec.backtrace.is_empty());
}
