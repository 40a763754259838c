//! Deploy-time validation: each rule has its typed error; compile bombs are refused by the
//! limits or compile in bounded time.

use std::time::{Duration, Instant};

use cairn_vm::{ValidationError, validate};

use crate::common::{vm, wat};

fn module(text: &str) -> Vec<u8> {
    wat::parse_str(text).unwrap()
}

const MEM: &str = r#"(memory (export "memory") 1 1)"#;
const METHOD: &str = r#"(func (export "m"))"#;

fn err(code: &[u8]) -> ValidationError {
    validate(code).expect_err("must be rejected")
}

fn too_many(e: ValidationError) -> &'static str {
    match e {
        ValidationError::TooMany { what, .. } => what,
        other => panic!("expected TooMany, got {other}"),
    }
}

#[test]
fn a_minimal_module_is_valid() {
    let info = validate(&module(&format!(
        "(module {MEM} {METHOD} (func (export \"add\") (param i32)))"
    )))
    .unwrap();
    assert_eq!(
        info.methods.iter().collect::<Vec<_>>(),
        ["m"],
        "only () -> () functions are methods"
    );
    assert!(!info.reentrant);
}

#[test]
fn each_rule_has_its_error() {
    assert!(matches!(
        err(&vec![0u8; 600 * 1024]),
        ValidationError::CodeTooLarge(_)
    ));
    assert!(matches!(
        err(b"\0asm\x01\0\0\0garbage"),
        ValidationError::Malformed(_)
    ));
    assert_eq!(
        err(&module(&format!("(module {METHOD})"))),
        ValidationError::MemoryCount(0)
    );
    assert!(matches!(
        err(&module(&format!("(module {MEM} (memory 1 1) {METHOD})"))),
        ValidationError::Malformed(_)
    ));
    assert_eq!(
        err(&module(&format!(
            "(module (memory (export \"memory\") 1) {METHOD})"
        ))),
        ValidationError::MemoryWithoutMaximum
    );
    assert_eq!(
        err(&module(&format!(
            "(module (memory (export \"memory\") 1 513) {METHOD})"
        ))),
        ValidationError::MemoryTooLarge(513)
    );
    assert!(matches!(
        err(&module(&format!(
            "(module (memory (export \"memory\") i64 1 2) {METHOD})"
        ))),
        ValidationError::MemoryKind | ValidationError::Malformed(_)
    ));
    assert_eq!(
        err(&module(&format!(
            "(module {MEM} {METHOD} (table 5000 5000 funcref))"
        ))),
        ValidationError::TableTooLarge(5000)
    );
    assert_eq!(
        err(&module(&format!(
            "(module {MEM} {METHOD} (table 1 funcref))"
        ))),
        ValidationError::TableTooLarge(u64::MAX)
    );
    assert!(matches!(
        err(&module(&format!(
            "(module {MEM} {METHOD} (table 1 1 funcref) (table 1 1 funcref))"
        ))),
        ValidationError::TableCount(2)
    ));
    assert_eq!(
        err(&module(&format!(
            "(module (import \"env\" \"abort\" (func)) {MEM} {METHOD})"
        ))),
        ValidationError::UnknownImport {
            module: "env".into(),
            name: "abort".into()
        }
    );
    assert_eq!(
        err(&module(&format!(
            "(module (import \"cairn\" \"steal\" (func)) {MEM} {METHOD})"
        ))),
        ValidationError::UnknownImport {
            module: "cairn".into(),
            name: "steal".into()
        }
    );
    assert_eq!(
        err(&module(&format!(
            "(module (import \"cairn\" \"gas_left\" (func (result i32))) {MEM} {METHOD})"
        ))),
        ValidationError::ImportType("gas_left".into())
    );
    assert_eq!(
        err(&module(&format!(
            "(module (import \"cairn\" \"gas_left\" (global i64)) {MEM} {METHOD})"
        ))),
        ValidationError::ImportType("gas_left".into())
    );
    assert_eq!(
        err(&module(&format!("(module (memory 1 1) {METHOD})"))),
        ValidationError::MissingMemoryExport
    );
    assert_eq!(
        err(&module(&format!(
            "(module {MEM} (func (export \"f\") (param i32)))"
        ))),
        ValidationError::NoMethods
    );
    assert_eq!(
        err(&module(&format!(
            "(module {MEM} {METHOD} (func $s) (start $s))"
        ))),
        ValidationError::StartFunction
    );
    assert_eq!(
        err(&module(&format!(
            "(module {MEM} {METHOD} (table 1 2 funcref) (func (drop (table.grow 0 (ref.null func) (i32.const 1)))))"
        ))),
        ValidationError::ForbiddenInstruction("table.grow")
    );
    // Disabled proposals are malformed for our feature set.
    for text in [
        format!("(module {MEM} {METHOD} (func (drop (v128.const i64x2 0 0))))"),
        format!("(module {MEM} {METHOD} (func $t (return_call $t)))"),
        format!("(module (memory (export \"memory\") 1 1 shared) {METHOD})"),
    ] {
        assert!(
            matches!(
                err(&module(&text)),
                ValidationError::Malformed(_) | ValidationError::MemoryKind
            ),
            "{text}"
        );
    }
    // Every import the host offers is accepted (the prelude imports them all).
    assert!(validate(&wat(METHOD)).is_ok());
}

