//! Hand-written WAT contracts used by the tests and the bench.

use crate::common::wat;

/// Storage key "k": `init`/`set` store the input, `get` returns it, `fail` writes then
/// reverts with "no", `spin` loops forever, `emit` emits an event.
pub(crate) fn store() -> Vec<u8> {
    wat(r#"
(data (i32.const 0) "k")
(data (i32.const 32) "no")
(data (i32.const 48) "bad")
(func $put (call $input_read (i32.const 256))
  (call $storage_write (i32.const 0) (i32.const 1) (i32.const 256) (call $input_size)))
(func (export "init") (call $put))
(func (export "set") (call $put))
(func (export "get") (local $n i32)
  (local.set $n (call $storage_read (i32.const 0) (i32.const 1) (i32.const 256) (i32.const 1024)))
  (if (i32.ge_s (local.get $n) (i32.const 0))
    (then (call $set_return (i32.const 256) (local.get $n)))))
(func (export "fail")
  (call $storage_write (i32.const 0) (i32.const 1) (i32.const 48) (i32.const 3))
  (call $revert (i32.const 32) (i32.const 2)))
(func (export "spin") (call $storage_write (i32.const 0) (i32.const 1) (i32.const 48) (i32.const 3))
  (loop $l (br $l)))
(func (export "emit") (call $emit_event (i32.const 0) (i32.const 0) (i32.const 48) (i32.const 3)))
"#)
}

/// `nested(callee address)`: writes "o" = "fail", calls `callee.fail` (which reverts),
/// stores the call's status byte under "s", then calls `callee.set("v2")`.
pub(crate) fn proxy() -> Vec<u8> {
    wat(r#"
(data (i32.const 0) "o")
(data (i32.const 8) "s")
(data (i32.const 16) "fail")
(data (i32.const 24) "set")
(data (i32.const 40) "v2")
(func (export "nested") (local $st i32)
  (call $input_read (i32.const 128))
  (call $storage_write (i32.const 0) (i32.const 1) (i32.const 16) (i32.const 4))
  (local.set $st (call $call (i32.const 128) (i32.const 16) (i32.const 4)
    (i32.const 0) (i32.const 0) (i32.const 64) (i64.const 0)))
  (i32.store8 (i32.const 300) (local.get $st))
  (call $storage_write (i32.const 8) (i32.const 1) (i32.const 300) (i32.const 1))
  (drop (call $call (i32.const 128) (i32.const 24) (i32.const 3)
    (i32.const 40) (i32.const 2) (i32.const 64) (i64.const 0))))
"#)
}

/// A token: balances are u64 LE under the 20-byte address. `mint(amount u64)` credits
/// the caller; `transfer(to 20 ‖ amount u64)` moves, reverts "insufficient" when short,
/// and emits an event with the amount.
pub(crate) fn token() -> Vec<u8> {
    wat(r#"
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
"#)
}
