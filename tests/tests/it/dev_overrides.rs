//! The devnet's state overrides on a real `cairn devnet`, over JSON-RPC: balances, nonces,
//! storage and code set directly, impersonation, snapshots reverted to twice, block time,
//! and the refusals (a dev op from anyone but the dev authority, an unknown snapshot,
//! invalid code, oversized storage). Also what a devnet's receipts add: the wasm backtrace of
//! a trap and every receipt's gas by category.

use std::time::Duration;

use cairn_primitives::{
    Address, Amount, Call, Deploy, DevAccountState, DevOp, DevSetAccount, Hash, ReceiptStatus,
    Transaction, Transfer, TxKind,
};
use cairn_rpc_api::{
    AmountDec, Bytes, CairnApiClient, DevApiClient, DevTransaction, ErrorCode, ReceiptInfo,
};
use jsonrpsee::http_client::HttpClient;

use crate::node_restart::dev_key;
use crate::rpc_e2e::{devnet, kv_contract, runtime, spin_contract};

fn code_of(e: jsonrpsee::core::ClientError) -> (i32, String) {
    match e {
        jsonrpsee::core::ClientError::Call(e) => (e.code(), e.message().to_owned()),
        other => panic!("expected a JSON-RPC error object, got {other}"),
    }
}

async fn receipt(rpc: &HttpClient, hash: Hash) -> ReceiptInfo {
    for _ in 0..1500 {
        if let Some(r) = rpc.chain_get_receipt(hash).await.expect("receipt") {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no receipt for {hash}");
}

fn send(from: Address, kind: TxKind) -> DevTransaction {
    DevTransaction {
        from,
        kind,
        nonce: None,
        gas_limit: None,
        gas_price: None,
    }
}

/// A plain deploy of the kv contract.
fn deploy_kv() -> TxKind {
    TxKind::Deploy(Deploy {
        code: kv_contract(),
        init: None,
        salt: None,
        value: Amount::zero(),
        admin: None,
    })
}

async fn balance(rpc: &HttpClient, a: Address) -> Amount {
    rpc.state_get_account(a, None)
        .await
        .expect("account")
        .balance
}

async fn get(rpc: &HttpClient, contract: Address) -> Vec<u8> {
    rpc.contract_view(contract, "get".into(), Bytes::default(), None)
        .await
        .expect("view get")
        .return_data
}

#[test]
#[allow(clippy::too_many_lines)]
fn overrides_impersonation_snapshots_and_time_on_a_devnet() {
    let _serial = crate::node_restart::serial();
    let dir = tempfile::tempdir().expect("dir");
    let (node, _url) = devnet(&dir.path().join("d"));
    let rt = runtime();
    rt.block_on(async {
        let rpc = &node.rpc;
        let alice = dev_key(0).address();
        let stranger = Address([0x5a; 20]);

        // Balances and nonces, visible as soon as the call returns.
        let amount = Amount::from(123_456_789u64);
        let head = rpc
            .dev_set_balance(stranger, AmountDec(amount))
            .await
            .expect("dev_setBalance");
        assert!(head.height >= 1);
        assert_eq!(balance(rpc, stranger).await, amount);
        rpc.dev_set_nonce(stranger, 7).await.expect("dev_setNonce");
        let acct = rpc.state_get_account(stranger, None).await.unwrap();
        assert_eq!((acct.nonce, acct.balance), (7, amount));

        // A contract to work on.
        let deployed = receipt(
            rpc,
            rpc.dev_send(send(alice, deploy_kv()))
                .await
                .expect("deploy"),
        )
        .await;
        let kv = deployed.contract_address.expect("deployed");

        // Storage: set, read through state and the contract itself, delete.
        rpc.dev_set_storage(kv, Bytes(b"k".to_vec()), Some(Bytes(b"forged".to_vec())))
            .await
            .expect("dev_setStorage");
        assert_eq!(get(rpc, kv).await, b"forged");
        rpc.dev_set_storage(kv, Bytes(b"k".to_vec()), None)
            .await
            .expect("delete");
        assert_eq!(
            rpc.state_get_storage(kv, Bytes(b"k".to_vec()), None)
                .await
                .unwrap(),
            None
        );

        // Code: the kv contract installed at the funded stranger's address keeps its balance.
        rpc.dev_set_code(stranger, Bytes(kv_contract()))
            .await
            .expect("dev_setCode");
        let acct = rpc.state_get_account(stranger, None).await.unwrap();
        assert!(acct.code_hash.is_some());
        assert_eq!(acct.balance, amount);
        let set = receipt(
            rpc,
            rpc.dev_send(send(
                alice,
                TxKind::Call(Call {
                    to: stranger,
                    method: "set".into(),
                    args: b"now a contract".to_vec(),
                    value: Amount::zero(),
                }),
            ))
            .await
            .expect("call"),
        )
        .await;
        assert_eq!(set.status, ReceiptStatus::Success, "{set:?}");
        assert_eq!(get(rpc, stranger).await, b"now a contract");

        // Impersonation: an address nobody holds the key of sends value and deploys.
        let whale = Address([0x77; 20]);
        rpc.dev_set_balance(whale, AmountDec(Amount::from(1_000_000u64)))
            .await
            .expect("fund whale");
        let refused = rpc
            .dev_send(send(
                whale,
                TxKind::Transfer(Transfer {
                    to: alice,
                    amount: Amount::one(),
                }),
            ))
            .await
            .expect_err("not impersonated yet");
        assert_eq!(code_of(refused).0, -32602);
        assert!(rpc.dev_impersonate(whale).await.expect("dev_impersonate"));
        let alice_before = balance(rpc, alice).await;
        let moved = receipt(
            rpc,
            rpc.dev_send(send(
                whale,
                TxKind::Transfer(Transfer {
                    to: alice,
                    amount: Amount::from(1000u64),
                }),
            ))
            .await
            .expect("impersonated transfer"),
        )
        .await;
        assert_eq!(moved.status, ReceiptStatus::Success, "{moved:?}");
        assert_eq!(moved.from, whale, "the receipt reads as sent by the whale");
        assert_eq!(balance(rpc, whale).await, Amount::from(999_000u64));
        assert_eq!(
            balance(rpc, alice).await,
            alice_before + Amount::from(1000u64)
        );
        let whale_deploy = receipt(
            rpc,
            rpc.dev_send(send(whale, deploy_kv()))
                .await
                .expect("impersonated deploy"),
        )
        .await;
        assert_eq!(
            whale_deploy.contract_address,
            Some(Address::for_create(&whale, 1)),
            "the address derives from the whale and its nonce"
        );
        let whale_acct = rpc.state_get_account(whale, None).await.unwrap();
        assert_eq!(whale_acct.nonce, 2);
        let tx = rpc
            .chain_get_transaction(whale_deploy.tx_hash)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(tx.from, whale);
        assert!(rpc.dev_stop_impersonating(whale).await.expect("stop"));
        assert!(
            rpc.dev_send(send(
                whale,
                TxKind::Transfer(Transfer {
                    to: alice,
                    amount: Amount::one()
                })
            ))
            .await
            .is_err(),
            "stopped impersonating"
        );

        // Snapshot, change things, revert; change again, revert to the same snapshot again.
        receipt(
            rpc,
            rpc.dev_send(send(
                alice,
                TxKind::Call(Call {
                    to: kv,
                    method: "set".into(),
                    args: b"at snapshot".to_vec(),
                    value: Amount::zero(),
                }),
            ))
            .await
            .unwrap(),
        )
        .await;
        let snap = rpc.dev_snapshot().await.expect("dev_snapshot");
        let alice_at = rpc.state_get_account(alice, None).await.unwrap();
        let fresh = Address([0x33; 20]);
        for round in 0..2u64 {
            let changed = receipt(
                rpc,
                rpc.dev_send(send(
                    alice,
                    TxKind::Call(Call {
                        to: kv,
                        method: "set".into(),
                        args: format!("changed {round}").into_bytes(),
                        value: Amount::zero(),
                    }),
                ))
                .await
                .unwrap(),
            )
            .await;
            assert_eq!(changed.status, ReceiptStatus::Success);
            receipt(
                rpc,
                rpc.dev_send(send(
                    alice,
                    // Each round's transaction differs: after a revert the same nonce is
                    // free again, and an identical transaction would have the same hash.
                    TxKind::Transfer(Transfer {
                        to: fresh,
                        amount: Amount::from(5 + round),
                    }),
                ))
                .await
                .unwrap(),
            )
            .await;
            assert_eq!(get(rpc, kv).await, format!("changed {round}").as_bytes());
            assert_eq!(balance(rpc, fresh).await, Amount::from(5 + round));
            let before = rpc.chain_head().await.unwrap().height;
            let head = rpc.dev_revert(snap).await.expect("dev_revert");
            assert!(head.height > before, "blocks stay final: the head moves on");
            assert_eq!(get(rpc, kv).await, b"at snapshot", "round {round}");
            let gone = rpc.state_get_account(fresh, None).await.unwrap();
            assert_eq!(
                (gone.balance, gone.nonce),
                (Amount::zero(), 0),
                "an account created after the snapshot is gone (round {round})"
            );
            let alice_now = rpc.state_get_account(alice, None).await.unwrap();
            assert_eq!(
                (alice_now.nonce, alice_now.balance),
                (alice_at.nonce, alice_at.balance),
                "round {round}"
            );
        }
        // Sending again from the restored nonce works.
        let again = receipt(
            rpc,
            rpc.dev_send(send(
                alice,
                TxKind::Transfer(Transfer {
                    to: fresh,
                    amount: Amount::one(),
                }),
            ))
            .await
            .unwrap(),
        )
        .await;
        assert_eq!(again.status, ReceiptStatus::Success, "{again:?}");
        let later = rpc.dev_snapshot().await.unwrap();
        rpc.dev_revert(snap).await.expect("revert drops later ones");
        let (code, _) = code_of(rpc.dev_revert(later).await.expect_err("dropped"));
        assert_eq!(code, ErrorCode::UnknownSnapshot.code());
        let (code, _) = code_of(rpc.dev_revert(999).await.expect_err("unknown"));
        assert_eq!(code, ErrorCode::UnknownSnapshot.code());

        // Block time: the next block is stamped at the time set.
        let head = rpc.chain_head().await.unwrap();
        let target = head.timestamp + 86_400_000;
        rpc.dev_set_block_time(target)
            .await
            .expect("dev_setBlockTime");
        let mined = rpc.dev_mine(Some(1)).await.expect("dev_mine");
        assert!(
            mined.timestamp >= target && mined.timestamp < target + 60_000,
            "{} vs {target}",
            mined.timestamp
        );
        let (code, _) = code_of(
            rpc.dev_set_block_time(head.timestamp)
                .await
                .expect_err("back in time"),
        );
        assert_eq!(code, -32602);

        // Refusals: invalid code, an oversized storage key, and a dev op signed by anyone
        // but the dev authority.
        let (code, message) = code_of(
            rpc.dev_set_code(stranger, Bytes(b"not wasm".to_vec()))
                .await
                .expect_err("invalid code"),
        );
        assert_eq!(code, ErrorCode::DevOverrideFailed.code(), "{message}");
        assert!(message.contains("invalid code"), "{message}");
        let (code, message) = code_of(
            rpc.dev_set_storage(kv, Bytes(vec![1; 129]), Some(Bytes(vec![1])))
                .await
                .expect_err("key too long"),
        );
        assert_eq!(code, -32602, "{message}");
        let forged = dev_key(1).sign_tx(Transaction {
            chain_id: rpc.chain_id().await.unwrap(),
            nonce: 0,
            gas_limit: 1_000_000,
            gas_price: Amount::one(),
            kind: TxKind::Dev(DevOp::SetAccount(DevSetAccount {
                address: dev_key(1).address(),
                account: Some(DevAccountState {
                    balance: Amount::MAX,
                    ..DevAccountState::default()
                }),
            })),
        });
        let (code, message) = code_of(
            rpc.tx_send(Bytes(cairn_primitives::Canonical::encode(&forged)))
                .await
                .expect_err("not the authority"),
        );
        assert_eq!(code, ErrorCode::InvalidTransaction.code(), "{message}");
        assert!(message.contains("dev authority"), "{message}");

        // Under the default watchdog (2 s) an endless view ends on its gas: out of gas.
        rpc.dev_set_code(stranger, Bytes(spin_contract()))
            .await
            .expect("spin code");
        let (code, message) = code_of(
            rpc.contract_view(stranger, "spin".into(), Bytes::default(), None)
                .await
                .expect_err("endless"),
        );
        assert_eq!(code, ErrorCode::OutOfGas.code(), "{message}");
    });
}

/// Traps two calls deep: `divide` divides by zero, called by `helper`, called by `go` (an
/// export with no name of its own in the name section).
fn trapping_contract() -> Vec<u8> {
    wat::parse_str(
        r#"(module
 (import "cairn" "storage_write" (func $storage_write (param i32 i32 i32 i32)))
 (memory (export "memory") 1 1)
 (func $divide (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0)))
 (func $helper (drop (call $divide (i32.const 0))))
 (func (export "go") (call $storage_write (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 1))
                     (call $helper))
 (func (export "put") (call $storage_write (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 1))))"#,
    )
    .expect("valid wat")
}

