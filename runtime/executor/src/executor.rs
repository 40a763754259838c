//! [`Executor`]: applies a block's transactions to a state overlay and returns plain data
//! (receipts, state changes, roots). It persists nothing; the node commits the outcome's
//! changes in one batch (`State::commit_with`).
//!
//! ```text
//!   for each tx (in order):
//!     pre-check ── chain id, nonce, gas ≥ intrinsic, gas ≤ block gas left, balance ≥ max cost
//!        │ fails: build → skip + report      verify → InvalidBlock (whole block rejected)
//!        ▼
//!     nonce += 1, balance −= gas_limit × price           (kept whatever happens next)
//!     cp = checkpoint
//!       transfer │ deploy (validate, store code, address, init, admin) │ call (method + value)
//!       upgrade (admin? validate, swap code, run cairn_migrate) │ set_admin (admin?)
//!         └─ nested calls / deploys: own checkpoints inside StateHost
//!     success: commit(cp)      failure: revert_to(cp), no events, receipt says why
//!     sender += (gas_limit − gas_used) × price,  proposer += gas_used × price
//!   tx_root = merkle(tx hashes), receipts_root = merkle(receipt hashes),
//!   state_root = base.root_after(changes)  (dry run)
//! ```

use std::borrow::Borrow;
use std::fmt::Write as _;
use std::sync::Arc;

use cairn_primitives::{
    Address, Amount, Canonical, DevOp, DevSetAccount, DevSetStorage, Gas, GasProfile, Hash,
    MIGRATE_EXPORT, Nonce, Receipt, ReceiptStatus, SignedTransaction, Transaction, TxKind,
    limits::{MAX_BLOCK_TXS, MAX_ERROR_MESSAGE_LEN},
    merkle_root,
};
use cairn_state::{Overlay, StateChanges, StateError, StateReader};
use cairn_vm::limits::{MAX_CALL_DEPTH, MAX_POOLED_INSTANCES, MIN_NATIVE_STACK};
use cairn_vm::{CallContext, Execution, Outcome, Vm, VmError};

use crate::host::StateHost;
use crate::trace::CallFrame;
use crate::{
    BlockEnv, ExecutorConfig, ExecutorError, InvalidBlock, Result, RootedReader, TxRejection,
};

/// The result of executing a block: everything the header, the chain store and the RPC
/// need, and the state changes to commit. Byte-identical on every node for the same
/// parent state, environment and transactions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecutionOutcome {
    /// One receipt per executed transaction, in order.
    pub receipts: Vec<Receipt>,
    /// The executed transactions' hashes, in order.
    pub tx_hashes: Vec<Hash>,
    /// Per transaction: the address of the contract it deployed (successful deploys only).
    pub contract_addresses: Vec<Option<Address>>,
    /// The block's state changes (fees, nonces, transfers, code, storage).
    pub changes: StateChanges,
    /// Gas used by all transactions.
    pub gas_used: Gas,
    /// `merkle_root` of the transaction hashes.
    pub tx_root: Hash,
    /// `merkle_root` of the receipt hashes.
    pub receipts_root: Hash,
    /// The state root after the block.
    pub state_root: Hash,
}

/// What [`Executor::simulate`] found: the receipt inclusion would produce on the same
/// state, and the state changes it would make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Simulation {
    /// The receipt (status, gas used, return data, events, error).
    pub receipt: Receipt,
    /// The deployed contract's address (successful deploys only).
    pub contract_address: Option<Address>,
    /// Every change, fees and nonce included.
    pub changes: StateChanges,
    /// The contract calls it made, with their host calls ([`Executor::simulate_traced`]
    /// only; empty otherwise).
    pub calls: Vec<CallFrame>,
    /// Its gas by category (the receipt's).
    pub gas_profile: GasProfile,
}

/// A transaction's pre-check at its place in a block.
struct Prechecked {
    tx_hash: Hash,
    intrinsic: Gas,
    sender: Address,
    /// The maximum fee, or why the transaction cannot run here.
    verdict: std::result::Result<Amount, TxRejection>,
}

/// A candidate transaction the proposer left out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkippedTx {
    /// Its position among the candidates.
    pub index: usize,
    /// Its hash.
    pub tx_hash: Hash,
    /// Why; [`TxRejection::is_permanent`] says whether to drop it from the mempool.
    pub reason: TxRejection,
}

/// A block built from candidates: the transactions included, their outcome, and the
/// candidates skipped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuiltBlock {
    /// The included transactions, in execution order (the block's body).
    pub txs: Vec<SignedTransaction>,
    /// Their outcome.
    pub outcome: ExecutionOutcome,
    /// Candidates that failed the pre-check, in candidate order.
    pub skipped: Vec<SkippedTx>,
}

