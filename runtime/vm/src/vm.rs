//! The VM: one engine, one linker, a module cache, and the execution loop.
//!
//! ```text
//!   prepare(code) ─► cache hit? (memory LRU ─► disk artifact) ─► Arc<ContractModule>
//!                 └► validate ─► compile (Cranelift) ─► serialize to disk ─► InstancePre
//!   execute(host, module, ctx)
//!       depth / reentrancy / method checks ─► charge base ─► Store{fuel = limit − base}
//!       ─► InstancePre::instantiate (pooling, CoW memory image) ─► call method
//!       ─► classify the exit ─► Execution{outcome, gas_used, return_data} | VmError
//! ```

use std::hash::{DefaultHasher, Hash as _, Hasher};
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::ptr::NonNull;
use std::sync::Arc;

use cairn_primitives::Hash;
use wasmtime::{
    Config, Enabled, Engine, InstanceAllocationStrategy, InstancePre, Linker, Module, OptLevel,
    PoolingAllocationConfig, Store, Trap, WasmBacktrace, WasmFeatures,
};

use crate::cache::ModuleCache;
use crate::error::failure_gas;
use crate::gas::{GasMeter, GasSchedule};
use crate::imports::{Exit, Ptrs, StoreData};
use crate::limits::*;
use crate::validate::{ModuleInfo, RESERVED_PREFIX, validate};
use crate::{CallContext, Execution, Host, Outcome, Result, TrapKind, VmError};

/// How to build a [`Vm`].
#[derive(Clone, Debug)]
pub struct VmConfig {
    /// The gas schedule (its version is part of the cache key).
    pub schedule: GasSchedule,
    /// Where compiled artifacts are kept across restarts; `None` keeps them in memory only.
    pub cache_dir: Option<PathBuf>,
    /// How many compiled modules the in-memory LRU keeps.
    pub cache_capacity: usize,
    /// Record a wasm backtrace (function names from the name section, export names, or
    /// `func[N]`) for traps and gas exhaustion: [`Execution::backtrace`]. A devnet's choice
    /// (its genesis has a dev authority); it costs a stack walk on every failure.
    pub backtraces: bool,
}

impl Default for VmConfig {
    fn default() -> Self {
        Self {
            schedule: GasSchedule::V1,
            cache_dir: None,
            cache_capacity: 256,
            backtraces: false,
        }
    }
}

/// A validated, compiled contract ready to instantiate in microseconds.
pub struct ContractModule {
    /// keccak256 of the code.
    pub code_hash: Hash,
    /// What validation learned (methods, reentrancy opt-in, memory size).
    pub info: ModuleInfo,
    pub(crate) pre: InstancePre<StoreData>,
}

