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

    #[migrate]
    pub fn migrate(step: u64) -> Self {
        Self { n: step }
    }
}

fn main() {}
