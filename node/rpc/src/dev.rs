//! The devnet's `dev_*` methods: unlocked dev accounts, mining on demand, time travel, and
//! state overrides.
//!
//! Every override (`dev_setBalance`, `dev_setStorage`, `dev_setCode`, impersonated sends,
//! `dev_revert`) is a [`TxKind::Dev`] transaction signed by the genesis's dev authority and
//! included in a block like any other, so consensus orders it, every validator applies it at
//! the same point, and the chain stays re-executable from genesis:
//!
//! ```text
//! dev_setBalance ─► DevOp::SetAccount ─┐
//! dev_setStorage ─► DevOp::SetStorage ─┤  signed by the dev authority
//! dev_setCode    ─► DevOp::SetCode    ─┼─► mempool ─► block ─► executor (authority only)
//! dev_send as X  ─► DevOp::Impersonate ┤            ─► the call returns once it is committed
//! dev_revert     ─► DevOp::Restore    ─┘  (the undo log of `Chain::snapshot`)
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use cairn_chain::Chain;
use cairn_primitives::{
    Address, Amount, Canonical, DevAccountState, DevImpersonate, DevOp, DevRestore, DevSetAccount,
    DevSetCode, DevSetStorage, Gas, Hash, Nonce, SecretKey, Transaction, TxKind, dev_authority_key,
};
use cairn_rpc_api::{
    AmountDec, Bytes, DEV_DEFAULT_GAS_LIMIT, DevAccount, DevApiServer, DevTransaction, ErrorCode,
    Head, ReceiptInfo,
};
use jsonrpsee::core::{RpcResult, async_trait};

use crate::{MAX_DEV_MINE_BLOCKS, MAX_WAIT_MS, RpcNode, internal, invalid_params, reject_error};

/// Encoded size a `dev_revert` puts in one restoring transaction (several are sent when the
/// undo log is larger), well under `MAX_TX_SIZE`.
pub const MAX_RESTORE_TX_BYTES: usize = 256 * 1024;

/// The `DevApi` implementation (devnet only).
pub(crate) struct DevNode {
    node: RpcNode,
    /// The dev keys in order, each with its address (derived once: a devnet may fund 10,000).
    keys: Vec<(Address, SecretKey)>,
    /// Index into `keys` by address.
    key_index: BTreeMap<Address, usize>,
    /// The genesis's dev authority key, when the genesis names one.
    authority: Option<SecretKey>,
    /// Accounts `dev_send` may send from without their key.
    impersonated: Mutex<BTreeSet<Address>>,
    /// Serialises the authority's transactions, so their nonces never collide.
    authority_nonce: tokio::sync::Mutex<()>,
}

impl DevNode {
    pub(crate) fn new(chain: Arc<Chain>, keys: Vec<SecretKey>) -> Self {
        let authority = Some(dev_authority_key())
            .filter(|k| chain.genesis().dev_authority == Some(k.address()));
        let keys: Vec<(Address, SecretKey)> = keys.into_iter().map(|k| (k.address(), k)).collect();
        let key_index = keys.iter().enumerate().map(|(i, (a, _))| (*a, i)).collect();
        Self {
            node: RpcNode {
                chain,
                dev: true,
                view_timeout: Duration::ZERO,
            },
            keys,
            key_index,
            authority,
            impersonated: Mutex::new(BTreeSet::new()),
            authority_nonce: tokio::sync::Mutex::new(()),
        }
    }

    fn chain(&self) -> &Arc<Chain> {
        &self.node.chain
    }

    fn key(&self, address: &Address) -> Option<&SecretKey> {
        self.key_index.get(address).map(|&i| &self.keys[i].1)
    }

    fn authority(&self) -> RpcResult<&SecretKey> {
        self.authority.as_ref().ok_or_else(|| {
            ErrorCode::DevOverrideFailed.error(
                "this devnet's genesis names no dev authority (it was created before dev \
                 overrides existed): start a fresh devnet to use them",
            )
        })
    }

    fn is_impersonated(&self, address: &Address) -> bool {
        self.impersonated
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(address)
    }

