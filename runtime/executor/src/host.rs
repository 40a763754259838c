//! [`StateHost`]: the VM's [`Host`] over the block's state [`Overlay`]. Every nested call
//! and deploy runs on its own overlay checkpoint (and event mark), so a failed sub-call
//! reverts exactly its own writes, value moves and events.
//!
//! ```text
//!   Host::call(ctx)   ─► cp = checkpoint, mark = events.len()
//!                     ─► callee has code? ─► move value ─► Vm::execute (re-enters the host)
//!                     ─► success: commit(cp)   failure: revert_to(cp), events.truncate(mark)
//!   Host::deploy(req) ─► same, with "address taken?" and the account's code hash set first
//! ```
//!
//! Storage limits: the state refuses keys over `MAX_STORAGE_KEY_SIZE` and values over
//! `MAX_STORAGE_VALUE_SIZE`, which are tighter than the VM's import bounds. The `Host`
//! interface has no contract-visible error for a write, so a refused write is recorded as
//! a [`StateHost::fault`] and fails the whole transaction (see `docs/executor.md`); reads
//! of a key that could never be stored simply find nothing.

use std::sync::Arc;

use crate::trace::{CallFrame, StepDetail, Tracer};
use cairn_primitives::{Address, Amount, Event, Gas, GasProfile, Hash, limits::MAX_EVENTS_PER_TX};
use cairn_state::{Account, Overlay, StateError, StateReader};
use cairn_vm::{
    CallContext, ContractModule, DeployRequest, Execution, Host, HostError, Outcome, Vm, VmError,
};

/// The method run by a deploy-from-code-hash (the VM's convention).
const INIT_METHOD: &str = "init";

/// A [`Host`] over a state overlay for one transaction.
pub struct StateHost<'o, R> {
    overlay: &'o mut Overlay<R>,
    events: Vec<Event>,
    fault: Option<String>,
    fatal: Option<StateError>,
    tracer: Option<Tracer>,
    /// Host-call gas by category so far (`intrinsic` and `wasm` are filled in by the
    /// executor at the end).
    profile: GasProfile,
    /// The gas of the contract run that just returned: its caller's next `call`/`deploy`
    /// charge of this size passes that gas on, and it is already in the categories.
    callee_gas: Option<Gas>,
}

impl<'o, R: StateReader> StateHost<'o, R> {
    /// A host writing into `overlay`, with no events yet.
    pub fn new(overlay: &'o mut Overlay<R>) -> Self {
        Self {
            overlay,
            events: Vec::new(),
            fault: None,
            fatal: None,
            tracer: None,
            profile: GasProfile::default(),
            callee_gas: None,
        }
    }

    /// A host that also records the call tree ([`Self::take_trace`]).
    pub fn traced(overlay: &'o mut Overlay<R>) -> Self {
        Self {
            tracer: Some(Tracer::default()),
            ..Self::new(overlay)
        }
    }

    /// The gas host calls were charged so far, by category (`intrinsic` and `wasm` zero).
    #[must_use]
    pub fn host_gas(&self) -> GasProfile {
        self.profile
    }

    /// The top-level frames recorded so far (empty when not tracing).
    pub fn take_trace(&mut self) -> Vec<CallFrame> {
        self.tracer
            .as_mut()
            .map(|t| std::mem::take(&mut t.roots))
            .unwrap_or_default()
    }

    fn trace_detail(&mut self, detail: impl FnOnce() -> StepDetail) {
        if let Some(t) = &mut self.tracer {
            t.detail(detail());
        }
    }

    fn read_storage(
        &mut self,
        contract: &Address,
        key: &[u8],
    ) -> Result<Option<Vec<u8>>, HostError> {
        match self.overlay.storage(contract, key) {
            Ok(v) => Ok(v),
            // A key the state cannot hold was never written.
            Err(StateError::KeyTooLarge { .. }) => Ok(None),
            Err(e) => Err(self.fatal(e)),
        }
    }

    /// The overlay.
    pub fn overlay(&mut self) -> &mut Overlay<R> {
        self.overlay
    }

    /// A state write the state refused (a storage key or value over its limit): the
    /// transaction must fail with this message.
    #[must_use]
    pub fn fault(&self) -> Option<&str> {
        self.fault.as_deref()
    }

    /// Fails the transaction with `message` (the first fault wins).
    pub fn set_fault(&mut self, message: String) {
        self.fault.get_or_insert(message);
    }

    /// Takes the typed node-fatal state error behind the last [`HostError`], if any.
    pub fn take_fatal(&mut self) -> Option<StateError> {
        self.fatal.take()
    }

    /// The events kept so far, ending the host.
    #[must_use]
    pub fn into_events(self) -> Vec<Event> {
        self.events
    }

    fn fatal(&mut self, e: StateError) -> HostError {
        let err = HostError(e.to_string());
        self.fatal = Some(e);
        err
    }

    fn account(&mut self, address: &Address) -> Result<Option<Account>, HostError> {
        self.overlay.account(address).map_err(|e| self.fatal(e))
    }

