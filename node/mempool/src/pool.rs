//! The stateful half: per-sender nonce queues, the stateful admission rules, eviction,
//! block selection and the clean-up after a committed block.
//!
//! ```text
//! senders: BTreeMap<Address, SenderQueue { account (nonce, balance), txs: BTreeMap<Nonce, Entry> }>
//!             │   ready = txs[account.nonce], txs[account.nonce + 1], … while consecutive
//!             │   future = the rest (behind a nonce gap)
//! by_hash: BTreeMap<Hash, (Address, Nonce)>
//! tails:   BTreeSet<(gas price, Reverse(arrival), Address)>  — each sender's highest nonce,
//!          cheapest first: the only eviction candidates, so eviction never opens a hole
//! ```
//!
//! Only ordered maps, and ties broken by a monotonically increasing arrival number: the same
//! sequence of calls always gives the same pool and the same block selection.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use std::sync::Arc;

use cairn_primitives::{Address, Amount, Gas, Hash, Nonce, SignedTransaction};

use crate::input::Checked;
use crate::{AccountInfo, AccountView, MempoolConfig, RejectReason};

/// A pooled transaction as the pool hands it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PooledTx {
    /// Transaction hash.
    pub hash: Hash,
    /// Sender (derived from the public key).
    pub sender: Address,
    /// The transaction.
    pub tx: Arc<SignedTransaction>,
    /// Encoded size in bytes.
    pub size: usize,
    /// Whether it is executable now (its nonce continues the sender's committed nonce without
    /// a gap), as opposed to waiting behind a gap.
    pub ready: bool,
}

/// What [`crate::Mempool::on_block_committed`] removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockUpdate {
    /// Pooled transactions that the block included.
    pub included: Vec<Hash>,
    /// Transactions dropped because they can no longer execute: nonce below the new account
    /// nonce, or the sender's balance no longer covers them (and everything after them).
    pub stale: Vec<Hash>,
}

/// One pooled transaction with the numbers the pool orders by.
#[derive(Debug, Clone)]
struct Entry {
    hash: Hash,
    tx: Arc<SignedTransaction>,
    gas_price: Amount,
    gas_limit: Gas,
    cost: Amount,
    size: usize,
    /// Arrival order: assigned from a counter at admission, never from a clock.
    seq: u64,
}

/// Eviction-index key: cheapest first, and among equal prices the latest arrival first.
type TailKey = (Amount, Reverse<u64>, Address);

#[derive(Debug, Default)]
struct SenderQueue {
    /// The sender's committed state as last read from the [`AccountView`].
    account: AccountInfo,
    txs: BTreeMap<Nonce, Entry>,
    /// Sum of `cost` over `txs` (fits: admission keeps it ≤ the balance).
    cost_total: Amount,
}

impl SenderQueue {
    /// Number of transactions executable in a row from the account nonce.
    fn ready_len(&self) -> usize {
        let mut next = self.account.nonce;
        let mut n = 0;
        for &nonce in self.txs.range(self.account.nonce..).map(|(k, _)| k) {
            if nonce != next {
                break;
            }
            n += 1;
            next = next.saturating_add(1);
        }
        n
    }

    fn tail_key(&self, sender: Address) -> Option<TailKey> {
        self.txs
            .last_key_value()
            .map(|(_, e)| (e.gas_price, Reverse(e.seq), sender))
    }
}

/// The pool's state; [`crate::Mempool`] wraps it in a lock.
#[derive(Debug, Default)]
pub(crate) struct Pool {
    senders: BTreeMap<Address, SenderQueue>,
    by_hash: BTreeMap<Hash, (Address, Nonce)>,
    tails: BTreeSet<TailKey>,
    bytes: usize,
    next_seq: u64,
}

/// The lowest gas price that replaces a pooled one: `ceil(old × (100 + bump) / 100)`, computed
/// without overflow (saturating at the maximum, which then cannot be beaten).
pub(crate) fn replacement_price(old: Amount, bump_percent: u32) -> Amount {
    let hundred = Amount::from(100u8);
    let bump = Amount::from(bump_percent);
    let (q, r) = old.div_mod(hundred);
    // r < 100 and bump < 2^32, so r × bump cannot overflow.
    let r_part = (r * bump + Amount::from(99u8)) / hundred;
    q.checked_mul(bump)
        .and_then(|b| b.checked_add(r_part))
        .and_then(|b| old.checked_add(b))
        .unwrap_or(Amount::MAX)
}