/// Executes blocks. Cheap to share: holds the VM and the intrinsic gas costs.
#[derive(Clone, Debug)]
pub struct Executor {
    vm: Arc<Vm>,
    config: ExecutorConfig,
}

/// What the executor does with a transaction failing the pre-check.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Skip it and report it.
    Build,
    /// Reject the block.
    Verify,
}

impl Executor {
    /// An executor running contracts on `vm` with the intrinsic costs of `config`.
    #[must_use]
    pub fn new(vm: Arc<Vm>, config: ExecutorConfig) -> Self {
        Self { vm, config }
    }

    /// The VM.
    #[must_use]
    pub fn vm(&self) -> &Arc<Vm> {
        &self.vm
    }

    /// The intrinsic gas costs.
    #[must_use]
    pub fn config(&self) -> &ExecutorConfig {
        &self.config
    }

    /// The intrinsic gas of `tx` (base + per encoded byte + deploy costs).
    #[must_use]
    pub fn intrinsic_gas(&self, tx: &SignedTransaction) -> Gas {
        self.config.intrinsic_gas(tx, tx.encode().len())
    }

    /// The intrinsic gas `tx` will have once signed: a signed transaction's encoding has the
    /// same length whatever the key and signature.
    #[must_use]
    pub fn intrinsic_gas_unsigned(&self, tx: &Transaction) -> Gas {
        let unsigned = SignedTransaction {
            tx: tx.clone(),
            public_key: [0; 32],
            signature: [0; 64],
        };
        self.intrinsic_gas(&unsigned)
    }

    /// The pre-check of `tx` against `base` (the state the transaction would execute
    /// on) with `gas_remaining` block gas left. The signature is NOT checked here: the
    /// mempool and block verification check signatures in batches.
    ///
    /// Outer `Err`: node-fatal state failure. Inner `Err`: the rejection.
    ///
    /// # Errors
    /// Node-fatal state failures.
    pub fn check_tx(
        &self,
        base: &impl StateReader,
        env: &BlockEnv,
        tx: &SignedTransaction,
        gas_remaining: Gas,
    ) -> Result<Result<(), TxRejection>, StateError> {
        let intrinsic = self.intrinsic_gas(tx);
        let dev = self.config.dev_authority;
        Ok(check(
            base,
            env,
            dev,
            &tx.tx,
            &tx.sender(),
            intrinsic,
            gas_remaining,
        )?
        .map(|_| ()))
    }

    /// Runs `tx` as if `sender` had signed it, on `base`, alone in a block described by
    /// `env`: the same pre-check, intrinsic gas (a signed transaction's encoding has the same
    /// length whatever the key), fees and effects as inclusion would have on that state.
    /// Persists nothing; nothing is signed or verified (RPC `tx_simulate`,
    /// `tx_estimateGas`, `contract_view`).
    ///
    /// Outer `Err`: node-fatal failure. Inner `Err`: the pre-check's rejection.
    ///
    /// # Errors
    /// Node-fatal state or VM failures.
    pub fn simulate<R: StateReader + Sync>(
        &self,
        base: &R,
        env: &BlockEnv,
        sender: Address,
        tx: &Transaction,
    ) -> Result<Result<Simulation, TxRejection>> {
        self.simulate_with(base, env, sender, tx, false)
    }

    /// [`Self::simulate`], also recording the call tree and the gas profile.
    ///
    /// # Errors
    /// Node-fatal state or VM failures.
    pub fn simulate_traced<R: StateReader + Sync>(
        &self,
        base: &R,
        env: &BlockEnv,
        sender: Address,
        tx: &Transaction,
    ) -> Result<Result<Simulation, TxRejection>> {
        self.simulate_with(base, env, sender, tx, true)
    }

    fn simulate_with<R: StateReader + Sync>(
        &self,
        base: &R,
        env: &BlockEnv,
        sender: Address,
        tx: &Transaction,
        trace: bool,
    ) -> Result<Result<Simulation, TxRejection>> {
        let intrinsic = self.intrinsic_gas_unsigned(tx);
        Self::on_vm_stack(|| {
            let mut overlay = Overlay::new(base);
            let dev = self.config.dev_authority;
            let max_fee = match check(&overlay, env, dev, tx, &sender, intrinsic, env.gas_limit)? {
                Ok(fee) => fee,
                Err(reason) => return Ok(Err(reason)),
            };
            let (receipt, contract_address, calls) =
                self.apply(&mut overlay, env, tx, sender, intrinsic, max_fee, trace)?;
            let gas_profile = receipt.gas_profile;
            Ok(Ok(Simulation {
                receipt,
                contract_address,
                changes: overlay.into_changes(),
                calls,
                gas_profile,
            }))
        })
    }

