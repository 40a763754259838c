use cairn_sdk::prelude::*;

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

    #[view]
    #[payable]
    pub fn get(&self) -> u64 {
        self.n
    }
}

fn main() {}
