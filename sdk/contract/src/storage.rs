//! Typed storage. A collection is a key prefix: it stores each entry under its own key
//! (`prefix ‖ encoding of the key`), so reading one entry never loads the others, and the
//! collection itself — a field of the contract struct — encodes as just its prefix.
//!
//! ```text
//!   Item<T>     prefix                          → T
//!   Map<K, V>   prefix ‖ borsh(K)               → V
//!   Set<T>      prefix ‖ 0x01 ‖ borsh(T)        → (empty)      prefix ‖ 0x00 → len (u64)
//!   Vector<T>   prefix ‖ 0x01 ‖ index (u32 BE)  → T            prefix ‖ 0x00 → len (u32)
//! ```
//!
//! The contract state itself lives under [`crate::__private::STATE_KEY`] (`"STATE"`) and
//! its code version under `"VERSION"`; prefixes must differ from each other and from these (the SDK does not check; short distinct prefixes
//! such as `b"b"` and `b"a"` keep keys and gas small). A stored value that no longer decodes
//! as its type reverts the call with a message naming the key.

use alloc::vec::Vec;
use core::marker::PhantomData;

use borsh::io::{Read, Result as IoResult, Write};
use borsh::{BorshDeserialize, BorshSerialize};

use crate::__private::encode;
use crate::env;

fn read<T: BorshDeserialize>(key: &[u8]) -> Option<T> {
    let bytes = env::storage_read(key)?;
    match borsh::from_slice(&bytes) {
        Ok(v) => Some(v),
        Err(_) => env::revert("stored value does not decode as its type"),
    }
}

fn write<T: BorshSerialize + ?Sized>(key: &[u8], value: &T) {
    env::storage_write(key, &encode(value));
}

fn key_with(prefix: &[u8], tag: Option<u8>, suffix: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(prefix.len() + 1 + suffix.len());
    k.extend_from_slice(prefix);
    if let Some(t) = tag {
        k.push(t);
    }
    k.extend_from_slice(suffix);
    k
}

macro_rules! prefix_codec {
    ($name:ident < $($g:ident),+ >) => {
        impl<$($g),+> BorshSerialize for $name<$($g),+> {
            fn serialize<W: Write>(&self, writer: &mut W) -> IoResult<()> {
                self.prefix.serialize(writer)
            }
        }
        impl<$($g),+> BorshDeserialize for $name<$($g),+> {
            fn deserialize_reader<R: Read>(reader: &mut R) -> IoResult<Self> {
                Ok(Self { prefix: Vec::<u8>::deserialize_reader(reader)?, _t: PhantomData })
            }
        }
        impl<$($g),+> core::fmt::Debug for $name<$($g),+> {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.debug_struct(stringify!($name)).field("prefix", &self.prefix).finish()
            }
        }
    };
}

/// One value under its own key, read only when asked for.
pub struct Item<T> {
    prefix: Vec<u8>,
    _t: PhantomData<fn() -> T>,
}

/// Another name for [`Item`]: a lazily loaded value.
pub type Lazy<T> = Item<T>;

prefix_codec!(Item<T>);

impl<T: BorshSerialize + BorshDeserialize> Item<T> {
    /// The item stored under `key`.
    #[must_use]
    pub fn new(key: impl Into<Vec<u8>>) -> Self {
        Self {
            prefix: key.into(),
            _t: PhantomData,
        }
    }

    /// The value, `None` when never set (or removed).
    #[must_use]
    pub fn get(&self) -> Option<T> {
        read(&self.prefix)
    }

    /// The value, or `T::default()` when unset.
    #[must_use]
    pub fn get_or_default(&self) -> T
    where
        T: Default,
    {
        self.get().unwrap_or_default()
    }

    /// Stores `value`.
    pub fn set(&mut self, value: &T) {
        write(&self.prefix, value);
    }

    /// Removes the value; whether there was one.
    pub fn remove(&mut self) -> bool {
        env::storage_remove(&self.prefix)
    }

    /// Whether a value is stored.
    #[must_use]
    pub fn exists(&self) -> bool {
        env::storage_has(&self.prefix)
    }
}

/// A map from `K` to `V`: one storage entry per key, no iteration, no length (keep a
/// [`Vector`] of keys beside it when a contract needs to enumerate).
pub struct Map<K, V> {
    prefix: Vec<u8>,
    _t: PhantomData<fn() -> (K, V)>,
}

prefix_codec!(Map<K, V>);

impl<K: BorshSerialize, V: BorshSerialize + BorshDeserialize> Map<K, V> {
    /// The map under `prefix`.
    #[must_use]
    pub fn new(prefix: impl Into<Vec<u8>>) -> Self {
        Self {
            prefix: prefix.into(),
            _t: PhantomData,
        }
    }

    fn key(&self, k: &K) -> Vec<u8> {
        key_with(&self.prefix, None, &encode(k))
    }

    /// The value under `key`.
    #[must_use]
    pub fn get(&self, key: &K) -> Option<V> {
        read(&self.key(key))
    }

