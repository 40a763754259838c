//! The stateless half of admission: decode, check the fields that need no state, verify the
//! signature — one by one, or in batches spread over a few threads.
//!
//! ```text
//! TxInput::Bytes ──size──decode──┐
//! TxInput::Decoded ──encode──size─┴─► chain id ─► min gas price ─► max gas ─► intrinsic gas ─► cost fits U256 ─► Checked
//!                                                                                   │
//!        one by one: cached key ─► PublicKey::verify (strict)  ◄───────────────────┤
//!        batch: chunks of VERIFY_CHUNK ─► cached keys ─► verify_batch_keys on N threads ◄┘
//! ```
//!
//! A batch's shares go to long-lived [`Verifiers`] threads, the caller taking one itself: a
//! thread started per batch cost more than the verification it did (under the token
//! workload a third of the RPC threads' time was the kernel zeroing fresh pages for each
//! new thread's allocations).
//!
//! Everything here is a pure function of the input and the config, so running it on any
//! thread, in any chunking, gives the same per-item result; that is what makes
//! [`crate::Mempool::insert_batch`] identical to one-by-one admission.

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::thread::JoinHandle;

use cairn_primitives::{
    Address, Amount, Canonical, Hash, KeyedBatchItem, PublicKey, SignedTransaction,
    limits::MAX_TX_SIZE, verify_batch_keys,
};

use crate::keys::KeyCache;
use crate::{MempoolConfig, RejectReason, VERIFY_CHUNK};

/// A transaction as it reaches the pool: raw canonical bytes (RPC, gossip) or already decoded
/// (a client library in process, tests).
#[derive(Debug, Clone, PartialEq, Eq)]
// Inputs are transient (moved once into admission); boxing the decoded form would cost an
// allocation per transaction for nothing.
#[allow(clippy::large_enum_variant)]
pub enum TxInput {
    /// Canonical encoding of a [`SignedTransaction`].
    Bytes(Vec<u8>),
    /// An already-decoded transaction; its field limits are still checked.
    Decoded(SignedTransaction),
}

impl From<Vec<u8>> for TxInput {
    fn from(bytes: Vec<u8>) -> Self {
        Self::Bytes(bytes)
    }
}

impl From<&[u8]> for TxInput {
    fn from(bytes: &[u8]) -> Self {
        Self::Bytes(bytes.to_vec())
    }
}

impl From<SignedTransaction> for TxInput {
    fn from(tx: SignedTransaction) -> Self {
        Self::Decoded(tx)
    }
}

/// A transaction that passed every stateless check except (possibly) the signature.
#[derive(Debug, Clone)]
pub(crate) struct Checked {
    pub(crate) tx: Arc<SignedTransaction>,
    pub(crate) hash: Hash,
    pub(crate) sender: Address,
    pub(crate) size: usize,
    /// `gas_limit × gas_price + value`.
    pub(crate) cost: Amount,
}

