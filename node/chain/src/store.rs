//! The block store: blocks by height and hash, transaction locations, receipts, and an event
//! index by contract and by first topic, in the `Blocks`, `Receipts` and `Indexes` columns of
//! the state's own database, so a block and its state are committed in one atomic batch.
//!
//! ```text
//! Blocks    'b' ‖ height(be64)                  → encode(Block)
//!           'h' ‖ block hash                    → height(be64)
//! Receipts  height(be64) ‖ index(be32)          → encode(Receipt)
//! Indexes   't' ‖ tx hash                       → height(be64) ‖ index(be32) ‖ first log(be32)
//!                                                 ‖ tx offset(be32) ‖ tx length(be32)
//!           'c' ‖ contract ‖ height ‖ log(be32) → tx index(be32)      event by contract
//!           'p' ‖ topic0   ‖ height ‖ log(be32) → tx index(be32)      event by first topic
//!           'H'                                 → height(be64) of the newest stored block
//! ```
//!
//! Big-endian heights keep every prefix scan in height order. A transaction's location
//! record also holds where its bytes sit inside the stored block and the block-wide index
//! of its first event, so a receipt or a transaction is read by hash in O(1): one index get,
//! one zero-copy block get decoding only the header and that transaction, one receipt get
//! (never the whole block, nor the receipts before it).

use cairn_primitives::{
    Address, Block, Canonical, DecodeError, Event, Hash, Height, Receipt, SignedTransaction,
};
use cairn_storage::{Column, Direction, KeyRange, KvRead, StorageError, WriteBatch};

/// Most blocks one event query may span: bounds the work of a single RPC call.
pub const MAX_EVENT_QUERY_BLOCKS: u64 = 10_000;

/// Most events one query returns; a client pages with a narrower range beyond it.
pub const MAX_EVENT_QUERY_RESULTS: usize = 10_000;

const BLOCK_BY_HEIGHT: u8 = b'b';
const HEIGHT_BY_HASH: u8 = b'h';
const TX_LOCATION: u8 = b't';
const EVENT_BY_CONTRACT: u8 = b'c';
const EVENT_BY_TOPIC: u8 = b'p';
const HEAD: &[u8] = b"H";

/// Why a chain-store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ChainStoreError {
    /// The backend failed.
    #[error("storage: {0}")]
    Storage(#[from] StorageError),
    /// A stored record did not decode: the database is corrupt.
    #[error("corrupt {what} record: {reason}")]
    Corrupt {
        /// Which record.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// An event query asked for more blocks than [`MAX_EVENT_QUERY_BLOCKS`].
    #[error("event query spans {blocks} blocks; the limit is {max}")]
    RangeTooLarge {
        /// Blocks asked for.
        blocks: u64,
        /// The limit.
        max: u64,
    },
    /// `from` is above `to`.
    #[error("event query range is empty: from {from} > to {to}")]
    EmptyRange {
        /// Start height.
        from: Height,
        /// End height.
        to: Height,
    },
    /// The receipts do not match the block's transactions.
    #[error("block at height {height} has {txs} transactions but {receipts} receipts")]
    ReceiptCount {
        /// The block's height.
        height: Height,
        /// Transactions.
        txs: usize,
        /// Receipts.
        receipts: usize,
    },
}

/// Result of chain-store operations.
pub type StoreResult<T> = std::result::Result<T, ChainStoreError>;
use StoreResult as Result;

/// Where an included transaction is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxLocation {
    /// Height of its block.
    pub height: Height,
    /// Position in the block.
    pub index: u32,
    /// Block-wide position of its first event: the events of the block's earlier
    /// transactions come before it.
    pub first_log_index: u32,
}

/// An included transaction read by hash, without decoding the rest of its block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncludedTx {
    /// Where it is.
    pub location: TxLocation,
    /// Hash of its block.
    pub block_hash: Hash,
    /// The transaction.
    pub tx: SignedTransaction,
}

/// Bytes of a transaction-location record.
const TX_LOCATION_LEN: usize = 24;

