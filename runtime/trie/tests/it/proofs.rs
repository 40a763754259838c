//! Inclusion and exclusion proofs verify; tampered ones do not.

use std::collections::BTreeMap;

use cairn_primitives::keccak256;
use cairn_storage::MemStore;
use cairn_trie::{KeyHash, Proof, ProofError, RootRef, Trie, verify_proof};
use proptest::prelude::*;

use crate::apply_batches;

fn build(keys: &[(KeyHash, Vec<u8>)]) -> (Trie<MemStore>, RootRef, BTreeMap<KeyHash, Vec<u8>>) {
    let trie = Trie::new(MemStore::new(), 64);
    let model: BTreeMap<_, _> = keys.iter().cloned().collect();
    let batch: Vec<_> = model.iter().map(|(k, v)| (*k, Some(v.clone()))).collect();
    let root = apply_batches(&trie, &[batch]);
    (trie, root, model)
}

fn key() -> impl Strategy<Value = KeyHash> {
    (0u8..3, 0u8..16).prop_map(|(a, i)| {
        let mut k = keccak256(&[i]);
        k[0] = [0x00, 0x01, 0x10][usize::from(a)];
        k
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_proof_verifies_and_tampering_fails(
        entries in proptest::collection::vec((key(), proptest::collection::vec(any::<u8>(), 0..8)), 0..24),
        absent in proptest::collection::vec(key(), 1..8),
        flip in any::<(usize, u8)>(),
    ) {
        let (trie, root, model) = build(&entries);
        for (k, v) in &model {
            let proof = trie.prove(&root, k).unwrap();
            prop_assert_eq!(verify_proof(&root.hash, k, Some(v), &proof), Ok(()));
            // Round trip through the wire encoding.
            let decoded = Proof::decode(&proof.encode()).unwrap();
            prop_assert_eq!(&decoded, &proof);
            prop_assert_eq!(proof.encode().len(), proof.encoded_len());
            // A tampered value, or a claim of absence, fails.
            let mut other = v.clone();
            other.push(flip.1);
            prop_assert_eq!(verify_proof(&root.hash, k, Some(&other), &proof), Err(ProofError::ValueMismatch));
            prop_assert!(verify_proof(&root.hash, k, None, &proof).is_err());
            // A tampered sibling hash fails.
            let mut bad = proof.clone();
            if let Some(node) = bad.nodes.iter_mut().find(|n| !n.siblings.is_empty()) {
                let i = flip.0 % node.siblings.len();
                node.siblings[i][0] ^= 1;
                prop_assert!(verify_proof(&root.hash, k, Some(v), &bad).is_err());
            }
            // Against another root, it fails.
            let mut other_root = root.hash;
            other_root[31] ^= 1;
            prop_assert!(verify_proof(&other_root, k, Some(v), &proof).is_err());
        }
        for k in absent.iter().filter(|k| !model.contains_key(*k)) {
            let proof = trie.prove(&root, k).unwrap();
            prop_assert_eq!(verify_proof(&root.hash, k, None, &proof), Ok(()));
            prop_assert!(verify_proof(&root.hash, k, Some(b"x"), &proof).is_err());
            // Dropping the leaf of an exclusion-by-other-leaf proof fails.
            if proof.leaf.is_some() {
                let mut bad = proof.clone();
                bad.leaf = None;
                prop_assert!(verify_proof(&root.hash, k, None, &bad).is_err());
            }
        }
    }
}

#[test]
fn empty_tree_proves_absence_only() {
    let trie = Trie::new(MemStore::new(), 0);
    let p = trie.prove(&RootRef::EMPTY, &[7; 32]).unwrap();
    assert_eq!(
        verify_proof(&RootRef::EMPTY.hash, &[7; 32], None, &p),
        Ok(())
    );
    assert_eq!(
        verify_proof(&RootRef::EMPTY.hash, &[7; 32], Some(b"v"), &p),
        Err(ProofError::ValueMismatch)
    );
    assert_eq!(
        verify_proof(&[1; 32], &[7; 32], None, &p),
        Err(ProofError::RootMismatch)
    );
}

#[test]
fn malformed_encodings_are_rejected() {
    let (trie, root, _) = build(&[([1; 32], vec![1]), ([2; 32], vec![2])]);
    let bytes = trie.prove(&root, &[1; 32]).unwrap().encode();
    for cut in 0..bytes.len() {
        assert!(Proof::decode(&bytes[..cut]).is_err(), "truncated at {cut}");
    }
    let mut long = bytes.clone();
    long.push(0);
    assert!(Proof::decode(&long).is_err());
    assert!(
        Proof::decode(&[65]).is_err(),
        "more nodes than a path can have"
    );
}
