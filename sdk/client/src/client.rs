//! [`Client`] (typed RPC), [`Signer`] (a wallet bound to a client: nonces, gas, sending) and
//! [`PendingTx`] (a sent transaction waiting for its receipt).
//!
//! Nonces: a signer asks the node once (the account's nonce, past its pending
//! transactions), then counts locally, so hundreds of transactions go out without waiting
//! for each other. If the node answers "nonce too low" (another client used the key), the
//! signer asks again and retries (up to three times).

use std::sync::Arc;
use std::time::{Duration, Instant};

use cairn_primitives::{
    Address, Amount, Canonical, Gas, Hash, MethodCall, ReceiptStatus, Transaction, TxKind,
};
use cairn_rpc_api::{
    AccountInfo, BlockId, BlockInfo, Bytes, CairnApiClient, ErrorCode, EventLog, EventQuery, Head,
    NodeInfo, ReceiptInfo, TxInfo, TxRequest,
};
use futures_util::{Stream, StreamExt};
use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use jsonrpsee::ws_client::{WsClient, WsClientBuilder};
use tokio::sync::{Mutex, OnceCell};

use crate::{ClientError, Contract, Result, Wallet};

/// How often [`PendingTx::wait`] asks for the receipt.
const RECEIPT_POLL: Duration = Duration::from_millis(25);
/// How many times a send asks the node for the nonce again after "nonce too low".
const NONCE_RETRIES: u32 = 3;
/// How long a send waits before retrying when the node pushes back.
pub const BACKOFF: Duration = Duration::from_millis(50);
/// The default of [`PendingTx::wait`]'s timeout.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(30);

/// A connection to a Cairn node. Cheap to clone.
#[derive(Clone)]
pub struct Client {
    url: String,
    http: HttpClient,
    ws: Arc<OnceCell<WsClient>>,
}

impl core::fmt::Debug for Client {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Client").field("url", &self.url).finish()
    }
}

impl Client {
    /// A client for the node at `url` (`http://host:port`; the same port serves WebSocket
    /// subscriptions). Nothing is sent until the first call.
    ///
    /// # Errors
    /// A malformed URL.
    pub fn new(url: &str) -> Result<Self> {
        let url = url.trim_end_matches('/').to_owned();
        let http =
            HttpClientBuilder::default()
                .build(&url)
                .map_err(|e| ClientError::Transport {
                    url: url.clone(),
                    reason: e.to_string(),
                })?;
        Ok(Self {
            url,
            http,
            ws: Arc::new(OnceCell::new()),
        })
    }

    /// [`Client::new`], then a call checking that the node answers.
    ///
    /// # Errors
    /// A malformed URL, or the node does not answer.
    pub async fn connect(url: &str) -> Result<Self> {
        let c = Self::new(url)?;
        c.chain_id().await?;
        Ok(c)
    }

    /// The node's URL.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The typed JSON-RPC client (every method of `cairn_rpc_api::CairnApiClient`).
    #[must_use]
    pub fn rpc(&self) -> &HttpClient {
        &self.http
    }

    pub(crate) fn err(&self, e: jsonrpsee::core::ClientError) -> ClientError {
        ClientError::from_rpc(&self.url, e)
    }

    async fn ws(&self) -> Result<&WsClient> {
        let url = self.url.replacen("http", "ws", 1);
        self.ws
            .get_or_try_init(|| async {
                WsClientBuilder::default()
                    .build(&url)
                    .await
                    .map_err(|e| ClientError::Transport {
                        url: url.clone(),
                        reason: e.to_string(),
                    })
            })
            .await
    }

    /// The chain id.
    ///
    /// # Errors
    /// The node's error or an unreachable node.
    pub async fn chain_id(&self) -> Result<u64> {
        self.http.chain_id().await.map_err(|e| self.err(e))
    }

    /// The latest block.
    ///
    /// # Errors
    /// As [`Client::chain_id`].
    pub async fn head(&self) -> Result<Head> {
        self.http.chain_head().await.map_err(|e| self.err(e))
    }

