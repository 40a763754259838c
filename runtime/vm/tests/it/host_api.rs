//! Every host import: a happy path with its observable effect, and each bad pointer or
//! length trapping the contract (never the node).

use cairn_primitives::{Address, Amount, Hash, SecretKey};
use cairn_vm::{CallContext, MemHost, Outcome, TrapKind, status};
use sha2::Digest;

use crate::common::{SENDER, call, install, run, vm, wat};

const GAS: u64 = 10_000_000;

/// Echo: copies the input to memory at 0 and returns it.
const ECHO: &str = r#"
(func (export "echo")
  (call $input_read (i32.const 0))
  (call $set_return (i32.const 0) (call $input_size)))"#;

#[test]
fn input_and_return_round_trip() {
    let (exec, _) = run(ECHO, "echo", b"hello cairn", GAS);
    assert_eq!(exec.outcome, Outcome::Success);
    assert_eq!(exec.return_data, b"hello cairn");
    // Gas grows with the bytes moved.
    let (long, _) = run(ECHO, "echo", &[7u8; 1000], GAS);
    assert!(
        long.gas_used > exec.gas_used + 1000,
        "{} vs {}",
        long.gas_used,
        exec.gas_used
    );
}

#[test]
fn revert_carries_its_message() {
    let body = r#"(data (i32.const 0) "no way")
      (func (export "m") (call $revert (i32.const 0) (i32.const 6)) (unreachable))"#;
    let (exec, _) = run(body, "m", b"", GAS);
    assert_eq!(exec.outcome, Outcome::Reverted("no way".into()));
    assert!(exec.return_data.is_empty());
    assert!(exec.gas_used > 0);
}