impl Pool {
    pub(crate) fn len(&self) -> usize {
        self.by_hash.len()
    }

    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    pub(crate) fn contains(&self, hash: &Hash) -> bool {
        self.by_hash.contains_key(hash)
    }

    /// End (exclusive) of the sender's ready run.
    fn ready_end(queue: &SenderQueue) -> Nonce {
        queue.account.nonce.saturating_add(queue.ready_len() as u64)
    }

    fn pooled(sender: &Address, queue: &SenderQueue, ready_end: Nonce, e: &Entry) -> PooledTx {
        let nonce = e.tx.tx.nonce;
        PooledTx {
            hash: e.hash,
            sender: *sender,
            tx: Arc::clone(&e.tx),
            size: e.size,
            ready: nonce >= queue.account.nonce && nonce < ready_end,
        }
    }

    pub(crate) fn get(&self, hash: &Hash) -> Option<PooledTx> {
        let (sender, nonce) = self.by_hash.get(hash)?;
        let queue = self.senders.get(sender)?;
        let e = queue.txs.get(nonce)?;
        Some(Self::pooled(sender, queue, Self::ready_end(queue), e))
    }

    /// Every pooled transaction (or one sender's), by sender then nonce.
    pub(crate) fn pending(&self, sender: Option<&Address>) -> Vec<PooledTx> {
        let mut out = Vec::new();
        let mut push = |addr: &Address, queue: &SenderQueue| {
            let ready_end = Self::ready_end(queue);
            for e in queue.txs.values() {
                out.push(Self::pooled(addr, queue, ready_end, e));
            }
        };
        match sender {
            Some(addr) => {
                if let Some(queue) = self.senders.get(addr) {
                    push(addr, queue);
                }
            }
            None => {
                for (addr, queue) in &self.senders {
                    push(addr, queue);
                }
            }
        }
        out
    }

    // ---- index maintenance -------------------------------------------------------------

    fn untail(&mut self, sender: &Address) {
        if let Some(key) = self.senders.get(sender).and_then(|q| q.tail_key(*sender)) {
            self.tails.remove(&key);
        }
    }

    /// Re-indexes a sender's tail after a change, dropping its queue when empty.
    fn retail(&mut self, sender: &Address) {
        match self.senders.get(sender) {
            Some(q) if q.txs.is_empty() => {
                self.senders.remove(sender);
            }
            Some(q) => {
                if let Some(key) = q.tail_key(*sender) {
                    self.tails.insert(key);
                }
            }
            None => {}
        }
    }

    /// Removes the given nonces of one sender (absent ones are ignored), keeping every index
    /// right; returns the hashes removed, in nonce order.
    fn remove_nonces(&mut self, sender: &Address, nonces: &[Nonce]) -> Vec<Hash> {
        self.untail(sender);
        let mut removed = Vec::new();
        if let Some(queue) = self.senders.get_mut(sender) {
            for nonce in nonces {
                if let Some(e) = queue.txs.remove(nonce) {
                    queue.cost_total = queue.cost_total.saturating_sub(e.cost);
                    self.bytes -= e.size;
                    self.by_hash.remove(&e.hash);
                    removed.push(e.hash);
                }
            }
        }
        self.retail(sender);
        removed
    }

    /// Sets a sender's account state and drops what can no longer execute: nonces below the
    /// account nonce, then — walking up in nonce order — the first transaction whose
    /// cumulative maximum cost exceeds the balance and every later one (they could only run
    /// after it).
    fn revalidate(&mut self, sender: &Address, account: AccountInfo) -> Vec<Hash> {
        let Some(queue) = self.senders.get_mut(sender) else {
            return Vec::new();
        };
        queue.account = account;
        let mut drop = Vec::new();
        let mut total = Amount::zero();
        let mut broke = false;
        for (&nonce, e) in &queue.txs {
            if nonce < account.nonce {
                drop.push(nonce);
                continue;
            }
            if !broke {
                match total.checked_add(e.cost) {
                    Some(t) if t <= account.balance => total = t,
                    _ => broke = true,
                }
            }
            if broke {
                drop.push(nonce);
            }
        }
        if drop.is_empty() {
            return Vec::new();
        }
        self.remove_nonces(sender, &drop)
    }

    // ---- admission ---------------------------------------------------------------------

