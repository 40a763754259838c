//! What a transaction did, as a test sees it.

use borsh::BorshDeserialize;
use cairn_primitives::{Address, Event as RawEvent, Gas, ReceiptStatus};
use cairn_sdk::Event;

/// The receipt of one transaction (or of a view), plus the deployed address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxResult {
    /// How it ended.
    pub status: ReceiptStatus,
    /// Gas used, exactly as a node charges it (intrinsic gas included).
    pub gas_used: Gas,
    /// The method's encoded return value.
    pub return_data: Vec<u8>,
    /// Events, in emission order (nested calls included).
    pub events: Vec<RawEvent>,
    /// The revert message or failure description.
    pub error: Option<String>,
    /// The deployed contract (successful deploys only).
    pub contract_address: Option<Address>,
}

/// A transaction or view that did not succeed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{status:?}: {message} (gas used {gas_used})")]
pub struct TxError {
    /// How it ended.
    pub status: ReceiptStatus,
    /// The revert message or failure description.
    pub message: String,
    /// Gas used.
    pub gas_used: Gas,
}

impl TxResult {
    /// The result of an executed (simulated) transaction.
    pub(crate) fn from_simulation(sim: cairn_executor::Simulation) -> Self {
        Self {
            status: sim.receipt.status,
            gas_used: sim.receipt.gas_used,
            return_data: sim.receipt.return_data,
            events: sim.receipt.events,
            error: sim.receipt.error,
            contract_address: sim.contract_address,
        }
    }

    /// A transaction refused by the pre-check: nothing ran, no gas was charged.
    pub(crate) fn rejected(reason: &cairn_executor::TxRejection) -> Self {
        Self {
            status: ReceiptStatus::Failed,
            gas_used: 0,
            return_data: Vec::new(),
            events: Vec::new(),
            error: Some(format!("rejected before execution: {reason}")),
            contract_address: None,
        }
    }

    /// Whether it succeeded.
    #[must_use]
    pub fn is_success(&self) -> bool {
        self.status == ReceiptStatus::Success
    }

    /// The revert message, when the contract reverted.
    #[must_use]
    pub fn revert_message(&self) -> Option<&str> {
        match self.status {
            ReceiptStatus::Reverted => self.error.as_deref(),
            _ => None,
        }
    }

    /// The revert data, when the contract reverted with some: a method's `Err` sets the
    /// error's encoding.
    #[must_use]
    pub fn revert_data(&self) -> Option<&[u8]> {
        (self.status == ReceiptStatus::Reverted && !self.return_data.is_empty())
            .then_some(&self.return_data[..])
    }

    /// The method's `Err` value, decoded from the revert data; `None` when it did not revert
    /// with data that decodes as `E`.
    #[must_use]
    pub fn decode_error<E: BorshDeserialize>(&self) -> Option<E> {
        self.revert_data().and_then(|d| borsh::from_slice(d).ok())
    }

    /// `Ok(self)` on success, the failure otherwise.
    ///
    /// # Errors
    /// The failure, with its message.
    pub fn into_result(self) -> Result<Self, TxError> {
        if self.is_success() {
            Ok(self)
        } else {
            Err(TxError {
                status: self.status,
                message: self.error.unwrap_or_default(),
                gas_used: self.gas_used,
            })
        }
    }

    /// Panics with the failure's message unless it succeeded (discarding the result is fine:
    /// `chain.call(..).unwrap();` asserts success).
    #[allow(clippy::must_use_candidate)]
    #[track_caller]
    pub fn unwrap(self) -> Self {
        match self.into_result() {
            Ok(r) => r,
            Err(e) => panic!("transaction failed: {e}"),
        }
    }

    /// The return value decoded as `T`.
    ///
    /// # Errors
    /// The failure, or a return value that does not decode as `T`.
    pub fn decode<T: BorshDeserialize>(&self) -> Result<T, TxError> {
        let ok = self.clone().into_result()?;
        borsh::from_slice(&ok.return_data).map_err(|e| TxError {
            status: ok.status,
            message: format!("return value does not decode: {e}"),
            gas_used: ok.gas_used,
        })
    }

    /// The events of type `E`, decoded, in order.
    #[must_use]
    pub fn events_of<E: Event>(&self) -> Vec<E> {
        self.events
            .iter()
            .filter_map(|e| E::decode(&e.topics, &e.data))
            .collect()
    }
}

impl core::fmt::Display for TxResult {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{:?}, gas {}", self.status, self.gas_used)?;
        if let Some(e) = &self.error {
            write!(f, ": {e}")?;
        }
        Ok(())
    }
}
