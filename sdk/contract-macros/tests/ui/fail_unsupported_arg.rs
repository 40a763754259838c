use cairn_sdk::prelude::*;

pub struct Opaque;

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
    pub fn take(&mut self, x: Opaque) {
        let _ = x;
    }
}

fn main() {}