    /// The stateful admission rules, in order, for a transaction that passed every stateless
    /// check and whose signature is valid.
    pub(crate) fn admit(
        &mut self,
        c: Checked,
        view: &impl AccountView,
        config: &MempoolConfig,
    ) -> Result<Hash, RejectReason> {
        if self.contains(&c.hash) {
            return Err(RejectReason::AlreadyKnown(c.hash));
        }
        let sender = c.sender;
        let account = view.account(&sender);
        // Fresh committed state may already make some of this sender's txs stale.
        self.revalidate(&sender, account);

        let nonce = c.tx.tx.nonce;
        let gas_price = c.tx.tx.gas_price;
        if nonce < account.nonce {
            return Err(RejectReason::NonceTooLow {
                account: account.nonce,
                got: nonce,
            });
        }
        let max_nonce = account.nonce.saturating_add(config.max_nonce_ahead);
        if nonce > max_nonce {
            return Err(RejectReason::NonceTooHigh {
                account: account.nonce,
                max: max_nonce,
                got: nonce,
            });
        }

        let empty = SenderQueue::default();
        let queue = self.senders.get(&sender).unwrap_or(&empty);
        let replaced = queue.txs.get(&nonce);
        let replacing = replaced.is_some();
        if let Some(old) = replaced {
            let required = replacement_price(old.gas_price, config.price_bump_percent);
            if gas_price < required {
                return Err(RejectReason::ReplacementUnderpriced {
                    pooled: old.gas_price,
                    required,
                    got: gas_price,
                });
            }
        }
        let (old_cost, old_size) = replaced.map_or((Amount::zero(), 0), |e| (e.cost, e.size));
        let need = queue
            .cost_total
            .saturating_sub(old_cost)
            .checked_add(c.cost)
            .unwrap_or(Amount::MAX);
        if need > account.balance {
            return Err(RejectReason::InsufficientBalance {
                have: account.balance,
                need,
            });
        }
        if !replacing {
            if queue.txs.len() >= config.max_txs_per_sender {
                return Err(RejectReason::SenderFull {
                    sender,
                    max: config.max_txs_per_sender,
                });
            }
            let ready_end = account.nonce.saturating_add(queue.ready_len() as u64);
            let future = queue.txs.len() - queue.ready_len();
            if nonce != ready_end && future >= config.max_future_per_sender {
                return Err(RejectReason::TooManyFuture {
                    sender,
                    max: config.max_future_per_sender,
                });
            }
        }

        let count_after = self.len() + usize::from(!replacing);
        let bytes_after = self.bytes - old_size + c.size;
        let victims = self.plan_eviction(
            &sender,
            nonce,
            gas_price,
            count_after.saturating_sub(config.max_txs),
            bytes_after.saturating_sub(config.max_bytes),
        )?;
        for (addr, n) in victims {
            self.remove_nonces(&addr, &[n]);
        }
        if replacing {
            self.remove_nonces(&sender, &[nonce]);
        }

        self.untail(&sender);
        let seq = self.next_seq;
        self.next_seq += 1;
        let queue = self.senders.entry(sender).or_default();
        queue.account = account;
        queue.cost_total = queue.cost_total.saturating_add(c.cost);
        queue.txs.insert(
            nonce,
            Entry {
                hash: c.hash,
                gas_price,
                gas_limit: c.tx.tx.gas_limit,
                cost: c.cost,
                size: c.size,
                seq,
                tx: c.tx,
            },
        );
        self.bytes += c.size;
        self.by_hash.insert(c.hash, (sender, nonce));
        self.retail(&sender);
        Ok(c.hash)
    }

