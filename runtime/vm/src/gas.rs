//! Gas: one meter for wasm instructions (wasmtime fuel) and host work (a versioned schedule).
//!
//! ```text
//!   gas_limit ──► store fuel ──► wasm instructions burn 1 fuel each (wasmtime's count)
//!                     ▲
//!                     └── every host import charges schedule cost BEFORE working
//!                         (settle: fuel -= cost, or OutOfGas with fuel = 0)
//!   memory.grow ──► pages recorded by the limiter ──► settled at the next import / exit
//!   gas_used = gas_limit − fuel left (+ unsettled growth, capped at the limit)
//! ```
//!
//! One unit of gas is calibrated to about one simple wasm instruction; the benchmark
//! `cargo bench -p cairn-vm` prints nanoseconds per gas for each host function and for
//! wasm loops so the schedule can be kept proportional to time (`docs/gas.md`).

use cairn_primitives::Gas;

/// The version of [`GasSchedule::V1`]. Part of the module-cache key and of the engine
/// fingerprint: any change to costs or limits bumps it.
pub const GAS_SCHEDULE_VERSION: u32 = 1;

/// What each host import and each resource costs, in gas. Frozen per version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GasSchedule {
    /// Version of this schedule (part of the module-cache key).
    pub version: u32,
    /// Charged once per execution: instantiation and the entry call.
    pub call_base: Gas,
    /// Per byte of call input made available to the contract.
    pub input_per_byte: Gas,
    /// Per page of memory a module declares as its initial size.
    pub initial_page: Gas,
    /// Per page added by `memory.grow`.
    pub memory_grow_page: Gas,
    /// Base cost of every host import (the wasm→host transition and argument checks).
    pub host_call_base: Gas,
    /// Per byte copied between guest memory and the host (input, return data, addresses).
    pub copy_per_byte: Gas,
    /// Base cost of a storage read, storage has, or balance query.
    pub storage_read_base: Gas,
    /// Per byte of key plus value read.
    pub storage_read_per_byte: Gas,
    /// Base cost of a storage write or remove.
    pub storage_write_base: Gas,
    /// Per byte of key plus value written (the trie and disk keep them).
    pub storage_write_per_byte: Gas,
    /// Base cost of a value transfer.
    pub transfer_base: Gas,
    /// Base cost of emitting an event.
    pub event_base: Gas,
    /// Per event topic.
    pub event_per_topic: Gas,
    /// Per byte of event data.
    pub event_per_byte: Gas,
    /// Base cost of a cross-contract call (on top of the gas the callee uses).
    pub call_contract_base: Gas,
    /// Base cost of deploying a contract from a code hash.
    pub deploy_base: Gas,
    /// keccak256: base cost.
    pub keccak_base: Gas,
    /// keccak256: per byte hashed.
    pub keccak_per_byte: Gas,
    /// sha256: base cost.
    pub sha256_base: Gas,
    /// sha256: per byte hashed.
    pub sha256_per_byte: Gas,
    /// One ed25519 signature verification (base).
    pub ed25519_verify_base: Gas,
    /// ed25519 verification: per message byte (hashed with SHA-512).
    pub ed25519_per_byte: Gas,
    /// A debug-log call (charged whether or not the host prints it).
    pub debug_log_base: Gas,
}

impl GasSchedule {
    /// The schedule in force (version 1), calibrated with `cargo bench -p cairn-vm`
    /// so that one gas costs about the same time whatever is executed (`docs/gas.md`).
    pub const V1: Self = Self {
        version: GAS_SCHEDULE_VERSION,
        call_base: 30_000,
        input_per_byte: 1,
        initial_page: 200,
        memory_grow_page: 16_000,
        host_call_base: 60,
        copy_per_byte: 1,
        storage_read_base: 1_000,
        storage_read_per_byte: 2,
        storage_write_base: 5_000,
        storage_write_per_byte: 20,
        transfer_base: 2_000,
        event_base: 3_000,
        event_per_topic: 100,
        event_per_byte: 2,
        call_contract_base: 5_000,
        deploy_base: 20_000,
        keccak_base: 3_000,
        keccak_per_byte: 24,
        sha256_base: 600,
        sha256_per_byte: 6,
        ed25519_verify_base: 400_000,
        ed25519_per_byte: 6,
        debug_log_base: 200,
    };

    /// `base + per_byte × len`, saturating (never overflows, so never wraps to cheap).
    #[must_use]
    pub fn linear(base: Gas, per_byte: Gas, len: usize) -> Gas {
        base.saturating_add(per_byte.saturating_mul(len as u64))
    }
}

impl Default for GasSchedule {
    fn default() -> Self {
        Self::V1
    }
}

/// The gas ledger of one execution. Wasm fuel is the live counter (it lives in the wasm
/// store); the meter holds the limit and the charges not yet settled into fuel, and
/// accounts what host work cost, for receipts and calibration.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GasMeter {
    /// The gas this execution may use.
    pub limit: Gas,
    /// Gas charged by host imports so far (already deducted from fuel).
    pub host: Gas,
    /// Memory-growth gas recorded by the limiter but not yet deducted from fuel.
    pub pending: Gas,
}

impl GasMeter {
    /// A meter for `limit` gas.
    #[must_use]
    pub const fn new(limit: Gas) -> Self {
        Self {
            limit,
            host: 0,
            pending: 0,
        }
    }

    /// Deducts `cost` from `fuel` (the live remaining gas) together with anything
    /// pending. Returns the new remaining gas, or `None` when it does not cover the
    /// cost: the caller then sets fuel to zero and stops with out-of-gas.
    #[must_use]
    pub fn settle(&mut self, fuel: Gas, cost: Gas) -> Option<Gas> {
        let total = cost.saturating_add(self.pending);
        self.pending = 0;
        self.host = self.host.saturating_add(cost);
        fuel.checked_sub(total)
    }

    /// Gas used given the fuel left: everything not left, plus unsettled charges,
    /// never more than the limit.
    #[must_use]
    pub fn used(&self, fuel_left: Gas) -> Gas {
        self.limit
            .saturating_sub(fuel_left)
            .saturating_add(self.pending)
            .min(self.limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settle_charges_pending_and_refuses_overdraft() {
        let mut m = GasMeter::new(1_000);
        m.pending = 100;
        assert_eq!(m.settle(1_000, 50), Some(850));
        assert_eq!(m.pending, 0);
        assert_eq!(m.host, 50);
        assert_eq!(m.settle(10, 11), None);
    }

    #[test]
    fn used_is_capped_at_the_limit() {
        let mut m = GasMeter::new(100);
        assert_eq!(m.used(40), 60);
        m.pending = 1_000;
        assert_eq!(m.used(40), 100);
    }

    #[test]
    fn linear_saturates() {
        assert_eq!(GasSchedule::linear(10, 2, 5), 20);
        assert_eq!(GasSchedule::linear(1, u64::MAX, 2), u64::MAX);
    }
}
