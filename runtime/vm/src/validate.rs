//! Deploy-time validation: reject anything that could make compilation or instantiation
//! expensive, or that the host cannot serve, before a single byte is compiled.
//!
//! ```text
//!   code ──► size cap ──► wasmparser (Cairn's feature set) ──► section limits
//!        ──► per-function limits (locals, body size, block depth, br_table, opcodes)
//!        ──► imports ⊆ host list (exact signatures) ──► exports: memory + ≥ 1 method
//!        ──► ModuleInfo { methods, reentrant, pages }
//! ```
//!
//! The contract ABI: every exported function of type `() -> ()` whose name does not start
//! with `cairn_` is a method; it reads its input and sets its return data through imports.
//! An export named `cairn_reentrant` (of any kind) opts the contract in to re-entry.

use std::collections::BTreeSet;

use wasmparser::{
    CompositeInnerType, ExternalKind, FuncType, FuncValidatorAllocations, Operator, Parser,
    Payload, TypeRef, ValType, Validator, WasmFeatures,
};

use crate::ValidationError;
use crate::imports::{HOST_IMPORTS, HOST_MODULE};
use crate::limits::*;

/// The export that opts a contract in to re-entry.
pub const REENTRANT_MARKER: &str = "cairn_reentrant";

pub use cairn_primitives::MIGRATE_EXPORT;

/// Export names starting with this are reserved (markers, the migration), never methods.
pub const RESERVED_PREFIX: &str = "cairn_";

/// What validation learned about a module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleInfo {
    /// Callable methods (exported `() -> ()` functions), sorted.
    pub methods: BTreeSet<String>,
    /// Whether the module exports [`REENTRANT_MARKER`].
    pub reentrant: bool,
    /// Whether the module exports a `() -> ()` function [`MIGRATE_EXPORT`], which an
    /// upgrade to this code runs ([`Vm::migrate`](crate::Vm::migrate)).
    pub migrate: bool,
    /// Declared initial memory pages.
    pub initial_pages: u32,
    /// Declared maximum memory pages.
    pub max_pages: u32,
}

/// The wasm features Cairn accepts: deterministic ones that rustc's `wasm32-unknown-unknown`
/// emits by default (mutable globals, sign extension, non-trapping float-to-int,
/// multi-value, bulk memory, reference types for the overlong `call_indirect` encoding).
/// No SIMD, threads, multi-memory, memory64, GC types, exceptions, tail calls. The engine
/// is configured with exactly this set.
#[must_use]
pub fn features() -> WasmFeatures {
    (WasmFeatures::WASM1 - WasmFeatures::GC_TYPES)
        | WasmFeatures::SIGN_EXTENSION
        | WasmFeatures::SATURATING_FLOAT_TO_INT
        | WasmFeatures::MULTI_VALUE
        | WasmFeatures::BULK_MEMORY
        | WasmFeatures::REFERENCE_TYPES
}

fn too_many(what: &'static str, count: u64, max: u64) -> Result<(), ValidationError> {
    if count > max {
        Err(ValidationError::TooMany { what, count, max })
    } else {
        Ok(())
    }
}

fn malformed(e: &wasmparser::BinaryReaderError) -> ValidationError {
    ValidationError::Malformed(e.message().to_owned())
}