/// Bytes of an encoded block header: the prefix of an encoded block.
const HEADER_LEN: usize = cairn_primitives::limits::BLOCK_HEADER_SIZE;

/// Bytes of the transaction count between an encoded block's header and its transactions.
const TX_COUNT_LEN: usize = 4;

/// An event with where it was emitted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEvent {
    /// The event.
    pub event: Event,
    /// Height of its block.
    pub height: Height,
    /// Index of the emitting transaction in the block.
    pub tx_index: u32,
    /// Position of the event among all events of the block.
    pub log_index: u32,
    /// Hash of the emitting transaction.
    pub tx_hash: Hash,
}

/// What an event query selects: a height range, and optionally a contract and a first topic.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// First height (inclusive).
    pub from: Height,
    /// Last height (inclusive).
    pub to: Height,
    /// Only events of this contract.
    pub contract: Option<Address>,
    /// Only events whose first topic is this.
    pub topic0: Option<Hash>,
}

fn be64(h: Height) -> [u8; 8] {
    h.to_be_bytes()
}

fn key(prefix: u8, parts: &[&[u8]]) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + parts.iter().map(|p| p.len()).sum::<usize>());
    k.push(prefix);
    for p in parts {
        k.extend_from_slice(p);
    }
    k
}

fn receipt_key(height: Height, index: u32) -> Vec<u8> {
    let mut k = Vec::with_capacity(12);
    k.extend_from_slice(&be64(height));
    k.extend_from_slice(&index.to_be_bytes());
    k
}

fn read_u64(what: &'static str, bytes: &[u8]) -> Result<u64> {
    <[u8; 8]>::try_from(bytes.get(..8).unwrap_or_default())
        .map(u64::from_be_bytes)
        .map_err(|_| ChainStoreError::Corrupt {
            what,
            reason: format!("{} bytes, expected 8", bytes.len()),
        })
}

fn read_u32(what: &'static str, bytes: &[u8]) -> Result<u32> {
    <[u8; 4]>::try_from(bytes)
        .map(u32::from_be_bytes)
        .map_err(|_| ChainStoreError::Corrupt {
            what,
            reason: format!("{} bytes, expected 4", bytes.len()),
        })
}

fn decode<T: Canonical>(what: &'static str, bytes: &[u8]) -> Result<T> {
    T::decode(bytes).map_err(|e: DecodeError| ChainStoreError::Corrupt {
        what,
        reason: e.to_string(),
    })
}

/// Reads and writes the chain's records over any [`KvRead`] (the live store or a snapshot).
#[derive(Clone, Copy, Debug, Default)]
pub struct ChainStore;