#[test]
fn storage_write_read_has_remove() {
    let body = r#"(data (i32.const 0) "key") (data (i32.const 16) "value!")
      (func (export "write") (call $storage_write (i32.const 0) (i32.const 3) (i32.const 16) (i32.const 6)))
      (func (export "read")
        ;; full read into 100, partial (cap 2) into 200: both return the full length
        (i32.store (i32.const 300) (call $storage_read (i32.const 0) (i32.const 3) (i32.const 100) (i32.const 64)))
        (i32.store (i32.const 304) (call $storage_read (i32.const 0) (i32.const 3) (i32.const 200) (i32.const 2)))
        (i32.store (i32.const 308) (call $storage_has (i32.const 0) (i32.const 3)))
        (i32.store (i32.const 312) (call $storage_read (i32.const 16) (i32.const 1) (i32.const 400) (i32.const 8)))
        (call $set_return (i32.const 300) (i32.const 16))
        (call $set_return (i32.const 0) (i32.const 0))
        (call $set_return (i32.const 100) (i32.const 6)))
      (func (export "counts")
        (i32.store (i32.const 300) (call $storage_read (i32.const 0) (i32.const 3) (i32.const 100) (i32.const 64)))
        (i32.store (i32.const 304) (call $storage_read (i32.const 0) (i32.const 3) (i32.const 200) (i32.const 2)))
        (i32.store (i32.const 308) (call $storage_has (i32.const 0) (i32.const 3)))
        (i32.store (i32.const 312) (call $storage_read (i32.const 16) (i32.const 1) (i32.const 400) (i32.const 8)))
        (call $set_return (i32.const 300) (i32.const 16)))
      (func (export "partial") (drop (call $storage_read (i32.const 0) (i32.const 3) (i32.const 200) (i32.const 2)))
        (call $set_return (i32.const 200) (i32.const 6)))
      (func (export "remove")
        (i32.store (i32.const 300) (call $storage_remove (i32.const 0) (i32.const 3)))
        (i32.store (i32.const 304) (call $storage_remove (i32.const 0) (i32.const 3)))
        (i32.store (i32.const 308) (call $storage_has (i32.const 0) (i32.const 3)))
        (call $set_return (i32.const 300) (i32.const 12)))"#;
    let mut host = MemHost::new();
    let c = install(&mut host, &wat(body));
    assert_eq!(
        call(&mut host, c, "write", b"", GAS).outcome,
        Outcome::Success
    );
    assert_eq!(
        host.state.storage.get(&(c, b"key".to_vec())),
        Some(&b"value!".to_vec())
    );
    assert_eq!(call(&mut host, c, "read", b"", GAS).return_data, b"value!");
    let counts = call(&mut host, c, "counts", b"", GAS).return_data;
    let ints: Vec<i32> = counts
        .chunks(4)
        .map(|b| i32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    assert_eq!(ints, vec![6, 6, 1, -1], "len, len (partial), has, absent");
    // Only `cap` bytes were copied: the rest of the destination stays zero.
    assert_eq!(
        call(&mut host, c, "partial", b"", GAS).return_data,
        b"va\0\0\0\0"
    );
    let removed = call(&mut host, c, "remove", b"", GAS).return_data;
    assert_eq!(
        removed,
        [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        "existed, then not, then has = 0"
    );
    assert!(host.state.storage.is_empty());
}

#[test]
fn context_imports_report_the_call_context() {
    let body = r#"(func (export "m")
        (call $caller (i32.const 0)) (call $origin (i32.const 20)) (call $self_address (i32.const 40))
        (call $value (i32.const 60))
        (i64.store (i32.const 92) (call $block_height))
        (i64.store (i32.const 100) (call $timestamp))
        (i64.store (i32.const 108) (call $chain_id))
        (call $set_return (i32.const 0) (i32.const 116)))"#;
    let mut host = MemHost::new();
    let c = install(&mut host, &wat(body));
    let mut ctx = CallContext::new(c, SENDER, "m", vec![], GAS);
    ctx.caller = Address([0x11; 20]);
    ctx.origin = Address([0x22; 20]);
    ctx.value = Amount::from(123_456u64);
    ctx.block.height = 77;
    ctx.block.timestamp = 1_700_000_000;
    ctx.block.chain_id = 9;
    let out = vm()
        .execute(&mut host, &vm().prepare(&wat(body)).unwrap(), ctx)
        .unwrap();
    assert_eq!(out.outcome, Outcome::Success);
    let r = out.return_data;
    assert_eq!(&r[0..20], &[0x11; 20]);
    assert_eq!(&r[20..40], &[0x22; 20]);
    assert_eq!(&r[40..60], &c.0);
    assert_eq!(
        Amount::from_little_endian(&r[60..92]),
        Amount::from(123_456u64)
    );
    assert_eq!(u64::from_le_bytes(r[92..100].try_into().unwrap()), 77);
    assert_eq!(
        u64::from_le_bytes(r[100..108].try_into().unwrap()),
        1_700_000_000
    );
    assert_eq!(u64::from_le_bytes(r[108..116].try_into().unwrap()), 9);
}

#[test]
fn balance_and_transfer() {
    // input: to[20] ++ amount[32]; returns status ++ own balance after.
    let body = r#"(func (export "pay")
        (call $input_read (i32.const 0))
        (i32.store (i32.const 100) (call $transfer (i32.const 0) (i32.const 20)))
        (call $self_address (i32.const 200))
        (call $balance (i32.const 200) (i32.const 104))
        (call $set_return (i32.const 100) (i32.const 36)))"#;
    let mut host = MemHost::new();
    let c = install(&mut host, &wat(body));
    host.state.balances.insert(c, Amount::from(1_000u64));
    let to = Address([0x33; 20]);
    let mut input = to.0.to_vec();
    input.extend_from_slice(&Amount::from(400u64).to_little_endian());
    let out = call(&mut host, c, "pay", &input, GAS);
    assert_eq!(out.outcome, Outcome::Success);
    assert_eq!(
        i32::from_le_bytes(out.return_data[..4].try_into().unwrap()),
        status::SUCCESS
    );
    assert_eq!(
        Amount::from_little_endian(&out.return_data[4..]),
        Amount::from(600u64)
    );
    assert_eq!(host.state.balances[&to], Amount::from(400u64));
    // Too much: refused with a status, nothing moves.
    let mut input = to.0.to_vec();
    input.extend_from_slice(&Amount::from(10_000u64).to_little_endian());
    let out = call(&mut host, c, "pay", &input, GAS);
    assert_eq!(
        i32::from_le_bytes(out.return_data[..4].try_into().unwrap()),
        status::INSUFFICIENT_BALANCE
    );
    assert_eq!(host.state.balances[&to], Amount::from(400u64));
}