    /// Chooses what to evict so that `excess_count` transactions and `excess_bytes` bytes are
    /// freed, cheapest first among each sender's highest-nonce transaction (so no sender is
    /// left with a hole), never the newcomer's sender's transactions below its nonce. Every
    /// victim must pay strictly less than `price`; otherwise nothing is evicted and the
    /// answer is [`RejectReason::PoolFull`].
    fn plan_eviction(
        &self,
        sender: &Address,
        nonce: Nonce,
        price: Amount,
        mut excess_count: usize,
        mut excess_bytes: usize,
    ) -> Result<Vec<(Address, Nonce)>, RejectReason> {
        if excess_count == 0 && excess_bytes == 0 {
            return Ok(Vec::new());
        }
        type Candidate = (Amount, Reverse<u64>, Address, Nonce);
        // Candidates of senders already touched by the plan (their next-lower tx), and the
        // newcomer's own sender (only nonces above the newcomer's).
        let mut local: BTreeSet<Candidate> = BTreeSet::new();
        let mut touched: BTreeSet<Address> = BTreeSet::new();
        let lower = |addr: &Address, below: Option<Nonce>| -> Option<Candidate> {
            let q = self.senders.get(addr)?;
            let (&n, e) = match below {
                Some(b) => q.txs.range(..b).next_back()?,
                None => q.txs.last_key_value()?,
            };
            (addr != sender || n > nonce).then_some((e.gas_price, Reverse(e.seq), *addr, n))
        };
        touched.insert(*sender);
        if let Some(c) = lower(sender, None) {
            local.insert(c);
        }
        let mut global = self.tails.iter().peekable();
        let mut victims = Vec::new();
        while excess_count > 0 || excess_bytes > 0 {
            while global.peek().is_some_and(|(_, _, a)| touched.contains(a)) {
                global.next();
            }
            let from_global = global.peek().and_then(|(_, _, a)| lower(a, None));
            let pick = match (local.first(), from_global) {
                (Some(l), Some(g)) if *l <= g => local.pop_first(),
                (_, Some(g)) => {
                    global.next();
                    Some(g)
                }
                (Some(_), None) => local.pop_first(),
                (None, None) => None,
            };
            let Some((victim_price, _, addr, n)) = pick else {
                return Err(RejectReason::PoolFull {
                    lowest: Amount::MAX,
                    got: price,
                });
            };
            if victim_price >= price {
                return Err(RejectReason::PoolFull {
                    lowest: victim_price,
                    got: price,
                });
            }
            let size = self
                .senders
                .get(&addr)
                .and_then(|q| q.txs.get(&n))
                .map_or(0, |e| e.size);
            excess_count = excess_count.saturating_sub(1);
            excess_bytes = excess_bytes.saturating_sub(size);
            victims.push((addr, n));
            touched.insert(addr);
            if let Some(c) = lower(&addr, Some(n)) {
                local.insert(c);
            }
        }
        Ok(victims)
    }

    // ---- block selection ---------------------------------------------------------------

    /// Transactions for a block, in an order that executes: each sender's ready run from its
    /// account nonce, interleaved across senders by gas price (highest first) then arrival
    /// (earliest first). A transaction that does not fit the remaining gas is skipped together
    /// with its sender's later ones; selection goes on with other senders.
    ///
    /// `after` maps senders to the next nonce after blocks proposed but not yet committed;
    /// such a sender's run starts there instead (never below its account nonce).
    pub(crate) fn ready(
        &self,
        max_gas: Gas,
        max_txs: usize,
        after: &BTreeMap<Address, Nonce>,
    ) -> Vec<PooledTx> {
        // Each sender's next transaction, best first: highest gas price, then earliest
        // arrival (`seq` is unique, so the order is total and the selection deterministic).
        // A heap built in one pass: the pool has a head for each of up to thousands of
        // senders, and a block takes a few hundred of them.
        type Head = Reverse<(Reverse<Amount>, u64, Address, Nonce)>;
        let mut heads: Vec<Head> = Vec::with_capacity(self.senders.len());
        // The smallest gas limit of any head ever queued: once the gas left is below it, no
        // queued head fits (heads only leave), and selection stops instead of draining them.
        let mut least_gas = Gas::MAX;
        for (addr, q) in &self.senders {
            let start = after
                .get(addr)
                .map_or(q.account.nonce, |&n| n.max(q.account.nonce));
            if let Some(e) = q.txs.get(&start) {
                heads.push(Reverse((Reverse(e.gas_price), e.seq, *addr, start)));
                least_gas = least_gas.min(e.gas_limit);
            }
        }
        let mut heads = BinaryHeap::from(heads);
        let mut out = Vec::new();
        let mut gas_used: Gas = 0;
        while out.len() < max_txs && max_gas.saturating_sub(gas_used) >= least_gas {
            let Some(Reverse((_, _, addr, nonce))) = heads.pop() else {
                break;
            };
            let Some(q) = self.senders.get(&addr) else {
                continue;
            };
            let Some(e) = q.txs.get(&nonce) else {
                continue;
            };
            match gas_used.checked_add(e.gas_limit) {
                Some(g) if g <= max_gas => gas_used = g,
                _ => continue,
            }
            out.push(PooledTx {
                hash: e.hash,
                sender: addr,
                tx: Arc::clone(&e.tx),
                size: e.size,
                ready: true,
            });
            if let Some(next) = nonce.checked_add(1)
                && let Some(n) = q.txs.get(&next)
            {
                heads.push(Reverse((Reverse(n.gas_price), n.seq, addr, next)));
                least_gas = least_gas.min(n.gas_limit);
            }
        }
        out
    }