impl ChainStore {
    /// Adds `block`, its `receipts` and their indexes to `batch`, and moves the head to it.
    ///
    /// # Errors
    /// [`ChainStoreError::ReceiptCount`] when the receipts do not match the transactions.
    pub fn write_block(batch: &mut WriteBatch, block: &Block, receipts: &[Receipt]) -> Result<()> {
        let height = block.header.height;
        if receipts.len() != block.txs.len() {
            return Err(ChainStoreError::ReceiptCount {
                height,
                txs: block.txs.len(),
                receipts: receipts.len(),
            });
        }
        let hash = block.hash();
        // The block's encoding, built from each transaction's, encoded once here and also
        // giving its length and hash: header, transaction count (u32 little-endian), txs.
        let mut encoded = block.header.encode();
        let count = u32::try_from(block.txs.len()).expect("at most MAX_BLOCK_TXS transactions");
        encoded.extend_from_slice(&count.to_le_bytes());
        batch.put(
            Column::Blocks,
            key(HEIGHT_BY_HASH, &[&hash.0]),
            be64(height),
        );
        let mut log_index: u32 = 0;
        let mut offset = HEADER_LEN + TX_COUNT_LEN;
        for (i, (tx, receipt)) in block.txs.iter().zip(receipts).enumerate() {
            let index = u32::try_from(i).expect("a block holds at most MAX_BLOCK_TXS transactions");
            batch.put(
                Column::Receipts,
                receipt_key(height, index),
                receipt.encode(),
            );
            let tx_bytes = tx.encode();
            let len = tx_bytes.len();
            let tx_hash = Hash::of(&tx_bytes);
            encoded.extend_from_slice(&tx_bytes);
            let at = |n: usize| u32::try_from(n).expect("a block is at most MAX_BLOCK_SIZE bytes");
            let mut location = Vec::with_capacity(TX_LOCATION_LEN);
            location.extend_from_slice(&be64(height));
            location.extend_from_slice(&index.to_be_bytes());
            location.extend_from_slice(&log_index.to_be_bytes());
            location.extend_from_slice(&at(offset).to_be_bytes());
            location.extend_from_slice(&at(len).to_be_bytes());
            offset += len;
            batch.put(Column::Indexes, key(TX_LOCATION, &[&tx_hash.0]), location);
            for (pos, event) in receipt.events.iter().enumerate() {
                let pos = u32::try_from(pos).expect("bounded by MAX_EVENTS_PER_TX");
                let tail = [&be64(height)[..], &log_index.to_be_bytes()[..]].concat();
                let value = [index.to_be_bytes(), pos.to_be_bytes()].concat();
                batch.put(
                    Column::Indexes,
                    key(EVENT_BY_CONTRACT, &[&event.contract.0, &tail]),
                    value.clone(),
                );
                if let Some(topic0) = event.topics.first() {
                    batch.put(
                        Column::Indexes,
                        key(EVENT_BY_TOPIC, &[&topic0.0, &tail]),
                        value,
                    );
                }
                log_index += 1;
            }
        }
        debug_assert_eq!(offset, encoded.len(), "transaction offsets cover the block");
        debug_assert!(encoded == block.encode(), "the block's canonical encoding");
        batch.put(
            Column::Blocks,
            key(BLOCK_BY_HEIGHT, &[&be64(height)]),
            encoded,
        );
        batch.put(Column::Blocks, HEAD, be64(height));
        Ok(())
    }

    /// Height of the newest stored block, or `None` before the first.
    ///
    /// # Errors
    /// On a backend failure or a corrupt record.
    pub fn head(kv: &impl KvRead) -> Result<Option<Height>> {
        kv.get(Column::Blocks, HEAD)?
            .map(|v| read_u64("head", &v))
            .transpose()
    }

    /// The block at `height`.
    ///
    /// # Errors
    /// On a backend failure or a corrupt record.
    pub fn block(kv: &impl KvRead, height: Height) -> Result<Option<Block>> {
        kv.get(Column::Blocks, &key(BLOCK_BY_HEIGHT, &[&be64(height)]))?
            .map(|v| decode("block", &v))
            .transpose()
    }

    /// The height of the block with `hash`.
    ///
    /// # Errors
    /// On a backend failure or a corrupt record.
    pub fn height_of(kv: &impl KvRead, hash: &Hash) -> Result<Option<Height>> {
        kv.get(Column::Blocks, &key(HEIGHT_BY_HASH, &[&hash.0]))?
            .map(|v| read_u64("block hash index", &v))
            .transpose()
    }

    /// Where the transaction with `hash` was included.
    ///
    /// # Errors
    /// On a backend failure or a corrupt record.
    pub fn tx_location(kv: &impl KvRead, hash: &Hash) -> Result<Option<TxLocation>> {
        Ok(Self::tx_record(kv, hash)?.map(|(location, _)| location))
    }

    /// The location record of `hash`: where it is, and its bytes' range in the block.
    fn tx_record(
        kv: &impl KvRead,
        hash: &Hash,
    ) -> Result<Option<(TxLocation, std::ops::Range<usize>)>> {
        let Some(v) = kv.get(Column::Indexes, &key(TX_LOCATION, &[&hash.0]))? else {
            return Ok(None);
        };
        if v.len() != TX_LOCATION_LEN {
            return Err(ChainStoreError::Corrupt {
                what: "tx location",
                reason: format!("{} bytes, expected {TX_LOCATION_LEN}", v.len()),
            });
        }
        let location = TxLocation {
            height: read_u64("tx location", &v[..8])?,
            index: read_u32("tx location", &v[8..12])?,
            first_log_index: read_u32("tx location", &v[12..16])?,
        };
        let offset = read_u32("tx location", &v[16..20])? as usize;
        let len = read_u32("tx location", &v[20..24])? as usize;
        Ok(Some((location, offset..offset + len)))
    }

