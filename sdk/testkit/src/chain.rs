//! The test chain: layered in-memory state, one block per transaction.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use borsh::BorshSerialize;
use cairn_executor::{BlockEnv, Executor, ExecutorConfig, genesis_changes};
use cairn_primitives::{
    Address, Amount, Call, Deploy, Gas, Hash, MethodCall, ReceiptStatus, SecretKey, SetAdmin,
    Transaction, Transfer, TxKind, Upgrade, dev_account_key,
};
use cairn_state::{Account, StateChanges, StateError, StateReader};
use cairn_vm::{Vm, VmConfig};

use crate::report::GasReport;
use crate::result::{TxError, TxResult};

/// Dev accounts a [`TestChain::new`] chain funds.
pub const DEFAULT_ACCOUNTS: u32 = 10;
/// Balance of each dev account (10³⁰ smallest units).
pub const DEFAULT_BALANCE: u128 = 1_000_000_000_000_000_000_000_000_000_000;
/// Gas limit of each transaction and of each block.
pub const DEFAULT_GAS_LIMIT: Gas = 100_000_000;
/// Milliseconds between consecutive blocks (one per transaction).
pub const BLOCK_TIME_MS: u64 = 1_000;
/// The first block's timestamp (2023-11-14T22:13:20Z), fixed so tests are reproducible.
pub const GENESIS_TIMESTAMP_MS: u64 = 1_700_000_000_000;
/// Frozen layers kept before they are merged into one (bounds read cost after many forks).
const MAX_LAYERS: usize = 16;

/// One process-wide executor: contracts are compiled once however many chains a test
/// suite creates.
fn shared_executor() -> Executor {
    static EXECUTOR: OnceLock<Executor> = OnceLock::new();
    EXECUTOR
        .get_or_init(|| {
            // Tests want to know where a contract trapped: receipts carry the backtrace.
            let vm = Vm::new(VmConfig {
                backtraces: true,
                ..VmConfig::default()
            })
            .expect("the VM starts");
            Executor::new(Arc::new(vm), ExecutorConfig::default())
        })
        .clone()
}

/// The state as newest-first layers of changes.
struct Layers<'a> {
    current: &'a StateChanges,
    frozen: &'a [Arc<StateChanges>],
}

impl Layers<'_> {
    fn find<T>(&self, f: impl Fn(&StateChanges) -> Option<T>) -> Option<T> {
        f(self.current).or_else(|| self.frozen.iter().rev().find_map(|l| f(l)))
    }
}

impl StateReader for Layers<'_> {
    fn account(&self, address: &Address) -> Result<Option<Account>, StateError> {
        Ok(self.find(|l| l.accounts.get(address).copied()).flatten())
    }

    fn storage(&self, address: &Address, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        Ok(self
            .find(|l| l.written_storage(address, key).cloned())
            .flatten())
    }

    fn code(&self, hash: &Hash) -> Result<Option<Vec<u8>>, StateError> {
        Ok(self.find(|l| l.code.get(hash).cloned()))
    }
}

/// Value and gas of one transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallOptions {
    /// Native value attached.
    pub value: u128,
    /// Gas limit.
    pub gas: Gas,
    /// Deploys only: the account that may upgrade the contract (`None`: immutable code).
    pub admin: Option<Address>,
}

impl Default for CallOptions {
    fn default() -> Self {
        Self {
            value: 0,
            gas: DEFAULT_GAS_LIMIT,
            admin: None,
        }
    }
}

/// How to build a [`TestChain`].
#[derive(Clone, Debug)]
pub struct TestChainBuilder {
    accounts: u32,
    balance: u128,
    chain_id: u64,
    gas_price: u128,
    timestamp_ms: u64,
}

impl Default for TestChainBuilder {
    fn default() -> Self {
        Self {
            accounts: DEFAULT_ACCOUNTS,
            balance: DEFAULT_BALANCE,
            chain_id: 1,
            gas_price: 0,
            timestamp_ms: GENESIS_TIMESTAMP_MS,
        }
    }
}

impl TestChainBuilder {
    /// How many dev accounts to fund.
    #[must_use]
    pub fn accounts(mut self, n: u32) -> Self {
        self.accounts = n;
        self
    }

    /// Each dev account's balance.
    #[must_use]
    pub fn balance(mut self, balance: u128) -> Self {
        self.balance = balance;
        self
    }

    /// The chain id.
    #[must_use]
    pub fn chain_id(mut self, chain_id: u64) -> Self {
        self.chain_id = chain_id;
        self
    }