    /// Moves `amount` from `from` to `to`; `false` (nothing written) if `from` is short.
    ///
    /// # Errors
    /// Node-fatal state failures.
    pub fn move_value(
        &mut self,
        from: &Address,
        to: &Address,
        amount: Amount,
    ) -> Result<bool, HostError> {
        if amount.is_zero() {
            return Ok(true);
        }
        let mut src = self.account(from)?.unwrap_or_default();
        if src.balance < amount {
            return Ok(false);
        }
        src.balance -= amount;
        self.overlay.set_account(*from, Some(src));
        let mut dst = self.account(to)?.unwrap_or_default();
        // Total supply is below 2^256, so a credit cannot overflow; saturate regardless.
        dst.balance = dst.balance.saturating_add(amount);
        self.overlay.set_account(*to, Some(dst));
        Ok(true)
    }

    /// The compiled module for `code_hash`: the VM's cache first, the state's code on a
    /// miss. `None` when the state has no such code.
    fn module(
        &mut self,
        vm: &Vm,
        code_hash: &Hash,
    ) -> Result<Option<Arc<ContractModule>>, HostError> {
        if let Some(m) = vm.cached(code_hash).map_err(vm_fatal)? {
            return Ok(Some(m));
        }
        let Some(code) = self.overlay.code(code_hash).map_err(|e| self.fatal(e))? else {
            return Ok(None);
        };
        // Stored code passed validation at deploy; failing now is a node-side problem.
        vm.module(*code_hash, &code).map(Some).map_err(vm_fatal)
    }

    fn run(
        &mut self,
        vm: &Vm,
        module: &ContractModule,
        ctx: CallContext,
    ) -> Result<Execution, HostError> {
        self.enter_frame(&ctx);
        let exec = vm.execute(self, module, ctx).map_err(vm_fatal)?;
        self.callee_gas = Some(exec.gas_used);
        self.exit_frame(&exec);
        Ok(exec)
    }

    fn enter_frame(&mut self, ctx: &CallContext) {
        // A new frame's first charge is never a returned callee's gas.
        self.callee_gas = None;
        if let Some(t) = &mut self.tracer {
            t.enter(CallFrame {
                caller: ctx.caller,
                contract: ctx.contract,
                method: ctx.method.clone(),
                value: ctx.value,
                gas_limit: ctx.gas_limit,
                gas_used: 0,
                outcome: String::new(),
                return_data: Vec::new(),
                steps: Vec::new(),
                calls: Vec::new(),
            });
        }
    }

    fn exit_frame(&mut self, exec: &Execution) {
        if let Some(t) = &mut self.tracer {
            let outcome = match exec.outcome.error_message() {
                Some(m) => m,
                None => "success".into(),
            };
            t.exit(exec.gas_used, outcome, exec.return_data.clone());
        }
    }

    /// Closes checkpoint `cp` by the outcome: kept on success, reverted (with the events
    /// since `mark`) otherwise.
    fn settle(
        &mut self,
        cp: cairn_state::Checkpoint,
        mark: usize,
        exec: &Execution,
    ) -> Result<(), HostError> {
        if exec.outcome.is_success() {
            self.overlay.commit(cp).map_err(|e| self.fatal(e))
        } else {
            self.events.truncate(mark);
            self.overlay.revert_to(cp).map_err(|e| self.fatal(e))
        }
    }
}

fn vm_fatal(e: VmError) -> HostError {
    match e {
        VmError::Host(h) => h,
        e => HostError(e.to_string()),
    }
}

