//! The public handle: a lock around the pool, with the expensive stateless work (decoding,
//! hashing, signature verification) done outside it.
//!
//! ```text
//! insert(tx, view):          precheck ─► already known? ─► verify ─► lock ─► admit
//! insert_batch(txs, view):   precheck + verify_batch on the caller and N−1 verifier threads ─► lock once ─► admit each, in order
//! ready / ready_after:       lock ─► select by price, arrival, nonce (nothing removed)
//! on_block_committed(_senders): lock ─► remove included ─► re-read senders ─► drop stale
//! remove(hashes):            lock ─► drop them and their senders' later nonces
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, OnceLock};

use cairn_primitives::{Address, Gas, Hash, Nonce};
use parking_lot::Mutex;

use crate::input::{Verifiers, precheck, precheck_batch, verify_one};
use crate::keys::{KEY_CACHE_ENTRIES, KeyCache};
use crate::pool::Pool;
use crate::{
    AccountView, AdmitResult, BlockUpdate, MempoolConfig, PooledTx, RejectReason, TxInput,
};

/// Cairn's transaction pool. Shareable across threads (`&self` methods, one internal lock).
#[derive(Debug)]
pub struct Mempool {
    config: MempoolConfig,
    pool: Mutex<Pool>,
    /// Parsed public keys of recent senders (admission cost only, never its outcome).
    keys: Arc<KeyCache>,
    /// The threads verifying batches beside the caller, started by the first batch.
    verifiers: OnceLock<Verifiers>,
}

impl Mempool {
    /// An empty pool with these limits.
    #[must_use]
    pub fn new(config: MempoolConfig) -> Self {
        Self {
            config,
            pool: Mutex::new(Pool::default()),
            keys: Arc::new(KeyCache::new(KEY_CACHE_ENTRIES)),
            verifiers: OnceLock::new(),
        }
    }

    /// The limits in force.
    #[must_use]
    pub fn config(&self) -> &MempoolConfig {
        &self.config
    }

    /// Admits one transaction (raw bytes or decoded), verifying its signature strictly.
    ///
    /// # Errors
    /// The first admission rule broken, as a [`RejectReason`].
    pub fn insert(&self, tx: impl Into<TxInput>, view: &impl AccountView) -> AdmitResult {
        let checked = precheck(tx.into(), &self.config)?;
        if self.contains(&checked.hash) {
            return Err(RejectReason::AlreadyKnown(checked.hash));
        }
        verify_one(&checked, &self.keys)?;
        self.pool.lock().admit(checked, view, &self.config)
    }

    /// Admits many transactions: decoding and batch signature verification run on
    /// [`MempoolConfig::verify_threads`] threads, then each is admitted in input order under
    /// one lock. The result at index `i` is exactly what [`Self::insert`] would have returned
    /// for input `i` had the inputs been inserted one by one.
    pub fn insert_batch<T: Into<TxInput>>(
        &self,
        txs: Vec<T>,
        view: &impl AccountView,
    ) -> Vec<AdmitResult> {
        let inputs: Vec<TxInput> = txs.into_iter().map(Into::into).collect();
        let verifiers = self
            .verifiers
            .get_or_init(|| Verifiers::new(self.config.verify_threads().saturating_sub(1)));
        let checked = precheck_batch(inputs, &self.config, &self.keys, verifiers);
        let mut pool = self.pool.lock();
        checked
            .into_iter()
            .map(|c| pool.admit(c?, view, &self.config))
            .collect()
    }

    /// Transactions for the next block without removing them: at most `max_txs`, their
    /// `gas_limit`s summing to at most `max_gas`, each sender's in consecutive nonce order from
    /// its account nonce, across senders by gas price then arrival. They stay pooled until
    /// [`Self::on_block_committed`] removes them, so an abandoned proposal loses nothing.
    #[must_use]
    pub fn ready(&self, max_gas: Gas, max_txs: usize) -> Vec<PooledTx> {
        self.pool.lock().ready(max_gas, max_txs, &BTreeMap::new())
    }