    /// The node's description (chain id, gas limit, minimum gas price, …).
    ///
    /// # Errors
    /// As [`Client::chain_id`].
    pub async fn node_info(&self) -> Result<NodeInfo> {
        self.http.node_info().await.map_err(|e| self.err(e))
    }

    /// The account at the latest block.
    ///
    /// # Errors
    /// As [`Client::chain_id`].
    pub async fn account(&self, address: Address) -> Result<AccountInfo> {
        self.http
            .state_get_account(address, None)
            .await
            .map_err(|e| self.err(e))
    }

    /// The native balance.
    ///
    /// # Errors
    /// As [`Client::chain_id`].
    pub async fn balance(&self, address: Address) -> Result<Amount> {
        Ok(self.account(address).await?.balance)
    }

    /// The block at `id` (`None`: the latest), with full transactions if `full`.
    ///
    /// # Errors
    /// As [`Client::chain_id`].
    pub async fn block(&self, id: Option<BlockId>, full: bool) -> Result<Option<BlockInfo>> {
        self.http
            .chain_get_block(id.unwrap_or_default(), Some(full))
            .await
            .map_err(|e| self.err(e))
    }

    /// A transaction by hash.
    ///
    /// # Errors
    /// As [`Client::chain_id`].
    pub async fn transaction(&self, hash: Hash) -> Result<Option<TxInfo>> {
        self.http
            .chain_get_transaction(hash)
            .await
            .map_err(|e| self.err(e))
    }

    /// A receipt by transaction hash (`None` while pending or unknown).
    ///
    /// # Errors
    /// As [`Client::chain_id`].
    pub async fn receipt(&self, hash: Hash) -> Result<Option<ReceiptInfo>> {
        self.http
            .chain_get_receipt(hash)
            .await
            .map_err(|e| self.err(e))
    }

    /// Past events matching `filter`.
    ///
    /// # Errors
    /// As [`Client::chain_id`].
    pub async fn events(&self, filter: EventQuery) -> Result<Vec<EventLog>> {
        self.http.events_get(filter).await.map_err(|e| self.err(e))
    }

    /// Events matching `filter` as they are committed (over WebSocket).
    ///
    /// # Errors
    /// The WebSocket connection or the subscription failed.
    pub async fn subscribe_events(
        &self,
        filter: EventQuery,
    ) -> Result<impl Stream<Item = Result<EventLog>> + Unpin + use<>> {
        let ws = self.ws().await?;
        let url = self.url.clone();
        let sub = ws
            .subscribe_events(filter)
            .await
            .map_err(|e| ClientError::from_rpc(&url, e))?;
        Ok(sub.map(move |item| {
            item.map_err(|e| ClientError::Transport {
                url: url.clone(),
                reason: e.to_string(),
            })
        }))
    }

    /// The code at `address`.
    ///
    /// # Errors
    /// As [`Client::chain_id`].
    pub async fn code(&self, address: Address) -> Result<Option<Vec<u8>>> {
        Ok(self
            .http
            .state_get_code(address, None)
            .await
            .map_err(|e| self.err(e))?
            .map(|b| b.0))
    }

    /// Sends a signed, encoded transaction; its hash.
    ///
    /// # Errors
    /// The node refused it (the error's code says why).
    pub async fn send_raw(&self, raw: Vec<u8>) -> Result<Hash> {
        self.http.tx_send(Bytes(raw)).await.map_err(|e| self.err(e))
    }

    /// A handle on a sent transaction.
    #[must_use]
    pub fn pending(&self, hash: Hash) -> PendingTx {
        PendingTx {
            client: self.clone(),
            hash,
            abi: None,
        }
    }

    /// The contract at `address`, with its on-chain ABI.
    ///
    /// # Errors
    /// No contract or no ABI there.
    pub async fn contract(&self, address: Address) -> Result<Contract> {
        Contract::at(self, address).await
    }
}

/// Overrides for one transaction; `None` fields are filled in by the [`Signer`].
#[derive(Clone, Debug, Default)]
pub struct SendOptions {
    /// Gas limit (default: the node's estimate plus a margin).
    pub gas_limit: Option<Gas>,
    /// Gas price (default: the node's minimum).
    pub gas_price: Option<Amount>,
    /// Nonce (default: the next one tracked locally).
    pub nonce: Option<u64>,
}

