//! The host interface: what a contract can ask of the chain, one method per state-touching
//! import of module `cairn`.
//!
//! ```text
//!   contract ──import──► vm (charges gas, bounds and copies guest memory)
//!                            └──► Host method (executor: state overlay with checkpoints;
//!                                              tests: MemHost)
//!   Host::call / Host::deploy ──► checkpoint, move value, Vm::execute (re-enters the VM),
//!                                 commit or revert the checkpoint by the outcome
//! ```
//!
//! Imports that touch only the call's own context — input, return data, revert, caller,
//! origin, value, block fields, gas left, hashing and signature checks — are served by the
//! VM from the [`CallContext`] and need no host method.

use cairn_primitives::{Address, Amount, ChainId, Event, Gas, Hash, Height, Timestamp};

use crate::{Execution, HostError, Vm};

/// The block a call executes in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BlockInfo {
    /// Height of the block being built.
    pub height: Height,
    /// Its timestamp (from consensus, the same on every node).
    pub timestamp: Timestamp,
    /// The chain id.
    pub chain_id: ChainId,
}

/// Everything one execution needs besides the code and the host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallContext {
    /// The contract being executed (storage and events belong to it).
    pub contract: Address,
    /// The immediate caller (an account, or the calling contract).
    pub caller: Address,
    /// The account that signed the transaction.
    pub origin: Address,
    /// Value attached to this call (already moved by the host before execution).
    pub value: Amount,
    /// The exported method to run.
    pub method: String,
    /// The call input, read by the contract with `input_read`.
    pub input: Vec<u8>,
    /// Gas this execution may use.
    pub gas_limit: Gas,
    /// The block.
    pub block: BlockInfo,
    /// Nesting depth: 0 for a transaction's call, +1 per cross-contract call.
    pub depth: u32,
    /// Contracts currently executing below this one, outermost first (for reentrancy).
    pub call_stack: Vec<Address>,
}

impl CallContext {
    /// A top-level call of `method` on `contract` by `sender`, with no value.
    #[must_use]
    pub fn new(
        contract: Address,
        sender: Address,
        method: &str,
        input: Vec<u8>,
        gas_limit: Gas,
    ) -> Self {
        Self {
            contract,
            caller: sender,
            origin: sender,
            value: Amount::zero(),
            method: method.to_owned(),
            input,
            gas_limit,
            block: BlockInfo::default(),
            depth: 0,
            call_stack: Vec::new(),
        }
    }
}

/// A contract's request to deploy a new contract from code already on chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeployRequest {
    /// The code to instantiate.
    pub code_hash: Hash,
    /// The salt: the address is `Address::for_create2(deployer, salt, code_hash)`.
    pub salt: Hash,
    /// The constructor call: `contract` is the new address, `caller` the deployer,
    /// `method` is `init` (run only if the code exports it), `value` is endowed.
    pub init: CallContext,
}

/// The chain as a contract sees it. Implemented by the executor over the state overlay,
/// and by [`MemHost`](crate::MemHost) for tests.
///
/// Obligations: every method is deterministic (same state, same answer); contract-visible
/// refusals are return values; `Err(HostError)` is only for node failures (storage I/O)
/// and aborts the block. The VM has already charged gas and bounded every length.
pub trait Host {
    /// Told after each host import charged its gas: the import's name, the gas it charged
    /// (with any memory growth settled with it) and the gas left. For tracers and gas
    /// profiles; the default does nothing. Must not affect execution.
    fn on_gas(&mut self, _import: &'static str, _charged: Gas, _left: Gas) {}

    /// `storage_read`: the value under `key` in `contract`'s storage, `None` when absent.
    ///
    /// # Errors
    /// Storage I/O.
    fn storage_read(
        &mut self,
        contract: &Address,
        key: &[u8],
    ) -> Result<Option<Vec<u8>>, HostError>;

    /// `storage_write`: sets `key` to `value` in `contract`'s storage.
    ///
    /// # Errors
    /// Storage I/O.
    fn storage_write(
        &mut self,
        contract: &Address,
        key: &[u8],
        value: &[u8],
    ) -> Result<(), HostError>;

    /// `storage_remove`: removes `key`; returns whether it existed.
    ///
    /// # Errors
    /// Storage I/O.
    fn storage_remove(&mut self, contract: &Address, key: &[u8]) -> Result<bool, HostError>;

    /// `storage_has`: whether `key` exists.
    ///
    /// # Errors
    /// Storage I/O.
    fn storage_has(&mut self, contract: &Address, key: &[u8]) -> Result<bool, HostError>;

    /// `balance`: the balance of `address` (zero for unknown accounts).
    ///
    /// # Errors
    /// Storage I/O.
    fn balance(&mut self, address: &Address) -> Result<Amount, HostError>;

    /// `transfer`: moves `amount` from `from` to `to`; `false` when the balance is too low.
    ///
    /// # Errors
    /// Storage I/O.
    fn transfer(&mut self, from: &Address, to: &Address, amount: Amount)
    -> Result<bool, HostError>;

    /// `emit_event`: records an event (topics and data already bounded by the VM);
    /// `false` when the transaction already holds `MAX_EVENTS_PER_TX` events (the
    /// contract then traps).
    ///
    /// # Errors
    /// Storage I/O.
    fn emit_event(&mut self, event: Event) -> Result<bool, HostError>;

    /// `call`: runs `ctx` (a nested call prepared by the VM, depth and call stack set):
    /// take a checkpoint, move `ctx.value` from `ctx.caller` (return
    /// [`Outcome::InsufficientBalance`](crate::Outcome) if short), load the callee's
    /// module ([`Outcome::ContractNotFound`](crate::Outcome) if none), run
    /// [`Vm::execute`], then keep the checkpoint on success or revert it otherwise.
    ///
    /// # Errors
    /// Storage I/O or a node-side VM failure.
    fn call(&mut self, vm: &Vm, ctx: CallContext) -> Result<Execution, HostError>;

    /// `deploy`: creates a contract from `req.code_hash` at the create2 address, endows
    /// it, runs its `init` method if exported, reverting everything on failure. Returns
    /// the constructor's execution ([`Outcome::Success`](crate::Outcome) when there is
    /// no `init`).
    ///
    /// # Errors
    /// Storage I/O or a node-side VM failure.
    fn deploy(&mut self, vm: &Vm, req: DeployRequest) -> Result<Execution, HostError>;

    /// Whether `debug_log` lines are printed (a devnet only). Must not change execution:
    /// the import costs the same gas either way.
    fn debug_log_enabled(&self) -> bool {
        false
    }

    /// `debug_log`: prints a line from `contract` (only called when enabled).
    fn debug_log(&mut self, contract: &Address, message: &str) {
        let _ = (contract, message);
    }
}