#[test]
fn a_trap_receipt_names_the_functions_and_every_receipt_has_its_gas_by_category() {
    let _serial = crate::node_restart::serial();
    let dir = tempfile::tempdir().expect("dir");
    let (node, _url) = devnet(&dir.path().join("d"));
    let rt = runtime();
    rt.block_on(async {
        let rpc = &node.rpc;
        let alice = dev_key(0).address();
        let deploy = TxKind::Deploy(Deploy {
            code: trapping_contract(),
            init: None,
            salt: None,
            value: Amount::zero(),
            admin: None,
        });
        let hash = rpc.dev_send(send(alice, deploy)).await.expect("deploy");
        let deployed = receipt(rpc, hash).await;
        assert_eq!(deployed.status, ReceiptStatus::Success, "{deployed:?}");
        let contract = deployed.contract_address.expect("deployed");
        let call = |method: &str| {
            TxKind::Call(Call {
                to: contract,
                method: method.into(),
                args: Vec::new(),
                value: Amount::zero(),
            })
        };

        let hash = rpc.dev_send(send(alice, call("go"))).await.expect("go");
        let trapped = receipt(rpc, hash).await;
        assert_eq!(trapped.status, ReceiptStatus::Trapped, "{trapped:?}");
        assert_eq!(
            trapped.error.as_deref(),
            Some(
                "trap: integer division by zero\nwasm backtrace:\n  0: divide\n  1: helper\n  2: go"
            )
        );

        let hash = rpc.dev_send(send(alice, call("put"))).await.expect("put");
        let put = receipt(rpc, hash).await;
        assert_eq!(put.status, ReceiptStatus::Success, "{put:?}");
        for r in [&deployed, &trapped, &put] {
            let p = r.gas_profile;
            assert_eq!(
                p.intrinsic + p.wasm + p.storage + p.events + p.calls + p.crypto + p.host,
                r.gas_used,
                "{p:?}"
            );
            assert!(p.intrinsic > 0, "{p:?}");
        }
        assert!(put.gas_profile.storage > 0 && put.gas_profile.wasm > 0);
        // The trap reverted the write, but its gas was spent and is accounted.
        assert!(trapped.gas_profile.storage > 0);
    });
}
