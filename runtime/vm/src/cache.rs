//! The module cache: compiled artifacts keyed by (code hash, engine fingerprint,
//! gas-schedule version), in a bounded in-memory LRU and on disk.
//!
//! ```text
//!   get(hash) ──► LRU (Arc<ContractModule>, InstancePre ready)      ~ns
//!   load_disk ──► <dir>/<fingerprint>/<hash>.cwasm ─► Module::deserialize_file ~0.2 ms
//!   miss      ──► validate + Cranelift compile ─► store_disk (tmp + rename)   ~100 ms
//! ```
//!
//! The fingerprint (wasmtime's compatibility hash + our schedule) names a directory, so
//! a node upgraded to a new engine or schedule never loads a stale artifact; wasmtime
//! also checks compatibility when it deserializes. The directory must be owned by the
//! node: artifacts are native code and are trusted once written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use cairn_primitives::Hash;
use wasmtime::{Engine, ExternType, Module};

use crate::validate::{MIGRATE_EXPORT, ModuleInfo, REENTRANT_MARKER, RESERVED_PREFIX};
use crate::vm::ContractModule;
use crate::{Result, VmError};

#[derive(Default)]
struct Lru {
    by_hash: BTreeMap<Hash, (u64, Arc<ContractModule>)>,
    by_tick: BTreeMap<u64, Hash>,
    tick: u64,
}

pub(crate) struct ModuleCache {
    dir: Option<PathBuf>,
    capacity: usize,
    lru: Mutex<Lru>,
    hits: AtomicU64,
    disk_hits: AtomicU64,
    compiles: AtomicU64,
}

fn io(path: &Path, source: std::io::Error) -> VmError {
    VmError::Cache {
        path: path.display().to_string(),
        source,
    }
}

impl ModuleCache {
    pub(crate) fn new(root: Option<PathBuf>, capacity: usize, fingerprint: &str) -> Result<Self> {
        let dir = match root {
            Some(root) => {
                let dir = root.join(fingerprint);
                std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
                Some(dir)
            }
            None => None,
        };
        Ok(Self {
            dir,
            capacity: capacity.max(1),
            lru: Mutex::new(Lru::default()),
            hits: AtomicU64::new(0),
            disk_hits: AtomicU64::new(0),
            compiles: AtomicU64::new(0),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Lru> {
        // A poisoned lock only means another thread panicked mid-update of a cache:
        // the map is still consistent enough to use.
        self.lru
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn get(&self, hash: &Hash) -> Option<Arc<ContractModule>> {
        let mut lru = self.lock();
        let Lru {
            by_hash,
            by_tick,
            tick,
        } = &mut *lru;
        let (t, m) = by_hash.get_mut(hash)?;
        *tick += 1;
        by_tick.remove(t);
        *t = *tick;
        by_tick.insert(*tick, *hash);
        self.hits.fetch_add(1, Ordering::Relaxed);
        Some(Arc::clone(m))
    }

    pub(crate) fn insert(&self, hash: Hash, module: Arc<ContractModule>) {
        let mut lru = self.lock();
        lru.tick += 1;
        let tick = lru.tick;
        if let Some((old, _)) = lru.by_hash.insert(hash, (tick, module)) {
            lru.by_tick.remove(&old);
        }
        lru.by_tick.insert(tick, hash);
        while lru.by_hash.len() > self.capacity {
            let Some((_, oldest)) = lru.by_tick.pop_first() else {
                break;
            };
            lru.by_hash.remove(&oldest);
        }
    }

    pub(crate) fn clear(&self) {
        *self.lock() = Lru::default();
    }

    pub(crate) fn count_compile(&self) {
        self.compiles.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn stats(&self) -> (u64, u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.disk_hits.load(Ordering::Relaxed),
            self.compiles.load(Ordering::Relaxed),
        )
    }

    fn path(&self, hash: &Hash) -> Option<PathBuf> {
        self.dir
            .as_ref()
            .map(|d| d.join(format!("{}.cwasm", cairn_primitives::to_hex(&hash.0))))
    }

    pub(crate) fn store_disk(&self, hash: &Hash, module: &Module) -> Result<()> {
        let Some(path) = self.path(hash) else {
            return Ok(());
        };
        let bytes = module
            .serialize()
            .map_err(|e| VmError::Engine(e.to_string()))?;
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, bytes).map_err(|e| io(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| io(&path, e))
    }

    pub(crate) fn load_disk(&self, engine: &Engine, hash: &Hash) -> Result<Option<Module>> {
        let Some(path) = self.path(hash) else {
            return Ok(None);
        };
        if !path.exists() {
            return Ok(None);
        }
        // SAFETY: the file was written by `store_disk` of a node with the same engine
        // fingerprint (the directory name) into a directory the node owns; wasmtime
        // checks the header and engine compatibility before using it.
        match unsafe { Module::deserialize_file(engine, &path) } {
            Ok(m) => {
                self.disk_hits.fetch_add(1, Ordering::Relaxed);
                Ok(Some(m))
            }
            // An incompatible or truncated artifact is recompiled, not fatal.
            Err(_) => {
                let _ = std::fs::remove_file(&path);
                Ok(None)
            }
        }
    }
}

/// Rebuilds a module's [`ModuleInfo`] from its compiled form (for disk-cache hits, where
/// the wasm bytes are not at hand; the module was validated before it was first stored).
pub(crate) fn info_from_module(module: &Module) -> ModuleInfo {
    let mut info = ModuleInfo {
        methods: Default::default(),
        reentrant: false,
        migrate: false,
        initial_pages: 0,
        max_pages: 0,
    };
    for export in module.exports() {
        let name = export.name();
        if name == REENTRANT_MARKER {
            info.reentrant = true;
        }
        match export.ty() {
            ExternType::Func(ft) if ft.params().len() == 0 && ft.results().len() == 0 => {
                if name == MIGRATE_EXPORT {
                    info.migrate = true;
                } else if !name.starts_with(RESERVED_PREFIX) {
                    info.methods.insert(name.to_owned());
                }
            }
            ExternType::Memory(mt) if name == "memory" => {
                info.initial_pages = u32::try_from(mt.minimum()).unwrap_or(u32::MAX);
                info.max_pages = mt
                    .maximum()
                    .and_then(|m| u32::try_from(m).ok())
                    .unwrap_or(u32::MAX);
            }
            _ => {}
        }
    }
    info
}
