//! An escrow of native value: a buyer deposits value for a seller; the buyer or the arbiter
//! releases it to the seller; the arbiter can refund it at any time, the buyer once the
//! deadline has passed. Shows `#[payable]`, value transfers out of a contract and block time.
#![cfg_attr(not(test), no_std)]

use cairn_sdk::prelude::*;

/// One escrowed payment.
#[derive(BorshSerialize, BorshDeserialize, Clone, Debug, PartialEq, Eq)]
#[borsh(crate = "cairn_sdk::borsh")]
pub struct Deal {
    /// Who paid.
    pub buyer: Address,
    /// Who is paid on release.
    pub seller: Address,
    /// Who may release or refund at any time.
    pub arbiter: Address,
    /// The escrowed value.
    pub amount: u128,
    /// After this block timestamp (ms) the buyer may take the value back.
    pub deadline_ms: u64,
    /// Settled (released or refunded).
    pub settled: bool,
}

/// The escrow's state.
#[contract]
pub struct Escrow {
    next_id: u64,
    deals: Map<u64, Deal>,
}

/// A deal was opened.
#[event]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Opened {
    /// The deal.
    #[topic]
    pub id: u64,
    /// Who paid.
    pub buyer: Address,
    /// Who is to be paid.
    pub seller: Address,
    /// How much.
    pub amount: u128,
}

/// A deal was settled.
#[event]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settled {
    /// The deal.
    #[topic]
    pub id: u64,
    /// Who received the value.
    pub to: Address,
    /// How much.
    pub amount: u128,
}

#[contract]
impl Escrow {
    /// An empty escrow.
    #[init]
    #[must_use]
    pub fn new() -> Self {
        Self {
            next_id: 1,
            deals: Map::new(b"d".to_vec()),
        }
    }

    /// Escrows the attached value for `seller`, with `arbiter`, refundable to the caller
    /// after `deadline_ms`; the deal id.
    #[call]
    #[payable]
    pub fn open(&mut self, seller: Address, arbiter: Address, deadline_ms: u64) -> u64 {
        let amount = env::value();
        require!(amount > 0, "attach the value to escrow");
        require!(
            deadline_ms > env::timestamp(),
            "the deadline must be in the future"
        );
        let id = self.next_id;
        self.next_id += 1;
        let buyer = env::caller();
        self.deals.insert(
            &id,
            &Deal {
                buyer,
                seller,
                arbiter,
                amount,
                deadline_ms,
                settled: false,
            },
        );
        env::emit(&Opened {
            id,
            buyer,
            seller,
            amount,
        });
        id
    }

    /// The deal: buyer, seller, arbiter, amount, deadline, settled.
    #[view]
    #[must_use]
    pub fn deal(&self, id: u64) -> Option<(Address, Address, Address, u128, u64, bool)> {
        self.deals.get(&id).map(|d| {
            (
                d.buyer,
                d.seller,
                d.arbiter,
                d.amount,
                d.deadline_ms,
                d.settled,
            )
        })
    }

    /// Pays the seller; only the buyer or the arbiter.
    #[call]
    pub fn release(&mut self, id: u64) {
        let d = self.open_deal(id);
        let caller = env::caller();
        require!(
            caller == d.buyer || caller == d.arbiter,
            "only the buyer or the arbiter can release"
        );
        self.settle(id, d.seller);
    }

    /// Pays the buyer back; the arbiter at any time, the buyer after the deadline.
    #[call]
    pub fn refund(&mut self, id: u64) {
        let d = self.open_deal(id);
        let caller = env::caller();
        let after_deadline = env::timestamp() > d.deadline_ms;
        require!(
            caller == d.arbiter || (caller == d.buyer && after_deadline),
            "only the arbiter, or the buyer after the deadline, can refund"
        );
        self.settle(id, d.buyer);
    }
}

impl Default for Escrow {
    fn default() -> Self {
        Self::new()
    }
}

impl Escrow {
    fn open_deal(&self, id: u64) -> Deal {
        let Some(d) = self.deals.get(&id) else {
            env::revert("no such deal")
        };
        require!(!d.settled, "the deal is already settled");
        d
    }

    fn settle(&mut self, id: u64, to: Address) {
        let mut d = self.open_deal(id);
        d.settled = true;
        self.deals.insert(&id, &d);
        if env::transfer(&to, d.amount).is_err() {
            env::revert("escrow balance too low");
        }
        env::emit(&Settled {
            id,
            to,
            amount: d.amount,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cairn_sdk::testing;

    const BUYER: Address = Address([1; 20]);
    const SELLER: Address = Address([2; 20]);
    const ARBITER: Address = Address([3; 20]);

    #[test]
    fn release_pays_the_seller_once() {
        testing::reset();
        testing::set_caller(BUYER);
        let mut e = Escrow::new();
        testing::set_value(500);
        let id = e.open(SELLER, ARBITER, 2_000_000_000_000);
        testing::set_value(0);
        e.release(id);
        assert_eq!(testing::balance(SELLER), 500);
        assert_eq!(
            testing::expect_revert(|| e.release(id)).as_deref(),
            Some("the deal is already settled")
        );
    }

    #[test]
    fn the_buyer_refunds_only_after_the_deadline() {
        testing::reset();
        testing::set_caller(BUYER);
        testing::set_block(1, 1_000);
        let mut e = Escrow::new();
        testing::set_value(7);
        let id = e.open(SELLER, ARBITER, 5_000);
        assert_eq!(
            testing::expect_revert(|| e.refund(id)).as_deref(),
            Some("only the arbiter, or the buyer after the deadline, can refund")
        );
        testing::set_block(2, 5_001);
        e.refund(id);
        assert_eq!(testing::balance(BUYER), 7);
    }
}
