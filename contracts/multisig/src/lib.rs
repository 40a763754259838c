//! A multisig wallet: a fixed set of owners and a threshold. An owner proposes a call (any
//! contract method with encoded args and value) or a plain value transfer (empty method);
//! owners confirm; once the threshold is reached anyone executes it. A failing call reverts
//! the execution, so the proposal stays executable.
#![cfg_attr(not(test), no_std)]

use cairn_sdk::call::{CallOptions, call_raw};
use cairn_sdk::prelude::*;

/// Most owners (confirmations are kept in a list).
pub const MAX_OWNERS: usize = 20;

/// A proposed action.
#[derive(BorshSerialize, BorshDeserialize, Clone, Debug, PartialEq, Eq)]
#[borsh(crate = "cairn_sdk::borsh")]
pub struct Proposal {
    /// The target.
    pub to: Address,
    /// The method to call; empty for a plain value transfer.
    pub method: String,
    /// The encoded arguments.
    pub args: Vec<u8>,
    /// Native value sent.
    pub value: u128,
    /// Owners who confirmed.
    pub confirmations: Vec<Address>,
    /// Executed already.
    pub executed: bool,
}

/// The wallet's state.
#[contract]
pub struct Multisig {
    owners: Vec<Address>,
    threshold: u32,
    next_id: u64,
    proposals: Map<u64, Proposal>,
}

/// An action was proposed.
#[event]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proposed {
    /// The proposal.
    #[topic]
    pub id: u64,
    /// The owner who proposed it.
    pub proposer: Address,
}

/// An owner confirmed.
#[event]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Confirmed {
    /// The proposal.
    #[topic]
    pub id: u64,
    /// The owner.
    pub owner: Address,
}

/// A proposal was executed.
#[event]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Executed {
    /// The proposal.
    #[topic]
    pub id: u64,
}

#[contract]
impl Multisig {
    /// A wallet of `owners` (distinct, 1 to [`MAX_OWNERS`]) needing `threshold`
    /// confirmations.
    #[init]
    #[must_use]
    pub fn new(owners: Vec<Address>, threshold: u32) -> Self {
        require!(
            !owners.is_empty() && owners.len() <= MAX_OWNERS,
            "between 1 and 20 owners"
        );
        for (i, o) in owners.iter().enumerate() {
            require!(!owners[..i].contains(o), "owners must be distinct");
        }
        require!(
            threshold >= 1 && threshold as usize <= owners.len(),
            "threshold must be between 1 and the number of owners"
        );
        Self {
            owners,
            threshold,
            next_id: 1,
            proposals: Map::new(b"p".to_vec()),
        }
    }

    /// Receives native value.
    #[call]
    #[payable]
    pub fn deposit(&mut self) {}

    /// The owners.
    #[view]
    #[must_use]
    pub fn owners(&self) -> Vec<Address> {
        self.owners.clone()
    }

    /// Confirmations needed.
    #[view]
    #[must_use]
    pub fn threshold(&self) -> u32 {
        self.threshold
    }

    /// A proposal: target, method, args, value, confirmations, executed.
    #[view]
    #[must_use]
    pub fn proposal(&self, id: u64) -> Option<(Address, String, Vec<u8>, u128, u32, bool)> {
        self.proposals.get(&id).map(|p| {
            let n = u32::try_from(p.confirmations.len()).unwrap_or(u32::MAX);
            (p.to, p.method, p.args, p.value, n, p.executed)
        })
    }

    /// Proposes calling `method` of `to` with `args` and `value` (an empty method sends
    /// `value` to `to`); the proposer confirms it. The proposal id.
    #[call]
    pub fn propose(&mut self, to: Address, method: String, args: Vec<u8>, value: u128) -> u64 {
        let owner = self.only_owner();
        let id = self.next_id;
        self.next_id += 1;
        self.proposals.insert(
            &id,
            &Proposal {
                to,
                method,
                args,
                value,
                confirmations: vec![owner],
                executed: false,
            },
        );
        env::emit(&Proposed {
            id,
            proposer: owner,
        });
        env::emit(&Confirmed { id, owner });
        id
    }

    /// Confirms proposal `id`; the number of confirmations.
    #[call]
    pub fn confirm(&mut self, id: u64) -> u32 {
        let owner = self.only_owner();
        let mut p = self.pending(id);
        require!(
            !p.confirmations.contains(&owner),
            "already confirmed by this owner"
        );
        p.confirmations.push(owner);
        self.proposals.insert(&id, &p);
        env::emit(&Confirmed { id, owner });
        u32::try_from(p.confirmations.len()).unwrap_or(u32::MAX)
    }

    /// Executes proposal `id` once it has enough confirmations; the call's return data.
    ///
    /// # Errors
    /// The target's failure (the execution reverts; the proposal stays pending).
    #[call]
    pub fn execute(&mut self, id: u64) -> Result<Vec<u8>, CallError> {
        let mut p = self.pending(id);
        require!(
            p.confirmations.len() >= self.threshold as usize,
            "not enough confirmations"
        );
        p.executed = true;
        self.proposals.insert(&id, &p);
        let out = if p.method.is_empty() {
            if env::transfer(&p.to, p.value).is_err() {
                env::revert("wallet balance too low");
            }
            Vec::new()
        } else {
            call_raw(
                &p.to,
                &p.method,
                &p.args,
                CallOptions {
                    value: p.value,
                    gas: 0,
                },
            )?
        };
        env::emit(&Executed { id });
        Ok(out)
    }
}

impl Multisig {
    fn only_owner(&self) -> Address {
        let caller = env::caller();
        require!(self.owners.contains(&caller), "only an owner can do this");
        caller
    }

    fn pending(&self, id: u64) -> Proposal {
        let Some(p) = self.proposals.get(&id) else {
            env::revert("no such proposal")
        };
        require!(!p.executed, "the proposal was already executed");
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cairn_sdk::testing;

    const A: Address = Address([1; 20]);
    const B: Address = Address([2; 20]);
    const C: Address = Address([3; 20]);
    const OUT: Address = Address([9; 20]);

    #[test]
    fn init_validates_owners_and_threshold() {
        testing::reset();
        assert_eq!(
            testing::expect_revert(|| Multisig::new(vec![A, A], 1)).as_deref(),
            Some("owners must be distinct")
        );
        assert_eq!(
            testing::expect_revert(|| Multisig::new(vec![A, B], 3)).as_deref(),
            Some("threshold must be between 1 and the number of owners")
        );
        assert_eq!(Multisig::new(vec![A, B, C], 2).threshold(), 2);
    }

    #[test]
    fn value_transfer_needs_the_threshold() {
        testing::reset();
        let mut m = Multisig::new(vec![A, B, C], 2);
        testing::set_caller(A);
        testing::set_value(100);
        m.deposit();
        testing::set_value(0);
        let id = m.propose(OUT, String::new(), Vec::new(), 60);
        assert_eq!(
            testing::expect_revert(|| m.execute(id)).as_deref(),
            Some("not enough confirmations")
        );
        testing::set_caller(OUT);
        assert_eq!(
            testing::expect_revert(|| m.confirm(id)).as_deref(),
            Some("only an owner can do this")
        );
        testing::set_caller(B);
        assert_eq!(m.confirm(id), 2);
        m.execute(id).unwrap();
        assert_eq!(testing::balance(OUT), 60);
        assert_eq!(
            testing::expect_revert(|| m.execute(id)).as_deref(),
            Some("the proposal was already executed")
        );
    }
}
