use cairn_sdk::prelude::*;

#[interface]
pub trait Other {
    fn ping(&self, x: u64) -> u64;
}

#[contract]
pub struct Demo {
    items: Vector<u64>,
    owners: Set<Address>,
    cfg: Item<String>,
}

#[event]
pub struct Pinged {
    #[topic]
    pub who: Address,
    pub data: Vec<u8>,
}

#[error]
#[derive(Debug)]
pub enum DemoError {
    Empty,
    TooBig { max: u128, got: u128 },
    Named(String),
}

impl core::fmt::Display for DemoError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{self:?}")
    }
}

#[contract(version = 3)]
impl Demo {
    #[migrate]
    pub fn upgrade(from_version: u32, note: String) -> Result<Self, String> {
        require!(from_version == 2, "from 2 only, not {}", from_version);
        let _ = note;
        Ok(storage::state_as())
    }

    #[init]
    pub fn new() -> Self {
        Self { items: Vector::new(b"i".to_vec()), owners: Set::new(b"o".to_vec()), cfg: Item::new(b"c".to_vec()) }
    }

    #[view]
    pub fn all(&self) -> Vec<u64> {
        self.items.iter().collect()
    }

    #[call]
    #[payable]
    pub fn deposit(&mut self, note: Option<String>, pair: (u8, [u8; 4])) -> Result<u128, String> {
        let _ = (note, pair);
        Ok(env::value())
    }

    #[call]
    pub fn take(&mut self, amount: u128) -> Result<(), DemoError> {
        Err(DemoError::TooBig { max: 0, got: amount })
    }

    #[call]
    pub fn relay(&self, to: Address) -> u64 {
        OtherRef::new(to).with_gas(10_000).ping(1).unwrap_or(0)
    }
}

fn main() {}
