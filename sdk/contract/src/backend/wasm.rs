//! The raw `cairn` host imports and their safe wrappers, the allocator and the panic
//! handler: the only unsafe code of a contract. Lengths are bounded by the host (a bad
//! pointer or an oversized length traps the contract; it can never corrupt the node).

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;

use cairn_primitives::{Address, Hash};

mod sys {
    #[link(wasm_import_module = "cairn")]
    unsafe extern "C" {
        pub(crate) fn input_size() -> i32;
        pub(crate) fn input_read(dst: *mut u8);
        pub(crate) fn set_return(ptr: *const u8, len: i32);
        pub(crate) fn revert(ptr: *const u8, len: i32) -> !;
        pub(crate) fn storage_read(key: *const u8, key_len: i32, dst: *mut u8, cap: i32) -> i32;
        pub(crate) fn storage_write(key: *const u8, key_len: i32, val: *const u8, val_len: i32);
        pub(crate) fn storage_remove(key: *const u8, key_len: i32) -> i32;
        pub(crate) fn storage_has(key: *const u8, key_len: i32) -> i32;
        pub(crate) fn caller(dst: *mut u8);
        pub(crate) fn origin(dst: *mut u8);
        pub(crate) fn self_address(dst: *mut u8);
        pub(crate) fn value(dst: *mut u8);
        pub(crate) fn block_height() -> i64;
        pub(crate) fn timestamp() -> i64;
        pub(crate) fn chain_id() -> i64;
        pub(crate) fn balance(addr: *const u8, dst: *mut u8);
        pub(crate) fn transfer(to: *const u8, amount: *const u8) -> i32;
        pub(crate) fn emit_event(topics: *const u8, n_topics: i32, data: *const u8, len: i32);
        pub(crate) fn call(
            addr: *const u8,
            method: *const u8,
            method_len: i32,
            args: *const u8,
            args_len: i32,
            value: *const u8,
            gas: i64,
        ) -> i32;
        pub(crate) fn result_size() -> i32;
        pub(crate) fn result_read(dst: *mut u8);
        pub(crate) fn deploy(
            code_hash: *const u8,
            salt: *const u8,
            args: *const u8,
            args_len: i32,
            value: *const u8,
            gas: i64,
            dst_addr: *mut u8,
        ) -> i32;
        pub(crate) fn keccak256(ptr: *const u8, len: i32, dst: *mut u8);
        pub(crate) fn sha256(ptr: *const u8, len: i32, dst: *mut u8);
        pub(crate) fn ed25519_verify(
            pk: *const u8,
            msg: *const u8,
            len: i32,
            sig: *const u8,
        ) -> i32;
        pub(crate) fn gas_left() -> i64;
        pub(crate) fn debug_log(ptr: *const u8, len: i32);
    }
}

// wasm32 lengths always fit in i32 once the host has bounded them; the casts below are the
// ABI's, and the host checks every region.
#[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
fn len(n: usize) -> i32 {
    n as i32
}

pub(crate) fn input() -> Vec<u8> {
    // SAFETY: the buffer holds exactly `input_size` bytes.
    unsafe {
        let mut buf = vec![0u8; sys::input_size() as u32 as usize];
        sys::input_read(buf.as_mut_ptr());
        buf
    }
}

pub(crate) fn set_return(data: &[u8]) {
    // SAFETY: a valid slice.
    unsafe { sys::set_return(data.as_ptr(), len(data.len())) }
}

pub(crate) fn revert(msg: &str) -> ! {
    // SAFETY: a valid slice; the import never returns.
    unsafe { sys::revert(msg.as_ptr(), len(msg.len())) }
}

/// Values up to this size are read in one host call; larger ones need a second.
const READ_BUF: usize = 256;

pub(crate) fn storage_read(key: &[u8]) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; READ_BUF];
    // SAFETY: `buf` has `cap` writable bytes.
    let n = unsafe {
        sys::storage_read(
            key.as_ptr(),
            len(key.len()),
            buf.as_mut_ptr(),
            len(READ_BUF),
        )
    };
    if n < 0 {
        return None;
    }
    let n = n as u32 as usize;
    if n <= READ_BUF {
        buf.truncate(n);
        return Some(buf);
    }
    buf.resize(n, 0);
    // SAFETY: `buf` now has `n` writable bytes.
    unsafe { sys::storage_read(key.as_ptr(), len(key.len()), buf.as_mut_ptr(), len(n)) };
    Some(buf)
}