    /// Whether [`Self::ready`] would offer anything (with no gas limit): some sender's run
    /// start is pooled.
    pub(crate) fn any_ready(&self, after: &BTreeMap<Address, Nonce>) -> bool {
        self.senders.iter().any(|(addr, q)| {
            let start = after
                .get(addr)
                .map_or(q.account.nonce, |&n| n.max(q.account.nonce));
            q.txs.contains_key(&start)
        })
    }

    /// Removes a block's transactions and everything that became stale. With `senders =
    /// None` every pooled sender's account is re-read (one read per sender); with
    /// `Some(set)` only those senders and the senders of the included pooled transactions.
    pub(crate) fn on_block_committed(
        &mut self,
        included: &[Hash],
        senders: Option<&BTreeSet<Address>>,
        view: &impl AccountView,
    ) -> BlockUpdate {
        let mut update = BlockUpdate::default();
        let mut touched: BTreeSet<Address> = senders.cloned().unwrap_or_default();
        for hash in included {
            if let Some(&(addr, nonce)) = self.by_hash.get(hash) {
                update.included.extend(self.remove_nonces(&addr, &[nonce]));
                touched.insert(addr);
            }
        }
        let reread: Vec<Address> = match senders {
            None => self.senders.keys().copied().collect(),
            Some(_) => touched
                .into_iter()
                .filter(|a| self.senders.contains_key(a))
                .collect(),
        };
        for addr in reread {
            let account = view.account(&addr);
            update.stale.extend(self.revalidate(&addr, account));
        }
        update
    }

    /// Removes the transactions with these hashes and, for each, its sender's later
    /// transactions (they could not execute without it); returns every hash removed.
    pub(crate) fn remove(&mut self, hashes: &[Hash]) -> Vec<Hash> {
        let mut removed = Vec::new();
        for hash in hashes {
            let Some(&(addr, nonce)) = self.by_hash.get(hash) else {
                continue;
            };
            let nonces: Vec<Nonce> = self
                .senders
                .get(&addr)
                .map(|q| q.txs.range(nonce..).map(|(n, _)| *n).collect())
                .unwrap_or_default();
            removed.extend(self.remove_nonces(&addr, &nonces));
        }
        removed
    }

    /// Checks every internal invariant (tests).
    #[cfg(test)]
    pub(crate) fn check_invariants(&self) {
        let mut bytes = 0;
        let mut count = 0;
        let mut tails = BTreeSet::new();
        for (addr, q) in &self.senders {
            assert!(!q.txs.is_empty(), "empty queue kept for {addr}");
            let mut total = Amount::zero();
            for (n, e) in &q.txs {
                assert_eq!(self.by_hash.get(&e.hash), Some(&(*addr, *n)));
                bytes += e.size;
                count += 1;
                total += e.cost;
            }
            assert_eq!(total, q.cost_total);
            tails.insert(q.tail_key(*addr).expect("non-empty"));
        }
        assert_eq!(bytes, self.bytes);
        assert_eq!(count, self.by_hash.len());
        assert_eq!(tails, self.tails);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacement_price_rounds_up_and_saturates() {
        let p = |v: u64| Amount::from(v);
        assert_eq!(replacement_price(p(100), 10), p(110));
        assert_eq!(replacement_price(p(1000), 10), p(1100));
        assert_eq!(replacement_price(p(1), 10), p(2));
        assert_eq!(replacement_price(p(10), 10), p(11));
        assert_eq!(replacement_price(p(15), 10), p(17)); // 16.5 rounds up
        assert_eq!(replacement_price(p(0), 10), p(0));
        assert_eq!(replacement_price(p(7), 0), p(7));
        assert_eq!(replacement_price(Amount::MAX, 10), Amount::MAX);
        let big = Amount::MAX / 2;
        assert_eq!(replacement_price(big, 100), Amount::MAX - 1);
    }
}