#[test]
fn emit_event_records_topics_and_data() {
    let body = r#"(data (i32.const 0) "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB")
      (data (i32.const 100) "payload")
      (func (export "m") (call $emit_event (i32.const 0) (i32.const 2) (i32.const 100) (i32.const 7)))"#;
    let (exec, host) = run(body, "m", b"", GAS);
    assert_eq!(exec.outcome, Outcome::Success);
    assert_eq!(host.state.events.len(), 1);
    let e = &host.state.events[0];
    assert_eq!(e.topics, vec![Hash([b'A'; 32]), Hash([b'B'; 32])]);
    assert_eq!(e.data, b"payload");
}

#[test]
fn hashes_match_the_reference_implementations() {
    let body = r#"(func (export "m")
        (call $input_read (i32.const 0))
        (call $keccak256 (i32.const 0) (call $input_size) (i32.const 1000))
        (call $sha256 (i32.const 0) (call $input_size) (i32.const 1032))
        (call $set_return (i32.const 1000) (i32.const 64)))"#;
    let (exec, _) = run(body, "m", b"abc", GAS);
    assert_eq!(
        &exec.return_data[..32],
        &cairn_primitives::keccak256(b"abc")
    );
    assert_eq!(
        &exec.return_data[32..],
        sha2::Sha256::digest(b"abc").as_slice()
    );
}

#[test]
fn ed25519_verify_accepts_good_and_rejects_bad_signatures() {
    // input: pk[32] ++ sig[64] ++ msg
    let body = r#"(func (export "m")
        (call $input_read (i32.const 0))
        (i32.store (i32.const 2000)
          (call $ed25519_verify (i32.const 0) (i32.const 96) (i32.sub (call $input_size) (i32.const 96)) (i32.const 32)))
        (call $set_return (i32.const 2000) (i32.const 4)))"#;
    let key = SecretKey::from_bytes(&[5; 32]);
    let msg = b"pay 10 to bob";
    let mut input = key.public_key().to_vec();
    input.extend_from_slice(&key.sign(msg));
    input.extend_from_slice(msg);
    let (ok, _) = run(body, "m", &input, GAS);
    assert_eq!(ok.return_data, 1i32.to_le_bytes());
    *input.last_mut().unwrap() ^= 1;
    let (bad, _) = run(body, "m", &input, GAS);
    assert_eq!(bad.return_data, 0i32.to_le_bytes());
    assert!(
        ok.gas_used > 60_000,
        "verification is priced: {}",
        ok.gas_used
    );
}

#[test]
fn gas_left_decreases_and_stays_under_the_limit() {
    let body = r#"(func (export "m")
        (i64.store (i32.const 0) (call $gas_left))
        (i64.store (i32.const 8) (call $gas_left))
        (call $set_return (i32.const 0) (i32.const 16)))"#;
    let (exec, _) = run(body, "m", b"", 100_000);
    let a = u64::from_le_bytes(exec.return_data[..8].try_into().unwrap());
    let b = u64::from_le_bytes(exec.return_data[8..].try_into().unwrap());
    assert!(a < 100_000 && b < a, "{a} {b}");
    assert!(
        exec.gas_used >= 100_000 - b,
        "used {} covers what was gone at the last read",
        exec.gas_used
    );
}