    /// `address`'s next nonce: the committed one, past its pending transactions.
    fn next_nonce(&self, address: &Address) -> RpcResult<Nonce> {
        let committed = self.committed_nonce(address)?;
        Ok(self
            .chain()
            .mempool()
            .pending(Some(address))
            .iter()
            .map(|p| p.tx.tx.nonce + 1)
            .fold(committed, u64::max))
    }

    fn committed_nonce(&self, address: &Address) -> RpcResult<Nonce> {
        Ok(self
            .chain()
            .account(address)
            .map_err(|e| internal(&e))?
            .map_or(0, |a| a.nonce))
    }

    /// `from`'s next nonce for an impersonated transaction: the committed one, past the
    /// impersonations of `from` still pending.
    fn next_origin_nonce(&self, authority: &Address, from: &Address) -> RpcResult<Nonce> {
        let committed = self.committed_nonce(from)?;
        Ok(self
            .chain()
            .mempool()
            .pending(Some(authority))
            .iter()
            .filter(|p| p.tx.origin() == *from)
            .map(|p| p.tx.origin_nonce() + 1)
            .fold(committed, u64::max))
    }

    /// Signs `kind` with `key` (nonce, chain id and gas filled in as `dev_send` does) and
    /// submits it.
    async fn sign_and_submit(
        &self,
        key: &SecretKey,
        nonce: Nonce,
        kind: TxKind,
        gas_limit: Option<Gas>,
        gas_price: Option<Amount>,
        extra_gas: Gas,
    ) -> RpcResult<Hash> {
        let genesis = self.chain().genesis();
        let mut unsigned = Transaction {
            chain_id: genesis.chain_id,
            nonce,
            gas_limit: 0,
            gas_price: gas_price.unwrap_or(genesis.min_gas_price),
            kind,
        };
        unsigned.gas_limit = match gas_limit {
            Some(g) => g,
            None => self
                .chain()
                .executor()
                .intrinsic_gas_unsigned(&unsigned)
                .saturating_add(extra_gas)
                .min(genesis.block_gas_limit),
        };
        let signed = key.sign_tx(unsigned);
        let chain = Arc::clone(self.chain());
        tokio::task::spawn_blocking(move || chain.submit(signed.encode()))
            .await
            .map_err(|e| internal(&e))?
            .map_err(|r| reject_error(&r))
    }

    /// Submits one dev override signed by the authority (it needs no execution gas).
    async fn submit_override(&self, op: DevOp) -> RpcResult<Hash> {
        let key = self.authority()?;
        let _guard = self.authority_nonce.lock().await;
        let nonce = self.next_nonce(&key.address())?;
        self.sign_and_submit(key, nonce, TxKind::Dev(op), None, None, 0)
            .await
    }

    /// Applies dev overrides and returns once the last is committed (the head then
    /// includes them); a refused override is a [`ErrorCode::DevOverrideFailed`] error.
    async fn apply(&self, ops: Vec<DevOp>) -> RpcResult<Head> {
        let heads = self.chain().subscribe_head();
        let mut hashes = Vec::with_capacity(ops.len());
        for op in ops {
            hashes.push(self.submit_override(op).await?);
        }
        let wait = Duration::from_millis(MAX_WAIT_MS);
        let mut last = None;
        for hash in hashes {
            let receipt = self.node.wait_receipt(&hash, heads.clone(), wait).await?;
            check_applied(&receipt)?;
            last = Some(receipt);
        }
        let head = self.chain().head();
        Ok(last.map_or(
            Head {
                height: head.height,
                hash: head.hash,
                timestamp: head.timestamp,
            },
            |r| Head {
                height: r.location.block_height,
                hash: r.location.block_hash,
                timestamp: self
                    .chain()
                    .block(r.location.block_height)
                    .ok()
                    .flatten()
                    .map_or(head.timestamp, |b| b.header.timestamp),
            },
        ))
    }

    /// The committed record of `address` as a dev override writes it.
    fn account_state(&self, address: &Address) -> RpcResult<DevAccountState> {
        Ok(self
            .chain()
            .account(address)
            .map_err(|e| internal(&e))?
            .map(dev_state)
            .unwrap_or_default())
    }
}

/// An account record as a dev override writes it.
fn dev_state(a: cairn_state::Account) -> DevAccountState {
    DevAccountState {
        nonce: a.nonce,
        balance: a.balance,
        code_hash: a.code_hash,
        admin: a.admin,
    }
}