/// A wallet bound to a client: builds, signs and sends transactions. Share it with an
/// `Arc` to send from several tasks; nonces stay in order.
#[derive(Debug)]
pub struct Signer {
    client: Client,
    wallet: Wallet,
    chain: OnceCell<(u64, Gas, Amount)>,
    next_nonce: Mutex<Option<u64>>,
}

impl Signer {
    /// A signer sending from `wallet` through `client`.
    #[must_use]
    pub fn new(client: Client, wallet: Wallet) -> Self {
        Self {
            client,
            wallet,
            chain: OnceCell::new(),
            next_nonce: Mutex::new(None),
        }
    }

    /// The sender's address.
    #[must_use]
    pub fn address(&self) -> Address {
        self.wallet.address()
    }

    /// The client.
    #[must_use]
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Chain id, block gas limit and minimum gas price, asked once.
    async fn chain(&self) -> Result<(u64, Gas, Amount)> {
        self.chain
            .get_or_try_init(|| async {
                let info = self.client.node_info().await?;
                Ok((info.chain_id, info.block_gas_limit, info.min_gas_price))
            })
            .await
            .copied()
    }

    /// The next nonce the node would accept: the account's, past its pending transactions.
    async fn fetch_nonce(&self) -> Result<u64> {
        let c = &self.client;
        // Pending first: a block committed between the two reads then shows in the
        // account's nonce, so the maximum never falls behind.
        let pending = c
            .http
            .tx_pending(Some(self.address()))
            .await
            .map_err(|e| c.err(e))?;
        let account = c.account(self.address()).await?.nonce;
        Ok(pending.iter().map(|p| p.nonce + 1).fold(account, u64::max))
    }

    /// Forgets the locally tracked nonce (the next send asks the node).
    pub async fn reset_nonce(&self) {
        *self.next_nonce.lock().await = None;
    }

    async fn take_nonce(&self) -> Result<u64> {
        let mut next = self.next_nonce.lock().await;
        let n = match *next {
            Some(n) => n,
            None => self.fetch_nonce().await?,
        };
        *next = Some(n + 1);
        Ok(n)
    }

    /// The gas `kind` needs from this sender now: the node's estimate, which already adds
    /// its margin (`ESTIMATE_MARGIN_PERCENT`) for state changing before inclusion.
    ///
    /// # Errors
    /// The estimate failed (a revert surfaces as [`ClientError::Reverted`]).
    pub async fn estimate_gas(&self, kind: &TxKind) -> Result<Gas> {
        let c = &self.client;
        c.http
            .tx_estimate_gas(TxRequest {
                from: self.address(),
                kind: kind.clone(),
                nonce: None,
                gas_limit: None,
                gas_price: None,
            })
            .await
            .map_err(|e| execution_error(c.err(e), None))
    }

    /// Sends `kind` with defaults (estimated gas, the node's gas price, the next nonce).
    ///
    /// # Errors
    /// Estimation failed, or the node refused the transaction.
    pub async fn send(&self, kind: TxKind) -> Result<PendingTx> {
        self.send_with(kind, SendOptions::default()).await
    }

    /// [`Signer::send`] with overrides.
    ///
    /// # Errors
    /// As [`Signer::send`].
    pub async fn send_with(&self, kind: TxKind, options: SendOptions) -> Result<PendingTx> {
        let (chain_id, _, min_price) = self.chain().await?;
        let gas_limit = match options.gas_limit {
            Some(g) => g,
            None => self.estimate_gas(&kind).await?,
        };
        let gas_price = options.gas_price.unwrap_or(min_price);
        let mut retries = 0;
        loop {
            let nonce = match options.nonce {
                Some(n) => n,
                None => self.take_nonce().await?,
            };
            let signed = self.wallet.sign(Transaction {
                chain_id,
                nonce,
                gas_limit,
                gas_price,
                kind: kind.clone(),
            });
            match self.submit(signed.encode()).await {
                Ok(hash) => return Ok(self.client.pending(hash)),
                Err(e)
                    if retries < NONCE_RETRIES
                        && options.nonce.is_none()
                        && e.code() == Some(ErrorCode::NonceTooLow.code()) =>
                {
                    retries += 1;
                    self.reset_nonce().await;
                }
                Err(e) => {
                    // The nonce was not used: ask the node again next time.
                    if options.nonce.is_none() {
                        self.reset_nonce().await;
                    }
                    return Err(e);
                }
            }
        }
    }