impl core::fmt::Debug for ContractModule {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ContractModule")
            .field("code_hash", &self.code_hash)
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

/// The engine configuration every node uses. `consume_fuel` is off only in the
/// benchmark that measures fuel's overhead.
#[must_use]
pub fn engine_config(consume_fuel: bool) -> Config {
    let mut c = Config::new();
    c.consume_fuel(consume_fuel)
        .cranelift_nan_canonicalization(true)
        .cranelift_opt_level(OptLevel::Speed)
        // Exactly the validator's feature set: everything else off.
        .wasm_features(WasmFeatures::all(), false)
        .wasm_features(crate::validate::features(), true)
        .max_wasm_stack(MAX_WASM_STACK)
        .wasm_backtrace_max_frames(None)
        .parallel_compilation(true)
        .memory_init_cow(true);
    let mut pool = PoolingAllocationConfig::new();
    pool.total_core_instances(MAX_POOLED_INSTANCES)
        .total_memories(MAX_POOLED_INSTANCES)
        .total_tables(MAX_POOLED_INSTANCES)
        .max_memories_per_module(1)
        .max_tables_per_module(1)
        .table_elements(MAX_TABLE_ELEMENTS as usize)
        .max_memory_size(MAX_MEMORY_PAGES as usize * 65_536)
        .max_unused_warm_slots(64)
        // Reset only the pages an instance dirtied (Linux ≥ 6.7), keeping them resident:
        // the next instance of a warm slot takes no page faults.
        .linear_memory_keep_resident(1 << 20)
        .table_keep_resident(16 * 1024)
        .pagemap_scan(Enabled::Auto);
    c.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    c
}

/// The gas-metered WebAssembly sandbox. Share it (`Arc<Vm>`) across executions.
pub struct Vm {
    engine: Engine,
    linker: Linker<StoreData>,
    schedule: GasSchedule,
    fingerprint: String,
    cache: ModuleCache,
}

impl core::fmt::Debug for Vm {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Vm")
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

impl Vm {
    /// Builds the engine, the linker with every host import, and the cache.
    ///
    /// # Errors
    /// [`VmError::Engine`] when the engine cannot be built (e.g. no virtual memory for
    /// the instance pool), [`VmError::Cache`] when the cache directory cannot be created.
    pub fn new(config: VmConfig) -> Result<Self> {
        let mut engine_config = engine_config(true);
        if config.backtraces {
            // One frame more than kept, to tell a whole stack from a cut one.
            engine_config.wasm_backtrace_max_frames(NonZeroUsize::new(MAX_BACKTRACE_FRAMES + 1));
        }
        let engine = Engine::new(&engine_config).map_err(|e| VmError::Engine(e.to_string()))?;
        let mut linker = Linker::new(&engine);
        crate::imports::define(&mut linker).map_err(|e| VmError::Engine(e.to_string()))?;
        let mut h = DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut h);
        config.schedule.version.hash(&mut h);
        format!("{:?}", config.schedule).hash(&mut h);
        let fingerprint = format!("{:016x}-v{}", h.finish(), config.schedule.version);
        let cache = ModuleCache::new(config.cache_dir, config.cache_capacity, &fingerprint)?;
        Ok(Self {
            engine,
            linker,
            schedule: config.schedule,
            fingerprint,
            cache,
        })
    }

    /// The gas schedule in force.
    #[must_use]
    pub fn schedule(&self) -> &GasSchedule {
        &self.schedule
    }

    /// The engine-config + schedule fingerprint (part of every cache key).
    #[must_use]
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Cache statistics: (memory hits, disk hits, compilations).
    #[must_use]
    pub fn cache_stats(&self) -> (u64, u64, u64) {
        self.cache.stats()
    }

    /// Validates `code` without compiling it (deploy-time check).
    ///
    /// # Errors
    /// The first rule broken.
    pub fn validate(&self, code: &[u8]) -> Result<ModuleInfo, crate::ValidationError> {
        validate(code)
    }

    /// The compiled module for `code`: from the memory cache, else the disk cache, else
    /// validated and compiled (and written to both caches).
    ///
    /// # Errors
    /// [`VmError::Invalid`] for code that breaks a rule (the deploy fails); other
    /// variants are node-side.
    pub fn prepare(&self, code: &[u8]) -> Result<Arc<ContractModule>> {
        self.module(Hash::of(code), code)
    }

    /// Like [`prepare`](Self::prepare) with the code hash already known (the caller
    /// vouches that it is keccak256 of `code`; the code is only read on a cache miss).
    ///
    /// # Errors
    /// As [`prepare`](Self::prepare).
    pub fn module(&self, code_hash: Hash, code: &[u8]) -> Result<Arc<ContractModule>> {
        if let Some(m) = self.cached(&code_hash)? {
            return Ok(m);
        }
        let info = validate(code)?;
        let module =
            Module::new(&self.engine, code).map_err(|e| VmError::Compile(e.to_string()))?;
        self.cache.store_disk(&code_hash, &module)?;
        let m = Arc::new(self.finish(code_hash, info, &module)?);
        self.cache.insert(code_hash, Arc::clone(&m));
        self.cache.count_compile();
        Ok(m)
    }

    /// The compiled module for `code_hash` if either cache holds it.
    ///
    /// # Errors
    /// Node-side cache failures.
    pub fn cached(&self, code_hash: &Hash) -> Result<Option<Arc<ContractModule>>> {
        if let Some(m) = self.cache.get(code_hash) {
            return Ok(Some(m));
        }
        let Some(module) = self.cache.load_disk(&self.engine, code_hash)? else {
            return Ok(None);
        };
        let info = crate::cache::info_from_module(&module);
        let m = Arc::new(self.finish(*code_hash, info, &module)?);
        self.cache.insert(*code_hash, Arc::clone(&m));
        Ok(Some(m))
    }

    /// Drops the in-memory cache (the disk cache stays), e.g. to measure a restart.
    pub fn clear_memory_cache(&self) {
        self.cache.clear();
    }