#[test]
fn debug_log_prints_only_when_enabled_and_costs_the_same() {
    let body = r#"(data (i32.const 0) "hello log")
      (func (export "m") (call $debug_log (i32.const 0) (i32.const 9)))"#;
    let code = wat(body);
    let mut quiet = MemHost::new();
    let c1 = install(&mut quiet, &code);
    let g1 = call(&mut quiet, c1, "m", b"", GAS).gas_used;
    assert!(quiet.logs.is_empty());
    let mut loud = MemHost::new();
    loud.debug = true;
    let c2 = install(&mut loud, &code);
    let g2 = call(&mut loud, c2, "m", b"", GAS).gas_used;
    assert_eq!(loud.logs.len(), 1);
    assert!(loud.logs[0].ends_with("hello log"), "{:?}", loud.logs);
    assert_eq!(g1, g2);
}

/// `callee`: echo; `caller`: input = callee[20] ++ method; returns status ++ result.
const CALLER: &str = r#"
(func (export "fwd")
  (call $input_read (i32.const 0))
  (i32.store (i32.const 1000)
    (call $call (i32.const 0) (i32.const 20) (i32.sub (call $input_size) (i32.const 20))
                (i32.const 20) (i32.const 3) (i32.const 500) (i64.const 0)))
  (call $result_read (i32.const 1004))
  (call $set_return (i32.const 1000) (i32.add (i32.const 4) (call $result_size))))
(func (export "fwd_small")
  (call $input_read (i32.const 0))
  (i32.store (i32.const 1000)
    (call $call (i32.const 0) (i32.const 20) (i32.sub (call $input_size) (i32.const 20))
                (i32.const 20) (i32.const 3) (i32.const 500) (i64.const 1000)))
  (call $set_return (i32.const 1000) (i32.const 4)))"#;

#[test]
fn call_runs_the_callee_and_returns_status_and_data() {
    let callee_body = r#"(data (i32.const 0) "pong") (data (i32.const 10) "nope")
      (func (export "ping") (call $set_return (i32.const 0) (i32.const 4)))
      (func (export "fail") (call $storage_write (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 1))
                            (call $revert (i32.const 10) (i32.const 4)))"#;
    let mut host = MemHost::new();
    let a = install(&mut host, &wat(CALLER));
    let b = install(&mut host, &wat(callee_body));
    let mut input = b.0.to_vec();
    input.extend_from_slice(b"ping");
    let out = call(&mut host, a, "fwd", &input, GAS);
    assert_eq!(out.outcome, Outcome::Success);
    assert_eq!(
        out.return_data,
        [&status::SUCCESS.to_le_bytes()[..], b"pong"].concat()
    );
    // The callee's revert is a status for the caller, and the callee's writes are undone.
    let mut input = b.0.to_vec();
    input.extend_from_slice(b"fail");
    let out = call(&mut host, a, "fwd", &input, GAS);
    assert_eq!(
        out.return_data,
        [&status::REVERTED.to_le_bytes()[..], b"nope"].concat()
    );
    assert!(host.state.storage.is_empty());
    // Missing method and missing contract.
    let mut input = b.0.to_vec();
    input.extend_from_slice(b"nothing");
    assert_eq!(
        call(&mut host, a, "fwd", &input, GAS).return_data,
        status::NOT_FOUND.to_le_bytes()
    );
    let mut input = [9u8; 20].to_vec();
    input.extend_from_slice(b"ping");
    assert_eq!(
        call(&mut host, a, "fwd", &input, GAS).return_data,
        status::NOT_FOUND.to_le_bytes()
    );
}

