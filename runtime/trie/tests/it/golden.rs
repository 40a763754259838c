//! Pins the root of a fixed tree: a change of hashing or layout must show up as a diff of
//! `tests/golden/trie_root.txt` (regenerate with `CAIRN_UPDATE_GOLDEN=1`).

use cairn_primitives::{keccak256, to_hex};
use cairn_storage::MemStore;
use cairn_trie::Trie;

use crate::apply_batches;

#[test]
fn fixed_tree_root_is_pinned() {
    // 1000 keys, then 100 deleted and 100 updated in a second version.
    let first: Vec<_> = (0u32..1000)
        .map(|i| {
            (
                keccak256(&i.to_be_bytes()),
                Some(format!("value-{i}").into_bytes()),
            )
        })
        .collect();
    let second: Vec<_> = (0u32..200)
        .map(|i| {
            let k = keccak256(&(i * 5).to_be_bytes());
            (
                k,
                i.is_multiple_of(2)
                    .then(|| format!("updated-{i}").into_bytes()),
            )
        })
        .collect();
    let trie = Trie::new(MemStore::new(), 0);
    let root = apply_batches(&trie, &[first, second]);
    let got = format!("{}\n", to_hex(&root.hash));
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/trie_root.txt");
    if std::env::var_os("CAIRN_UPDATE_GOLDEN").is_some() {
        std::fs::write(path, &got).unwrap();
    }
    let want = std::fs::read_to_string(path).unwrap_or_default();
    assert_eq!(
        got, want,
        "trie root changed; if deliberate, regenerate with CAIRN_UPDATE_GOLDEN=1"
    );
}