    /// Executes the transactions of a block received for verification (or re-executed
    /// after a restart). A transaction failing the pre-check makes the block invalid:
    /// [`ExecutorError::InvalidBlock`]. Compare the outcome's roots and gas with the
    /// header. Persists nothing.
    ///
    /// # Errors
    /// [`ExecutorError::InvalidBlock`] (not fatal), or node-fatal failures.
    pub fn execute<R: RootedReader>(
        &self,
        base: &R,
        env: &BlockEnv,
        txs: &[SignedTransaction],
    ) -> Result<ExecutionOutcome> {
        Self::on_vm_stack(|| self.run(base, env, txs, Mode::Verify)).map(|(outcome, _, _)| outcome)
    }

    /// Builds a block from `candidates` (in the proposer's order): candidates failing the
    /// pre-check (against the state left by the transactions before them) are skipped and
    /// reported, the rest are executed. Persists nothing.
    ///
    /// # Errors
    /// Node-fatal failures only.
    pub fn build<R: RootedReader, T: Borrow<SignedTransaction> + Sync>(
        &self,
        base: &R,
        env: &BlockEnv,
        candidates: &[T],
    ) -> Result<BuiltBlock> {
        let (outcome, included, skipped) =
            Self::on_vm_stack(|| self.run(base, env, candidates, Mode::Build))?;
        let txs = included
            .iter()
            .map(|&i| Borrow::<SignedTransaction>::borrow(&candidates[i]).clone())
            .collect();
        Ok(BuiltBlock {
            txs,
            outcome,
            skipped,
        })
    }

    /// Re-executes transaction `index` of a block on its parent state `base`, after the
    /// transactions before it, recording its call tree: what `tx_trace` returns. The
    /// receipt is the one inclusion produced.
    ///
    /// # Errors
    /// [`ExecutorError::InvalidBlock`] when an earlier transaction fails the pre-check
    /// (the block was not this chain's), or node-fatal failures.
    pub fn trace<R: StateReader + Sync>(
        &self,
        base: &R,
        env: &BlockEnv,
        txs: &[SignedTransaction],
        index: usize,
    ) -> Result<Simulation> {
        Self::on_vm_stack(|| {
            let mut overlay = Overlay::new(base);
            let mut gas_used: Gas = 0;
            for (i, tx) in txs.iter().enumerate().take(index + 1) {
                let Prechecked {
                    tx_hash,
                    intrinsic,
                    sender,
                    verdict,
                } = self.precheck(&overlay, env, tx, gas_used, i)?;
                let max_fee = verdict.map_err(|reason| InvalidBlock {
                    index: i,
                    tx_hash,
                    reason,
                })?;
                let traced = i == index;
                let (receipt, contract_address, calls) = self.apply(
                    &mut overlay,
                    env,
                    &tx.tx,
                    sender,
                    intrinsic,
                    max_fee,
                    traced,
                )?;
                gas_used += receipt.gas_used;
                if traced {
                    let gas_profile = receipt.gas_profile;
                    return Ok(Simulation {
                        receipt,
                        contract_address,
                        changes: StateChanges::default(),
                        calls,
                        gas_profile,
                    });
                }
            }
            Err(ExecutorError::Thread(format!(
                "no transaction {index} in a block of {}",
                txs.len()
            )))
        })
    }

    /// Runs `f` on a thread with the native stack nested contract calls need
    /// ([`MIN_NATIVE_STACK`]), so the depth at which the wasm stack runs out never
    /// depends on the caller's thread. The threads are long-lived ([`vm_pool`]): a view no
    /// longer pays for mapping, guarding and unmapping a 16 MiB stack (measured as a
    /// third of the node's CPU under 32 concurrent `contract_view` clients).
    ///
    /// A thread that already has that much stack left (an RPC thread started with
    /// [`VM_THREAD_STACK`]) runs `f` itself while one of [`max_inline_executions`] slots is
    /// free: handing a 100 µs view to a pool thread and back costs two wake-ups, which under
    /// 32 concurrent view clients were a third of the node's CPU (scheduler time on 2
    /// vCPUs).
    fn on_vm_stack<T: Send>(f: impl FnOnce() -> Result<T> + Send) -> Result<T> {
        let run = || std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
        // The slot is held until the arm's execution returns.
        let caught = match has_vm_stack().then(InlineSlot::take).flatten() {
            Some(_slot) => run(),
            None => vm_pool()?.install(run),
        };
        caught.map_err(|_| ExecutorError::Thread("execution thread panicked".into()))?
    }

    /// The pre-check of `tx` at its place in a block: after `included` transactions that
    /// used `gas_used`.
    fn precheck<R: StateReader>(
        &self,
        overlay: &Overlay<R>,
        env: &BlockEnv,
        tx: &SignedTransaction,
        gas_used: Gas,
        included: usize,
    ) -> Result<Prechecked> {
        let encoded = tx.encode();
        let intrinsic = self.config.intrinsic_gas(tx, encoded.len());
        let remaining = env.gas_limit.saturating_sub(gas_used);
        let sender = tx.sender();
        let verdict = if included >= MAX_BLOCK_TXS {
            Err(TxRejection::TooManyTxs(included))
        } else {
            let dev = self.config.dev_authority;
            check(overlay, env, dev, &tx.tx, &sender, intrinsic, remaining)?
        };
        Ok(Prechecked {
            tx_hash: Hash::of(&encoded),
            intrinsic,
            sender,
            verdict,
        })
    }