    /// The value under `key`, or `V::default()`.
    #[must_use]
    pub fn get_or_default(&self, key: &K) -> V
    where
        V: Default,
    {
        self.get(key).unwrap_or_default()
    }

    /// Sets `key` to `value`.
    pub fn insert(&mut self, key: &K, value: &V) {
        write(&self.key(key), value);
    }

    /// Removes `key`; whether it was present.
    pub fn remove(&mut self, key: &K) -> bool {
        env::storage_remove(&self.key(key))
    }

    /// Whether `key` is present.
    #[must_use]
    pub fn contains_key(&self, key: &K) -> bool {
        env::storage_has(&self.key(key))
    }
}

const LEN_TAG: u8 = 0;
const ENTRY_TAG: u8 = 1;

/// A set of `T` with a stored length.
pub struct Set<T> {
    prefix: Vec<u8>,
    _t: PhantomData<fn() -> T>,
}

prefix_codec!(Set<T>);

impl<T: BorshSerialize> Set<T> {
    /// The set under `prefix`.
    #[must_use]
    pub fn new(prefix: impl Into<Vec<u8>>) -> Self {
        Self {
            prefix: prefix.into(),
            _t: PhantomData,
        }
    }

    fn key(&self, v: &T) -> Vec<u8> {
        key_with(&self.prefix, Some(ENTRY_TAG), &encode(v))
    }

    fn len_key(&self) -> Vec<u8> {
        key_with(&self.prefix, Some(LEN_TAG), &[])
    }

    /// How many members.
    #[must_use]
    pub fn len(&self) -> u64 {
        read(&self.len_key()).unwrap_or(0)
    }

    /// Whether the set is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `value` is a member.
    #[must_use]
    pub fn contains(&self, value: &T) -> bool {
        env::storage_has(&self.key(value))
    }

    /// Adds `value`; `true` if it was not a member.
    pub fn insert(&mut self, value: &T) -> bool {
        let k = self.key(value);
        if env::storage_has(&k) {
            return false;
        }
        env::storage_write(&k, &[]);
        write(&self.len_key(), &(self.len() + 1));
        true
    }

    /// Removes `value`; `true` if it was a member.
    pub fn remove(&mut self, value: &T) -> bool {
        if !env::storage_remove(&self.key(value)) {
            return false;
        }
        write(&self.len_key(), &self.len().saturating_sub(1));
        true
    }
}

/// A growable array of `T`, one storage entry per element.
pub struct Vector<T> {
    prefix: Vec<u8>,
    _t: PhantomData<fn() -> T>,
}

prefix_codec!(Vector<T>);

impl<T: BorshSerialize + BorshDeserialize> Vector<T> {
    /// The vector under `prefix`.
    #[must_use]
    pub fn new(prefix: impl Into<Vec<u8>>) -> Self {
        Self {
            prefix: prefix.into(),
            _t: PhantomData,
        }
    }

    fn key(&self, index: u32) -> Vec<u8> {
        key_with(&self.prefix, Some(ENTRY_TAG), &index.to_be_bytes())
    }

    fn len_key(&self) -> Vec<u8> {
        key_with(&self.prefix, Some(LEN_TAG), &[])
    }

    /// How many elements.
    #[must_use]
    pub fn len(&self) -> u32 {
        read(&self.len_key()).unwrap_or(0)
    }

    /// Whether it is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The element at `index`.
    #[must_use]
    pub fn get(&self, index: u32) -> Option<T> {
        if index >= self.len() {
            return None;
        }
        read(&self.key(index))
    }

    /// Appends `value`; reverts past `u32::MAX` elements.
    pub fn push(&mut self, value: &T) {
        let len = self.len();
        let Some(next) = len.checked_add(1) else {
            env::revert("vector is full");
        };
        write(&self.key(len), value);
        write(&self.len_key(), &next);
    }

    /// Replaces the element at `index`; reverts when out of bounds.
    pub fn set(&mut self, index: u32, value: &T) {
        if index >= self.len() {
            env::revert("vector index out of bounds");
        }
        write(&self.key(index), value);
    }

    /// Removes and returns the last element.
    pub fn pop(&mut self) -> Option<T> {
        let len = self.len();
        let last = len.checked_sub(1)?;
        let k = self.key(last);
        let v = read(&k);
        env::storage_remove(&k);
        write(&self.len_key(), &last);
        v
    }

    /// The elements in order, each read when reached.
    pub fn iter(&self) -> impl Iterator<Item = T> + '_ {
        (0..self.len()).filter_map(|i| read(&self.key(i)))
    }
}

/// The stored contract state decoded as `T`: in a `#[migrate]` method, read the previous
/// version's struct with it (declare that struct, with its exact fields, in the new code).
/// Reverts when the contract has no state or it does not decode as `T`.
#[must_use]
pub fn state_as<T: BorshDeserialize>() -> T {
    crate::__private::load_state()
}
