//! Helpers: a VM, a WAT prelude importing every host function, and a runner.

use std::sync::OnceLock;

use cairn_primitives::{Address, Gas};
use cairn_vm::{CallContext, Execution, HOST_IMPORTS, MemHost, Ty, Vm, VmConfig};

/// One VM shared by the tests (engines are heavy; modules are cached by code hash).
pub(crate) fn vm() -> &'static Vm {
    static VM: OnceLock<Vm> = OnceLock::new();
    VM.get_or_init(|| Vm::new(VmConfig::default()).expect("vm"))
}

/// The account that sends test calls.
pub(crate) const SENDER: Address = Address([0xaa; 20]);

/// A module: every host import as `$name`, memory of 1..4 pages exported, then `body`.
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

/// Installs `code` in `host` and returns its address.
pub(crate) fn install(host: &mut MemHost, code: &[u8]) -> Address {
    host.install(vm(), code).expect("install")
}

/// Calls `method` on `contract` from [`SENDER`].
pub(crate) fn call(
    host: &mut MemHost,
    contract: Address,
    method: &str,
    input: &[u8],
    gas: Gas,
) -> Execution {
    let ctx = CallContext::new(contract, SENDER, method, input.to_vec(), gas);
    host.run(vm(), ctx).expect("no host failure")
}

/// Installs a WAT body and calls `method` once.
pub(crate) fn run(body: &str, method: &str, input: &[u8], gas: Gas) -> (Execution, MemHost) {
    let mut host = MemHost::new();
    let addr = install(&mut host, &wat(body));
    let exec = call(&mut host, addr, method, input, gas);
    (exec, host)
}

/// Runs `f` on a thread with the stack the VM requires for nested calls.
pub(crate) fn on_vm_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(cairn_vm::limits::MIN_NATIVE_STACK)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("no panic")
}