    fn run<R: RootedReader, T: Borrow<SignedTransaction>>(
        &self,
        base: &R,
        env: &BlockEnv,
        txs: &[T],
        mode: Mode,
    ) -> Result<(ExecutionOutcome, Vec<usize>, Vec<SkippedTx>)> {
        let mut overlay = Overlay::new(base);
        let mut receipts = Vec::new();
        let mut tx_hashes = Vec::new();
        let mut contract_addresses = Vec::new();
        let mut included = Vec::new();
        let mut skipped = Vec::new();
        let mut gas_used: Gas = 0;
        for (index, tx) in txs
            .iter()
            .map(Borrow::<SignedTransaction>::borrow)
            .enumerate()
        {
            let Prechecked {
                tx_hash,
                intrinsic,
                sender,
                verdict,
            } = self.precheck(&overlay, env, tx, gas_used, receipts.len())?;
            let max_fee = match verdict {
                Ok(max_fee) => max_fee,
                Err(reason) => {
                    if mode == Mode::Verify {
                        return Err(InvalidBlock {
                            index,
                            tx_hash,
                            reason,
                        }
                        .into());
                    }
                    skipped.push(SkippedTx {
                        index,
                        tx_hash,
                        reason,
                    });
                    continue;
                }
            };
            let (receipt, address, _) =
                self.apply(&mut overlay, env, &tx.tx, sender, intrinsic, max_fee, false)?;
            gas_used += receipt.gas_used;
            receipts.push(receipt);
            tx_hashes.push(tx_hash);
            contract_addresses.push(address);
            included.push(index);
        }
        let changes = overlay.into_changes();
        let receipt_hashes: Vec<Hash> = receipts.iter().map(Canonical::hash).collect();
        let outcome = ExecutionOutcome {
            tx_root: merkle_root(&tx_hashes),
            receipts_root: merkle_root(&receipt_hashes),
            state_root: base.root_after(&changes)?,
            receipts,
            tx_hashes,
            contract_addresses,
            changes,
            gas_used,
        };
        Ok((outcome, included, skipped))
    }

    /// Applies one pre-checked transaction: nonce and maximum fee first (kept), the
    /// transaction's own effects on a checkpoint (kept only on success), then the refund
    /// and the proposer's fee. With `trace`, also returns the call tree.
    #[allow(clippy::too_many_arguments)]
    fn apply<R: StateReader>(
        &self,
        overlay: &mut Overlay<R>,
        env: &BlockEnv,
        tx: &Transaction,
        sender: Address,
        intrinsic: Gas,
        max_fee: Amount,
        trace: bool,
    ) -> Result<(Receipt, Option<Address>, Vec<CallFrame>)> {
        let mut account = overlay.account(&sender)?.unwrap_or_default();
        // The pre-check proved nonce < u64::MAX and balance ≥ max_fee + value.
        account.nonce += 1;
        account.balance -= max_fee;
        overlay.set_account(sender, Some(account));

        // An impersonated transaction bumps its origin's nonce like a signed one would
        // (kept even if it fails); a stale origin nonce fails it.
        let mut nonce_fault = None;
        if let TxKind::Dev(DevOp::Impersonate(i)) = &tx.kind {
            let mut origin = overlay.account(&i.from)?.unwrap_or_default();
            if origin.nonce == i.from_nonce && origin.nonce < u64::MAX {
                origin.nonce += 1;
                overlay.set_account(i.from, Some(origin));
            } else {
                nonce_fault = Some(format!(
                    "impersonated {} has nonce {}, the transaction expected {}",
                    i.from, origin.nonce, i.from_nonce
                ));
            }
        }

        let exec_gas = tx.gas_limit - intrinsic;
        let cp = overlay.checkpoint();
        let mut host = if trace {
            StateHost::traced(overlay)
        } else {
            StateHost::new(overlay)
        };
        let result = match (&tx.kind, nonce_fault) {
            (_, Some(fault)) => {
                host.set_fault(fault);
                Ok((Execution::early(Outcome::Success, 0), None))
            }
            (TxKind::Dev(DevOp::Impersonate(i)), None) => {
                self.run_kind(&mut host, env, &i.kind, i.from, i.from_nonce, exec_gas)
            }
            (TxKind::Dev(op), None) => self
                .run_dev(&mut host, op)
                .map(|()| (Execution::early(Outcome::Success, 0), None)),
            (kind, None) => self.run_kind(&mut host, env, kind, sender, tx.nonce, exec_gas),
        };
        let (exec, address) = match result {
            Ok(r) => r,
            Err(e) => return Err(host.take_fatal().map_or(e, ExecutorError::State)),
        };
        let fault = host.fault().map(str::to_owned);
        let calls = host.take_trace();
        let mut gas_profile = host.host_gas();
        let events = host.into_events();
        let success = exec.outcome.is_success() && fault.is_none();
        if success {
            overlay.commit(cp)?;
        } else {
            overlay.revert_to(cp)?;
        }

        let exec_used = exec.gas_used.min(exec_gas);
        let gas_used = intrinsic + exec_used;
        gas_profile.intrinsic = intrinsic;
        gas_profile.wasm = exec_used.saturating_sub(gas_profile.total() - intrinsic);
        // gas_used ≤ gas_limit, so the fee ≤ max_fee (no overflow: checked in pre-check).
        let fee = Amount::from(gas_used) * tx.gas_price;
        let refund = max_fee - fee;
        credit(overlay, &sender, refund)?;
        credit(overlay, &env.proposer, fee)?;

        let receipt = match (success, fault) {
            (true, _) => Receipt {
                status: ReceiptStatus::Success,
                gas_used,
                return_data: exec.return_data,
                events,
                error: None,
                gas_profile,
            },
            (false, Some(fault)) => Receipt {
                gas_profile,
                ..failed(ReceiptStatus::Failed, gas_used, fault)
            },
            (false, None) => Receipt {
                // A revert's data: the contract's encoded error.
                return_data: exec.return_data,
                gas_profile,
                ..failed(
                    exec.outcome.receipt_status(),
                    gas_used,
                    with_backtrace(
                        exec.outcome.error_message().unwrap_or_default(),
                        &exec.backtrace,
                    ),
                )
            },
        };
        Ok((receipt, address.filter(|_| success), calls))
    }