    /// The gas price of every transaction (0 by default, so native balances in tests move
    /// only by the values sent; set it to test fees).
    #[must_use]
    pub fn gas_price(mut self, price: u128) -> Self {
        self.gas_price = price;
        self
    }

    /// The timestamp of the first block.
    #[must_use]
    pub fn timestamp_ms(mut self, ts: u64) -> Self {
        self.timestamp_ms = ts;
        self
    }

    /// The chain.
    #[must_use]
    pub fn build(self) -> TestChain {
        let keys: Vec<SecretKey> = (0..self.accounts).map(dev_account_key).collect();
        let funded: Vec<(Address, Amount)> = keys
            .iter()
            .map(|k| (k.address(), Amount::from(self.balance)))
            .collect();
        let genesis = genesis_changes(&funded).expect("dev accounts are distinct");
        TestChain {
            executor: shared_executor(),
            frozen: vec![Arc::new(genesis)],
            current: StateChanges::default(),
            env: BlockEnv {
                chain_id: self.chain_id,
                height: 1,
                timestamp_ms: self.timestamp_ms,
                proposer: Address([0; 20]),
                gas_limit: DEFAULT_GAS_LIMIT,
            },
            accounts: funded.iter().map(|(a, _)| *a).collect(),
            gas_price: self.gas_price,
            names: BTreeMap::new(),
            report: GasReport::default(),
        }
    }
}

/// A frozen chain state: fork it as often as needed, from any thread, for free.
#[derive(Clone)]
pub struct Snapshot {
    chain: Arc<TestChain>,
}

impl Snapshot {
    /// A chain starting from this snapshot.
    #[must_use]
    pub fn fork(&self) -> TestChain {
        self.chain.clone_frozen()
    }
}

/// An in-process chain over the real VM and executor.
pub struct TestChain {
    executor: Executor,
    frozen: Vec<Arc<StateChanges>>,
    current: StateChanges,
    env: BlockEnv,
    accounts: Vec<Address>,
    gas_price: u128,
    names: BTreeMap<Address, String>,
    report: GasReport,
}

impl Default for TestChain {
    fn default() -> Self {
        Self::new()
    }
}

impl TestChain {
    /// Ten dev accounts (the devnet's keys) with 10³⁰ each, gas price 0.
    #[must_use]
    pub fn new() -> Self {
        TestChainBuilder::default().build()
    }

    /// A builder for other settings.
    #[must_use]
    pub fn builder() -> TestChainBuilder {
        TestChainBuilder::default()
    }

    /// Dev account `i` (panics past the funded ones).
    #[must_use]
    pub fn account(&self, i: usize) -> Address {
        self.accounts[i]
    }

    /// Dev account 0.
    #[must_use]
    pub fn alice(&self) -> Address {
        self.account(0)
    }

    /// Dev account 1.
    #[must_use]
    pub fn bob(&self) -> Address {
        self.account(1)
    }

    /// Dev account 2.
    #[must_use]
    pub fn carol(&self) -> Address {
        self.account(2)
    }

    /// The height the next transaction executes at.
    #[must_use]
    pub fn height(&self) -> u64 {
        self.env.height
    }

    /// The timestamp the next transaction executes at (milliseconds).
    #[must_use]
    pub fn timestamp_ms(&self) -> u64 {
        self.env.timestamp_ms
    }

    /// Moves the clock forward by `ms` (on top of the block time each transaction adds).
    pub fn advance_time(&mut self, ms: u64) {
        self.env.timestamp_ms = self.env.timestamp_ms.saturating_add(ms);
    }