/// A failed override's receipt as an error.
fn check_applied(receipt: &ReceiptInfo) -> RpcResult<()> {
    if receipt.status == cairn_primitives::ReceiptStatus::Success {
        return Ok(());
    }
    Err(ErrorCode::DevOverrideFailed.error_with_data(
        receipt
            .error
            .clone()
            .unwrap_or_else(|| "the override failed".into()),
        serde_json::json!({ "tx_hash": receipt.tx_hash }),
    ))
}

/// Splits a restore into transactions of at most [`MAX_RESTORE_TX_BYTES`] each.
fn restore_ops(restore: cairn_chain::Restore, skip: &Address) -> Vec<DevOp> {
    let mut ops = Vec::new();
    let mut current = DevRestore::default();
    let mut size = 0;
    let flush = |current: &mut DevRestore, size: &mut usize, ops: &mut Vec<DevOp>| {
        if !current.accounts.is_empty() || !current.storage.is_empty() {
            ops.push(DevOp::Restore(std::mem::take(current)));
        }
        *size = 0;
    };
    for (address, account) in restore.accounts {
        if address == *skip {
            continue;
        }
        if size + 128 > MAX_RESTORE_TX_BYTES {
            flush(&mut current, &mut size, &mut ops);
        }
        size += 128;
        current.accounts.push(DevSetAccount {
            address,
            account: account.map(dev_state),
        });
    }
    for ((contract, key), value) in restore.storage {
        let entry = 32 + key.len() + value.as_ref().map_or(0, Vec::len);
        if size + entry > MAX_RESTORE_TX_BYTES {
            flush(&mut current, &mut size, &mut ops);
        }
        size += entry;
        current.storage.push(DevSetStorage {
            contract,
            key,
            value,
        });
    }
    flush(&mut current, &mut size, &mut ops);
    ops
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[async_trait]
impl DevApiServer for DevNode {
    async fn dev_accounts(&self) -> RpcResult<Vec<DevAccount>> {
        self.keys
            .iter()
            .map(|(address, k)| {
                let balance = self
                    .chain()
                    .account(address)
                    .map_err(|e| internal(&e))?
                    .map(|a| a.balance)
                    .unwrap_or_default();
                Ok(DevAccount {
                    address: *address,
                    secret_key: Bytes(k.to_bytes().to_vec()),
                    balance,
                })
            })
            .collect()
    }

    async fn dev_send(&self, tx: DevTransaction) -> RpcResult<Hash> {
        if let Some(key) = self.key(&tx.from) {
            let nonce = match tx.nonce {
                Some(n) => n,
                None => self.next_nonce(&tx.from)?,
            };
            return self
                .sign_and_submit(
                    key,
                    nonce,
                    tx.kind,
                    tx.gas_limit,
                    tx.gas_price,
                    DEV_DEFAULT_GAS_LIMIT,
                )
                .await;
        }
        if !self.is_impersonated(&tx.from) {
            return Err(invalid_params(format!(
                "{} is neither a dev account nor impersonated (dev_impersonate it first)",
                tx.from
            )));
        }
        if matches!(tx.kind, TxKind::Dev(_)) {
            return Err(invalid_params("a dev op cannot be impersonated".into()));
        }
        let key = self.authority()?;
        let _guard = self.authority_nonce.lock().await;
        let from_nonce = match tx.nonce {
            Some(n) => n,
            None => self.next_origin_nonce(&key.address(), &tx.from)?,
        };
        let nonce = self.next_nonce(&key.address())?;
        let kind = TxKind::Dev(DevOp::Impersonate(DevImpersonate {
            from: tx.from,
            from_nonce,
            kind: Box::new(tx.kind),
        }));
        self.sign_and_submit(
            key,
            nonce,
            kind,
            tx.gas_limit,
            tx.gas_price,
            DEV_DEFAULT_GAS_LIMIT,
        )
        .await
    }

    async fn dev_increase_time(&self, seconds: u64) -> RpcResult<u64> {
        if seconds > cairn_rpc_api::MAX_DEV_TIME_JUMP_SECONDS {
            return Err(invalid_params(format!(
                "{seconds} s is over the limit of {} s",
                cairn_rpc_api::MAX_DEV_TIME_JUMP_SECONDS
            )));
        }
        Ok(self.chain().increase_time(seconds * 1000) / 1000)
    }

    async fn dev_set_block_time(&self, timestamp_ms: u64) -> RpcResult<u64> {
        let head = self.chain().head().timestamp;
        let now = now_ms();
        if timestamp_ms < head.max(now) {
            return Err(invalid_params(format!(
                "timestamp {timestamp_ms} is before the head's ({head}) or the clock's ({now}): \
                 block time never goes back"
            )));
        }
        let offset = timestamp_ms - now;
        if offset > cairn_rpc_api::MAX_DEV_TIME_JUMP_SECONDS * 1000 {
            return Err(invalid_params(format!(
                "timestamp {timestamp_ms} is over {} s ahead of the clock",
                cairn_rpc_api::MAX_DEV_TIME_JUMP_SECONDS
            )));
        }
        self.chain().set_time_offset(offset);
        Ok(offset)
    }

    async fn dev_mine(&self, blocks: Option<u64>) -> RpcResult<Head> {
        let blocks = blocks.unwrap_or(1);
        if blocks == 0 || blocks > MAX_DEV_MINE_BLOCKS {
            return Err(invalid_params(format!(
                "blocks must be in 1..={MAX_DEV_MINE_BLOCKS}, got {blocks}"
            )));
        }
        let mut heads = self.chain().subscribe_head();
        let target = heads.borrow().height + blocks;
        self.chain().request_blocks(blocks);
        let wait = Duration::from_millis(MAX_WAIT_MS);
        let reached = tokio::time::timeout(wait, heads.wait_for(|h| h.height >= target))
            .await
            .map_err(|_| ErrorCode::Timeout.error(format!("block {target} not produced in time")))?
            .map_err(|_| internal(&"the node is shutting down"))?;
        Ok(Head {
            height: reached.height,
            hash: reached.hash,
            timestamp: reached.timestamp,
        })
    }

    async fn dev_set_balance(&self, address: Address, amount: AmountDec) -> RpcResult<Head> {
        self.authority()?;
        let mut account = self.account_state(&address)?;
        account.balance = amount.0;
        self.apply(vec![DevOp::SetAccount(DevSetAccount {
            address,
            account: Some(account),
        })])
        .await
    }

    async fn dev_set_nonce(&self, address: Address, nonce: u64) -> RpcResult<Head> {
        self.authority()?;
        let mut account = self.account_state(&address)?;
        account.nonce = nonce;
        self.apply(vec![DevOp::SetAccount(DevSetAccount {
            address,
            account: Some(account),
        })])
        .await
    }

    async fn dev_set_storage(
        &self,
        contract: Address,
        key: Bytes,
        value: Option<Bytes>,
    ) -> RpcResult<Head> {
        let op = DevOp::SetStorage(DevSetStorage {
            contract,
            key: key.0,
            value: value.map(|v| v.0),
        });
        // The limits, checked here for a clear error rather than at admission.
        op.validate().map_err(|e| invalid_params(e.to_string()))?;
        self.apply(vec![op]).await
    }

    async fn dev_set_code(&self, address: Address, wasm: Bytes) -> RpcResult<Head> {
        self.apply(vec![DevOp::SetCode(DevSetCode {
            address,
            code: wasm.0,
        })])
        .await
    }

    async fn dev_impersonate(&self, address: Address) -> RpcResult<bool> {
        self.authority()?;
        Ok(self
            .impersonated
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(address))
    }

    async fn dev_stop_impersonating(&self, address: Address) -> RpcResult<bool> {
        Ok(self
            .impersonated
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&address))
    }

    async fn dev_snapshot(&self) -> RpcResult<u64> {
        self.authority()?;
        Ok(self.chain().snapshot())
    }

    async fn dev_revert(&self, id: u64) -> RpcResult<Head> {
        let authority = self.authority()?.address();
        let restore = self
            .chain()
            .restore(id)
            .map_err(|e| ErrorCode::UnknownSnapshot.error(e.to_string()))?;
        // Hold the authority's nonce while the pool is emptied, so no override of ours is
        // dropped with it.
        let ops = {
            let _guard = self.authority_nonce.lock().await;
            self.chain().clear_mempool();
            restore_ops(restore, &authority)
        };
        self.apply(ops).await
    }
}