    /// The transaction's own effects (inside the caller's checkpoint).
    fn run_kind<R: StateReader>(
        &self,
        host: &mut StateHost<'_, R>,
        env: &BlockEnv,
        kind: &TxKind,
        sender: Address,
        nonce: Nonce,
        exec_gas: Gas,
    ) -> Result<(Execution, Option<Address>)> {
        let ctx = |contract: Address, method: &str, input: &[u8], value: Amount| CallContext {
            contract,
            caller: sender,
            origin: sender,
            value,
            method: method.to_owned(),
            input: input.to_vec(),
            gas_limit: exec_gas,
            block: env.block_info(),
            depth: 0,
            call_stack: Vec::new(),
        };
        match kind {
            TxKind::Transfer(t) => {
                let outcome = if host.move_value(&sender, &t.to, t.amount)? {
                    Outcome::Success
                } else {
                    Outcome::InsufficientBalance
                };
                Ok((Execution::early(outcome, 0), None))
            }
            TxKind::Call(c) => {
                let exec =
                    cairn_vm::Host::call(host, &self.vm, ctx(c.to, &c.method, &c.args, c.value))?;
                Ok((exec, None))
            }
            TxKind::Deploy(d) => {
                let Some(module) = self.prepare_or_fault(host, &d.code)? else {
                    return Ok((Execution::early(Outcome::Success, 0), None));
                };
                let address = match &d.salt {
                    Some(salt) => Address::for_create2(&sender, salt, &module.code_hash),
                    None => Address::for_create(&sender, nonce),
                };
                let existing = host.overlay().account(&address)?;
                if existing.is_some_and(|a| a.code_hash.is_some()) {
                    return Ok((Execution::early(Outcome::AddressInUse, 0), None));
                }
                host.overlay().put_code(d.code.clone())?;
                let (method, args) = d
                    .init
                    .as_ref()
                    .map_or(("", &[][..]), |i| (i.method.as_str(), &i.args[..]));
                let exec = host.instantiate(
                    &self.vm,
                    &module,
                    existing,
                    ctx(address, method, args, d.value),
                    d.init.is_some(),
                )?;
                if d.admin.is_some() && exec.outcome.is_success() {
                    let mut account = host.overlay().account(&address)?.unwrap_or_default();
                    account.admin = d.admin;
                    host.overlay().set_account(address, Some(account));
                }
                Ok((exec, Some(address)))
            }
            TxKind::Upgrade(u) => {
                let Some(mut account) = admin_checked(host, &u.contract, &sender)? else {
                    return Ok((Execution::early(Outcome::Success, 0), None));
                };
                let Some(module) = self.prepare_or_fault(host, &u.code)? else {
                    return Ok((Execution::early(Outcome::Success, 0), None));
                };
                host.overlay().put_code(u.code.clone())?;
                account.code_hash = Some(module.code_hash);
                host.overlay().set_account(u.contract, Some(account));
                if !module.info.migrate {
                    if !u.migrate_args.is_empty() {
                        host.set_fault(format!(
                            "the new code exports no `{MIGRATE_EXPORT}` to take the migration arguments"
                        ));
                    }
                    return Ok((Execution::early(Outcome::Success, 0), None));
                }
                let call = ctx(u.contract, MIGRATE_EXPORT, &u.migrate_args, Amount::zero());
                Ok((host.migrate(&self.vm, &module, call)?, None))
            }
            TxKind::SetAdmin(a) => {
                if let Some(mut account) = admin_checked(host, &a.contract, &sender)? {
                    account.admin = a.admin;
                    host.overlay().set_account(a.contract, Some(account));
                }
                Ok((Execution::early(Outcome::Success, 0), None))
            }
            // Only reached through `apply`'s dev branch, never for a user kind: an
            // impersonated kind is never a dev op (`Transaction::validate`).
            TxKind::Dev(_) => {
                host.set_fault("a dev op cannot be impersonated".into());
                Ok((Execution::early(Outcome::Success, 0), None))
            }
        }
    }

