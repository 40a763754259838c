//! [`Contract`]: a deployed contract driven by its on-chain ABI — JSON arguments in, JSON
//! return values, errors and events out.

use std::sync::Arc;

use cairn_primitives::{Address, Amount, Call, Hash, TxKind};
use cairn_rpc_api::{Bytes, CairnApiClient, EventFields, EventLog, EventQuery, ReceiptInfo};
use futures_util::{Stream, StreamExt};
use serde_json::{Map, Value};

use crate::client::{execution_error, receipt_result};
use crate::{Abi, Client, ClientError, Result, SendOptions, Signer, decode_value, encode_args};

/// What a successful call returned.
#[derive(Clone, Debug)]
pub struct CallOutcome {
    /// The receipt.
    pub receipt: ReceiptInfo,
    /// The return value as JSON (`null` for unit).
    pub value: Value,
    /// The events it emitted that this contract's ABI describes, decoded.
    pub events: Vec<DecodedEvent>,
}

/// An event decoded with its contract's ABI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodedEvent {
    /// The event's name.
    pub name: String,
    /// Its fields by name.
    pub fields: Map<String, Value>,
    /// The emitting contract.
    pub contract: Address,
    /// The transaction (zero for events not from a log).
    pub tx_hash: Hash,
    /// The block height (0 for events not from a log).
    pub block_height: u64,
}

/// A contract at an address, with its ABI, optionally bound to a [`Signer`] for calls.
#[derive(Clone, Debug)]
pub struct Contract {
    client: Client,
    address: Address,
    abi: Arc<Abi>,
    signer: Option<Arc<Signer>>,
}

/// The ABI embedded in `wasm` (its `cairn:abi` custom section), parsed.
pub(crate) fn abi_of_code(wasm: &[u8]) -> Result<Abi> {
    let mut text: Option<Vec<u8>> = None;
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        let payload =
            payload.map_err(|e| ClientError::Contract(format!("not a wasm module: {e}")))?;
        if let wasmparser::Payload::CustomSection(s) = payload
            && s.name() == "cairn:abi"
        {
            text.get_or_insert_with(Vec::new)
                .extend_from_slice(s.data());
        }
    }
    let text = text.ok_or_else(|| ClientError::Contract("the code has no ABI".into()))?;
    let json =
        cairn_rpc_api::parse_abi(&String::from_utf8_lossy(&text)).map_err(ClientError::Contract)?;
    Ok(Abi::from_json(json)?)
}

impl Contract {
    /// The contract at `address`, with the ABI the node serves for it.
    ///
    /// # Errors
    /// No contract there, or its code has no ABI.
    pub async fn at(client: &Client, address: Address) -> Result<Self> {
        let json = client
            .rpc()
            .contract_get_abi(address, None)
            .await
            .map_err(|e| client.err(e))?
            .ok_or_else(|| {
                ClientError::Contract(format!("no contract with an ABI at {address}"))
            })?;
        Ok(Self::with_abi(client, address, Abi::from_json(json)?))
    }

    /// The contract at `address` described by `abi` (no request).
    #[must_use]
    pub fn with_abi(client: &Client, address: Address, abi: Abi) -> Self {
        Self {
            client: client.clone(),
            address,
            abi: Arc::new(abi),
            signer: None,
        }
    }

    /// This contract with calls sent by `signer`.
    #[must_use]
    pub fn connect(&self, signer: Arc<Signer>) -> Self {
        Self {
            signer: Some(signer),
            ..self.clone()
        }
    }

    /// Its address.
    #[must_use]
    pub fn address(&self) -> Address {
        self.address
    }

    /// Its ABI.
    #[must_use]
    pub fn abi(&self) -> &Abi {
        &self.abi
    }

    /// Runs `method` read-only at the latest block with JSON `args` (an object by
    /// parameter name, an array, or `null`); the decoded return value.
    ///
    /// # Errors
    /// Bad arguments, a method not in the ABI, or the call reverted ([`ClientError::Reverted`]
    /// with the decoded error).
    pub async fn view(&self, method: &str, args: Value) -> Result<Value> {
        let m = self.abi.method(method)?;
        let input = encode_args(m, &args)?;
        let r = self
            .client
            .rpc()
            .contract_view(self.address, method.to_owned(), Bytes(input), None)
            .await
            .map_err(|e| execution_error(self.client.err(e), Some((&self.abi, method))))?;
        let mut data = &r.return_data[..];
        Ok(decode_value(&m.returns, &mut data)?)
    }

