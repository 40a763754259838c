;; The contract `cairn bench` views: `get` returns the value under "k", `set(bytes)` stores
;; it (one storage read per view, like a token's `balance_of`). `bench_kv.wasm` is this file
;; assembled; `tests/tests/it/node_cli.rs` checks they match.
(module
 (import "cairn" "input_size" (func $input_size (result i32)))
 (import "cairn" "input_read" (func $input_read (param i32)))
 (import "cairn" "set_return" (func $set_return (param i32 i32)))
 (import "cairn" "storage_read" (func $storage_read (param i32 i32 i32 i32) (result i32)))
 (import "cairn" "storage_write" (func $storage_write (param i32 i32 i32 i32)))
 (memory (export "memory") 1 4)
 (data (i32.const 0) "k")
 (func (export "set")
   (call $input_read (i32.const 256))
   (call $storage_write (i32.const 0) (i32.const 1) (i32.const 256) (call $input_size)))
 (func (export "get") (local $n i32)
   (local.set $n (call $storage_read (i32.const 0) (i32.const 1) (i32.const 256) (i32.const 1024)))
   (if (i32.ge_s (local.get $n) (i32.const 0))
     (then (call $set_return (i32.const 256) (local.get $n))))))