    /// The included transaction with `hash`, its location and its block's hash, decoding
    /// only the block's header and this transaction (one zero-copy read of the block).
    ///
    /// # Errors
    /// On a backend failure or a corrupt record.
    pub fn included_tx(kv: &impl KvRead, hash: &Hash) -> Result<Option<IncludedTx>> {
        let Some((location, range)) = Self::tx_record(kv, hash)? else {
            return Ok(None);
        };
        let block_key = key(BLOCK_BY_HEIGHT, &[&be64(location.height)]);
        let read = kv.get_with(Column::Blocks, &block_key, |bytes| {
            let header = bytes
                .get(..HEADER_LEN)
                .ok_or_else(|| ChainStoreError::Corrupt {
                    what: "block",
                    reason: format!("{} bytes, shorter than a header", bytes.len()),
                })?;
            let tx_bytes = bytes
                .get(range.clone())
                .ok_or_else(|| ChainStoreError::Corrupt {
                    what: "tx location",
                    reason: format!(
                        "bytes {range:?} outside block {} of {} bytes",
                        location.height,
                        bytes.len()
                    ),
                })?;
            let tx: SignedTransaction = decode("transaction", tx_bytes)?;
            Ok::<_, ChainStoreError>((Hash::of(header), tx))
        })?;
        let Some((block_hash, tx)) = read.transpose()? else {
            return Err(ChainStoreError::Corrupt {
                what: "tx location",
                reason: format!("points at missing block {}", location.height),
            });
        };
        if tx.tx_hash() != *hash {
            return Err(ChainStoreError::Corrupt {
                what: "tx location",
                reason: format!("{hash} points at another transaction"),
            });
        }
        Ok(Some(IncludedTx {
            location,
            block_hash,
            tx,
        }))
    }

    /// The receipt of the transaction at position `index` of the block at `height`.
    ///
    /// # Errors
    /// On a backend failure or a corrupt record.
    pub fn receipt_at(kv: &impl KvRead, height: Height, index: u32) -> Result<Option<Receipt>> {
        kv.get(Column::Receipts, &receipt_key(height, index))?
            .map(|v| decode("receipt", &v))
            .transpose()
    }

    /// The receipt of the transaction with `hash`, with its location.
    ///
    /// # Errors
    /// On a backend failure or a corrupt record.
    pub fn receipt(kv: &impl KvRead, hash: &Hash) -> Result<Option<(TxLocation, Receipt)>> {
        let Some(location) = Self::tx_location(kv, hash)? else {
            return Ok(None);
        };
        Ok(Self::receipt_at(kv, location.height, location.index)?.map(|r| (location, r)))
    }

