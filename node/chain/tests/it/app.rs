//! The chain behind the consensus application: open/reopen, propose, verify, finalize,
//! blocks built on uncommitted parents, and refusals that write nothing.

use std::sync::Arc;

use cairn_chain::{Chain, ChainApp, NodeError, dev_account_key};
use cairn_consensus::{Application, ProposeContext, VerifyContext};
use cairn_mempool::RejectReason;
use cairn_primitives::{Address, Block, Canonical, Hash, ReceiptStatus};
use futures::executor::block_on;

use crate::common::{CHAIN_ID, genesis, transfer, validator};

fn open(dir: &std::path::Path) -> Arc<Chain> {
    Arc::new(Chain::open(dir, genesis(4)).expect("open"))
}

fn propose(app: &ChainApp, parent: &Block, pending: Vec<Arc<Block>>) -> Block {
    block_on(app.propose(ProposeContext {
        height: parent.header.height + 1,
        timestamp_ms: parent.header.timestamp + 1_000,
        view: parent.header.height + 1,
        proposer_index: 0,
        proposer_key: validator().public_key(),
        parent: Arc::new(parent.clone()),
        pending,
    }))
    .expect("a block")
}

fn verify(app: &ChainApp, block: &Block, parent: &Block) -> bool {
    block_on(app.verify(VerifyContext {
        block: Arc::new(block.clone()),
        now_ms: block.header.timestamp,
        view: block.header.height,
        proposer_index: 0,
        proposer_key: validator().public_key(),
        parent: Arc::new(parent.clone()),
        pending: Vec::new(),
    }))
}

fn recipient(i: u8) -> Address {
    Address([i; 20])
}

#[test]
fn propose_verify_finalize_and_reopen() {
    let dir = tempfile::tempdir().expect("dir");
    let chain = open(&dir.path().join("a"));
    let app = ChainApp::new(Arc::clone(&chain));
    let genesis_block = chain.genesis_block().clone();
    assert_eq!(chain.head().height, 0);
    assert_eq!(chain.state().root(), genesis_block.header.state_root);

    let alice = dev_account_key(0);
    let mut hashes = Vec::new();
    for nonce in 0..5 {
        let tx = transfer(&alice, nonce, recipient(1), 100 + nonce);
        hashes.push(chain.submit(tx.encode()).expect("admitted"));
    }
    let block = propose(&app, &genesis_block, Vec::new());
    assert_eq!(block.txs.len(), 5);
    assert_eq!(block.header.proposer, validator().address());

    // Another node with the same genesis re-executes the block and agrees.
    let other = open(&dir.path().join("b"));
    let other_app = ChainApp::new(Arc::clone(&other));
    assert!(verify(&other_app, &block, &genesis_block));

    block_on(app.finalized(Arc::new(block.clone()))).expect("commit");
    assert_eq!(chain.head().height, 1);
    assert_eq!(chain.head().hash, block.hash());
    assert!(
        chain.mempool().is_empty(),
        "included transactions leave the pool"
    );
    for h in &hashes {
        let (loc, receipt) = chain.receipt(h).expect("read").expect("receipt stored");
        assert_eq!(loc.height, 1);
        assert_eq!(receipt.status, ReceiptStatus::Success);
    }
    let balance = chain
        .account(&recipient(1))
        .expect("read")
        .expect("exists")
        .balance;
    assert_eq!(balance, (100..105u64).sum::<u64>().into());
    let root = chain.state().root();
    drop(app);
    drop(chain);

    let reopened = open(&dir.path().join("a"));
    assert_eq!(reopened.head().height, 1);
    assert_eq!(reopened.head().hash, block.hash());
    assert_eq!(reopened.state().root(), root);
    assert_eq!(reopened.state().root(), block.header.state_root);
    assert!(reopened.receipt(&hashes[4]).expect("read").is_some());
}

#[test]
fn tampered_blocks_are_rejected() {
    let dir = tempfile::tempdir().expect("dir");
    let chain = open(&dir.path().join("a"));
    let app = ChainApp::new(Arc::clone(&chain));
    let g = chain.genesis_block().clone();
    chain
        .submit(transfer(&dev_account_key(1), 0, recipient(2), 7).encode())
        .expect("admitted");
    let block = propose(&app, &g, Vec::new());
    let verifier = ChainApp::new(open(&dir.path().join("b")));
    assert!(verify(&verifier, &block, &g));

    let mut wrong_root = block.clone();
    wrong_root.header.state_root = Hash([0xAA; 32]);
    assert!(!verify(&verifier, &wrong_root, &g), "wrong state root");

    let mut wrong_gas = block.clone();
    wrong_gas.header.gas_used += 1;
    assert!(!verify(&verifier, &wrong_gas, &g), "wrong gas used");

    let mut thief = block.clone();
    thief.header.proposer = recipient(9);
    assert!(
        !verify(&verifier, &thief, &g),
        "fees to someone who did not lead the view"
    );

    let mut bad_sig = block.clone();
    bad_sig.txs[0].signature[0] ^= 1;
    assert!(!verify(&verifier, &bad_sig, &g), "bad signature");

    let mut backwards = block.clone();
    backwards.header.timestamp = g.header.timestamp - 1;
    assert!(
        !verify(&verifier, &backwards, &g),
        "timestamp before the parent's"
    );

    let mut orphan = block.clone();
    orphan.header.parent_hash = Hash([1; 32]);
    assert!(!verify(&verifier, &orphan, &g), "wrong parent");
}

