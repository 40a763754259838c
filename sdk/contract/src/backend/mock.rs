//! The native environment: one contract's storage, the call context, balances and the
//! events emitted, per thread (Rust runs each test on its own thread, so tests never see
//! each other's state). Controlled through [`crate::testing`].

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::cell::RefCell;

use cairn_primitives::{Address, Hash};
use std::thread_local;

/// An event as the mock recorded it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedEvent {
    /// Topics, the signature first.
    pub topics: Vec<Hash>,
    /// The encoded fields.
    pub data: Vec<u8>,
}

/// Everything the mock environment holds.
#[derive(Clone, Debug)]
pub(crate) struct MockEnv {
    pub(crate) storage: BTreeMap<Vec<u8>, Vec<u8>>,
    pub(crate) contract: Address,
    pub(crate) caller: Address,
    pub(crate) origin: Address,
    pub(crate) value: u128,
    pub(crate) height: u64,
    pub(crate) timestamp: u64,
    pub(crate) chain_id: u64,
    pub(crate) balances: BTreeMap<Address, u128>,
    pub(crate) events: Vec<RecordedEvent>,
    pub(crate) logs: Vec<String>,
    pub(crate) gas_left: u64,
    pub(crate) input: Vec<u8>,
    pub(crate) return_data: Vec<u8>,
}

/// The contract address the mock runs as by default.
pub(crate) const DEFAULT_CONTRACT: Address = Address([0xcc; 20]);
/// The caller (and origin) by default.
pub(crate) const DEFAULT_CALLER: Address = Address([0xaa; 20]);

impl Default for MockEnv {
    fn default() -> Self {
        Self {
            storage: BTreeMap::new(),
            contract: DEFAULT_CONTRACT,
            caller: DEFAULT_CALLER,
            origin: DEFAULT_CALLER,
            value: 0,
            height: 1,
            timestamp: 1_700_000_000_000,
            chain_id: 1,
            balances: BTreeMap::new(),
            events: Vec::new(),
            logs: Vec::new(),
            gas_left: 100_000_000,
            input: Vec::new(),
            return_data: Vec::new(),
        }
    }
}

thread_local! {
    static ENV: RefCell<MockEnv> = RefCell::new(MockEnv::default());
}

/// Runs `f` on this thread's mock environment.
pub(crate) fn with<T>(f: impl FnOnce(&mut MockEnv) -> T) -> T {
    ENV.with(|e| f(&mut e.borrow_mut()))
}

fn amount(v: u128) -> [u8; 32] {
    let mut out = [0u8; 32];
    out[..16].copy_from_slice(&v.to_le_bytes());
    out
}

fn low_u128(v: &[u8; 32]) -> u128 {
    let mut low = [0u8; 16];
    low.copy_from_slice(&v[..16]);
    u128::from_le_bytes(low)
}

pub(crate) fn input() -> Vec<u8> {
    with(|e| e.input.clone())
}

pub(crate) fn set_return(data: &[u8]) {
    with(|e| e.return_data = data.to_vec());
}

pub(crate) fn revert(msg: &str) -> ! {
    std::panic!("{msg}")
}

pub(crate) fn storage_read(key: &[u8]) -> Option<Vec<u8>> {
    with(|e| e.storage.get(key).cloned())
}

pub(crate) fn storage_write(key: &[u8], value: &[u8]) {
    with(|e| e.storage.insert(key.to_vec(), value.to_vec()));
}

pub(crate) fn storage_remove(key: &[u8]) -> bool {
    with(|e| e.storage.remove(key).is_some())
}

pub(crate) fn storage_has(key: &[u8]) -> bool {
    with(|e| e.storage.contains_key(key))
}

pub(crate) fn caller() -> Address {
    with(|e| e.caller)
}

pub(crate) fn origin() -> Address {
    with(|e| e.origin)
}

pub(crate) fn self_address() -> Address {
    with(|e| e.contract)
}

pub(crate) fn value() -> [u8; 32] {
    with(|e| amount(e.value))
}

pub(crate) fn block_height() -> u64 {
    with(|e| e.height)
}

pub(crate) fn timestamp() -> u64 {
    with(|e| e.timestamp)
}

pub(crate) fn chain_id() -> u64 {
    with(|e| e.chain_id)
}

pub(crate) fn balance(address: &Address) -> [u8; 32] {
    with(|e| amount(e.balances.get(address).copied().unwrap_or(0)))
}

/// Moves `amount` from the contract's mock balance; 7 (insufficient balance) when short,
/// as the host does.
pub(crate) fn transfer(to: &Address, amount: &[u8; 32]) -> u32 {
    let amount = low_u128(amount);
    with(|e| {
        let from = e.balances.get(&e.contract).copied().unwrap_or(0);
        let Some(left) = from.checked_sub(amount) else {
            return 7;
        };
        let contract = e.contract;
        e.balances.insert(contract, left);
        let to_balance = e.balances.entry(*to).or_insert(0);
        *to_balance = to_balance.saturating_add(amount);
        0
    })
}

pub(crate) fn emit_event(topics: &[[u8; 32]], data: &[u8]) {
    with(|e| {
        e.events.push(RecordedEvent {
            topics: topics.iter().map(|t| Hash(*t)).collect(),
            data: data.to_vec(),
        });
    });
}

pub(crate) fn call(
    to: &Address,
    method: &str,
    _args: &[u8],
    _value: &[u8; 32],
    _gas: u64,
) -> (u32, Vec<u8>) {
    std::panic!(
        "the native mock cannot call contract {to} (method `{method}`): test cross-contract \
         calls with cairn-testkit, which runs the real VM"
    )
}

pub(crate) fn deploy(
    code_hash: &Hash,
    _salt: &Hash,
    _args: &[u8],
    _value: &[u8; 32],
    _gas: u64,
) -> Result<Address, (u32, Vec<u8>)> {
    std::panic!("the native mock cannot deploy code {code_hash}: use cairn-testkit")
}

pub(crate) fn keccak256(data: &[u8]) -> [u8; 32] {
    cairn_primitives::keccak256(data)
}

pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(data).into()
}

pub(crate) fn ed25519_verify(public_key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
    cairn_primitives::verify(public_key, message, signature).is_ok()
}

pub(crate) fn gas_left() -> u64 {
    with(|e| e.gas_left)
}

pub(crate) fn debug_log(msg: &str) {
    with(|e| e.logs.push(msg.to_string()));
}
