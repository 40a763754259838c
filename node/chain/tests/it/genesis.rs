//! The genesis file: every rule of `Genesis::validate`, file errors, and the genesis block.

use cairn_chain::{Genesis, GenesisFileError, MAX_GENESIS_FILE_BYTES, MIN_BLOCK_GAS_LIMIT};
use cairn_primitives::{Amount, U256};

use crate::common::genesis;

fn invalid(g: &Genesis) -> String {
    match g.validate() {
        Err(e) => e.to_string(),
        Ok(()) => panic!("accepted an invalid genesis: {g:?}"),
    }
}

#[test]
fn a_dev_genesis_is_valid_and_round_trips_through_its_file() {
    let g = genesis(3);
    g.validate().expect("valid");
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("genesis.json");
    g.save(&path).expect("save");
    assert_eq!(Genesis::load(&path).expect("load"), g);
}

#[test]
fn every_rule_is_enforced_with_a_clear_message() {
    let mut g = genesis(2);
    g.validators.clear();
    assert!(invalid(&g).contains("no validators"));

    let mut g = genesis(2);
    g.validators.push(g.validators[0].clone());
    assert!(invalid(&g).contains("duplicate validator"));

    let mut g = genesis(2);
    g.block_gas_limit = MIN_BLOCK_GAS_LIMIT - 1;
    assert!(invalid(&g).contains("block_gas_limit"));
    g.block_gas_limit = MIN_BLOCK_GAS_LIMIT;
    g.validate().expect("the minimum itself is allowed");

    let mut g = genesis(2);
    g.min_gas_price = Amount::zero();
    assert!(invalid(&g).contains("min_gas_price"));

    let mut g = genesis(2);
    g.accounts.push(g.accounts[0].clone());
    assert!(invalid(&g).contains("twice"));

    let mut g = genesis(2);
    g.accounts[0].balance = U256::MAX;
    assert!(invalid(&g).contains("total supply"));
}

#[test]
fn file_errors_name_the_file_and_the_problem() {
    let dir = tempfile::tempdir().expect("dir");
    let missing = dir.path().join("nope.json");
    let e = Genesis::load(&missing).expect_err("missing");
    assert!(matches!(e, GenesisFileError::Io { .. }));
    assert!(e.to_string().contains("nope.json"));

    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, b"{\"chain_id\": 1,\n \"oops\": 2}").expect("write");
    let e = Genesis::load(&bad).expect_err("malformed");
    assert!(matches!(e, GenesisFileError::Json { .. }), "{e}");
    assert!(e.to_string().contains("line"), "{e}");

    let big = dir.path().join("big.json");
    let f = std::fs::File::create(&big).expect("create");
    f.set_len(MAX_GENESIS_FILE_BYTES + 1).expect("sparse file");
    let e = Genesis::load(&big).expect_err("too large");
    assert!(matches!(e, GenesisFileError::TooLarge { .. }), "{e}");
}

#[test]
fn the_genesis_block_commits_to_the_state_root_and_the_namespace_to_the_chain() {
    let g = genesis(1);
    let a = g.block(cairn_primitives::Hash([1; 32]));
    let b = g.block(cairn_primitives::Hash([2; 32]));
    assert_eq!(a.header.height, 0);
    assert!(a.txs.is_empty());
    assert_ne!(a.hash(), b.hash());
    let mut other = g.clone();
    other.chain_id += 1;
    assert_ne!(g.namespace(), other.namespace());
}