    /// Sends a call of `method` with JSON `args` from the connected signer, waits for the
    /// receipt, and decodes the return value and events.
    ///
    /// # Errors
    /// No signer, bad arguments, a method not in the ABI, or the call failed (a revert is
    /// [`ClientError::Reverted`] with the message and the decoded error).
    pub async fn call(&self, method: &str, args: Value) -> Result<CallOutcome> {
        self.call_with(method, args, Amount::zero(), SendOptions::default())
            .await
    }

    /// [`Contract::call`] attaching `value` and with send options.
    ///
    /// # Errors
    /// As [`Contract::call`].
    pub async fn call_with(
        &self,
        method: &str,
        args: Value,
        value: Amount,
        options: SendOptions,
    ) -> Result<CallOutcome> {
        let signer = self.signer.as_ref().ok_or_else(|| {
            ClientError::Contract("no signer: use `contract.connect(signer)` to send calls".into())
        })?;
        let m = self.abi.method(method)?;
        let kind = TxKind::Call(Call {
            to: self.address,
            method: method.to_owned(),
            args: encode_args(m, &args)?,
            value,
        });
        let pending = signer
            .send_with(kind, options)
            .await
            .map_err(|e| execution_error(e, Some((&self.abi, method))))?;
        let receipt = pending
            .client_receipt()
            .await
            .and_then(|r| receipt_result(r, Some(&self.abi), Some(method)))?;
        let mut data = &receipt.return_data[..];
        let value = decode_value(&m.returns, &mut data)?;
        let events = receipt
            .events
            .iter()
            .filter_map(|e| self.decode_event(e))
            .collect();
        Ok(CallOutcome {
            receipt,
            value,
            events,
        })
    }

    /// Decodes `log` if this contract emitted it and its ABI describes it.
    #[must_use]
    pub fn decode_event(&self, log: &EventLog) -> Option<DecodedEvent> {
        let mut d = self.decode_fields(&log.event)?;
        d.tx_hash = log.tx_hash;
        d.block_height = log.block_height;
        Some(d)
    }

    fn decode_fields(&self, e: &EventFields) -> Option<DecodedEvent> {
        if e.contract != self.address {
            return None;
        }
        let first = e.topics.first()?;
        let abi = self
            .abi
            .events
            .iter()
            .find(|a| a.signature_hash == first.0)?;
        let mut data = &e.data[..];
        let mut fields = Map::new();
        for f in &abi.fields {
            fields.insert(f.name.clone(), decode_value(&f.ty, &mut data).ok()?);
        }
        data.is_empty().then(|| DecodedEvent {
            name: abi.name.clone(),
            fields,
            contract: e.contract,
            tx_hash: Hash([0; 32]),
            block_height: 0,
        })
    }

    fn query(&self, event: Option<&str>, from_block: Option<u64>) -> Result<EventQuery> {
        let topic = match event {
            None => None,
            Some(name) => Some(Hash(
                self.abi
                    .event(name)
                    .ok_or_else(|| {
                        ClientError::Contract(format!("{} has no event `{name}`", self.abi.name))
                    })?
                    .signature_hash,
            )),
        };
        Ok(EventQuery {
            from_block,
            to_block: None,
            contract: Some(self.address),
            topic,
        })
    }

    /// Past events (all, or those named `event`) from `from_block`, decoded.
    ///
    /// # Errors
    /// An event not in the ABI, or the node's error.
    pub async fn events(
        &self,
        event: Option<&str>,
        from_block: Option<u64>,
    ) -> Result<Vec<DecodedEvent>> {
        let logs = self.client.events(self.query(event, from_block)?).await?;
        Ok(logs.iter().filter_map(|l| self.decode_event(l)).collect())
    }

    /// Events (all, or those named `event`) as they are committed, decoded.
    ///
    /// # Errors
    /// An event not in the ABI, or the subscription failed.
    pub async fn subscribe(
        &self,
        event: Option<&str>,
    ) -> Result<impl Stream<Item = Result<DecodedEvent>> + Unpin + use<>> {
        let stream = self
            .client
            .subscribe_events(self.query(event, None)?)
            .await?;
        let me = self.clone();
        Ok(stream.filter_map(move |item| {
            let out = match item {
                Ok(log) => me.decode_event(&log).map(Ok),
                Err(e) => Some(Err(e)),
            };
            std::future::ready(out)
        }))
    }
}

impl crate::PendingTx {
    /// The receipt, however it ended (no typed failure).
    pub(crate) async fn client_receipt(&self) -> Result<ReceiptInfo> {
        match self.wait().await {
            Ok(r) => Ok(r),
            Err(
                ClientError::Reverted {
                    receipt: Some(r), ..
                }
                | ClientError::Failed {
                    receipt: Some(r), ..
                },
            ) => Ok(*r),
            Err(e) => Err(e),
        }
    }
}