    fn finish(&self, code_hash: Hash, info: ModuleInfo, module: &Module) -> Result<ContractModule> {
        let pre = self
            .linker
            .instantiate_pre(module)
            .map_err(|e| VmError::Compile(e.to_string()))?;
        Ok(ContractModule {
            code_hash,
            info,
            pre,
        })
    }

    /// Runs `ctx.method` of `module` against `host`.
    ///
    /// Contract-visible failures are `Ok` with a failing [`Outcome`]; `Err` only for
    /// node-side failures (host I/O, engine resources). Run top-level calls on a thread
    /// with at least [`MIN_NATIVE_STACK`] bytes of stack: nested calls recurse on it.
    ///
    /// # Errors
    /// [`VmError::Host`] when the host failed; [`VmError::Engine`] for engine failures
    /// no contract can cause.
    pub fn execute(
        &self,
        host: &mut dyn Host,
        module: &ContractModule,
        ctx: CallContext,
    ) -> Result<Execution> {
        let found =
            !ctx.method.starts_with(RESERVED_PREFIX) && module.info.methods.contains(&ctx.method);
        let export = ctx.method.clone();
        self.enter(host, module, ctx, &export, found)
    }

    /// Runs the migration export ([`MIGRATE_EXPORT`](crate::MIGRATE_EXPORT)) of `module`:
    /// what an upgrade to this code does once the code is swapped in. `ctx.method` is
    /// informative only. [`Outcome::MethodNotFound`] when the module has none.
    ///
    /// # Errors
    /// As [`execute`](Self::execute).
    pub fn migrate(
        &self,
        host: &mut dyn Host,
        module: &ContractModule,
        ctx: CallContext,
    ) -> Result<Execution> {
        self.enter(
            host,
            module,
            ctx,
            crate::MIGRATE_EXPORT,
            module.info.migrate,
        )
    }

