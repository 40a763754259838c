//! Golden files pin the encoding and hash of every primitive type: changing the format is a
//! visible diff in `tests/golden/encodings.txt`. Regenerate deliberately with
//! `CAIRN_BLESS=1 cargo test -p cairn-primitives`.

use std::fmt::Write as _;

use cairn_primitives::{Address, Canonical, Hash, to_hex};

use crate::fixtures;

fn entry<T: Canonical>(out: &mut String, name: &str, value: &T) {
    let bytes = value.encode();
    writeln!(out, "{name}.bytes = {}", to_hex(&bytes)).unwrap();
    writeln!(out, "{name}.hash = {}", Hash::of(&bytes)).unwrap();
}

fn render() -> String {
    let mut out = String::from(
        "# Canonical encodings of cairn-primitives (see docs/protocol.md). Generated; do not edit.\n",
    );
    entry(&mut out, "transaction.transfer", &fixtures::transfer());
    entry(&mut out, "transaction.deploy", &fixtures::deploy());
    entry(&mut out, "transaction.call", &fixtures::call());
    entry(&mut out, "signed_transaction", &fixtures::signed());
    entry(&mut out, "block_header", &fixtures::header());
    entry(&mut out, "block", &fixtures::block());
    entry(&mut out, "event", &fixtures::event());
    entry(&mut out, "receipt", &fixtures::receipt());
    let deployer = fixtures::key().address();
    writeln!(out, "address.of_key_0x11 = {deployer}").unwrap();
    writeln!(
        out,
        "address.create(nonce=4) = {}",
        Address::for_create(&deployer, 4)
    )
    .unwrap();
    writeln!(
        out,
        "address.create2(salt=0x5a..) = {}",
        Address::for_create2(&deployer, &Hash([0x5a; 32]), &Hash::of(b"\0asm\x01\0\0\0"))
    )
    .unwrap();
    out
}

#[test]
fn encodings_match_golden_file() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/encodings.txt");
    let actual = render();
    if std::env::var_os("CAIRN_BLESS").is_some() {
        std::fs::write(&path, &actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with CAIRN_BLESS=1 to create it)",
            path.display()
        )
    });
    for (i, (a, e)) in actual.lines().zip(expected.lines()).enumerate() {
        assert_eq!(
            a,
            e,
            "line {} of {} differs: a format change must be deliberate",
            i + 1,
            path.display()
        );
    }
    assert_eq!(
        actual.lines().count(),
        expected.lines().count(),
        "golden file line count"
    );
}