#[test]
fn blocks_build_on_uncommitted_parents_without_repeating_their_transactions() {
    let dir = tempfile::tempdir().expect("dir");
    let chain = open(dir.path());
    let app = ChainApp::new(Arc::clone(&chain));
    let g = chain.genesis_block().clone();
    let bob = dev_account_key(2);
    for nonce in 0..3 {
        chain
            .submit(transfer(&bob, nonce, recipient(3), 1).encode())
            .expect("admitted");
    }
    let b1 = propose(&app, &g, Vec::new());
    assert_eq!(b1.txs.len(), 3);
    for nonce in 3..5 {
        chain
            .submit(transfer(&bob, nonce, recipient(3), 1).encode())
            .expect("admitted");
    }
    let b2 = propose(&app, &b1, vec![Arc::new(b1.clone())]);
    let nonces: Vec<u64> = b2.txs.iter().map(|t| t.tx.nonce).collect();
    assert_eq!(nonces, vec![3, 4], "b2 continues after b1's transactions");
    let executed = |b: &Block| chain.executed(&Arc::new(b.clone()), &[]).expect("cached");
    let (p1, p2) = (
        executed(&b1).prepared.clone(),
        executed(&b2).prepared.clone(),
    );
    let (p1, p2) = (
        p1.expect("b1's commit prepared"),
        p2.expect("b2's, on b1's"),
    );
    assert_eq!(
        (p1.version() + 1, p2.base()),
        (p2.version(), Some(p1.version()))
    );
    assert_eq!(p2.root(), b2.header.state_root);

    block_on(app.finalized(Arc::new(b1.clone()))).expect("commit b1");
    block_on(app.finalized(Arc::new(b2.clone()))).expect("commit b2");
    // A node that commits b1 before it sees b2 computes b2's root on the committed b1.
    let dir2 = tempfile::tempdir().expect("dir");
    let other = open(dir2.path());
    let other_app = ChainApp::new(Arc::clone(&other));
    assert!(verify(&other_app, &b1, &g));
    block_on(other_app.finalized(Arc::new(b1.clone()))).expect("commit b1");
    assert!(verify(&other_app, &b2, &b1), "same root for b2 either way");
    block_on(other_app.finalized(Arc::new(b2.clone()))).expect("commit b2");
    assert_eq!(other.state().root(), b2.header.state_root);
    assert_eq!(chain.head().hash, b2.hash());
    let acct = chain
        .account(&bob.address())
        .expect("read")
        .expect("exists");
    assert_eq!(acct.nonce, 5);
    assert_eq!(chain.state().root(), b2.header.state_root);
}

#[test]
fn a_block_not_extending_the_head_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().expect("dir");
    let chain = open(dir.path());
    let app = ChainApp::new(Arc::clone(&chain));
    let g = chain.genesis_block().clone();
    let b1 = propose(&app, &g, Vec::new());
    let b2 = propose(&app, &b1, vec![Arc::new(b1.clone())]);
    let root = chain.state().root();
    let err = chain.commit(&Arc::new(b2)).expect_err("gap");
    assert!(matches!(err, NodeError::Inconsistent(_)), "{err}");
    assert!(err.to_string().contains("does not extend"), "{err}");
    assert_eq!(chain.head().height, 0);
    assert_eq!(chain.state().root(), root);
    assert!(block_on(app.finalized(Arc::new(b1))).is_ok());
}

#[test]
fn another_genesis_on_the_same_data_dir_is_refused() {
    let dir = tempfile::tempdir().expect("dir");
    drop(open(dir.path()));
    let err = Chain::open(dir.path(), genesis(5)).expect_err("foreign chain");
    assert!(err.to_string().contains("another chain"), "{err}");
}

#[test]
fn submissions_get_typed_rejections() {
    let dir = tempfile::tempdir().expect("dir");
    let chain = open(dir.path());
    let carol = dev_account_key(3);
    let ok = transfer(&carol, 0, recipient(4), 1);
    chain.submit(ok.encode()).expect("admitted");
    assert!(matches!(
        chain.submit(ok.encode()),
        Err(RejectReason::AlreadyKnown(_))
    ));
    let mut wrong_chain = ok.tx.clone();
    wrong_chain.chain_id = CHAIN_ID + 1;
    assert!(matches!(
        chain.submit(carol.sign_tx(wrong_chain).encode()),
        Err(RejectReason::WrongChainId { .. })
    ));
    assert!(matches!(
        chain.submit(b"not a transaction".to_vec()),
        Err(RejectReason::Malformed(_))
    ));
    let poor = cairn_primitives::SecretKey::from_bytes(&[5; 32]);
    assert!(matches!(
        chain.submit(transfer(&poor, 0, recipient(4), 1).encode()),
        Err(RejectReason::InsufficientBalance { .. })
    ));
}

#[test]
fn peers_and_syncing_follow_what_consensus_reports() {
    let dir = tempfile::tempdir().expect("dir");
    let chain = open(dir.path());
    let app = ChainApp::new(Arc::clone(&chain));
    assert_eq!((chain.peers(), chain.syncing()), (0, false));
    app.peers_connected(3);
    assert_eq!(chain.peers(), 3);
    // The head is 0: a tip within `SYNC_LAG` is normal, beyond it the node is catching up.
    app.finalized_tip(cairn_chain::SYNC_LAG, Hash::ZERO);
    assert!(!chain.syncing());
    app.finalized_tip(cairn_chain::SYNC_LAG + 1, Hash::ZERO);
    assert!(chain.syncing());
    // A tip never goes back.
    app.finalized_tip(1, Hash::ZERO);
    assert!(chain.syncing());
}