    /// Sends `raw`, waiting out back-pressure: while the node answers that this sender
    /// has too many pending transactions, or that it is overloaded, the same bytes are
    /// sent again after [`BACKOFF`], for at most [`DEFAULT_WAIT`].
    async fn submit(&self, raw: Vec<u8>) -> Result<Hash> {
        let start = Instant::now();
        loop {
            match self.client.send_raw(raw.clone()).await {
                Err(e)
                    if start.elapsed() < DEFAULT_WAIT
                        && [
                            ErrorCode::SenderFull,
                            ErrorCode::Overloaded,
                            ErrorCode::PoolFull,
                        ]
                        .iter()
                        .any(|c| e.code() == Some(c.code())) =>
                {
                    tokio::time::sleep(BACKOFF).await;
                }
                other => return other,
            }
        }
    }

    /// Sends every transaction of `kinds` without waiting between them; their handles,
    /// in order (nonces consecutive).
    ///
    /// # Errors
    /// The first refusal; the transactions before it were sent.
    pub async fn send_batch(&self, kinds: Vec<TxKind>) -> Result<Vec<PendingTx>> {
        let mut out = Vec::with_capacity(kinds.len());
        for kind in kinds {
            out.push(self.send(kind).await?);
        }
        Ok(out)
    }

    /// Moves `amount` of the native token to `to`.
    ///
    /// # Errors
    /// As [`Signer::send`].
    pub async fn transfer(&self, to: Address, amount: Amount) -> Result<PendingTx> {
        self.send(TxKind::Transfer(cairn_primitives::Transfer { to, amount }))
            .await
    }

    /// Deploys `wasm`, running `init` with JSON `args` encoded from the code's own ABI,
    /// waits for the receipt and returns the contract.
    ///
    /// # Errors
    /// The code has no ABI (with `init`), bad arguments, or the deploy failed.
    pub async fn deploy(
        &self,
        wasm: &[u8],
        init: Option<(&str, serde_json::Value)>,
    ) -> Result<Contract> {
        let abi = crate::contract::abi_of_code(wasm).ok();
        let init = match init {
            None => None,
            Some((method, args)) => {
                let abi = abi.as_ref().ok_or_else(|| {
                    ClientError::Contract("the code has no ABI to encode init arguments".into())
                })?;
                Some(MethodCall {
                    method: method.to_owned(),
                    args: crate::encode_args(abi.method(method)?, &args)?,
                })
            }
        };
        let kind = TxKind::Deploy(cairn_primitives::Deploy {
            code: wasm.to_vec(),
            init,
            salt: None,
            value: Amount::zero(),
            admin: None,
        });
        let mut pending = self.send(kind).await?;
        pending.abi = abi.clone().map(Arc::new);
        let receipt = pending.wait().await?;
        let address = receipt.contract_address.ok_or_else(|| {
            ClientError::Contract("the deploy receipt has no contract address".into())
        })?;
        match abi {
            Some(abi) => Ok(Contract::with_abi(&self.client, address, abi)),
            None => Contract::at(&self.client, address).await,
        }
    }
}

/// A sent transaction.
#[derive(Clone, Debug)]
pub struct PendingTx {
    client: Client,
    hash: Hash,
    pub(crate) abi: Option<Arc<crate::Abi>>,
}

impl PendingTx {
    /// Its hash.
    #[must_use]
    pub fn hash(&self) -> Hash {
        self.hash
    }