    /// [`Self::ready`] for a block built on top of proposed but not yet committed blocks:
    /// `next_nonces` gives, for each sender with transactions in those blocks, the nonce after
    /// its last one there; such senders' runs start at that nonce (never below the committed
    /// one), so the in-flight transactions are not offered twice. Affordability still holds:
    /// every pooled run is covered by the committed balance in total.
    #[must_use]
    pub fn ready_after(
        &self,
        max_gas: Gas,
        max_txs: usize,
        next_nonces: &BTreeMap<Address, Nonce>,
    ) -> Vec<PooledTx> {
        self.pool.lock().ready(max_gas, max_txs, next_nonces)
    }

    /// Whether [`Self::ready_after`] would offer at least one transaction: some sender's
    /// next nonce (after `next_nonces`, never below its account nonce) is pooled. Stops at
    /// the first such sender, where `ready_after` orders every sender's head.
    #[must_use]
    pub fn has_ready_after(&self, next_nonces: &BTreeMap<Address, Nonce>) -> bool {
        self.pool.lock().any_ready(next_nonces)
    }

    /// After a block is committed: removes its transactions (`included` hashes), re-reads the
    /// committed nonce and balance of every pooled sender from `view`, drops what became
    /// stale, and thereby promotes gapped transactions whose gap the block filled.
    ///
    /// Costs one [`AccountView`] read per pooled sender; see
    /// [`Self::on_block_committed_senders`] for the cheaper form.
    pub fn on_block_committed(&self, included: &[Hash], view: &impl AccountView) -> BlockUpdate {
        self.pool.lock().on_block_committed(included, None, view)
    }

    /// Like [`Self::on_block_committed`] but re-reads only `senders` (pass the senders of all
    /// the block's transactions, pooled here or not) and the senders of the included pooled
    /// transactions.
    ///
    /// Correct when an account's nonce and native balance can only go down through
    /// transactions it signs itself (Cairn's model: contracts move only their own balance),
    /// so no other pooled sender can have become stale; others' balances only grow.
    pub fn on_block_committed_senders(
        &self,
        included: &[Hash],
        senders: &BTreeSet<Address>,
        view: &impl AccountView,
    ) -> BlockUpdate {
        self.pool
            .lock()
            .on_block_committed(included, Some(senders), view)
    }

    /// Drops transactions the node found unusable (e.g. the executor refused one before
    /// execution), together with their senders' later transactions, which could not execute
    /// without them. Returns every hash removed; unknown hashes are ignored.
    pub fn remove(&self, hashes: &[Hash]) -> Vec<Hash> {
        self.pool.lock().remove(hashes)
    }

    /// The pooled transaction with this hash.
    #[must_use]
    pub fn get(&self, hash: &Hash) -> Option<PooledTx> {
        self.pool.lock().get(hash)
    }

    /// Whether a transaction with this hash is pooled.
    #[must_use]
    pub fn contains(&self, hash: &Hash) -> bool {
        self.pool.lock().contains(hash)
    }

    /// Pooled transactions of one sender, or of all, ordered by sender then nonce.
    #[must_use]
    pub fn pending(&self, sender: Option<&Address>) -> Vec<PooledTx> {
        self.pool.lock().pending(sender)
    }

    /// Number of pooled transactions.
    #[must_use]
    pub fn len(&self) -> usize {
        self.pool.lock().len()
    }

    /// Whether the pool is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Total encoded bytes pooled.
    #[must_use]
    pub fn bytes(&self) -> usize {
        self.pool.lock().bytes()
    }