impl<R: StateReader> Host for StateHost<'_, R> {
    fn on_gas(
        &mut self,
        import: &'static str,
        charged: cairn_primitives::Gas,
        left: cairn_primitives::Gas,
    ) {
        // The caller's charge of a returned callee's gas: already in the categories, and a
        // `callee` step in a trace.
        let callee = self.callee_gas.take() == Some(charged) && matches!(import, "call" | "deploy");
        if !callee {
            self.profile.add_host(import, charged);
        }
        if let Some(t) = &mut self.tracer {
            t.on_gas(import, charged, left, callee);
        }
    }

    fn storage_read(
        &mut self,
        contract: &Address,
        key: &[u8],
    ) -> Result<Option<Vec<u8>>, HostError> {
        let value = self.read_storage(contract, key)?;
        self.trace_detail(|| StepDetail::StorageRead {
            key: key.to_vec(),
            value: value.clone(),
        });
        Ok(value)
    }

    fn storage_write(
        &mut self,
        contract: &Address,
        key: &[u8],
        value: &[u8],
    ) -> Result<(), HostError> {
        self.trace_detail(|| StepDetail::StorageWrite {
            key: key.to_vec(),
            value: value.to_vec(),
        });
        match self
            .overlay
            .set_storage(*contract, key.to_vec(), Some(value.to_vec()))
        {
            Ok(()) => Ok(()),
            Err(e) if !e.is_fatal() => {
                self.fault.get_or_insert_with(|| e.to_string());
                Ok(())
            }
            Err(e) => Err(self.fatal(e)),
        }
    }

    fn storage_remove(&mut self, contract: &Address, key: &[u8]) -> Result<bool, HostError> {
        let existed = self.read_storage(contract, key)?.is_some();
        self.trace_detail(|| StepDetail::StorageRemove {
            key: key.to_vec(),
            existed,
        });
        if !existed {
            return Ok(false);
        }
        self.overlay
            .set_storage(*contract, key.to_vec(), None)
            .map_err(|e| self.fatal(e))?;
        Ok(true)
    }

    fn storage_has(&mut self, contract: &Address, key: &[u8]) -> Result<bool, HostError> {
        Ok(self.read_storage(contract, key)?.is_some())
    }

    fn balance(&mut self, address: &Address) -> Result<Amount, HostError> {
        let balance = self
            .account(address)?
            .map(|a| a.balance)
            .unwrap_or_default();
        self.trace_detail(|| StepDetail::Balance {
            address: *address,
            balance,
        });
        Ok(balance)
    }

    fn transfer(
        &mut self,
        from: &Address,
        to: &Address,
        amount: Amount,
    ) -> Result<bool, HostError> {
        let ok = self.move_value(from, to, amount)?;
        self.trace_detail(|| StepDetail::Transfer {
            from: *from,
            to: *to,
            amount,
            ok,
        });
        Ok(ok)
    }

    fn emit_event(&mut self, event: Event) -> Result<bool, HostError> {
        if self.events.len() >= MAX_EVENTS_PER_TX {
            return Ok(false);
        }
        self.trace_detail(|| StepDetail::Event {
            topics: event.topics.clone(),
            data: event.data.clone(),
        });
        self.events.push(event);
        Ok(true)
    }

    fn call(&mut self, vm: &Vm, ctx: CallContext) -> Result<Execution, HostError> {
        let Some(code_hash) = self.account(&ctx.contract)?.and_then(|a| a.code_hash) else {
            return Ok(Execution::early(Outcome::ContractNotFound, 0));
        };
        let Some(module) = self.module(vm, &code_hash)? else {
            return Ok(Execution::early(Outcome::ContractNotFound, 0));
        };
        let cp = self.overlay.checkpoint();
        let mark = self.events.len();
        let exec = if self.move_value(&ctx.caller, &ctx.contract, ctx.value)? {
            self.run(vm, &module, ctx)?
        } else {
            Execution::early(Outcome::InsufficientBalance, 0)
        };
        self.settle(cp, mark, &exec)?;
        Ok(exec)
    }

    fn deploy(&mut self, vm: &Vm, req: DeployRequest) -> Result<Execution, HostError> {
        let Some(module) = self.module(vm, &req.code_hash)? else {
            return Ok(Execution::early(Outcome::ContractNotFound, 0));
        };
        let address = req.init.contract;
        let existing = self.account(&address)?;
        if existing.is_some_and(|a| a.code_hash.is_some()) {
            return Ok(Execution::early(Outcome::AddressInUse, 0));
        }
        let cp = self.overlay.checkpoint();
        let mark = self.events.len();
        let run_init = module.info.methods.contains(INIT_METHOD);
        let exec = self.instantiate(vm, &module, existing, req.init, run_init)?;
        self.settle(cp, mark, &exec)?;
        Ok(exec)
    }
}

impl<R: StateReader> StateHost<'_, R> {
    /// Runs the migration export of `module` (code already swapped in by the caller, who
    /// owns the checkpoint).
    ///
    /// # Errors
    /// Node-fatal failures.
    pub fn migrate(
        &mut self,
        vm: &Vm,
        module: &ContractModule,
        ctx: CallContext,
    ) -> Result<Execution, HostError> {
        self.enter_frame(&ctx);
        let exec = vm.migrate(self, module, ctx).map_err(vm_fatal)?;
        self.exit_frame(&exec);
        Ok(exec)
    }

    /// Creates the contract account at `init.contract` (keeping a balance sent there
    /// before), endows it with `init.value` and, if `run_init`, runs `init.method`. The
    /// caller owns the checkpoint and checked that the address holds no code.
    ///
    /// # Errors
    /// Node-fatal failures.
    pub fn instantiate(
        &mut self,
        vm: &Vm,
        module: &ContractModule,
        existing: Option<Account>,
        init: CallContext,
        run_init: bool,
    ) -> Result<Execution, HostError> {
        let address = init.contract;
        let mut account = existing.unwrap_or_default();
        account.code_hash = Some(module.code_hash);
        self.overlay.set_account(address, Some(account));
        if !self.move_value(&init.caller, &address, init.value)? {
            return Ok(Execution::early(Outcome::InsufficientBalance, 0));
        }
        if !run_init {
            return Ok(Execution::early(Outcome::Success, 0));
        }
        self.run(vm, module, init)
    }
}