/// Runs the stateless checks in rule order (size, decode, chain id, gas price, gas limit
/// bounds, cost overflow).
pub(crate) fn precheck(input: TxInput, config: &MempoolConfig) -> Result<Checked, RejectReason> {
    let max = config.max_tx_bytes.min(MAX_TX_SIZE);
    let (tx, hash, size) = match input {
        TxInput::Bytes(bytes) => {
            if bytes.len() > max {
                return Err(RejectReason::Oversized {
                    size: bytes.len(),
                    max,
                });
            }
            let tx = SignedTransaction::decode(&bytes).map_err(RejectReason::Malformed)?;
            // Canonical: encode(decode(b)) == b, so the hash of the input is the tx hash.
            (tx, Hash::of(&bytes), bytes.len())
        }
        TxInput::Decoded(tx) => {
            let bytes = tx.encode();
            if bytes.len() > max {
                return Err(RejectReason::Oversized {
                    size: bytes.len(),
                    max,
                });
            }
            Canonical::validate(&tx).map_err(RejectReason::Malformed)?;
            (tx, Hash::of(&bytes), bytes.len())
        }
    };
    let t = &tx.tx;
    if t.chain_id != config.chain_id {
        return Err(RejectReason::WrongChainId {
            expected: config.chain_id,
            got: t.chain_id,
        });
    }
    if matches!(t.kind, cairn_primitives::TxKind::Dev(_))
        && config.dev_authority != Some(tx.sender())
    {
        return Err(RejectReason::DevOpNotAllowed);
    }
    if t.gas_price < config.min_gas_price {
        return Err(RejectReason::GasPriceTooLow {
            min: config.min_gas_price,
            got: t.gas_price,
        });
    }
    if t.gas_limit > config.max_tx_gas {
        return Err(RejectReason::GasLimitTooHigh {
            max: config.max_tx_gas,
            got: t.gas_limit,
        });
    }
    let mut intrinsic = config
        .intrinsic_gas_base
        .saturating_add(config.intrinsic_gas_per_byte.saturating_mul(size as u64));
    if let Some(code) = t.code() {
        intrinsic = intrinsic
            .saturating_add(config.intrinsic_gas_deploy_base)
            .saturating_add(
                config
                    .intrinsic_gas_per_code_byte
                    .saturating_mul(code.len() as u64),
            );
    }
    if t.gas_limit < intrinsic {
        return Err(RejectReason::GasLimitTooLow {
            min: intrinsic,
            got: t.gas_limit,
        });
    }
    let value = t.value();
    let cost = t
        .gas_price
        .checked_mul(Amount::from(t.gas_limit))
        .and_then(|fee| fee.checked_add(value))
        .ok_or(RejectReason::CostOverflow {
            gas_limit: t.gas_limit,
            gas_price: t.gas_price,
            value,
        })?;
    let sender = tx.sender();
    Ok(Checked {
        tx: Arc::new(tx),
        hash,
        sender,
        size,
        cost,
    })
}

/// Verifies one signature strictly, the sender's parsed key from `keys`.
pub(crate) fn verify_one(checked: &Checked, keys: &KeyCache) -> Result<(), RejectReason> {
    let t = &checked.tx;
    keys.get(&t.public_key)
        .and_then(|k| k.verify(&t.tx.signing_message(), &t.signature))
        .map_err(|_| RejectReason::BadSignature)
}

/// Work handed to a [`Verifiers`] thread.
type Job = Box<dyn FnOnce() + Send>;

/// Long-lived threads that verify the shares of a batch the caller does not take itself.
/// Idle threads block on the job queue (no spinning); dropping the pool stops and joins them.
pub(crate) struct Verifiers {
    jobs: Option<mpsc::Sender<Job>>,
    threads: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Verifiers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifiers")
            .field("threads", &self.threads.len())
            .finish()
    }
}

impl Verifiers {
    /// `workers` threads named `cairn-verify-N` (0: the caller verifies everything).
    ///
    /// # Panics
    /// If the operating system refuses to start a thread.
    pub(crate) fn new(workers: usize) -> Self {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let threads = (0..workers)
            .map(|i| {
                let rx = Arc::clone(&rx);
                std::thread::Builder::new()
                    .name(format!("cairn-verify-{i}"))
                    .spawn(move || {
                        loop {
                            // The lock is held only while waiting: one idle thread takes the
                            // next job, the others wait for the lock.
                            let job = rx.lock().unwrap_or_else(PoisonError::into_inner).recv();
                            // A closed queue: the pool was dropped.
                            let Ok(job) = job else { return };
                            job();
                        }
                    })
                    .expect("starting a signature verification thread")
            })
            .collect();
        Self {
            jobs: Some(tx),
            threads,
        }
    }

    /// Number of worker threads.
    pub(crate) fn workers(&self) -> usize {
        self.threads.len()
    }

    fn submit(&self, job: Job) {
        self.jobs
            .as_ref()
            .expect("jobs are only closed on drop")
            .send(job)
            .expect("the verification threads run until the pool is dropped");
    }
}