pub(crate) fn storage_write(key: &[u8], value: &[u8]) {
    // SAFETY: valid slices.
    unsafe {
        sys::storage_write(
            key.as_ptr(),
            len(key.len()),
            value.as_ptr(),
            len(value.len()),
        )
    }
}

pub(crate) fn storage_remove(key: &[u8]) -> bool {
    // SAFETY: a valid slice.
    unsafe { sys::storage_remove(key.as_ptr(), len(key.len())) == 1 }
}

pub(crate) fn storage_has(key: &[u8]) -> bool {
    // SAFETY: a valid slice.
    unsafe { sys::storage_has(key.as_ptr(), len(key.len())) == 1 }
}

fn address_of(f: unsafe extern "C" fn(*mut u8)) -> Address {
    let mut a = [0u8; 20];
    // SAFETY: 20 writable bytes, as every address import writes.
    unsafe { f(a.as_mut_ptr()) };
    Address(a)
}

pub(crate) fn caller() -> Address {
    address_of(sys::caller)
}

pub(crate) fn origin() -> Address {
    address_of(sys::origin)
}

pub(crate) fn self_address() -> Address {
    address_of(sys::self_address)
}

pub(crate) fn value() -> [u8; 32] {
    let mut v = [0u8; 32];
    // SAFETY: 32 writable bytes.
    unsafe { sys::value(v.as_mut_ptr()) };
    v
}

pub(crate) fn block_height() -> u64 {
    // SAFETY: no pointers.
    unsafe { sys::block_height() as u64 }
}

pub(crate) fn timestamp() -> u64 {
    // SAFETY: no pointers.
    unsafe { sys::timestamp() as u64 }
}

pub(crate) fn chain_id() -> u64 {
    // SAFETY: no pointers.
    unsafe { sys::chain_id() as u64 }
}

pub(crate) fn balance(address: &Address) -> [u8; 32] {
    let mut v = [0u8; 32];
    // SAFETY: 20 readable and 32 writable bytes.
    unsafe { sys::balance(address.0.as_ptr(), v.as_mut_ptr()) };
    v
}

pub(crate) fn transfer(to: &Address, amount: &[u8; 32]) -> u32 {
    // SAFETY: 20 and 32 readable bytes.
    unsafe { sys::transfer(to.0.as_ptr(), amount.as_ptr()) as u32 }
}

pub(crate) fn emit_event(topics: &[[u8; 32]], data: &[u8]) {
    // SAFETY: `topics` is `n × 32` contiguous bytes.
    unsafe {
        sys::emit_event(
            topics.as_ptr().cast::<u8>(),
            len(topics.len()),
            data.as_ptr(),
            len(data.len()),
        );
    }
}

fn last_result() -> Vec<u8> {
    // SAFETY: the buffer holds exactly `result_size` bytes.
    unsafe {
        let mut buf = vec![0u8; sys::result_size() as u32 as usize];
        sys::result_read(buf.as_mut_ptr());
        buf
    }
}

pub(crate) fn call(
    to: &Address,
    method: &str,
    args: &[u8],
    value: &[u8; 32],
    gas: u64,
) -> (u32, Vec<u8>) {
    // SAFETY: valid slices and fixed-size arrays.
    let status = unsafe {
        sys::call(
            to.0.as_ptr(),
            method.as_ptr(),
            len(method.len()),
            args.as_ptr(),
            len(args.len()),
            value.as_ptr(),
            gas as i64,
        )
    };
    (status as u32, last_result())
}