    fn reader(&self) -> Layers<'_> {
        Layers {
            current: &self.current,
            frozen: &self.frozen,
        }
    }

    /// The native balance of `address` (saturating at `u128::MAX`).
    #[must_use]
    pub fn balance(&self, address: Address) -> u128 {
        let b = self
            .reader()
            .account(&address)
            .expect("in-memory reads do not fail")
            .map_or(Amount::zero(), |a| a.balance);
        if b > Amount::from(u128::MAX) {
            u128::MAX
        } else {
            b.as_u128()
        }
    }

    fn account_of(&self, address: Address) -> Option<Account> {
        self.reader()
            .account(&address)
            .expect("in-memory reads do not fail")
    }

    /// The nonce `address` signs its next transaction with.
    #[must_use]
    pub fn nonce(&self, address: Address) -> u64 {
        self.reader()
            .account(&address)
            .expect("in-memory reads do not fail")
            .map_or(0, |a| a.nonce)
    }

    /// Raw storage of `contract` under `key`.
    #[must_use]
    pub fn storage(&self, contract: Address, key: &[u8]) -> Option<Vec<u8>> {
        self.reader()
            .storage(&contract, key)
            .expect("in-memory reads do not fail")
    }

    /// Gas used per contract method so far.
    #[must_use]
    pub fn gas_report(&self) -> &GasReport {
        &self.report
    }

    /// Runs `kind` signed by `from` as the next block's only transaction.
    fn run(&mut self, from: Address, gas: Gas, kind: TxKind) -> TxResult {
        let tx = Transaction {
            chain_id: self.env.chain_id,
            nonce: self.nonce(from),
            gas_limit: gas,
            gas_price: Amount::from(self.gas_price),
            kind,
        };
        let sim = self
            .executor
            .simulate(&self.reader(), &self.env, from, &tx)
            .expect("the in-memory chain does not fail");
        self.env.height += 1;
        self.env.timestamp_ms += BLOCK_TIME_MS;
        match sim {
            Ok(mut sim) => {
                self.current.merge(std::mem::take(&mut sim.changes));
                TxResult::from_simulation(sim)
            }
            Err(rejection) => TxResult::rejected(&rejection),
        }
    }

    /// Deploys `wasm` from `from`, running `init` with `args` (the tuple of its
    /// parameters; `&()` for none); the new contract's address.
    ///
    /// # Errors
    /// The constructor's revert, or refused code.
    pub fn deploy<A: BorshSerialize>(
        &mut self,
        from: Address,
        wasm: &[u8],
        init: &str,
        args: &A,
    ) -> Result<Address, TxError> {
        self.deploy_with(from, wasm, Some((init, args)), CallOptions::default())
    }

    /// [`Self::deploy`] with value and gas options, or without a constructor.
    ///
    /// # Errors
    /// As [`Self::deploy`].
    pub fn deploy_with<A: BorshSerialize>(
        &mut self,
        from: Address,
        wasm: &[u8],
        init: Option<(&str, &A)>,
        options: CallOptions,
    ) -> Result<Address, TxError> {
        let init = init.map(|(method, args)| MethodCall {
            method: method.to_owned(),
            args: borsh::to_vec(args).expect("encoding into a Vec"),
        });
        let init_name = init.as_ref().map(|i| i.method.clone());
        let r = self.run(
            from,
            options.gas,
            TxKind::Deploy(Deploy {
                code: wasm.to_vec(),
                init,
                salt: None,
                value: Amount::from(options.value),
                admin: options.admin,
            }),
        );
        let r = r.into_result()?;
        let address = r
            .contract_address
            .expect("a successful deploy has an address");
        let name = contract_name(wasm).unwrap_or_else(|| format!("{address}"));
        if let Some(m) = init_name {
            self.report.record(&name, &m, r.gas_used);
        }
        self.names.insert(address, name);
        Ok(address)
    }

    /// Calls `method` of `contract` from `from` with `args` (the tuple of its parameters).
    pub fn call<A: BorshSerialize>(
        &mut self,
        from: Address,
        contract: Address,
        method: &str,
        args: &A,
    ) -> TxResult {
        self.call_with(from, contract, method, args, CallOptions::default())
    }

    /// [`Self::call`] with value and gas options.
    pub fn call_with<A: BorshSerialize>(
        &mut self,
        from: Address,
        contract: Address,
        method: &str,
        args: &A,
        options: CallOptions,
    ) -> TxResult {
        let r = self.run(
            from,
            options.gas,
            TxKind::Call(Call {
                to: contract,
                method: method.to_owned(),
                args: borsh::to_vec(args).expect("encoding into a Vec"),
                value: Amount::from(options.value),
            }),
        );
        if r.status != ReceiptStatus::Failed || r.gas_used > 0 {
            let name = self
                .names
                .get(&contract)
                .cloned()
                .unwrap_or_else(|| format!("{contract}"));
            self.report.record(&name, method, r.gas_used);
        }
        r
    }

    /// Upgrades `contract` to `wasm` in place, sent by `from` (its admin): the new code's
    /// `#[migrate]` method runs with `args` (the tuple of its parameters after the previous
    /// version; `&()` for none) atomically with the swap.
    pub fn upgrade<A: BorshSerialize>(
        &mut self,
        from: Address,
        contract: Address,
        wasm: &[u8],
        args: &A,
    ) -> TxResult {
        let r = self.run(
            from,
            DEFAULT_GAS_LIMIT,
            TxKind::Upgrade(Upgrade {
                contract,
                code: wasm.to_vec(),
                migrate_args: borsh::to_vec(args).expect("encoding into a Vec"),
            }),
        );
        if r.is_success()
            && let Some(name) = contract_name(wasm)
        {
            self.names.insert(contract, name);
        }
        r
    }

    /// Hands `contract` to `admin`, or with `None` makes its code immutable; sent by `from`
    /// (the current admin).
    pub fn set_admin(
        &mut self,
        from: Address,
        contract: Address,
        admin: Option<Address>,
    ) -> TxResult {
        self.run(
            from,
            DEFAULT_GAS_LIMIT,
            TxKind::SetAdmin(SetAdmin { contract, admin }),
        )
    }

    /// The admin of `contract` (`None`: immutable, or no contract there).
    #[must_use]
    pub fn admin(&self, contract: Address) -> Option<Address> {
        self.account_of(contract).and_then(|a| a.admin)
    }

    /// The hash of `contract`'s code (`None`: no contract there).
    #[must_use]
    pub fn code_hash(&self, contract: Address) -> Option<[u8; 32]> {
        self.account_of(contract)
            .and_then(|a| a.code_hash)
            .map(|h| h.0)
    }

    /// Sends `amount` of the native token.
    pub fn transfer(&mut self, from: Address, to: Address, amount: u128) -> TxResult {
        self.run(
            from,
            DEFAULT_GAS_LIMIT,
            TxKind::Transfer(Transfer {
                to,
                amount: Amount::from(amount),
            }),
        )
    }

    /// Runs `method` of `contract` read-only (from the zero address) and decodes its return
    /// value. Nothing is kept, no block is made.
    ///
    /// # Errors
    /// The method's failure, or a return value that is not a `T`.
    pub fn view<T: borsh::BorshDeserialize, A: BorshSerialize>(
        &self,
        contract: Address,
        method: &str,
        args: &A,
    ) -> Result<T, TxError> {
        self.try_view(contract, method, args).decode()
    }

    /// [`Self::view`] returning the whole result.
    #[must_use]
    pub fn try_view<A: BorshSerialize>(
        &self,
        contract: Address,
        method: &str,
        args: &A,
    ) -> TxResult {
        let from = Address([0; 20]);
        let tx = Transaction {
            chain_id: self.env.chain_id,
            nonce: self.nonce(from),
            gas_limit: DEFAULT_GAS_LIMIT,
            gas_price: Amount::zero(),
            kind: TxKind::Call(Call {
                to: contract,
                method: method.to_owned(),
                args: borsh::to_vec(args).expect("encoding into a Vec"),
                value: Amount::zero(),
            }),
        };
        match self
            .executor
            .simulate(&self.reader(), &self.env, from, &tx)
            .expect("the in-memory chain does not fail")
        {
            Ok(sim) => TxResult::from_simulation(sim),
            Err(rejection) => TxResult::rejected(&rejection),
        }
    }

    fn freeze(&mut self) {
        if !self.current.is_empty() {
            self.frozen
                .push(Arc::new(std::mem::take(&mut self.current)));
        }
        if self.frozen.len() > MAX_LAYERS {
            let mut merged = StateChanges::default();
            for l in &self.frozen {
                merged.merge(StateChanges::clone(l));
            }
            self.frozen = vec![Arc::new(merged)];
        }
    }

    fn clone_frozen(&self) -> TestChain {
        debug_assert!(self.current.is_empty());
        TestChain {
            executor: self.executor.clone(),
            frozen: self.frozen.clone(),
            current: StateChanges::default(),
            env: self.env,
            accounts: self.accounts.clone(),
            gas_price: self.gas_price,
            names: self.names.clone(),
            report: GasReport::default(),
        }
    }

    /// Freezes the state so far: forks of the snapshot share it without copying.
    #[must_use]
    pub fn snapshot(&mut self) -> Snapshot {
        self.freeze();
        Snapshot {
            chain: Arc::new(self.clone_frozen()),
        }
    }

    /// A copy-on-write copy of this chain: changes to either are invisible to the other.
    #[must_use]
    pub fn fork(&mut self) -> TestChain {
        self.freeze();
        self.clone_frozen()
    }
}

/// The contract name in a wasm's ABI section (`cairn:abi`), if any.
fn contract_name(wasm: &[u8]) -> Option<String> {
    let abi = cairn_vm::abi_section(wasm)?;
    abi.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["kind"] == "contract")
        .and_then(|v| v["name"].as_str().map(ToOwned::to_owned))
}
