use cairn_sdk::prelude::*;

#[event]
pub struct Noisy {
    #[topic]
    pub a: u8,
    #[topic]
    pub b: u8,
    #[topic]
    pub c: u8,
    #[topic]
    pub d: u8,
}

fn main() {}
