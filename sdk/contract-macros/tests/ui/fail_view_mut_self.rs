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
    pub fn bump(&mut self) -> u64 {
        self.n += 1;
        self.n
    }
}

fn main() {}
