//! Execution traces: the tree of contract calls one transaction made, every host call in
//! each (storage reads and writes with keys and values, events, balance moves) with its gas.
//! Built only when asked for (`tx_trace`, `tx_simulate`); consensus execution runs without a
//! tracer and pays nothing for it. (The gas by category is in every receipt: the host keeps
//! it, see `StateHost::host_gas`.)
//!
//! ```text
//! StateHost::run ── push CallFrame ─► Vm::execute ─► imports: Host::on_gas(import, charged, left)
//!                                                    ─► step; the host op fills its detail
//!                └─ pop: gas used, outcome ─► parent's `calls` (the parent's next charge is the
//!                                               callee's gas: recorded as `callee`, not its own)
//! ```

use cairn_primitives::{Address, Amount, Gas};

/// What one host call did, beyond its gas.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepDetail {
    /// Nothing more to say (context reads, copies, hashing, logging, …).
    None,
    /// A storage read: the key and the value found (`None`: absent).
    StorageRead {
        /// The key.
        key: Vec<u8>,
        /// The value found.
        value: Option<Vec<u8>>,
    },
    /// A storage write.
    StorageWrite {
        /// The key.
        key: Vec<u8>,
        /// The value written.
        value: Vec<u8>,
    },
    /// A storage removal.
    StorageRemove {
        /// The key.
        key: Vec<u8>,
        /// Whether it existed.
        existed: bool,
    },
    /// An event.
    Event {
        /// Its topics.
        topics: Vec<cairn_primitives::Hash>,
        /// Its data.
        data: Vec<u8>,
    },
    /// A balance read.
    Balance {
        /// The account.
        address: Address,
        /// Its balance.
        balance: Amount,
    },
    /// A value transfer.
    Transfer {
        /// Payer.
        from: Address,
        /// Payee.
        to: Address,
        /// Amount.
        amount: Amount,
        /// Whether it happened (`false`: the payer was short).
        ok: bool,
    },
    /// The gas of the nested call that just returned (its frame is in `calls`).
    Callee,
}

/// One host call of a contract.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceStep {
    /// The import (`storage_read`, `emit_event`, `call`, …).
    pub import: &'static str,
    /// Gas it charged.
    pub gas: Gas,
    /// Gas left in the frame after it.
    pub gas_left: Gas,
    /// What it did.
    pub detail: StepDetail,
}

/// One contract execution: a call, a deploy's init, or an upgrade's migration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallFrame {
    /// The caller.
    pub caller: Address,
    /// The contract run.
    pub contract: Address,
    /// The method (`""` for a deploy without init).
    pub method: String,
    /// Value sent with it.
    pub value: Amount,
    /// Gas it was given.
    pub gas_limit: Gas,
    /// Gas it used (its nested calls included).
    pub gas_used: Gas,
    /// How it ended (`success`, `reverted: …`, `out of gas`, …).
    pub outcome: String,
    /// Its return data (or revert data).
    pub return_data: Vec<u8>,
    /// Its host calls, in order.
    pub steps: Vec<TraceStep>,
    /// Its nested calls, in order.
    pub calls: Vec<CallFrame>,
}

/// Builds the call tree while a transaction runs (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct Tracer {
    /// Frames being run, innermost last.
    stack: Vec<CallFrame>,
    /// Finished top-level frames.
    pub(crate) roots: Vec<CallFrame>,
    /// The last step is a `storage_read` whose value-size charge is still to come.
    read_tail: bool,
}

impl Tracer {
    pub(crate) fn enter(&mut self, frame: CallFrame) {
        self.read_tail = false;
        self.stack.push(frame);
    }

    pub(crate) fn exit(&mut self, gas_used: Gas, outcome: String, return_data: Vec<u8>) {
        let Some(mut frame) = self.stack.pop() else {
            return;
        };
        frame.gas_used = gas_used;
        frame.outcome = outcome;
        frame.return_data = return_data;
        self.read_tail = false;
        match self.stack.last_mut() {
            Some(parent) => parent.calls.push(frame),
            None => self.roots.push(frame),
        }
    }

    /// Records a charge; `callee` says it passes on the gas of the callee that just returned
    /// (the host tells: it keeps the same fact for the gas profile).
    pub(crate) fn on_gas(&mut self, import: &'static str, charged: Gas, left: Gas, callee: bool) {
        let read_tail = std::mem::take(&mut self.read_tail);
        let Some(frame) = self.stack.last_mut() else {
            return;
        };
        if read_tail
            && import == "storage_read"
            && let Some(last) = frame.steps.last_mut()
        {
            last.gas = last.gas.saturating_add(charged);
            last.gas_left = left;
            return;
        }
        let detail = if callee {
            StepDetail::Callee
        } else {
            StepDetail::None
        };
        frame.steps.push(TraceStep {
            import,
            gas: charged,
            gas_left: left,
            detail,
        });
    }

    /// Fills in what the host call just charged for did.
    pub(crate) fn detail(&mut self, detail: StepDetail) {
        let Some(frame) = self.stack.last_mut() else {
            return;
        };
        if let Some(last) = frame.steps.last_mut()
            && last.detail == StepDetail::None
        {
            self.read_tail = matches!(detail, StepDetail::StorageRead { value: Some(_), .. });
            last.detail = detail;
        }
    }
}
