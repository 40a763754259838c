//! [`MemHost`]: an in-memory [`Host`] for tests and benchmarks — the same obligations as
//! the executor's overlay host, with snapshots standing in for checkpoints.
//!
//! ```text
//!   MemHost::call ─► snapshot ─► move value ─► Vm::execute (re-enters) ─► keep | restore
//! ```

use std::collections::BTreeMap;

use cairn_primitives::{Address, Amount, Event, Hash};

use crate::limits::MAX_EVENTS_PER_TX;
use crate::{CallContext, DeployRequest, Execution, Host, HostError, Outcome, Vm, VmError};

/// The state a [`MemHost`] keeps; cloned for a checkpoint.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemState {
    /// Contract storage by (contract, key).
    pub storage: BTreeMap<(Address, Vec<u8>), Vec<u8>>,
    /// Balances.
    pub balances: BTreeMap<Address, Amount>,
    /// Code hash of each contract.
    pub contracts: BTreeMap<Address, Hash>,
    /// Events emitted, in order.
    pub events: Vec<Event>,
}

/// An in-memory host: storage, balances, contracts and events in `BTreeMap`s.
#[derive(Debug, Default)]
pub struct MemHost {
    /// The state.
    pub state: MemState,
    /// Code by hash (deploy-from-hash looks here).
    pub codes: BTreeMap<Hash, Vec<u8>>,
    /// Whether `debug_log` lines are collected.
    pub debug: bool,
    /// Collected debug lines.
    pub logs: Vec<String>,
    /// When set, every storage access fails (to test node-fatal errors).
    pub fail_storage: bool,
    next_address: u64,
}

impl MemHost {
    /// An empty host.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Validates and compiles `code`, stores it, and gives it a fresh address.
    ///
    /// # Errors
    /// Invalid code or node-side VM failures.
    pub fn install(&mut self, vm: &Vm, code: &[u8]) -> Result<Address, VmError> {
        let module = vm.prepare(code)?;
        self.codes.insert(module.code_hash, code.to_vec());
        self.next_address += 1;
        let mut a = [0u8; 20];
        a[..8].copy_from_slice(&self.next_address.to_be_bytes());
        a[19] = 0xcc;
        let address = Address(a);
        self.state.contracts.insert(address, module.code_hash);
        Ok(address)
    }

    /// Runs a top-level call (as a transaction would, without fees or nonces).
    ///
    /// # Errors
    /// Node-side failures.
    pub fn run(&mut self, vm: &Vm, ctx: CallContext) -> Result<Execution, HostError> {
        self.call(vm, ctx)
    }

    fn check(&self) -> Result<(), HostError> {
        if self.fail_storage {
            Err(HostError("storage unavailable".into()))
        } else {
            Ok(())
        }
    }

    fn move_value(&mut self, from: &Address, to: &Address, amount: Amount) -> bool {
        if amount.is_zero() {
            return true;
        }
        let have = self.state.balances.get(from).copied().unwrap_or_default();
        if have < amount {
            return false;
        }
        self.state.balances.insert(*from, have - amount);
        let to_bal = self.state.balances.entry(*to).or_default();
        *to_bal = to_bal.saturating_add(amount);
        true
    }

    fn run_code(
        &mut self,
        vm: &Vm,
        code_hash: Hash,
        ctx: CallContext,
    ) -> Result<Execution, HostError> {
        let Some(code) = self.codes.get(&code_hash).cloned() else {
            return Ok(Execution::early(Outcome::ContractNotFound, 0));
        };
        let module = vm
            .module(code_hash, &code)
            .map_err(|e| HostError(e.to_string()))?;
        match vm.execute(self, &module, ctx) {
            Ok(exec) => Ok(exec),
            Err(VmError::Host(e)) => Err(e),
            Err(e) => Err(HostError(e.to_string())),
        }
    }
}

impl Host for MemHost {
    fn storage_read(
        &mut self,
        contract: &Address,
        key: &[u8],
    ) -> Result<Option<Vec<u8>>, HostError> {
        self.check()?;
        Ok(self.state.storage.get(&(*contract, key.to_vec())).cloned())
    }

    fn storage_write(
        &mut self,
        contract: &Address,
        key: &[u8],
        value: &[u8],
    ) -> Result<(), HostError> {
        self.check()?;
        self.state
            .storage
            .insert((*contract, key.to_vec()), value.to_vec());
        Ok(())
    }

    fn storage_remove(&mut self, contract: &Address, key: &[u8]) -> Result<bool, HostError> {
        self.check()?;
        Ok(self
            .state
            .storage
            .remove(&(*contract, key.to_vec()))
            .is_some())
    }

    fn storage_has(&mut self, contract: &Address, key: &[u8]) -> Result<bool, HostError> {
        self.check()?;
        Ok(self.state.storage.contains_key(&(*contract, key.to_vec())))
    }

    fn balance(&mut self, address: &Address) -> Result<Amount, HostError> {
        Ok(self
            .state
            .balances
            .get(address)
            .copied()
            .unwrap_or_default())
    }

    fn transfer(
        &mut self,
        from: &Address,
        to: &Address,
        amount: Amount,
    ) -> Result<bool, HostError> {
        Ok(self.move_value(from, to, amount))
    }

    fn emit_event(&mut self, event: Event) -> Result<bool, HostError> {
        if self.state.events.len() >= MAX_EVENTS_PER_TX {
            return Ok(false);
        }
        self.state.events.push(event);
        Ok(true)
    }

    fn call(&mut self, vm: &Vm, ctx: CallContext) -> Result<Execution, HostError> {
        let checkpoint = self.state.clone();
        let Some(code_hash) = self.state.contracts.get(&ctx.contract).copied() else {
            return Ok(Execution::early(Outcome::ContractNotFound, 0));
        };
        if !self.move_value(&ctx.caller, &ctx.contract, ctx.value) {
            return Ok(Execution::early(Outcome::InsufficientBalance, 0));
        }
        let exec = self.run_code(vm, code_hash, ctx)?;
        if !exec.outcome.is_success() {
            self.state = checkpoint;
        }
        Ok(exec)
    }

    fn deploy(&mut self, vm: &Vm, req: DeployRequest) -> Result<Execution, HostError> {
        let checkpoint = self.state.clone();
        let Some(code) = self.codes.get(&req.code_hash).cloned() else {
            return Ok(Execution::early(Outcome::ContractNotFound, 0));
        };
        let address = req.init.contract;
        if self.state.contracts.contains_key(&address) {
            return Ok(Execution::early(Outcome::AddressInUse, 0));
        }
        if !self.move_value(&req.init.caller, &address, req.init.value) {
            return Ok(Execution::early(Outcome::InsufficientBalance, 0));
        }
        self.state.contracts.insert(address, req.code_hash);
        let module = vm
            .module(req.code_hash, &code)
            .map_err(|e| HostError(e.to_string()))?;
        if !module.info.methods.contains("init") {
            return Ok(Execution::early(Outcome::Success, 0));
        }
        let exec = self.run_code(vm, req.code_hash, req.init)?;
        if !exec.outcome.is_success() {
            self.state = checkpoint;
        }
        Ok(exec)
    }

    fn debug_log_enabled(&self) -> bool {
        self.debug
    }

    fn debug_log(&mut self, contract: &Address, message: &str) {
        self.logs.push(format!("{contract}: {message}"));
    }
}