    fn enter(
        &self,
        host: &mut dyn Host,
        module: &ContractModule,
        ctx: CallContext,
        export: &str,
        found: bool,
    ) -> Result<Execution> {
        let limit = ctx.gas_limit;
        if !Engine::same(module.pre.module().engine(), &self.engine) {
            return Err(VmError::Engine("module was prepared by another vm".into()));
        }
        if ctx.depth > MAX_CALL_DEPTH {
            return Ok(Execution::early(Outcome::CallDepthExceeded, 0));
        }
        if !module.info.reentrant && ctx.call_stack.contains(&ctx.contract) {
            return Ok(Execution::early(Outcome::ReentrancyDenied, 0));
        }
        if !found {
            return Ok(Execution::early(Outcome::MethodNotFound, 0));
        }
        if ctx.input.len() > MAX_ARGS_SIZE {
            return Ok(Execution::early(
                Outcome::Trapped(TrapKind::LengthTooLarge("MAX_ARGS_SIZE")),
                0,
            ));
        }
        let s = &self.schedule;
        let base = s
            .call_base
            .saturating_add(s.input_per_byte.saturating_mul(ctx.input.len() as u64))
            .saturating_add(
                s.initial_page
                    .saturating_mul(u64::from(module.info.initial_pages)),
            );
        if base > limit {
            return Ok(Execution::early(Outcome::OutOfGas, limit));
        }
        // SAFETY (lifetime erasure): the store, and with it this pointer, is dropped
        // before `execute` returns, so the borrow of `host` outlives every use.
        let host_ptr: NonNull<dyn Host + '_> = NonNull::from(host);
        let host_ptr: NonNull<dyn Host> = unsafe { std::mem::transmute(host_ptr) };
        let data = StoreData {
            ptrs: Ptrs {
                host: host_ptr,
                vm: NonNull::from(self),
            },
            ctx,
            meter: GasMeter::new(limit),
            schedule: self.schedule,
            memory: None,
            return_data: Vec::new(),
            last_result: Vec::new(),
            fatal: None,
            import: "",
        };
        let mut store = Store::new(&self.engine, data);
        store.limiter(|d| d);
        store
            .set_fuel(limit - base)
            .map_err(|e| VmError::Engine(e.to_string()))?;

        let result = match module.pre.instantiate(&mut store) {
            Ok(instance) => {
                // Growth during instantiation is the initial memory, already in `base`.
                store.data_mut().meter.pending = 0;
                let memory = instance.get_memory(&mut store, "memory");
                store.data_mut().memory = memory;
                match instance.get_typed_func::<(), ()>(&mut store, export) {
                    Ok(f) => f.call(&mut store, ()),
                    Err(_) => return Ok(Execution::early(Outcome::MethodNotFound, 0)),
                }
            }
            Err(e) => Err(e),
        };
        let fuel_left = store.get_fuel().unwrap_or(0);
        let data = store.into_data();
        let used = data.meter.used(fuel_left);
        let mut backtrace = Vec::new();
        let outcome = match result {
            Ok(()) if data.meter.pending > fuel_left => Outcome::OutOfGas,
            Ok(()) => {
                return Ok(Execution {
                    outcome: Outcome::Success,
                    gas_used: used,
                    return_data: data.return_data,
                    backtrace: Vec::new(),
                });
            }
            Err(e) => {
                let outcome = classify(&e, data.fatal)?;
                if matches!(
                    outcome,
                    Outcome::Trapped(_) | Outcome::StackExhausted | Outcome::OutOfGas
                ) {
                    backtrace = e
                        .downcast_ref::<WasmBacktrace>()
                        .map(|bt| frame_names(bt, export))
                        .unwrap_or_default();
                }
                outcome
            }
        };
        let gas_used = failure_gas(&outcome, limit, used);
        // A revert keeps what the contract set as return data: its encoded error.
        let return_data = if matches!(outcome, Outcome::Reverted(_)) {
            data.return_data
        } else {
            Vec::new()
        };
        Ok(Execution {
            outcome,
            gas_used,
            return_data,
            backtrace,
        })
    }
}

/// The frames of a wasm backtrace, innermost first: each function's name from the name
/// section (demangled), else `func[N]`; the outermost frame of a whole stack is the called
/// `export`, so a contract stripped of its names still shows which method failed.
fn frame_names(bt: &WasmBacktrace, export: &str) -> Vec<String> {
    let frames = bt.frames();
    let whole = frames.len() <= MAX_BACKTRACE_FRAMES;
    frames
        .iter()
        .take(MAX_BACKTRACE_FRAMES)
        .enumerate()
        .map(|(i, f)| match f.func_name() {
            Some(name) => format!("{:#}", rustc_demangle::demangle(name)),
            None if whole && i + 1 == frames.len() => export.to_owned(),
            None => format!("func[{}]", f.func_index()),
        })
        .collect()
}

/// Maps a wasmtime error to an outcome; node-side failures become `Err`.
fn classify(e: &wasmtime::Error, fatal: Option<crate::HostError>) -> Result<Outcome> {
    if let Some(exit) = e.downcast_ref::<Exit>() {
        return Ok(match exit {
            Exit::Revert(msg) => Outcome::Reverted(msg.clone()),
            Exit::OutOfGas => Outcome::OutOfGas,
            Exit::Fault(kind) => Outcome::Trapped(*kind),
            Exit::Fatal => {
                return Err(VmError::Host(
                    fatal.unwrap_or_else(|| crate::HostError("host failure".into())),
                ));
            }
        });
    }
    if let Some(trap) = e.downcast_ref::<Trap>() {
        return Ok(match trap {
            Trap::OutOfFuel => Outcome::OutOfGas,
            Trap::StackOverflow => Outcome::StackExhausted,
            Trap::UnreachableCodeReached => Outcome::Trapped(TrapKind::Unreachable),
            Trap::IntegerDivisionByZero => Outcome::Trapped(TrapKind::DivisionByZero),
            Trap::IntegerOverflow => Outcome::Trapped(TrapKind::IntegerOverflow),
            Trap::BadConversionToInteger => Outcome::Trapped(TrapKind::BadConversion),
            Trap::MemoryOutOfBounds => Outcome::Trapped(TrapKind::MemoryOutOfBounds),
            Trap::TableOutOfBounds => Outcome::Trapped(TrapKind::TableOutOfBounds),
            Trap::IndirectCallToNull => Outcome::Trapped(TrapKind::IndirectCallToNull),
            Trap::BadSignature => Outcome::Trapped(TrapKind::BadSignature),
            _ => Outcome::Trapped(TrapKind::Other),
        });
    }
    Err(VmError::Engine(format!("{e:#}")))
}
