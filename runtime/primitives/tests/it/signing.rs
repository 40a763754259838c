//! Signatures bind the whole transaction, chain id included.

use cairn_primitives::{Canonical, SecretKey, SignatureError, TxKind, U256, verify_batch};

use crate::fixtures;

#[test]
fn signature_for_chain_a_does_not_verify_on_chain_b() {
    let signed = fixtures::key().sign_tx(fixtures::transfer());
    assert_eq!(signed.verify(), Ok(()));
    let mut other_chain = signed.clone();
    other_chain.tx.chain_id += 1;
    assert_eq!(other_chain.verify(), Err(SignatureError::InvalidSignature));
    assert_ne!(
        other_chain.tx.signing_message(),
        signed.tx.signing_message()
    );
}

#[test]
fn every_field_is_covered_by_the_signature() {
    let signed = fixtures::key().sign_tx(fixtures::transfer());
    let mut variants = Vec::new();
    let mut t = signed.clone();
    t.tx.nonce += 1;
    variants.push(t);
    let mut t = signed.clone();
    t.tx.gas_limit += 1;
    variants.push(t);
    let mut t = signed.clone();
    t.tx.gas_price += U256::one();
    variants.push(t);
    let mut t = signed.clone();
    if let TxKind::Transfer(tr) = &mut t.tx.kind {
        tr.amount += U256::one();
    }
    variants.push(t);
    let mut t = signed.clone();
    t.public_key = SecretKey::from_bytes(&[0x22; 32]).public_key();
    variants.push(t);
    for v in variants {
        assert!(v.verify().is_err(), "{v:?}");
        assert_ne!(v.tx_hash(), signed.tx_hash());
    }
}

#[test]
fn sender_is_the_key_address_and_hash_covers_signature() {
    let key = fixtures::key();
    let signed = key.sign_tx(fixtures::transfer());
    assert_eq!(signed.sender(), key.address());
    assert_eq!(signed.tx_hash(), signed.hash());
    let mut other = signed.clone();
    other.signature[63] ^= 0x01;
    assert_ne!(other.tx_hash(), signed.tx_hash());
}

#[test]
fn batch_verification_agrees_with_single() {
    let txs: Vec<_> = (0..32u8)
        .map(|i| {
            let mut tx = fixtures::transfer();
            tx.nonce = u64::from(i);
            SecretKey::from_bytes(&[i + 1; 32]).sign_tx(tx)
        })
        .collect();
    let msgs: Vec<Vec<u8>> = txs.iter().map(|t| t.tx.signing_message()).collect();
    let items: Vec<_> = txs
        .iter()
        .zip(&msgs)
        .map(|(t, m)| (&t.public_key, m.as_slice(), &t.signature))
        .collect();
    assert_eq!(verify_batch(&items), Ok(()));
    let mut bad = txs.clone();
    bad[17].tx.chain_id = 99;
    let msgs: Vec<Vec<u8>> = bad.iter().map(|t| t.tx.signing_message()).collect();
    let items: Vec<_> = bad
        .iter()
        .zip(&msgs)
        .map(|(t, m)| (&t.public_key, m.as_slice(), &t.signature))
        .collect();
    assert_eq!(verify_batch(&items), Err(SignatureError::InvalidAt(17)));
}