    /// Panics if an internal index disagrees with the queues (tests only).
    #[cfg(test)]
    pub(crate) fn check_invariants(&self) {
        self.pool.lock().check_invariants();
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use cairn_primitives::{Address, Amount, SecretKey, Transaction, Transfer, TxKind};
    use proptest::prelude::*;

    use super::*;
    use crate::AccountInfo;

    fn key(i: u8) -> SecretKey {
        SecretKey::from_bytes(&[i.wrapping_add(1); 32])
    }

    fn signed(
        k: &SecretKey,
        nonce: u64,
        price: u64,
        gas: u64,
    ) -> cairn_primitives::SignedTransaction {
        k.sign_tx(Transaction {
            chain_id: 1,
            nonce,
            gas_limit: gas,
            gas_price: Amount::from(price),
            kind: TxKind::Transfer(Transfer {
                to: Address([1; 20]),
                amount: Amount::from(nonce),
            }),
        })
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert {
            sender: u8,
            nonce: u64,
            price: u64,
            gas: u64,
        },
        /// Commit the first `n` ready transactions; then set balances from `balances`.
        Commit { n: usize, poor: Option<u8> },
        /// Drop the `i`-th pooled transaction (and its sender's later ones).
        Remove { i: usize },
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0u8..5, 0u64..8, 1u64..30, 1u64..40_000)
                .prop_map(|(sender, nonce, price, gas)| Op::Insert { sender, nonce, price, gas }),
            1 => (0usize..6, proptest::option::of(0u8..5))
                .prop_map(|(n, poor)| Op::Commit { n, poor }),
            1 => (0usize..20).prop_map(|i| Op::Remove { i }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Random inserts, evictions and commits keep every index consistent and the limits
        /// respected, and never leave a sender with a hole below its ready run.
        #[test]
        fn invariants_hold(ops in proptest::collection::vec(op(), 0..50), max_txs in 2usize..15) {
            let keys: Vec<SecretKey> = (0..5).map(key).collect();
            let mut accounts: BTreeMap<Address, AccountInfo> = keys
                .iter()
                .map(|k| (k.address(), AccountInfo { nonce: 0, balance: Amount::from(10_000_000u64) }))
                .collect();
            let mut config = MempoolConfig::new(1);
            config.max_txs = max_txs;
            config.max_bytes = max_txs * 150;
            config.max_txs_per_sender = 5;
            config.max_future_per_sender = 2;
            config.verify_threads = 1;
            let pool = Mempool::new(config);
            for op in ops {
                match op {
                    Op::Insert { sender, nonce, price, gas } => {
                        let _ = pool.insert(signed(&keys[usize::from(sender)], nonce, price, gas), &accounts);
                    }
                    Op::Remove { i } => {
                        let all = pool.pending(None);
                        if let Some(victim) = all.get(i) {
                            let removed = pool.remove(&[victim.hash]);
                            prop_assert!(removed.contains(&victim.hash));
                            // Nothing of that sender at or above the nonce is left.
                            prop_assert!(pool.pending(Some(&victim.sender)).iter().all(|p| p.tx.tx.nonce < victim.tx.tx.nonce));
                        }
                    }
                    Op::Commit { n, poor } => {
                        let block = pool.ready(u64::MAX, n);
                        for p in &block {
                            let acc = accounts.get_mut(&p.sender).expect("known");
                            prop_assert_eq!(acc.nonce, p.tx.tx.nonce);
                            acc.nonce += 1;
                            acc.balance -= Amount::from(p.tx.tx.gas_limit) * p.tx.tx.gas_price + p.tx.tx.value();
                        }
                        if let Some(i) = poor {
                            accounts.get_mut(&keys[usize::from(i)].address()).expect("known").balance = Amount::from(30_000u64);
                        }
                        let hashes: Vec<Hash> = block.iter().map(|p| p.hash).collect();
                        let update = if poor.is_none() {
                            // Only the block's senders changed: the targeted form suffices.
                            let senders: BTreeSet<Address> = block.iter().map(|p| p.sender).collect();
                            pool.on_block_committed_senders(&hashes, &senders, &accounts)
                        } else {
                            pool.on_block_committed(&hashes, &accounts)
                        };
                        prop_assert_eq!(update.included, hashes);
                    }
                }
                pool.check_invariants();
                prop_assert!(pool.len() <= max_txs);
                prop_assert!(pool.bytes() <= max_txs * 150);
                // Every pooled tx is affordable together with its sender's others.
                let mut spent: BTreeMap<Address, Amount> = BTreeMap::new();
                for p in pool.pending(None) {
                    let acc = accounts[&p.sender];
                    prop_assert!(p.tx.tx.nonce >= acc.nonce);
                    let s = spent.entry(p.sender).or_default();
                    *s += Amount::from(p.tx.tx.gas_limit) * p.tx.tx.gas_price + p.tx.tx.value();
                    prop_assert!(*s <= acc.balance);
                }
            }
        }
    }
}