impl Drop for Verifiers {
    fn drop(&mut self) {
        // Closing the queue ends every thread's loop once it has finished its job.
        self.jobs = None;
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// Prechecks and verifies every input, sharing whole chunks among the caller and the
/// `verifiers` threads; the result at index `i` is exactly what [`precheck`] followed by
/// [`verify_one`] gives for input `i`.
pub(crate) fn precheck_batch(
    inputs: Vec<TxInput>,
    config: &MempoolConfig,
    keys: &Arc<KeyCache>,
    verifiers: &Verifiers,
) -> Vec<Result<Checked, RejectReason>> {
    let n = inputs.len();
    let threads = (verifiers.workers() + 1).clamp(1, n.div_ceil(VERIFY_CHUNK).max(1));
    if threads == 1 {
        return precheck_slice(inputs, config, keys);
    }
    // Contiguous shares of whole chunks, one per thread, results re-joined in input order.
    let per_thread = n.div_ceil(VERIFY_CHUNK).div_ceil(threads) * VERIFY_CHUNK;
    let mut own = inputs;
    let mut rest = own.split_off(per_thread.min(n));
    let mut replies = Vec::with_capacity(threads - 1);
    while !rest.is_empty() {
        let tail = rest.split_off(per_thread.min(rest.len()));
        let share = std::mem::replace(&mut rest, tail);
        let (reply, answer) = mpsc::channel();
        let (config, keys) = (config.clone(), Arc::clone(keys));
        verifiers.submit(Box::new(move || {
            let result = catch_unwind(AssertUnwindSafe(|| precheck_slice(share, &config, &keys)));
            // The caller waits for every reply; it is gone only if it panicked itself.
            let _ = reply.send(result);
        }));
        replies.push(answer);
    }
    let mut results = precheck_slice(own, config, keys);
    for answer in replies {
        match answer.recv() {
            Ok(Ok(share)) => results.extend(share),
            // precheck_slice does not panic on any input; if it ever did, re-raise it.
            Ok(Err(panic)) => resume_unwind(panic),
            Err(mpsc::RecvError) => panic!("a signature verification thread stopped"),
        }
    }
    results
}

/// Prechecks a slice, then verifies the survivors' signatures in chunks of [`VERIFY_CHUNK`]:
/// a transaction whose key does not parse is a bad signature (as [`verify_one`] says), the
/// others go to one batch equation per chunk.
fn precheck_slice(
    inputs: Vec<TxInput>,
    config: &MempoolConfig,
    keys: &KeyCache,
) -> Vec<Result<Checked, RejectReason>> {
    let mut results: Vec<Result<Checked, RejectReason>> =
        inputs.into_iter().map(|i| precheck(i, config)).collect();
    let survivors: Vec<usize> = (0..results.len()).filter(|&i| results[i].is_ok()).collect();
    for chunk in survivors.chunks(VERIFY_CHUNK) {
        let mut txs: Vec<(usize, Arc<SignedTransaction>, PublicKey)> =
            Vec::with_capacity(chunk.len());
        for &i in chunk {
            let Some(tx) = results[i].as_ref().ok().map(|c| Arc::clone(&c.tx)) else {
                continue;
            };
            match keys.get(&tx.public_key) {
                Ok(key) => txs.push((i, tx, key)),
                Err(_) => results[i] = Err(RejectReason::BadSignature),
            }
        }
        let msgs: Vec<Vec<u8>> = txs.iter().map(|(_, t, _)| t.tx.signing_message()).collect();
        let items: Vec<KeyedBatchItem<'_>> = txs
            .iter()
            .zip(&msgs)
            .map(|((_, t, k), m)| (k, m.as_slice(), &t.signature))
            .collect();
        for bad in invalid_indices(&items) {
            results[txs[bad].0] = Err(RejectReason::BadSignature);
        }
    }
    results
}

/// Indices of the invalid signatures in `items`: one batch equation when all are valid (the
/// common case); if the batch fails, every item is verified alone, so the answer is exactly
/// strict single verification's whatever the chunk contains.
fn invalid_indices(items: &[KeyedBatchItem<'_>]) -> Vec<usize> {
    if verify_batch_keys(items).is_ok() {
        return Vec::new();
    }
    items
        .iter()
        .enumerate()
        .filter(|(_, (key, msg, sig))| key.verify(msg, sig).is_err())
        .map(|(i, _)| i)
        .collect()
}

#[cfg(test)]
mod tests {
    use cairn_primitives::{SecretKey, Transaction, Transfer, TxKind};

    use super::*;

    /// Transfer `i`, its signature corrupted when `bad`; transfer 150 carries the identity
    /// point as its public key (a key that does not parse as a valid one).
    fn input(i: u32, bad: bool) -> TxInput {
        let mut seed = [3u8; 32];
        seed[..4].copy_from_slice(&i.to_le_bytes());
        let k = SecretKey::from_bytes(&seed);
        let mut t = k.sign_tx(Transaction {
            chain_id: 1,
            nonce: u64::from(i),
            gas_limit: 21_000,
            gas_price: Amount::one(),
            kind: TxKind::Transfer(Transfer {
                to: Address([2; 20]),
                amount: Amount::zero(),
            }),
        });
        if bad {
            t.signature[33] ^= 0x40;
        }
        if i == 150 {
            t.public_key = [0; 32];
            t.public_key[0] = 1;
        }
        if i.is_multiple_of(3) {
            TxInput::Bytes(t.encode())
        } else {
            TxInput::Decoded(t)
        }
    }

    fn single(inputs: &[TxInput], config: &MempoolConfig) -> Vec<Result<Hash, RejectReason>> {
        inputs
            .iter()
            .map(|i| {
                let c = precheck(i.clone(), config)?;
                // No cache: every key parsed afresh, the reference.
                verify_one(&c, &KeyCache::new(0))?;
                Ok(c.hash)
            })
            .collect()
    }

    #[test]
    fn batch_verification_equals_single_at_chunk_edges() {
        let config = MempoolConfig::new(1);
        // Bad signatures at the first, last and boundary positions of 64-chunks.
        let bad = [0, 62, 63, 64, 127, 128, 199];
        let inputs: Vec<TxInput> = (0..200u32)
            .map(|i| input(i, bad.contains(&(i as usize))))
            .collect();
        let expected = single(&inputs, &config);
        assert_eq!(
            expected.iter().filter(|r| r.is_err()).count(),
            bad.len() + 1,
            "the corrupted signatures and the bad key are invalid"
        );
        assert_eq!(expected[150], Err(RejectReason::BadSignature));
        // A cache shared by every run: cold on the first, warm on the others, and one too
        // small to hold the senders (emptied as it goes).
        let warm = Arc::new(KeyCache::new(crate::KEY_CACHE_ENTRIES));
        let tiny = Arc::new(KeyCache::new(20));
        for workers in 0..=3 {
            let verifiers = Verifiers::new(workers);
            assert_eq!(verifiers.workers(), workers);
            for cache in [&warm, &tiny] {
                // Twice on the same threads: they serve batch after batch.
                for _ in 0..2 {
                    let got: Vec<Result<Hash, RejectReason>> =
                        precheck_batch(inputs.clone(), &config, cache, &verifiers)
                            .into_iter()
                            .map(|r| r.map(|c| c.hash))
                            .collect();
                    assert_eq!(got, expected, "workers = {workers}");
                }
            }
        }
        // One by one through the warm cache decides as well.
        for (i, inp) in inputs.iter().enumerate() {
            let got = precheck(inp.clone(), &config).and_then(|c| {
                verify_one(&c, &warm)?;
                Ok(c.hash)
            });
            assert_eq!(got, expected[i], "input {i}");
        }
        assert!(precheck_batch(Vec::new(), &config, &warm, &Verifiers::new(1)).is_empty());
    }

    #[test]
    fn bytes_and_decoded_forms_hash_alike() {
        let config = MempoolConfig::new(1);
        let TxInput::Decoded(t) = input(1, false) else {
            panic!("input 1 is decoded");
        };
        let a = precheck(TxInput::Bytes(t.encode()), &config).expect("valid");
        let b = precheck(TxInput::Decoded(t.clone()), &config).expect("valid");
        assert_eq!(a.hash, b.hash);
        assert_eq!(a.hash, t.tx_hash());
        assert_eq!(a.size, b.size);
        assert_eq!(a.cost, Amount::from(21_000u32));
    }
}
