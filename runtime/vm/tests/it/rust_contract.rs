//! The Rust token contract, built for wasm32 by the test setup, through the real VM.

use cairn_primitives::{Address, keccak256};
use cairn_vm::{MemHost, Outcome, status};

use crate::common::{SENDER, call, install, on_vm_stack, vm};
use crate::fixture::token_wasm;

const GAS: u64 = 10_000_000;

fn transfer_input(to: Address, amount: u128) -> Vec<u8> {
    let mut v = to.0.to_vec();
    v.extend_from_slice(&amount.to_le_bytes());
    v
}

/// A deployed token with 1,000,000 minted to [`SENDER`].
pub(crate) fn token() -> (MemHost, Address) {
    let mut host = MemHost::new();
    let t = install(&mut host, token_wasm());
    let init = call(&mut host, t, "init", &1_000_000u128.to_le_bytes(), GAS);
    assert_eq!(init.outcome, Outcome::Success);
    (host, t)
}

#[test]
fn the_rust_contract_validates_with_its_methods() {
    let info = vm().validate(token_wasm()).unwrap();
    for m in [
        "init",
        "transfer",
        "balance_of",
        "total_supply",
        "ping",
        "describe",
        "nan",
        "recurse",
        "fib",
        "forward",
    ] {
        assert!(
            info.methods.contains(m),
            "{m} missing from {:?}",
            info.methods
        );
    }
    assert!(
        token_wasm().len() > 20_000,
        "realistic size: {}",
        token_wasm().len()
    );
}

#[test]
fn token_transfer_moves_balances_and_emits_an_event() {
    let (mut host, t) = token();
    let bob = Address([0xbb; 20]);
    let out = call(&mut host, t, "transfer", &transfer_input(bob, 250), GAS);
    assert_eq!(out.outcome, Outcome::Success, "{:?}", out.outcome);
    assert_eq!(out.return_data, 999_750u128.to_le_bytes());
    let bal = call(&mut host, t, "balance_of", &bob.0, GAS);
    assert_eq!(bal.return_data, 250u128.to_le_bytes());
    let ev = host.state.events.last().unwrap();
    assert_eq!(
        ev.topics[0].0,
        keccak256(b"Transfer(address,address,uint128)")
    );
    assert_eq!(&ev.topics[1].0[12..], &SENDER.0);
    // Overspending reverts with the contract's own message and changes nothing.
    let out = call(
        &mut host,
        t,
        "transfer",
        &transfer_input(bob, 5_000_000),
        GAS,
    );
    assert_eq!(
        out.outcome,
        Outcome::Reverted("insufficient balance: have 999750, need 5000000".into())
    );
    assert_eq!(
        call(&mut host, t, "balance_of", &bob.0, GAS).return_data,
        250u128.to_le_bytes()
    );
    // A short argument makes the contract revert (its own bounds check).
    let out = call(&mut host, t, "transfer", &[1, 2, 3], GAS);
    assert_eq!(
        out.outcome,
        Outcome::Reverted("bad address argument".into())
    );
}

#[test]
fn describe_and_nan_and_fib() {
    let (mut host, t) = token();
    let d = call(&mut host, t, "describe", b"", GAS);
    let text = String::from_utf8(d.return_data).unwrap();
    assert!(
        text.contains("name=\"Test Token\"") && text.contains("supply=\"1000000\""),
        "{text}"
    );
    let mut input = [0f64.to_le_bytes(), 0f64.to_le_bytes()].concat();
    input.extend_from_slice(&0f32.to_le_bytes());
    input.extend_from_slice(&0f32.to_le_bytes());
    let r = call(&mut host, t, "nan", &input, GAS).return_data;
    // Arithmetic NaNs are canonical; negation is a sign-bit operation (deterministic by
    // the spec) so it yields the canonical NaN with the sign set.
    let f64s = [
        0x7ff8_0000_0000_0000u64,
        0x7ff8_0000_0000_0000,
        0xfff8_0000_0000_0000,
        0x7ff8_0000_0000_0000,
        0x7ff8_0000_0000_0000,
    ];
    for (i, want) in f64s.iter().enumerate() {
        assert_eq!(
            u64::from_le_bytes(r[i * 8..i * 8 + 8].try_into().unwrap()),
            *want,
            "f64 {i}"
        );
    }
    for (i, want) in [0x7fc0_0000u32, 0xffc0_0000, 0x7fc0_0000]
        .iter()
        .enumerate()
    {
        assert_eq!(
            u32::from_le_bytes(r[40 + i * 4..44 + i * 4].try_into().unwrap()),
            *want,
            "f32 {i}"
        );
    }
    let f = call(&mut host, t, "fib", &20u32.to_le_bytes(), GAS);
    assert_eq!(f.return_data, 6765u64.to_le_bytes());
}

#[test]
fn rust_recursion_exhausts_the_stack_deterministically() {
    let (mut host, t) = token();
    let shallow = call(&mut host, t, "recurse", &100u32.to_le_bytes(), GAS);
    assert_eq!(shallow.outcome, Outcome::Success);
    // Deep recursion: the wasm shadow stack (in linear memory, 64 KiB) or the native wasm
    // stack gives out first; either way a typed, repeatable outcome.
    let first = call(
        &mut host,
        t,
        "recurse",
        &1_000_000u32.to_le_bytes(),
        100_000_000,
    );
    assert!(!first.outcome.is_success());
    for _ in 0..3 {
        assert_eq!(
            call(
                &mut host,
                t,
                "recurse",
                &1_000_000u32.to_le_bytes(),
                100_000_000
            ),
            first
        );
    }
}

#[test]
fn rust_contract_calls_another_contract() {
    on_vm_stack(|| {
        let (mut host, t) = token();
        let t2 = install(&mut host, token_wasm());
        let mut input = t2.0.to_vec();
        input.extend_from_slice(b"total_supply");
        let out = call(&mut host, t, "forward", &input, GAS);
        assert_eq!(out.outcome, Outcome::Success);
        // t2 was never initialised: supply 0.
        assert_eq!(
            out.return_data,
            [&status::SUCCESS.to_le_bytes()[..], &0u128.to_le_bytes()].concat()
        );
        // Forwarding to itself is re-entry, denied (the token does not opt in).
        let mut input = t.0.to_vec();
        input.extend_from_slice(b"total_supply");
        let out = call(&mut host, t, "forward", &input, GAS);
        assert_eq!(out.return_data, status::REENTRANCY.to_le_bytes());
    });
}