    /// The events matching `filter`, in (height, log index) order.
    ///
    /// Uses the contract index when a contract is given, else the topic index when a first
    /// topic is given, else reads the range's receipts.
    ///
    /// # Errors
    /// [`ChainStoreError::RangeTooLarge`] beyond [`MAX_EVENT_QUERY_BLOCKS`],
    /// [`ChainStoreError::EmptyRange`] when `from > to`, or a backend failure.
    pub fn events(kv: &impl KvRead, filter: &EventFilter) -> Result<Vec<StoredEvent>> {
        if filter.from > filter.to {
            return Err(ChainStoreError::EmptyRange {
                from: filter.from,
                to: filter.to,
            });
        }
        let blocks = filter.to - filter.from + 1;
        if blocks > MAX_EVENT_QUERY_BLOCKS {
            return Err(ChainStoreError::RangeTooLarge {
                blocks,
                max: MAX_EVENT_QUERY_BLOCKS,
            });
        }
        let matches = |e: &Event| {
            filter.contract.is_none_or(|c| e.contract == c)
                && filter.topic0.is_none_or(|t| e.topics.first() == Some(&t))
        };
        // Candidate (height, log index) pairs from an index, or every block of the range.
        let indexed: Option<(u8, Vec<u8>)> = match (&filter.contract, &filter.topic0) {
            (Some(c), _) => Some((EVENT_BY_CONTRACT, c.0.to_vec())),
            (None, Some(t)) => Some((EVENT_BY_TOPIC, t.0.to_vec())),
            (None, None) => None,
        };
        let mut out = Vec::new();
        match indexed {
            Some((prefix, id)) => {
                let from = key(prefix, &[&id, &be64(filter.from)]);
                let to = key(
                    prefix,
                    &[&id, &be64(filter.to), &u32::MAX.to_be_bytes(), &[0xff]],
                );
                // Receipts of the block being read, loaded on first use.
                let mut current: Option<(Height, Block, Vec<Option<Receipt>>)> = None;
                for item in kv.iter(
                    Column::Indexes,
                    KeyRange::between(&from, &to),
                    Direction::Forward,
                )? {
                    let (k, v) = item?;
                    let tail = &k[1 + id.len()..];
                    let height = read_u64("event index", tail)?;
                    let log_index = read_u32("event index", tail.get(8..).unwrap_or_default())?;
                    if v.len() != 8 {
                        return Err(ChainStoreError::Corrupt {
                            what: "event index",
                            reason: format!("{} bytes", v.len()),
                        });
                    }
                    let tx_index = read_u32("event index", &v[..4])?;
                    let pos = read_u32("event index", &v[4..])?;
                    if current.as_ref().is_none_or(|(h, _, _)| *h != height) {
                        let block = Self::block(kv, height)?.ok_or(ChainStoreError::Corrupt {
                            what: "event index",
                            reason: format!("no block at height {height}"),
                        })?;
                        let n = block.txs.len();
                        current = Some((height, block, vec![None; n]));
                    }
                    let (_, block, receipts) = current.as_mut().expect("set above");
                    let corrupt = || ChainStoreError::Corrupt {
                        what: "event index",
                        reason: format!(
                            "no event {pos} of transaction {tx_index} at height {height}"
                        ),
                    };
                    let slot = receipts.get_mut(tx_index as usize).ok_or_else(corrupt)?;
                    if slot.is_none() {
                        *slot = Self::receipt_at(kv, height, tx_index)?;
                    }
                    let event = slot
                        .as_ref()
                        .and_then(|r| r.events.get(pos as usize))
                        .ok_or_else(corrupt)?;
                    if matches(event) {
                        out.push(StoredEvent {
                            event: event.clone(),
                            height,
                            tx_index,
                            log_index,
                            tx_hash: block.txs[tx_index as usize].tx_hash(),
                        });
                        if out.len() >= MAX_EVENT_QUERY_RESULTS {
                            break;
                        }
                    }
                }
            }
            None => {
                for height in filter.from..=filter.to {
                    let Some(block) = Self::block(kv, height)? else {
                        break;
                    };
                    let mut log_index = 0u32;
                    for (i, tx) in block.txs.iter().enumerate() {
                        let tx_index = u32::try_from(i).expect("bounded by MAX_BLOCK_TXS");
                        let receipt = Self::receipt_at(kv, height, tx_index)?.ok_or(
                            ChainStoreError::Corrupt {
                                what: "receipt",
                                reason: format!("missing {height}/{tx_index}"),
                            },
                        )?;
                        for event in receipt.events {
                            out.push(StoredEvent {
                                event,
                                height,
                                tx_index,
                                log_index,
                                tx_hash: tx.tx_hash(),
                            });
                            log_index += 1;
                            if out.len() >= MAX_EVENT_QUERY_RESULTS {
                                return Ok(out);
                            }
                        }
                    }
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use cairn_primitives::{
        BlockHeader, ReceiptStatus, SecretKey, Transaction, Transfer, TxKind, U256,
    };
    use cairn_storage::{KvStore, MemStore};

    use super::*;

    fn event(contract: u8, topic: u8) -> Event {
        Event {
            contract: Address([contract; 20]),
            topics: vec![Hash([topic; 32])],
            data: vec![contract, topic],
        }
    }

    fn block_with(height: Height, receipts_events: &[Vec<Event>]) -> (Block, Vec<Receipt>) {
        let key = SecretKey::from_bytes(&[7; 32]);
        let txs = (0..receipts_events.len())
            .map(|i| {
                key.sign_tx(Transaction {
                    chain_id: 1,
                    nonce: height * 100 + i as u64,
                    gas_limit: 21_000,
                    gas_price: U256::one(),
                    kind: TxKind::Transfer(Transfer {
                        to: Address([1; 20]),
                        amount: U256::one(),
                    }),
                })
            })
            .collect();
        let header = BlockHeader {
            parent_hash: Hash::ZERO,
            height,
            timestamp: height * 1000,
            proposer: Address::ZERO,
            tx_root: Hash::ZERO,
            receipts_root: Hash::ZERO,
            state_root: Hash::ZERO,
            gas_used: 0,
            gas_limit: 1_000_000,
        };
        let receipts = receipts_events
            .iter()
            .map(|events| Receipt {
                status: ReceiptStatus::Success,
                gas_used: 21_000,
                return_data: vec![],
                events: events.clone(),
                error: None,
                gas_profile: cairn_primitives::GasProfile::default(),
            })
            .collect();
        (Block { header, txs }, receipts)
    }

    fn store_chain() -> (MemStore, Vec<(Block, Vec<Receipt>)>) {
        let store = MemStore::new();
        let blocks = vec![
            block_with(1, &[vec![event(1, 10), event(2, 20)], vec![event(1, 11)]]),
            block_with(2, &[vec![]]),
            block_with(3, &[vec![event(2, 10)], vec![event(1, 10), event(3, 30)]]),
        ];
        for (b, r) in &blocks {
            let mut batch = WriteBatch::new();
            ChainStore::write_block(&mut batch, b, r).unwrap();
            store.write(batch, false).unwrap();
        }
        (store, blocks)
    }

    #[test]
    fn blocks_receipts_and_locations_round_trip() {
        let (store, blocks) = store_chain();
        assert_eq!(ChainStore::head(&store).unwrap(), Some(3));
        for (b, receipts) in &blocks {
            let h = b.header.height;
            assert_eq!(ChainStore::block(&store, h).unwrap().as_ref(), Some(b));
            assert_eq!(ChainStore::height_of(&store, &b.hash()).unwrap(), Some(h));
            let mut events_before = 0u32;
            for (i, (tx, r)) in b.txs.iter().zip(receipts).enumerate() {
                let loc = TxLocation {
                    height: h,
                    index: u32::try_from(i).unwrap(),
                    first_log_index: events_before,
                };
                events_before += u32::try_from(r.events.len()).unwrap();
                assert_eq!(
                    ChainStore::receipt(&store, &tx.tx_hash()).unwrap(),
                    Some((loc, r.clone()))
                );
                // Read alone, without the rest of the block: the same transaction.
                assert_eq!(
                    ChainStore::included_tx(&store, &tx.tx_hash()).unwrap(),
                    Some(IncludedTx {
                        location: loc,
                        block_hash: b.hash(),
                        tx: tx.clone(),
                    })
                );
            }
        }
        assert_eq!(ChainStore::block(&store, 4).unwrap(), None);
        assert_eq!(
            ChainStore::tx_location(&store, &Hash([9; 32])).unwrap(),
            None
        );
        assert_eq!(
            ChainStore::included_tx(&store, &Hash([9; 32])).unwrap(),
            None
        );
    }

    #[test]
    fn a_location_pointing_at_another_transaction_is_corrupt_not_a_wrong_answer() {
        let (store, blocks) = store_chain();
        let first = blocks[0].0.txs[0].tx_hash();
        let second = blocks[0].0.txs[1].tx_hash();
        // Point the first transaction's record at the second one's bytes.
        let mut record = store
            .get(Column::Indexes, &key(TX_LOCATION, &[&second.0]))
            .unwrap()
            .unwrap();
        record[8..16].fill(0);
        let mut batch = WriteBatch::new();
        batch.put(Column::Indexes, key(TX_LOCATION, &[&first.0]), record);
        store.write(batch, false).unwrap();
        let err = ChainStore::included_tx(&store, &first).unwrap_err();
        assert!(
            err.to_string().contains("points at another transaction"),
            "{err}"
        );
    }

    #[test]
    fn receipts_must_match_transactions() {
        let (b, mut r) = block_with(1, &[vec![], vec![]]);
        r.pop();
        assert!(matches!(
            ChainStore::write_block(&mut WriteBatch::new(), &b, &r),
            Err(ChainStoreError::ReceiptCount {
                txs: 2,
                receipts: 1,
                ..
            })
        ));
    }

    fn ids(events: &[StoredEvent]) -> Vec<(Height, u32, u32, u8, u8)> {
        events
            .iter()
            .map(|e| {
                (
                    e.height,
                    e.tx_index,
                    e.log_index,
                    e.event.contract.0[0],
                    e.event.topics[0].0[0],
                )
            })
            .collect()
    }

    #[test]
    fn event_queries_by_contract_topic_and_range() {
        let (store, blocks) = store_chain();
        let all = ChainStore::events(
            &store,
            &EventFilter {
                from: 1,
                to: 3,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            ids(&all),
            vec![
                (1, 0, 0, 1, 10),
                (1, 0, 1, 2, 20),
                (1, 1, 2, 1, 11),
                (3, 0, 0, 2, 10),
                (3, 1, 1, 1, 10),
                (3, 1, 2, 3, 30)
            ]
        );
        assert_eq!(all[2].tx_hash, blocks[0].0.txs[1].tx_hash());
        let by_contract = ChainStore::events(
            &store,
            &EventFilter {
                from: 1,
                to: 3,
                contract: Some(Address([1; 20])),
                topic0: None,
            },
        )
        .unwrap();
        assert_eq!(
            ids(&by_contract),
            vec![(1, 0, 0, 1, 10), (1, 1, 2, 1, 11), (3, 1, 1, 1, 10)]
        );
        let by_topic = ChainStore::events(
            &store,
            &EventFilter {
                from: 2,
                to: 3,
                contract: None,
                topic0: Some(Hash([10; 32])),
            },
        )
        .unwrap();
        assert_eq!(ids(&by_topic), vec![(3, 0, 0, 2, 10), (3, 1, 1, 1, 10)]);
        let both = ChainStore::events(
            &store,
            &EventFilter {
                from: 1,
                to: 3,
                contract: Some(Address([1; 20])),
                topic0: Some(Hash([10; 32])),
            },
        )
        .unwrap();
        assert_eq!(ids(&both), vec![(1, 0, 0, 1, 10), (3, 1, 1, 1, 10)]);
        // Every indexed answer equals the unindexed scan filtered by hand.
        assert_eq!(
            by_contract,
            all.iter()
                .filter(|e| e.event.contract == Address([1; 20]))
                .cloned()
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn event_range_limits() {
        let (store, _) = store_chain();
        assert!(
            ChainStore::events(
                &store,
                &EventFilter {
                    from: 0,
                    to: MAX_EVENT_QUERY_BLOCKS - 1,
                    ..Default::default()
                }
            )
            .is_ok()
        );
        assert!(matches!(
            ChainStore::events(
                &store,
                &EventFilter {
                    from: 0,
                    to: MAX_EVENT_QUERY_BLOCKS,
                    ..Default::default()
                }
            ),
            Err(ChainStoreError::RangeTooLarge {
                blocks: 10_001,
                max: 10_000
            })
        ));
        assert!(matches!(
            ChainStore::events(
                &store,
                &EventFilter {
                    from: 3,
                    to: 2,
                    ..Default::default()
                }
            ),
            Err(ChainStoreError::EmptyRange { .. })
        ));
    }
}
