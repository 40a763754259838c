//! docs/rpc.md documents every method of the API trait (and nothing the trait lacks).

use cairn_rpc_api::{CORE_METHODS, DEV_METHODS};
use cairn_tests::workspace_root;

#[test]
fn every_rpc_method_has_a_section_in_docs_rpc_md() {
    let doc = std::fs::read_to_string(workspace_root().join("docs/rpc.md")).expect("docs/rpc.md");
    let documented: Vec<&str> = doc
        .lines()
        .filter_map(|l| l.strip_prefix("### `"))
        .filter_map(|l| l.strip_suffix('`'))
        .collect();
    let all: Vec<&str> = CORE_METHODS.iter().chain(DEV_METHODS).copied().collect();
    for method in &all {
        assert!(
            documented.contains(method),
            "docs/rpc.md lacks a `### `{method}`` section"
        );
        assert!(
            doc.contains(&format!("\"method\":\"{method}\"")),
            "docs/rpc.md lacks a curl example calling {method}"
        );
    }
    for d in &documented {
        assert!(
            all.contains(d),
            "docs/rpc.md documents {d}, which the API lacks"
        );
    }
}
