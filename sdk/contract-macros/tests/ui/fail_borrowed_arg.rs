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
    pub fn greet(&self, name: &str) -> u64 {
        name.len() as u64
    }
}

fn main() {}
