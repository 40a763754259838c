//! The SDK on the native mock: typed storage layout, event topics and decoding, env
//! controls, `require!`.

use cairn_sdk::prelude::*;
use cairn_sdk::{event::topic_of, testing};

#[test]
fn map_entries_live_under_prefix_and_key_encoding() {
    testing::reset();
    let mut m: Map<Address, u128> = Map::new(b"b".to_vec());
    let k = Address([7; 20]);
    assert_eq!(m.get(&k), None);
    m.insert(&k, &42);
    assert_eq!(m.get(&k), Some(42));
    assert!(m.contains_key(&k));
    let mut key = b"b".to_vec();
    key.extend_from_slice(&[7; 20]);
    assert_eq!(
        testing::storage().get(&key),
        Some(&42u128.to_le_bytes().to_vec())
    );
    assert!(m.remove(&k));
    assert!(!m.remove(&k));
    assert!(testing::storage().is_empty());
}

#[test]
fn vector_push_get_set_pop_iter() {
    testing::reset();
    let mut v: Vector<String> = Vector::new(b"v".to_vec());
    assert!(v.is_empty());
    for s in ["a", "b", "c"] {
        v.push(&s.to_string());
    }
    assert_eq!(v.len(), 3);
    assert_eq!(v.get(1).as_deref(), Some("b"));
    assert_eq!(v.get(3), None);
    v.set(1, &"B".to_string());
    assert_eq!(v.iter().collect::<Vec<_>>(), ["a", "B", "c"]);
    assert_eq!(v.pop().as_deref(), Some("c"));
    assert_eq!(v.len(), 2);
    assert_eq!(
        testing::expect_revert(|| v.set(5, &String::new())).as_deref(),
        Some("vector index out of bounds")
    );
}

#[test]
fn set_counts_members_once() {
    testing::reset();
    let mut s: Set<u32> = Set::new(b"s".to_vec());
    assert!(s.insert(&1));
    assert!(!s.insert(&1));
    assert!(s.insert(&2));
    assert_eq!(s.len(), 2);
    assert!(s.contains(&2));
    assert!(s.remove(&1));
    assert!(!s.remove(&1));
    assert_eq!(s.len(), 1);
}

#[test]
fn item_and_collections_encode_as_their_prefix() {
    testing::reset();
    let mut i: Item<u64> = Item::new(b"cfg".to_vec());
    assert!(!i.exists());
    assert_eq!(i.get_or_default(), 0);
    i.set(&9);
    assert_eq!(i.get(), Some(9));
    let encoded = borsh::to_vec(&i).unwrap();
    assert_eq!(encoded, borsh::to_vec(&b"cfg".to_vec()).unwrap());
    let back: Item<u64> = borsh::from_slice(&encoded).unwrap();
    assert_eq!(back.get(), Some(9));
}

#[test]
fn a_stored_value_of_the_wrong_type_reverts() {
    testing::reset();
    env::storage_write(b"cfg", &[1, 2, 3]);
    let i: Item<u64> = Item::new(b"cfg".to_vec());
    assert_eq!(
        testing::expect_revert(|| i.get()).as_deref(),
        Some("stored value does not decode as its type")
    );
}

#[event]
#[derive(Debug, PartialEq, Eq)]
struct Moved {
    #[topic]
    who: Address,
    #[topic]
    memo: String,
    amount: u128,
}

#[test]
fn event_topics_signature_and_decoding() {
    testing::reset();
    assert_eq!(Moved::SIGNATURE, "Moved(address,string,u128)");
    assert_eq!(
        Moved::SIGNATURE_HASH,
        env::keccak256(b"Moved(address,string,u128)")
    );
    let short = Moved {
        who: Address([1; 20]),
        memo: "hi".into(),
        amount: 5,
    };
    env::emit(&short);
    let ev = &testing::events()[0];
    assert_eq!(ev.topics.len(), 3);
    // An address (20 bytes) is right-padded; "hi" encodes in 6 bytes and is padded too.
    let mut padded = [0u8; 32];
    padded[..20].copy_from_slice(&[1; 20]);
    assert_eq!(ev.topics[1].0, padded);
    assert_eq!(ev.topics[2], topic_of(&String::from("hi")));
    // A value longer than 32 bytes is hashed.
    let long = "x".repeat(40);
    assert_eq!(
        topic_of(&long),
        env::keccak256(&borsh::to_vec(&long).unwrap())
    );
    assert_eq!(testing::events_of::<Moved>(), [short]);
}

#[test]
fn env_reads_what_the_test_sets() {
    testing::reset();
    let me = Address([9; 20]);
    testing::set_self_address(me);
    testing::set_caller(Address([1; 20]));
    testing::set_origin(Address([2; 20]));
    testing::set_block(77, 123_456);
    testing::set_chain_id(5);
    testing::set_value(10);
    assert_eq!(env::caller(), Address([1; 20]));
    assert_eq!(env::origin(), Address([2; 20]));
    assert_eq!(env::self_address(), me);
    assert_eq!(
        (env::block_height(), env::timestamp(), env::chain_id()),
        (77, 123_456, 5)
    );
    assert_eq!(env::value(), 10);
    assert_eq!(env::balance(&me), 10);
    assert_eq!(env::transfer(&Address([3; 20]), 4), Ok(()));
    assert_eq!(env::balance(&me), 6);
    assert_eq!(testing::balance(Address([3; 20])), 4);
    assert_eq!(
        env::transfer(&Address([3; 20]), 7),
        Err(env::TransferError::InsufficientBalance)
    );
    env::log("hello");
    assert_eq!(testing::logs(), ["hello"]);
    assert_eq!(
        env::sha256(b"abc").0[..4],
        [0xba, 0x78, 0x16, 0xbf],
        "SHA-256 test vector"
    );
}

#[test]
fn require_reverts_with_plain_and_formatted_messages() {
    testing::reset();
    assert_eq!(
        testing::expect_revert(|| require!(1 + 1 == 3, "math is broken")).as_deref(),
        Some("math is broken")
    );
    let n = 4;
    assert_eq!(
        testing::expect_revert(|| require!(n < 3, "n = {} is too big", n)).as_deref(),
        Some("n = 4 is too big")
    );
    assert_eq!(testing::expect_revert(|| require!(n > 3, "fine")), None);
}
