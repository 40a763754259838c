//! Shared helpers: one VM, a block environment, WAT contracts, balances.

use std::sync::{Arc, OnceLock};

use cairn_executor::{BlockEnv, ExecutionOutcome, Executor, ExecutorConfig, RootedReader};
use cairn_primitives::{Address, Amount, SignedTransaction};
use cairn_state::{State, StateReader};
use cairn_storage::KvStore;
use cairn_vm::{HOST_IMPORTS, Ty, Vm, VmConfig};

/// The test chain id.
pub(crate) const CHAIN: u64 = 7;
/// The proposer of every test block.
pub(crate) const PROPOSER: Address = Address([0xbb; 20]);
/// Balance of every funded test account.
pub(crate) const FUNDS: u64 = 1_000_000_000_000;

pub(crate) fn vm() -> Arc<Vm> {
    static VM: OnceLock<Arc<Vm>> = OnceLock::new();
    Arc::clone(VM.get_or_init(|| Arc::new(Vm::new(VmConfig::default()).expect("vm"))))
}

pub(crate) fn executor() -> Executor {
    Executor::new(vm(), ExecutorConfig::default())
}

pub(crate) fn env(height: u64) -> BlockEnv {
    BlockEnv {
        chain_id: CHAIN,
        height,
        timestamp_ms: 1_700_000_000_000 + height * 1000,
        proposer: PROPOSER,
        gas_limit: 30_000_000,
    }
}

pub(crate) fn balance(r: &impl StateReader, a: &Address) -> Amount {
    r.account(a).unwrap().map(|a| a.balance).unwrap_or_default()
}

pub(crate) fn nonce(r: &impl StateReader, a: &Address) -> u64 {
    r.account(a).unwrap().map(|a| a.nonce).unwrap_or_default()
}

/// Executes `txs` on `state` as a verified block, commits, and checks the committed root
/// equals the dry-run root.
pub(crate) fn execute_commit<S: KvStore + 'static>(
    state: &State<S>,
    height: u64,
    txs: &[SignedTransaction],
) -> ExecutionOutcome {
    let out = executor()
        .execute(state, &env(height), txs)
        .expect("execute");
    assert_eq!(out.state_root, state.root_after(&out.changes).unwrap());
    let committed = state.commit(&out.changes).expect("commit");
    assert_eq!(
        committed.root, out.state_root,
        "dry-run root equals committed root"
    );
    out
}

/// A module importing every host function as `$name`, 1..4 pages of memory, then `body`.
pub(crate) fn wat(body: &str) -> Vec<u8> {
    let mut imports = String::new();
    for imp in HOST_IMPORTS {
        let ty = |t: &Ty| if *t == Ty::I32 { "i32" } else { "i64" };
        let params: Vec<&str> = imp.params.iter().map(ty).collect();
        let results: Vec<&str> = imp.results.iter().map(ty).collect();
        imports.push_str(&format!(
            "(import \"cairn\" \"{0}\" (func ${0} (param {1}) (result {2})))\n",
            imp.name,
            params.join(" "),
            results.join(" ")
        ));
    }
    let text = format!("(module\n{imports}(memory (export \"memory\") 1 4)\n{body}\n)");
    wat::parse_str(&text).unwrap_or_else(|e| panic!("bad wat: {e}\n{text}"))
}
