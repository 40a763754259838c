//! [`ClientError`]: every way a client call fails, typed, so callers branch on the reason
//! instead of parsing text.

use cairn_primitives::ReceiptStatus;
use cairn_rpc_api::ReceiptInfo;

/// Why a client call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The node answered with a JSON-RPC error (`code` is one of `cairn_rpc_api::ErrorCode`
    /// or a JSON-RPC standard code).
    #[error("node error {code}: {message}")]
    Rpc {
        /// The error code.
        code: i32,
        /// The node's message.
        message: String,
        /// Structured data, if any.
        data: Option<serde_json::Value>,
    },
    /// The node could not be reached or the connection failed.
    #[error("cannot reach the node at {url}: {reason}")]
    Transport {
        /// The node's URL.
        url: String,
        /// What failed.
        reason: String,
    },
    /// The contract reverted.
    #[error("reverted: {message}")]
    Reverted {
        /// The revert message.
        message: String,
        /// The revert data (a method's encoded `Err`), possibly empty.
        data: Vec<u8>,
        /// The revert data decoded with the contract's ABI, when it describes the error.
        decoded: Option<serde_json::Value>,
        /// The receipt, when the transaction was included (absent for views).
        receipt: Option<Box<ReceiptInfo>>,
    },
    /// Execution failed otherwise (out of gas, trapped, refused by the executor).
    #[error("execution failed ({status:?}): {message}")]
    Failed {
        /// How it ended.
        status: ReceiptStatus,
        /// The failure description.
        message: String,
        /// The receipt, when the transaction was included.
        receipt: Option<Box<ReceiptInfo>>,
    },
    /// No receipt within the timeout.
    #[error("transaction {hash} has no receipt after {waited_ms} ms")]
    Timeout {
        /// The transaction.
        hash: cairn_primitives::Hash,
        /// How long it waited.
        waited_ms: u64,
    },
    /// Arguments or results that do not fit the ABI.
    #[error(transparent)]
    Abi(#[from] crate::AbiError),
    /// A keystore that cannot be read, or the wrong password.
    #[error("keystore: {0}")]
    Keystore(String),
    /// A contract without an ABI, or a method or event it does not have.
    #[error("{0}")]
    Contract(String),
}

impl ClientError {
    /// The JSON-RPC error code, for [`ClientError::Rpc`].
    #[must_use]
    pub fn code(&self) -> Option<i32> {
        match self {
            Self::Rpc { code, .. } => Some(*code),
            _ => None,
        }
    }

    pub(crate) fn from_rpc(url: &str, e: jsonrpsee::core::ClientError) -> Self {
        match e {
            jsonrpsee::core::ClientError::Call(obj) => Self::Rpc {
                code: obj.code(),
                message: obj.message().to_owned(),
                data: obj.data().and_then(|d| serde_json::from_str(d.get()).ok()),
            },
            other => Self::Transport {
                url: url.to_owned(),
                reason: other.to_string(),
            },
        }
    }
}