pub(crate) fn deploy(
    code_hash: &Hash,
    salt: &Hash,
    args: &[u8],
    value: &[u8; 32],
    gas: u64,
) -> Result<Address, (u32, Vec<u8>)> {
    let mut out = [0u8; 20];
    // SAFETY: valid slices and fixed-size arrays; 20 writable bytes for the address.
    let status = unsafe {
        sys::deploy(
            code_hash.0.as_ptr(),
            salt.0.as_ptr(),
            args.as_ptr(),
            len(args.len()),
            value.as_ptr(),
            gas as i64,
            out.as_mut_ptr(),
        )
    };
    if status == 0 {
        Ok(Address(out))
    } else {
        Err((status as u32, last_result()))
    }
}

pub(crate) fn keccak256(data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    // SAFETY: a valid slice and 32 writable bytes.
    unsafe { sys::keccak256(data.as_ptr(), len(data.len()), out.as_mut_ptr()) };
    out
}

pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    // SAFETY: a valid slice and 32 writable bytes.
    unsafe { sys::sha256(data.as_ptr(), len(data.len()), out.as_mut_ptr()) };
    out
}

pub(crate) fn ed25519_verify(public_key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
    // SAFETY: valid slices and fixed-size arrays.
    unsafe {
        sys::ed25519_verify(
            public_key.as_ptr(),
            message.as_ptr(),
            len(message.len()),
            signature.as_ptr(),
        ) == 1
    }
}

pub(crate) fn gas_left() -> u64 {
    // SAFETY: no pointers.
    unsafe { sys::gas_left() as u64 }
}

pub(crate) fn debug_log(msg: &str) {
    // SAFETY: a valid slice.
    unsafe { sys::debug_log(msg.as_ptr(), len(msg.len())) }
}

/// A bump allocator over linear memory: an instance lives for one call, so nothing is ever
/// freed, except that the most recent allocation grows and shrinks in place (what `Vec`
/// and `String` building need). Memory grows a page at a time up to the module's maximum;
/// past it allocation fails and the contract traps.
struct Bump {
    /// Next free byte and the end of the memory it may use (0 until first use).
    state: UnsafeCell<(usize, usize)>,
}

// SAFETY: a contract instance is single-threaded.
unsafe impl Sync for Bump {}

const PAGE: usize = 65_536;

unsafe extern "C" {
    static __heap_base: u8;
}

impl Bump {
    /// Makes `[.., end)` available, growing memory as needed.
    fn reserve(limit: &mut usize, end: usize) -> bool {
        if end <= *limit {
            return true;
        }
        let pages = (end - *limit).div_ceil(PAGE);
        if core::arch::wasm32::memory_grow(0, pages) == usize::MAX {
            return false;
        }
        *limit += pages * PAGE;
        true
    }
}

unsafe impl GlobalAlloc for Bump {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: single-threaded; `state` is only touched here and in realloc.
        let (next, limit) = unsafe { &mut *self.state.get() };
        if *limit == 0 {
            *next = core::ptr::addr_of!(__heap_base) as usize;
            *limit = core::arch::wasm32::memory_size(0) * PAGE;
        }
        let start = (*next + layout.align() - 1) & !(layout.align() - 1);
        let Some(end) = start.checked_add(layout.size()) else {
            return core::ptr::null_mut();
        };
        if !Self::reserve(limit, end) {
            return core::ptr::null_mut();
        }
        *next = end;
        start as *mut u8
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as in alloc.
        let (next, _) = unsafe { &mut *self.state.get() };
        if ptr as usize + layout.size() == *next {
            *next = ptr as usize;
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as in alloc.
        let (next, limit) = unsafe { &mut *self.state.get() };
        if ptr as usize + layout.size() == *next {
            let end = ptr as usize + new_size;
            if Self::reserve(limit, end) {
                *next = end;
                return ptr;
            }
            return core::ptr::null_mut();
        }
        // SAFETY: the contract of GlobalAlloc::realloc, forwarded.
        unsafe {
            let new = self.alloc(Layout::from_size_align_unchecked(new_size, layout.align()));
            if !new.is_null() {
                core::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
            }
            new
        }
    }
}

#[global_allocator]
static ALLOCATOR: Bump = Bump {
    state: UnsafeCell::new((0, 0)),
};

/// A panic reverts the call with the panic's message.
#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    use core::fmt::Write;
    let mut msg = String::new();
    let _ = write!(msg, "{}", info.message());
    revert(&msg)
}