#[test]
fn call_charges_the_callees_gas_to_the_caller() {
    let spin = r#"(func (export "spin") (local i32) (loop (local.set 0 (i32.add (local.get 0) (i32.const 1)))
        (br_if 0 (i32.lt_u (local.get 0) (i32.const 10000)))))"#;
    let mut host = MemHost::new();
    let a = install(&mut host, &wat(CALLER));
    let b = install(&mut host, &wat(spin));
    let mut input = b.0.to_vec();
    input.extend_from_slice(b"spin");
    let direct = call(&mut host, b, "spin", b"", GAS).gas_used;
    let via = call(&mut host, a, "fwd", &input, GAS).gas_used;
    assert!(via > direct, "caller pays callee: {via} <= {direct}");
    // A gas limit below what the callee needs: it runs out, the caller goes on.
    let out = call(&mut host, a, "fwd_small", &input, GAS);
    assert_eq!(out.outcome, Outcome::Success);
    assert_eq!(out.return_data, status::OUT_OF_GAS.to_le_bytes());
}

#[test]
fn deploy_from_code_hash_creates_a_contract() {
    let child = r#"(data (i32.const 0) "k")
      (func (export "init") (call $input_read (i32.const 8)) (call $storage_write (i32.const 0) (i32.const 1) (i32.const 8) (call $input_size)))
      (func (export "get") (drop (call $storage_read (i32.const 0) (i32.const 1) (i32.const 8) (i32.const 8))) (call $set_return (i32.const 8) (i32.const 3)))"#;
    // input: code_hash[32]; salt at 32 (zeros), args "abc" at 64, value at 100 (zeros).
    let factory = r#"(data (i32.const 64) "abc")
      (func (export "make")
        (call $input_read (i32.const 0))
        (i32.store (i32.const 200)
          (call $deploy (i32.const 0) (i32.const 32) (i32.const 64) (i32.const 3) (i32.const 100) (i64.const 0) (i32.const 204)))
        (call $set_return (i32.const 200) (i32.const 24)))"#;
    let mut host = MemHost::new();
    let f = install(&mut host, &wat(factory));
    let child_code = wat(child);
    install(&mut host, &child_code);
    let code_hash = Hash::of(&child_code);
    let out = call(&mut host, f, "make", &code_hash.0, GAS);
    assert_eq!(out.outcome, Outcome::Success);
    assert_eq!(
        i32::from_le_bytes(out.return_data[..4].try_into().unwrap()),
        status::SUCCESS
    );
    let addr = Address(out.return_data[4..24].try_into().unwrap());
    assert_eq!(addr, Address::for_create2(&f, &Hash::ZERO, &code_hash));
    assert_eq!(call(&mut host, addr, "get", b"", GAS).return_data, b"abc");
    // Same salt again: address in use. Unknown code hash: not found.
    let again = call(&mut host, f, "make", &code_hash.0, GAS);
    assert_eq!(
        i32::from_le_bytes(again.return_data[..4].try_into().unwrap()),
        status::ADDRESS_IN_USE
    );
    let unknown = call(&mut host, f, "make", &[1; 32], GAS);
    assert_eq!(
        i32::from_le_bytes(unknown.return_data[..4].try_into().unwrap()),
        status::NOT_FOUND
    );
}