#[test]
fn shape_limits() {
    let params = "i32 ".repeat(33);
    assert_eq!(
        too_many(err(&module(&format!(
            "(module {MEM} {METHOD} (func (param {params})))"
        )))),
        "params"
    );
    let locals = "(local i32) ".repeat(1025);
    assert_eq!(
        too_many(err(&module(&format!(
            "(module {MEM} {METHOD} (func {locals}))"
        )))),
        "locals per function"
    );
    let globals = "(global i32 (i32.const 0))".repeat(257);
    assert_eq!(
        too_many(err(&module(&format!("(module {MEM} {METHOD} {globals})")))),
        "globals"
    );
    let data = "(data (i32.const 0) \"x\")".repeat(1025);
    assert_eq!(
        too_many(err(&module(&format!("(module {MEM} {METHOD} {data})")))),
        "data segments"
    );
    let funcs = "(func)".repeat(10_001);
    assert_eq!(
        too_many(err(&module(&format!("(module {MEM} {METHOD} {funcs})")))),
        "functions"
    );
    let blocks = format!("{}{}", "(block ".repeat(300), ")".repeat(300));
    assert_eq!(
        too_many(err(&module(&format!(
            "(module {MEM} {METHOD} (func {blocks}))"
        )))),
        "block depth"
    );
    let targets = "0 ".repeat(2_000);
    assert_eq!(
        too_many(err(&module(&format!(
            "(module {MEM} {METHOD} (func (block (br_table {targets} (i32.const 0)))))"
        )))),
        "br_table targets"
    );
}

#[test]
fn compile_bombs_at_the_limits_compile_in_bounded_time() {
    let funcs = "(func (result i32) (i32.const 1))".repeat(9_990);
    let blocks = format!("{}{}", "(block ".repeat(250), ")".repeat(250));
    let targets = "0 ".repeat(1_000);
    let brs = format!(
        "(func (param i32) (block {}))",
        format!("(br_table {targets} (local.get 0))").repeat(100)
    );
    for (name, text) in [
        ("10k functions", format!("(module {MEM} {METHOD} {funcs})")),
        (
            "250 nested blocks ×100",
            format!(
                "(module {MEM} {METHOD} {})",
                format!("(func {blocks})").repeat(100)
            ),
        ),
        (
            "100 br_tables of 1000",
            format!("(module {MEM} {METHOD} {brs})"),
        ),
    ] {
        let code = module(&text);
        let start = Instant::now();
        vm().prepare(&code)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let took = start.elapsed();
        assert!(
            took < Duration::from_secs(10),
            "{name} compiled in {took:?}"
        );
    }
}