    /// A dev override's writes (the pre-check proved the dev authority signed it).
    fn run_dev<R: StateReader>(&self, host: &mut StateHost<'_, R>, op: &DevOp) -> Result<()> {
        match op {
            DevOp::SetAccount(a) => dev_set_account(host, a),
            DevOp::SetStorage(s) => dev_set_storage(host, s),
            DevOp::SetCode(c) => {
                let Some(module) = self.prepare_or_fault(host, &c.code)? else {
                    return Ok(());
                };
                host.overlay().put_code(c.code.clone())?;
                let mut account = host.overlay().account(&c.address)?.unwrap_or_default();
                account.code_hash = Some(module.code_hash);
                host.overlay().set_account(c.address, Some(account));
                Ok(())
            }
            DevOp::Restore(r) => {
                for a in &r.accounts {
                    dev_set_account(host, a)?;
                }
                for s in &r.storage {
                    dev_set_storage(host, s)?;
                }
                Ok(())
            }
            DevOp::Impersonate(_) => {
                host.set_fault("impersonation is handled by apply".into());
                Ok(())
            }
        }
    }
}

/// [`DevOp::SetAccount`]: the record as given; a code hash must name stored code.
fn dev_set_account<R: StateReader>(host: &mut StateHost<'_, R>, set: &DevSetAccount) -> Result<()> {
    let account = match set.account {
        None => None,
        Some(a) => {
            if let Some(hash) = a.code_hash
                && host.overlay().code(&hash)?.is_none()
            {
                host.set_fault(format!("no code with hash {hash} is stored"));
                return Ok(());
            }
            Some(cairn_state::Account {
                nonce: a.nonce,
                balance: a.balance,
                code_hash: a.code_hash,
                admin: a.admin,
            })
        }
    };
    host.overlay().set_account(set.address, account);
    Ok(())
}

/// [`DevOp::SetStorage`]: one slot, within the state's key and value limits.
fn dev_set_storage<R: StateReader>(host: &mut StateHost<'_, R>, set: &DevSetStorage) -> Result<()> {
    host.overlay()
        .set_storage(set.contract, set.key.clone(), set.value.clone())?;
    Ok(())
}