/// Each row: a call to one import with bad arguments, and the trap it must give.
/// `M` = an address past the 4-page memory, `W` = wraps around (ptr + len overflows).
#[test]
fn every_bad_pointer_or_length_traps_the_contract() {
    let bad = TrapKind::BadPointer;
    let long = TrapKind::LengthTooLarge;
    let cases: Vec<(&str, TrapKind)> = vec![
        ("(call $input_read (i32.const 0x40000))", bad),
        ("(call $input_read (i32.const -1))", bad),
        ("(call $set_return (i32.const 0x3ffff) (i32.const 2))", bad),
        ("(call $set_return (i32.const -1) (i32.const 2))", bad),
        (
            "(call $set_return (i32.const 0) (i32.const 0x10001))",
            long("MAX_RETURN_DATA_SIZE"),
        ),
        ("(call $revert (i32.const 0x40000) (i32.const 1))", bad),
        (
            "(call $revert (i32.const 0) (i32.const 1025))",
            long("MAX_ERROR_MESSAGE_LEN"),
        ),
        (
            "(drop (call $storage_read (i32.const 0x40000) (i32.const 1) (i32.const 0) (i32.const 0)))",
            bad,
        ),
        (
            "(drop (call $storage_read (i32.const 0) (i32.const 1025) (i32.const 0) (i32.const 0)))",
            long("MAX_STORAGE_KEY_LEN"),
        ),
        (
            "(drop (call $storage_read (i32.const 8) (i32.const 1) (i32.const 0x40000) (i32.const 8)))",
            bad,
        ),
        (
            "(call $storage_write (i32.const -1) (i32.const 4) (i32.const 0) (i32.const 0))",
            bad,
        ),
        (
            "(call $storage_write (i32.const 0) (i32.const 1) (i32.const 0x3fff0) (i32.const 100))",
            bad,
        ),
        (
            "(call $storage_write (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 0x20001))",
            long("MAX_STORAGE_VALUE_LEN"),
        ),
        (
            "(call $storage_write (i32.const 0) (i32.const 2000) (i32.const 0) (i32.const 1))",
            long("MAX_STORAGE_KEY_LEN"),
        ),
        (
            "(drop (call $storage_remove (i32.const 0x40000) (i32.const 1)))",
            bad,
        ),
        (
            "(drop (call $storage_remove (i32.const 0) (i32.const -1)))",
            long("MAX_STORAGE_KEY_LEN"),
        ),
        (
            "(drop (call $storage_has (i32.const -4) (i32.const 8)))",
            bad,
        ),
        (
            "(drop (call $storage_has (i32.const 0) (i32.const 4096)))",
            long("MAX_STORAGE_KEY_LEN"),
        ),
        ("(call $caller (i32.const 0x3fff0))", bad),
        ("(call $origin (i32.const -1))", bad),
        ("(call $self_address (i32.const 0x40000))", bad),
        ("(call $value (i32.const 0x3ffe1))", bad),
        ("(call $balance (i32.const 0x40000) (i32.const 0))", bad),
        ("(call $balance (i32.const 0) (i32.const 0x3fff0))", bad),
        (
            "(drop (call $transfer (i32.const 0x40000) (i32.const 0)))",
            bad,
        ),
        ("(drop (call $transfer (i32.const 0) (i32.const -8)))", bad),
        (
            "(call $emit_event (i32.const 0x3fff0) (i32.const 1) (i32.const 0) (i32.const 0))",
            bad,
        ),
        (
            "(call $emit_event (i32.const 0) (i32.const 5) (i32.const 0) (i32.const 0))",
            long("MAX_EVENT_TOPICS"),
        ),
        (
            "(call $emit_event (i32.const 0) (i32.const 0) (i32.const -1) (i32.const 2))",
            bad,
        ),
        (
            "(call $emit_event (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0x4001))",
            long("MAX_EVENT_DATA_SIZE"),
        ),
        (
            "(drop (call $call (i32.const 0x40000) (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 0) (i64.const 0)))",
            bad,
        ),
        (
            "(drop (call $call (i32.const 0) (i32.const -1) (i32.const 4) (i32.const 0) (i32.const 0) (i32.const 0) (i64.const 0)))",
            bad,
        ),
        (
            "(drop (call $call (i32.const 0) (i32.const 0) (i32.const 65) (i32.const 0) (i32.const 0) (i32.const 0) (i64.const 0)))",
            long("MAX_METHOD_NAME_LEN"),
        ),
        (
            "(drop (call $call (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 0x3ffff) (i32.const 9) (i32.const 0) (i64.const 0)))",
            bad,
        ),
        (
            "(drop (call $call (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 0x10001) (i32.const 0) (i64.const 0)))",
            long("MAX_ARGS_SIZE"),
        ),
        (
            "(drop (call $call (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 0x3fff0) (i64.const 0)))",
            bad,
        ),
        (
            "(drop (call $call (i32.const 0) (i32.const 100) (i32.const 2) (i32.const 0) (i32.const 0) (i32.const 0) (i64.const 0)))",
            TrapKind::InvalidArgument("method name"),
        ),
        ("(call $result_read (i32.const 0x40000))", bad),
        (
            "(drop (call $deploy (i32.const 0x40000) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i64.const 0) (i32.const 0)))",
            bad,
        ),
        (
            "(drop (call $deploy (i32.const 0) (i32.const -1) (i32.const 0) (i32.const 0) (i32.const 0) (i64.const 0) (i32.const 0)))",
            bad,
        ),
        (
            "(drop (call $deploy (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0x10001) (i32.const 0) (i64.const 0) (i32.const 0)))",
            long("MAX_ARGS_SIZE"),
        ),
        (
            "(drop (call $deploy (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0x3fff0) (i64.const 0) (i32.const 0)))",
            bad,
        ),
        (
            "(drop (call $deploy (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i64.const 0) (i32.const 0x3fff0)))",
            bad,
        ),
        (
            "(call $keccak256 (i32.const 0x3ff00) (i32.const 0x200) (i32.const 0))",
            bad,
        ),
        (
            "(call $keccak256 (i32.const 0) (i32.const 8) (i32.const -1))",
            bad,
        ),
        (
            "(call $keccak256 (i32.const 0) (i32.const 0x100001) (i32.const 0))",
            long("MAX_HASH_INPUT_LEN"),
        ),
        (
            "(call $sha256 (i32.const -16) (i32.const 32) (i32.const 0))",
            bad,
        ),
        (
            "(call $sha256 (i32.const 0) (i32.const 8) (i32.const 0x3fff0))",
            bad,
        ),
        (
            "(drop (call $ed25519_verify (i32.const 0x3fff0) (i32.const 0) (i32.const 0) (i32.const 0)))",
            bad,
        ),
        (
            "(drop (call $ed25519_verify (i32.const 0) (i32.const -1) (i32.const 2) (i32.const 0)))",
            bad,
        ),
        (
            "(drop (call $ed25519_verify (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0x3ffc0)))",
            bad,
        ),
        (
            "(drop (call $ed25519_verify (i32.const 0) (i32.const 0) (i32.const 0x100001) (i32.const 0)))",
            long("MAX_HASH_INPUT_LEN"),
        ),
        ("(call $debug_log (i32.const 0x40000) (i32.const 1))", bad),
        (
            "(call $debug_log (i32.const 0) (i32.const 1025))",
            long("MAX_DEBUG_LOG_LEN"),
        ),
    ];
    let mut body = String::from(r#"(data (i32.const 100) "\ff\fe")"#);
    for (i, (expr, _)) in cases.iter().enumerate() {
        body.push_str(&format!("(func (export \"t{i}\") {expr})\n"));
    }
    let mut host = MemHost::new();
    host.debug = true;
    let c = install(&mut host, &wat(&body));
    host.state.balances.insert(c, Amount::from(1u64 << 40));
    for (i, (expr, want)) in cases.iter().enumerate() {
        let out = call(&mut host, c, &format!("t{i}"), b"", GAS);
        assert_eq!(out.outcome, Outcome::Trapped(*want), "case {expr}");
        assert!(
            out.gas_used > 0 && out.gas_used < GAS,
            "case {expr}: gas {}",
            out.gas_used
        );
    }
    assert!(
        host.state.events.is_empty() && host.logs.is_empty(),
        "no effects from trapped calls"
    );
}

#[test]
fn host_failures_are_node_errors_not_outcomes() {
    let body = r#"(func (export "m") (drop (call $storage_has (i32.const 0) (i32.const 1))))"#;
    let mut host = MemHost::new();
    let c = install(&mut host, &wat(body));
    host.fail_storage = true;
    let err = host
        .run(vm(), CallContext::new(c, SENDER, "m", vec![], GAS))
        .unwrap_err();
    assert_eq!(err.0, "storage unavailable");
}