/// Validates `code` against Cairn's rules.
///
/// # Errors
/// The first rule broken, as a [`ValidationError`].
pub fn validate(code: &[u8]) -> Result<ModuleInfo, ValidationError> {
    if code.len() > MAX_CODE_SIZE {
        return Err(ValidationError::CodeTooLarge(code.len()));
    }
    let mut validator = Validator::new_with_features(features());
    let mut allocs = FuncValidatorAllocations::default();
    let mut types: Vec<FuncType> = Vec::new();
    let mut func_types: Vec<u32> = Vec::new();
    let mut memories: Vec<(u64, Option<u64>)> = Vec::new();
    let mut exports: Vec<(String, ExternalKind, u32)> = Vec::new();
    let mut total_locals: u64 = 0;

    for payload in Parser::new(0).parse_all(code) {
        let payload = payload.map_err(|e| malformed(&e))?;
        match &payload {
            Payload::TypeSection(r) => {
                too_many("types", u64::from(r.count()), u64::from(MAX_TYPES))?;
                for group in r.clone() {
                    let group = group.map_err(|e| malformed(&e))?;
                    for sub in group.types() {
                        if let CompositeInnerType::Func(ft) = &sub.composite_type.inner {
                            too_many("params", ft.params().len() as u64, u64::from(MAX_PARAMS))?;
                            too_many("results", ft.results().len() as u64, u64::from(MAX_RESULTS))?;
                            types.push(ft.clone());
                        } else {
                            return Err(ValidationError::Malformed("non-function type".into()));
                        }
                    }
                }
            }
            Payload::ImportSection(r) => {
                for import in r.clone().into_imports() {
                    let import = import.map_err(|e| malformed(&e))?;
                    let known = (import.module == HOST_MODULE)
                        .then(|| HOST_IMPORTS.iter().find(|h| h.name == import.name))
                        .flatten();
                    let Some(host) = known else {
                        return Err(ValidationError::UnknownImport {
                            module: import.module.to_owned(),
                            name: import.name.to_owned(),
                        });
                    };
                    let TypeRef::Func(ty) = import.ty else {
                        return Err(ValidationError::ImportType(host.name.to_owned()));
                    };
                    let matches = types.get(ty as usize).is_some_and(|ft| {
                        ft.params() == host.wasm_params().as_slice()
                            && ft.results() == host.wasm_results().as_slice()
                    });
                    if !matches {
                        return Err(ValidationError::ImportType(host.name.to_owned()));
                    }
                    func_types.push(ty);
                    too_many("imports", func_types.len() as u64, u64::from(MAX_IMPORTS))?;
                }
            }
            Payload::FunctionSection(r) => {
                too_many("functions", u64::from(r.count()), u64::from(MAX_FUNCTIONS))?;
                for ty in r.clone() {
                    func_types.push(ty.map_err(|e| malformed(&e))?);
                }
            }
            Payload::TableSection(r) => {
                if r.count() > 1 {
                    return Err(ValidationError::TableCount(r.count()));
                }
                for table in r.clone() {
                    let ty = table.map_err(|e| malformed(&e))?.ty;
                    let max = ty.maximum.unwrap_or(u64::MAX);
                    if ty.initial > u64::from(MAX_TABLE_ELEMENTS)
                        || max > u64::from(MAX_TABLE_ELEMENTS)
                    {
                        return Err(ValidationError::TableTooLarge(ty.initial.max(max)));
                    }
                }
            }
            Payload::MemorySection(r) => {
                for mem in r.clone() {
                    let mem = mem.map_err(|e| malformed(&e))?;
                    if mem.memory64 || mem.shared {
                        return Err(ValidationError::MemoryKind);
                    }
                    memories.push((mem.initial, mem.maximum));
                }
            }
            Payload::GlobalSection(r) => {
                too_many("globals", u64::from(r.count()), u64::from(MAX_GLOBALS))?;
            }
            Payload::ExportSection(r) => {
                too_many("exports", u64::from(r.count()), u64::from(MAX_EXPORTS))?;
                for export in r.clone() {
                    let export = export.map_err(|e| malformed(&e))?;
                    exports.push((export.name.to_owned(), export.kind, export.index));
                }
            }
            Payload::StartSection { .. } => return Err(ValidationError::StartFunction),
            Payload::ElementSection(r) => {
                too_many(
                    "element segments",
                    u64::from(r.count()),
                    u64::from(MAX_ELEMENT_SEGMENTS),
                )?;
            }
            Payload::DataSection(r) => {
                too_many(
                    "data segments",
                    u64::from(r.count()),
                    u64::from(MAX_DATA_SEGMENTS),
                )?;
            }
            Payload::CodeSectionEntry(body) => {
                let size = body.range().len() as u64;
                too_many(
                    "function body bytes",
                    size,
                    u64::from(MAX_FUNCTION_BODY_SIZE),
                )?;
                let mut locals: u64 = 0;
                for local in body.get_locals_reader().map_err(|e| malformed(&e))? {
                    let (count, _) = local.map_err(|e| malformed(&e))?;
                    locals = locals.saturating_add(u64::from(count));
                    too_many(
                        "locals per function",
                        locals,
                        u64::from(MAX_LOCALS_PER_FUNCTION),
                    )?;
                }
                total_locals = total_locals.saturating_add(locals);
                too_many("locals", total_locals, MAX_TOTAL_LOCALS)?;
                scan_operators(body)?;
            }
            _ => {}
        }
        // The structural validator runs after our cheap limits so a bomb is refused
        // before it is fully parsed.
        match validator.payload(&payload).map_err(|e| malformed(&e))? {
            wasmparser::ValidPayload::Func(func, body) => {
                let mut fv = func.into_validator(allocs);
                fv.validate(&body).map_err(|e| malformed(&e))?;
                allocs = fv.into_allocations();
            }
            wasmparser::ValidPayload::End(_) => break,
            _ => {}
        }
    }

    if memories.len() != 1 {
        return Err(ValidationError::MemoryCount(
            u32::try_from(memories.len()).unwrap_or(u32::MAX),
        ));
    }
    let (initial, maximum) = memories[0];
    let Some(maximum) = maximum else {
        return Err(ValidationError::MemoryWithoutMaximum);
    };
    if maximum > u64::from(MAX_MEMORY_PAGES) || initial > u64::from(MAX_MEMORY_PAGES) {
        return Err(ValidationError::MemoryTooLarge(maximum.max(initial)));
    }
    if !exports
        .iter()
        .any(|(n, k, _)| n == "memory" && *k == ExternalKind::Memory)
    {
        return Err(ValidationError::MissingMemoryExport);
    }
    let entry_points: Vec<&String> = exports
        .iter()
        .filter(|(_, k, idx)| {
            *k == ExternalKind::Func
                && func_types
                    .get(*idx as usize)
                    .and_then(|t| types.get(*t as usize))
                    .is_some_and(|ft| ft.params().is_empty() && ft.results().is_empty())
        })
        .map(|(n, _, _)| n)
        .collect();
    let migrate = entry_points.iter().any(|n| *n == MIGRATE_EXPORT);
    let methods: BTreeSet<String> = entry_points
        .into_iter()
        .filter(|n| !n.starts_with(RESERVED_PREFIX))
        .cloned()
        .collect();
    if methods.is_empty() {
        return Err(ValidationError::NoMethods);
    }
    Ok(ModuleInfo {
        methods,
        reentrant: exports.iter().any(|(n, _, _)| n == REENTRANT_MARKER),
        migrate,
        initial_pages: u32::try_from(initial).unwrap_or(u32::MAX),
        max_pages: u32::try_from(maximum).unwrap_or(u32::MAX),
    })
}

