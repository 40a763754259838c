//! Misuse of the contract macros is a compile error with a clear message (`tests/ui/*.rs`
//! and the expected compiler output beside each); correct use compiles (`tests/ui/pass_*`).

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass_*.rs");
    t.compile_fail("tests/ui/fail_*.rs");
}
