//! The process allocator of the `cairn` binary, and its one setting. The state benchmark
//! compiles this same file (`#[path]`), so its figures are the node's.

/// mimalloc instead of the system allocator: the node allocates and frees many short-lived
/// buffers of 0.5–2 KiB (trie nodes, encoded transactions, RPC bodies), where glibc's malloc
/// showed as a tenth of the state benchmark's CPU. Allocation never reaches a result.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's index of `mi_option_purge_delay` (mimalloc.h, v2 and v3: the option after
/// `mi_option_eager_commit_delay` = 14; the Rust binding names only the options up to that).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// How long memory the process freed stays with it before mimalloc returns it to the OS, in
/// milliseconds. mimalloc's default is 1 s: memory a block commit freed (12 MB of node and
/// batch buffers for 10,000 updates) was often returned before the next block asked for it
/// again, so every block took page faults and the kernel zeroed pages (7% of the state
/// bench's CPU; commit 136 → 97 ms median over 31 blocks with 10 s). 10 s is jemalloc's
/// default decay: an idle node still gives its memory back.
const PURGE_DELAY_MS: std::os::raw::c_long = 10_000;

/// Applies [`PURGE_DELAY_MS`]; called first thing in `main`.
pub(crate) fn tune() {
    // SAFETY: `mi_option_set` only stores an option value; any value is valid for this one.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) };
}

#[cfg(test)]
mod tests {
    // Paths rather than `use super::*`: the state bench compiles this file without a test
    // harness, where the test (and so a glob import) would go unused.
    #[test]
    fn the_tuned_option_is_the_purge_delay() {
        // SAFETY: reading an option value.
        let get = || unsafe { libmimalloc_sys::mi_option_get(super::MI_OPTION_PURGE_DELAY) };
        // mimalloc's default purge delay is 1,000 ms and no other option's default is: the
        // index names that option (unless the environment overrides it).
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            assert_eq!(get(), 1_000);
        }
        super::tune();
        assert_eq!(get(), super::PURGE_DELAY_MS);
    }
}