/// Per-instruction limits: nesting depth, `br_table` size, refused opcodes.
fn scan_operators(body: &wasmparser::FunctionBody<'_>) -> Result<(), ValidationError> {
    let mut reader = body.get_operators_reader().map_err(|e| malformed(&e))?;
    let mut depth: u32 = 0;
    while !reader.eof() {
        let op = reader.read().map_err(|e| malformed(&e))?;
        match op {
            Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => {
                depth += 1;
                too_many("block depth", u64::from(depth), u64::from(MAX_BLOCK_DEPTH))?;
            }
            Operator::End => depth = depth.saturating_sub(1),
            Operator::BrTable { targets } => {
                too_many(
                    "br_table targets",
                    u64::from(targets.len()),
                    u64::from(MAX_BR_TABLE_TARGETS),
                )?;
            }
            Operator::TableGrow { .. } => {
                return Err(ValidationError::ForbiddenInstruction("table.grow"));
            }
            Operator::TableFill { .. } => {
                return Err(ValidationError::ForbiddenInstruction("table.fill"));
            }
            _ => {}
        }
    }
    Ok(())
}

impl crate::imports::HostImport {
    fn wasm_params(&self) -> Vec<ValType> {
        self.params.iter().map(|t| t.wasm()).collect()
    }
    fn wasm_results(&self) -> Vec<ValType> {
        self.results.iter().map(|t| t.wasm()).collect()
    }
}

/// The text of a contract's ABI section ([`cairn_primitives::ABI_SECTION_NAME`]): one JSON
/// object per line, a `"kind":"contract"` line and one `"kind":"event"` line per event
/// (`docs/protocol.md` §8), the contents of every section of that name concatenated. NUL
/// padding a linker may insert between lines is dropped. `None` when the module has no such
/// section, its framing is malformed, or the text is not UTF-8.
#[must_use]
pub fn abi_section(code: &[u8]) -> Option<String> {
    let mut bytes: Option<Vec<u8>> = None;
    for payload in wasmparser::Parser::new(0).parse_all(code) {
        if let wasmparser::Payload::CustomSection(section) = payload.ok()?
            && section.name() == cairn_primitives::ABI_SECTION_NAME
        {
            bytes
                .get_or_insert_with(Vec::new)
                .extend_from_slice(section.data());
        }
    }
    let mut bytes = bytes?;
    bytes.retain(|b| *b != 0);
    String::from_utf8(bytes).ok()
}