impl Executor {
    /// The compiled module for code a transaction installs (deploy or upgrade); `None` when
    /// the VM refuses it, with the transaction failed (a fault): refused code is the
    /// sender's fault, a failed receipt, not a node error.
    fn prepare_or_fault<R: StateReader>(
        &self,
        host: &mut StateHost<'_, R>,
        code: &[u8],
    ) -> Result<Option<Arc<cairn_vm::ContractModule>>> {
        match self.vm.prepare(code) {
            Ok(m) => Ok(Some(m)),
            Err(VmError::Invalid(e)) => {
                host.set_fault(format!("invalid code: {e}"));
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// The account of `contract` when `sender` is its admin; otherwise `None`, with the
/// transaction failed (a fault) saying why.
fn admin_checked<R: StateReader>(
    host: &mut StateHost<'_, R>,
    contract: &Address,
    sender: &Address,
) -> Result<Option<cairn_state::Account>> {
    let account = host.overlay().account(contract)?;
    let fault = match account {
        Some(a) if a.code_hash.is_some() => match a.admin {
            Some(admin) if admin == *sender => return Ok(Some(a)),
            Some(admin) => format!("only the admin {admin} may change contract {contract}"),
            None => format!("contract {contract} is immutable: it has no admin"),
        },
        _ => format!("no contract at {contract}"),
    };
    host.set_fault(fault);
    Ok(None)
}

fn failed(status: ReceiptStatus, gas_used: Gas, mut error: String) -> Receipt {
    truncate_utf8(&mut error, MAX_ERROR_MESSAGE_LEN);
    Receipt {
        status,
        gas_used,
        return_data: Vec::new(),
        events: Vec::new(),
        error: Some(error),
        gas_profile: GasProfile::default(),
    }
}

/// A failure message followed by the wasm backtrace, when the VM recorded one (devnets):
/// `trap: unreachable executed\nwasm backtrace:\n  0: token::Token::burn\n  1: burn`.
fn with_backtrace(mut message: String, backtrace: &[String]) -> String {
    if !backtrace.is_empty() {
        message.push_str("\nwasm backtrace:");
        for (i, frame) in backtrace.iter().enumerate() {
            let _ = write!(message, "\n  {i}: {frame}");
        }
    }
    message
}

/// Cuts `s` to at most `max` bytes on a character boundary.
fn truncate_utf8(s: &mut String, max: usize) {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
}

fn credit<R: StateReader>(overlay: &mut Overlay<R>, to: &Address, amount: Amount) -> Result<()> {
    if amount.is_zero() {
        return Ok(());
    }
    let mut account = overlay.account(to)?.unwrap_or_default();
    account.balance = account.balance.saturating_add(amount);
    overlay.set_account(*to, Some(account));
    Ok(())
}

/// The pre-check; on success, the maximum fee `gas_limit × gas_price`.
fn check(
    base: &impl StateReader,
    env: &BlockEnv,
    dev_authority: Option<Address>,
    tx: &Transaction,
    sender: &Address,
    intrinsic: Gas,
    gas_remaining: Gas,
) -> Result<Result<Amount, TxRejection>, StateError> {
    if matches!(tx.kind, TxKind::Dev(_)) && dev_authority != Some(*sender) {
        return Ok(Err(TxRejection::DevOpNotAllowed));
    }
    if tx.chain_id != env.chain_id {
        return Ok(Err(TxRejection::WrongChainId {
            expected: env.chain_id,
            got: tx.chain_id,
        }));
    }
    if tx.gas_limit < intrinsic {
        return Ok(Err(TxRejection::GasLimitTooLow {
            min: intrinsic,
            got: tx.gas_limit,
        }));
    }
    if tx.gas_limit > gas_remaining {
        return Ok(Err(TxRejection::BlockGasExceeded {
            remaining: gas_remaining,
            got: tx.gas_limit,
        }));
    }
    let account = base.account(sender)?.unwrap_or_default();
    if tx.nonce < account.nonce || account.nonce == u64::MAX {
        return Ok(Err(TxRejection::NonceTooLow {
            expected: account.nonce,
            got: tx.nonce,
        }));
    }
    if tx.nonce > account.nonce {
        return Ok(Err(TxRejection::NonceTooHigh {
            expected: account.nonce,
            got: tx.nonce,
        }));
    }
    let overflow = || TxRejection::CostOverflow {
        gas_limit: tx.gas_limit,
        gas_price: tx.gas_price,
    };
    let Some(max_fee) = Amount::from(tx.gas_limit).checked_mul(tx.gas_price) else {
        return Ok(Err(overflow()));
    };
    let Some(cost) = max_fee.checked_add(tx.value()) else {
        return Ok(Err(overflow()));
    };
    if account.balance < cost {
        return Ok(Err(TxRejection::InsufficientBalance {
            balance: account.balance,
            cost,
        }));
    }
    Ok(Ok(max_fee))
}

/// Threads in the execution pool: at least [`MIN_VM_THREADS`], so a long block execution
/// never leaves views without a thread, and one per core beyond that, up to 7 (what the
/// VM's instance pool holds at full call depth).
pub const MIN_VM_THREADS: usize = 4;

/// Stack size for a thread of the caller's that should run executions itself rather than
/// hand them to the execution threads: [`MIN_NATIVE_STACK`] for the execution plus 2 MiB
/// for the frames already on the thread when it calls (an async runtime, a JSON-RPC
/// handler). A node gives its RPC runtime's threads this size.
pub const VM_THREAD_STACK: usize = MIN_NATIVE_STACK + 2 * 1024 * 1024;

/// Whether the calling thread has at least [`MIN_NATIVE_STACK`] of stack left, so an
/// execution can run on it with the same room as on an execution thread (where stack
/// exhaustion happens is then the same on every thread: `MAX_WASM_STACK` per level).
fn has_vm_stack() -> bool {
    stacker::remaining_stack().is_some_and(|left| left >= MIN_NATIVE_STACK)
}

/// Executions the VM's instance pool holds at once, each at its deepest: every one may hold
/// `MAX_CALL_DEPTH + 1` wasm instances of [`MAX_POOLED_INSTANCES`] (256 / 33 = 7).
fn execution_room() -> usize {
    let per_execution = usize::try_from(MAX_CALL_DEPTH).map_or(usize::MAX, |d| d + 1);
    usize::try_from(MAX_POOLED_INSTANCES).map_or(0, |n| n / per_execution)
}

/// Threads of the execution pool: one per core, at least [`MIN_VM_THREADS`], at most
/// [`execution_room`] (more threads could exhaust the instance pool at full call depth).
fn vm_threads() -> usize {
    static THREADS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *THREADS.get_or_init(|| {
        std::thread::available_parallelism()
            .map_or(1, usize::from)
            .max(MIN_VM_THREADS)
            .min(execution_room())
    })
}

/// Most executions that run on their callers' own threads at once. The execution threads
/// run at most one execution each, and the callers get what is left of [`execution_room`],
/// so however many views arrive at once they cannot exhaust the VM's instance pool under a
/// block's execution (7 executions, less 4 execution threads: 3 on a machine of up to 4
/// cores; none from 7 cores on).
#[must_use]
pub fn max_inline_executions() -> usize {
    execution_room().saturating_sub(vm_threads())
}

/// Executions running on their callers' threads now.
static INLINE_EXECUTIONS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// One of the [`max_inline_executions`] places to run on the caller's thread, given back on
/// drop.
struct InlineSlot;

impl InlineSlot {
    fn take() -> Option<Self> {
        use std::sync::atomic::Ordering;
        let max = max_inline_executions();
        INLINE_EXECUTIONS
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()
            .map(|_| Self)
    }
}

impl Drop for InlineSlot {
    fn drop(&mut self) {
        INLINE_EXECUTIONS.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}

/// The execution threads, each with [`MIN_NATIVE_STACK`] of stack, started on first use.
fn vm_pool() -> Result<&'static rayon::ThreadPool> {
    static POOL: std::sync::OnceLock<std::result::Result<rayon::ThreadPool, String>> =
        std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(vm_threads())
            .stack_size(MIN_NATIVE_STACK)
            .thread_name(|i| format!("cairn-exec-{i}"))
            .build()
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| ExecutorError::Thread(format!("starting the execution threads: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn thread_name() -> Result<String> {
        Ok(std::thread::current().name().unwrap_or_default().to_owned())
    }

    /// Runs `f` on a new thread named "caller" with `stack` bytes of stack. The tests share
    /// the inline slots, so they take turns.
    fn on_thread<T: Send + 'static>(stack: usize, f: impl FnOnce() -> T + Send + 'static) -> T {
        static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _turn = TURN
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        std::thread::Builder::new()
            .name("caller".into())
            .stack_size(stack)
            .spawn(f)
            .expect("spawn")
            .join()
            .expect("join")
    }

    /// A thread with `VM_THREAD_STACK` runs executions itself, one with less hands them to
    /// an execution thread, and a panic is an error (not an unwind) either way.
    #[test]
    fn executions_run_on_the_caller_only_when_it_has_the_stack() {
        // Where an execution ran, and what a panicking one returned, on a `stack`-byte thread.
        let calls = |stack| {
            on_thread(stack, || {
                (
                    Executor::on_vm_stack(thread_name),
                    Executor::on_vm_stack::<()>(|| panic!("a failing execution")),
                )
            })
        };
        let (name, panicked) = calls(VM_THREAD_STACK);
        let name = name.expect("runs");
        if max_inline_executions() > 0 {
            assert_eq!(name, "caller");
        } else {
            assert!(name.starts_with("cairn-exec-"), "{name}");
        }
        assert!(
            matches!(panicked, Err(ExecutorError::Thread(_))),
            "{panicked:?}"
        );

        let (name, panicked) = calls(2 << 20);
        let name = name.expect("runs");
        assert!(name.starts_with("cairn-exec-"), "{name}");
        assert!(
            matches!(panicked, Err(ExecutorError::Thread(_))),
            "{panicked:?}"
        );
    }

    /// Once `max_inline_executions` run on callers' threads, the next caller, however much
    /// stack it has, hands its execution to an execution thread; a freed slot is used again.
    #[test]
    fn callers_beyond_the_inline_limit_use_the_execution_threads() {
        let max = max_inline_executions();
        assert!(
            max >= 1 || vm_threads() >= 7,
            "{max} inline beside {} threads",
            vm_threads()
        );
        let (full, freed) = on_thread(VM_THREAD_STACK, move || {
            let held: Vec<InlineSlot> = (0..max).map_while(|_| InlineSlot::take()).collect();
            assert_eq!(held.len(), max);
            assert!(InlineSlot::take().is_none(), "no slot past the limit");
            let full = Executor::on_vm_stack(thread_name);
            drop(held);
            (full, Executor::on_vm_stack(thread_name))
        });
        let full = full.expect("runs");
        assert!(full.starts_with("cairn-exec-"), "{full}");
        if max > 0 {
            assert_eq!(freed.expect("runs"), "caller");
        }
    }
}