    /// Waits up to [`DEFAULT_WAIT`] for the receipt; see [`PendingTx::wait_for`].
    ///
    /// # Errors
    /// As [`PendingTx::wait_for`].
    pub async fn wait(&self) -> Result<ReceiptInfo> {
        self.wait_for(DEFAULT_WAIT).await
    }

    /// Waits up to `timeout` for the receipt. A successful receipt is `Ok`; a revert is
    /// [`ClientError::Reverted`] (message, data, decoded error), other failures
    /// [`ClientError::Failed`], both with the receipt.
    ///
    /// # Errors
    /// The failure, [`ClientError::Timeout`], or the node's error.
    pub async fn wait_for(&self, timeout: Duration) -> Result<ReceiptInfo> {
        let start = Instant::now();
        loop {
            if let Some(r) = self.client.receipt(self.hash).await? {
                return receipt_result(r, self.abi.as_deref(), None);
            }
            if start.elapsed() >= timeout {
                return Err(ClientError::Timeout {
                    hash: self.hash,
                    waited_ms: u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX),
                });
            }
            tokio::time::sleep(RECEIPT_POLL).await;
        }
    }
}

/// `Ok(receipt)` on success, the typed failure otherwise; `method` names the method whose
/// error type decodes the revert data.
pub(crate) fn receipt_result(
    r: ReceiptInfo,
    abi: Option<&crate::Abi>,
    method: Option<&str>,
) -> Result<ReceiptInfo> {
    match r.status {
        ReceiptStatus::Success => Ok(r),
        ReceiptStatus::Reverted => Err(ClientError::Reverted {
            message: r.error.clone().unwrap_or_default(),
            data: r.return_data.clone(),
            decoded: decode_revert(abi, method, &r.return_data),
            receipt: Some(Box::new(r)),
        }),
        status => Err(ClientError::Failed {
            status,
            message: r.error.clone().unwrap_or_default(),
            receipt: Some(Box::new(r)),
        }),
    }
}

/// The revert data decoded with the ABI: with the method's error type if known, else with
/// the first error type it decodes as.
pub(crate) fn decode_revert(
    abi: Option<&crate::Abi>,
    method: Option<&str>,
    data: &[u8],
) -> Option<serde_json::Value> {
    let abi = abi?;
    if data.is_empty() {
        return None;
    }
    if let Some(err) = method
        .and_then(|m| abi.method(m).ok())
        .and_then(|m| m.error.as_deref())
    {
        return abi.decode_error(err, data);
    }
    abi.errors
        .iter()
        .find_map(|(name, _)| abi.decode_error(name, data))
}

/// Maps the node's "execution reverted/failed" RPC errors to the typed variants.
pub(crate) fn execution_error(e: ClientError, abi: Option<(&crate::Abi, &str)>) -> ClientError {
    let (code, message, data) = match e {
        // Already typed (by the gas estimate, without the ABI): decode its data now.
        ClientError::Reverted {
            message,
            data,
            decoded: None,
            receipt,
        } => {
            return ClientError::Reverted {
                decoded: decode_revert(abi.map(|a| a.0), abi.map(|a| a.1), &data),
                message,
                data,
                receipt,
            };
        }
        ClientError::Rpc {
            code,
            message,
            data,
        } => (code, message, data),
        other => return other,
    };
    let return_data = data
        .as_ref()
        .and_then(|d| d.get("return_data"))
        .and_then(serde_json::Value::as_str)
        .and_then(|s| cairn_primitives::parse_hex(s).ok())
        .unwrap_or_default();
    if code == ErrorCode::ExecutionReverted.code() {
        ClientError::Reverted {
            message,
            decoded: decode_revert(abi.map(|a| a.0), abi.map(|a| a.1), &return_data),
            data: return_data,
            receipt: None,
        }
    } else if code == ErrorCode::OutOfGas.code() || code == ErrorCode::ExecutionFailed.code() {
        ClientError::Failed {
            status: if code == ErrorCode::OutOfGas.code() {
                ReceiptStatus::OutOfGas
            } else {
                ReceiptStatus::Failed
            },
            message,
            receipt: None,
        }
    } else {
        ClientError::Rpc {
            code,
            message,
            data,
        }
    }
}
