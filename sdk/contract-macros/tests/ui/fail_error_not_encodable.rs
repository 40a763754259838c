use cairn_sdk::prelude::*;

pub struct Oops;

impl core::fmt::Display for Oops {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("oops")
    }
}

#[contract]
pub struct Demo {
    n: u64,
}

#[contract]
impl Demo {
    #[init]
    pub fn new() -> Self {
        Self { n: 0 }
    }

    #[call]
    pub fn poke(&mut self) -> Result<(), Oops> {
        Err(Oops)
    }
}

fn main() {}
