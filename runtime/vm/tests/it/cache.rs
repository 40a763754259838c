//! The module cache is bounded, and every execution gets a fresh instance.

use cairn_vm::{CallContext, MemHost, Outcome, Vm, VmConfig, VmError};

use crate::common::{SENDER, call, install, wat};

fn module(n: u32) -> Vec<u8> {
    wat(&format!(r#"(func (export "m") (drop (i32.const {n})))"#))
}

#[test]
fn the_memory_cache_is_a_bounded_lru() {
    let vm = Vm::new(VmConfig {
        cache_capacity: 2,
        ..VmConfig::default()
    })
    .unwrap();
    let (a, b, c) = (module(1), module(2), module(3));
    vm.prepare(&a).unwrap();
    vm.prepare(&b).unwrap();
    vm.prepare(&a).unwrap(); // a is now the most recent
    vm.prepare(&c).unwrap(); // evicts b
    assert_eq!(vm.cache_stats(), (1, 0, 3));
    vm.prepare(&a).unwrap();
    assert_eq!(vm.cache_stats(), (2, 0, 3), "a stayed");
    vm.prepare(&b).unwrap();
    assert_eq!(vm.cache_stats(), (2, 0, 4), "b was evicted and recompiled");
}

#[test]
fn each_execution_starts_from_a_fresh_instance() {
    // A global and a memory cell incremented per call: a reused instance would count up.
    let body = r#"(global $g (mut i32) (i32.const 0))
      (func (export "bump")
        (global.set $g (i32.add (global.get $g) (i32.const 1)))
        (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (i32.const 1)))
        (i32.store (i32.const 4) (global.get $g))
        (drop (memory.grow (i32.const 1)))
        (i32.store (i32.const 8) (memory.size))
        (call $set_return (i32.const 0) (i32.const 12)))"#;
    let mut host = MemHost::new();
    let c = install(&mut host, &wat(body));
    let first = call(&mut host, c, "bump", b"", 10_000_000);
    assert_eq!(first.return_data, [1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0]);
    for _ in 0..20 {
        assert_eq!(call(&mut host, c, "bump", b"", 10_000_000), first);
    }
}

#[test]
fn a_module_from_another_vm_is_a_node_error_not_a_panic() {
    let other = Vm::new(VmConfig::default()).unwrap();
    let m = other.prepare(&module(7)).unwrap();
    let mut host = MemHost::new();
    let err = crate::common::vm()
        .execute(
            &mut host,
            &m,
            CallContext::new(SENDER, SENDER, "m", vec![], 1_000_000),
        )
        .unwrap_err();
    assert!(matches!(err, VmError::Engine(_)), "{err}");
    let ok = other
        .execute(
            &mut host,
            &m,
            CallContext::new(SENDER, SENDER, "m", vec![], 1_000_000),
        )
        .unwrap();
    assert_eq!(ok.outcome, Outcome::Success);
}
