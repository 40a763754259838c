//! Pins the state root of a fixed state: a change of key layout, account encoding or trie
//! hashing must show up as a diff of `tests/golden/state_root.txt`
//! (regenerate with `CAIRN_UPDATE_GOLDEN=1`).

use cairn_primitives::{Hash, U256, keccak256, to_hex};
use cairn_state::{Account, State, StateChanges, StateConfig};
use cairn_storage::MemStore;

use crate::addr;

#[test]
fn fixed_state_root_is_pinned() {
    let state = State::open(MemStore::new(), StateConfig::default()).unwrap();
    let code = b"\0asm\x01\0\0\0".to_vec();
    let code_hash = Hash(keccak256(&code));
    let mut c = StateChanges::default();
    for i in 0..200u64 {
        c.accounts.insert(
            addr(i),
            Some(Account {
                nonce: i,
                balance: U256::from(i) * U256::from(10u64).pow(U256::from(18u64)),
                code_hash: i.is_multiple_of(50).then_some(code_hash),
                admin: None,
            }),
        );
        if i.is_multiple_of(10) {
            for k in 0..5u8 {
                c.storage
                    .insert((addr(i), vec![b's', k]), Some(vec![k; usize::from(k) + 1]));
            }
        }
    }
    c.code.insert(code_hash, code);
    state.commit(&c).unwrap();
    // A second block: deletes and updates.
    let mut c = StateChanges::default();
    for i in (0..200u64).step_by(7) {
        c.accounts.insert(addr(i), None);
    }
    c.storage.insert((addr(10), vec![b's', 0]), None);
    c.storage
        .insert((addr(20), vec![b's', 1]), Some(b"changed".to_vec()));
    let root = state.commit(&c).unwrap().root;

    let got = format!("{root}\n");
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/state_root.txt");
    if std::env::var_os("CAIRN_UPDATE_GOLDEN").is_some() {
        std::fs::write(path, &got).unwrap();
    }
    let want = std::fs::read_to_string(path).unwrap_or_default();
    assert_eq!(
        got, want,
        "state root changed; if deliberate, regenerate with CAIRN_UPDATE_GOLDEN=1"
    );
    assert!(
        got.starts_with("0x") && got.len() == 67,
        "{}",
        to_hex(&root.0)
    );
}
