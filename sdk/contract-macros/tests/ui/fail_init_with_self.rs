use cairn_sdk::prelude::*;

#[contract]
pub struct Demo {
    n: u64,
}

#[contract]
impl Demo {
    #[init]
    pub fn new(&mut self) -> Self {
        Self { n: self.n }
    }
}

fn main() {}
