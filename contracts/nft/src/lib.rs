//! Non-fungible tokens: the minter mints ids with a URI; holders transfer them, approve one
//! spender per token or an operator for all their tokens. Events: `Transfer`, `Approval`,
//! `ApprovalForAll`.
#![cfg_attr(not(test), no_std)]

use cairn_sdk::prelude::*;

/// The collection's state.
#[contract]
pub struct Nft {
    name: String,
    symbol: String,
    minter: Address,
    next_id: u64,
    owners: Map<u64, Address>,
    balances: Map<Address, u64>,
    uris: Map<u64, String>,
    approvals: Map<u64, Address>,
    operators: Map<(Address, Address), bool>,
}

/// A token changed hands (`from` is zero on mint, `to` is zero on burn).
#[event]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transfer {
    /// Previous holder.
    #[topic]
    pub from: Address,
    /// New holder.
    #[topic]
    pub to: Address,
    /// The token.
    #[topic]
    pub token_id: u64,
}

/// A spender was approved for one token.
#[event]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Approval {
    /// The holder.
    #[topic]
    pub owner: Address,
    /// The approved spender (zero clears).
    #[topic]
    pub approved: Address,
    /// The token.
    #[topic]
    pub token_id: u64,
}

/// An operator was allowed or disallowed for all of an owner's tokens.
#[event]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApprovalForAll {
    /// The holder.
    #[topic]
    pub owner: Address,
    /// The operator.
    #[topic]
    pub operator: Address,
    /// Allowed or not.
    pub approved: bool,
}

/// Why an NFT operation was refused.
#[error]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NftError {
    /// No such token.
    NoToken(u64),
    /// The caller may not move or approve this token.
    NotAllowed(u64),
    /// `from` does not hold the token.
    WrongOwner(u64),
    /// Only the minter mints.
    NotMinter,
}

impl core::fmt::Display for NftError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::NoToken(id) => write!(f, "token {id} does not exist"),
            Self::NotAllowed(id) => write!(f, "caller may not move token {id}"),
            Self::WrongOwner(id) => write!(f, "token {id} is not held by `from`"),
            Self::NotMinter => f.write_str("only the minter can mint"),
        }
    }
}

const ZERO: Address = Address([0; 20]);

#[contract]
impl Nft {
    /// A collection; the deployer is the minter.
    #[init]
    #[must_use]
    pub fn new(name: String, symbol: String) -> Self {
        Self {
            name,
            symbol,
            minter: env::caller(),
            next_id: 1,
            owners: Map::new(b"o".to_vec()),
            balances: Map::new(b"b".to_vec()),
            uris: Map::new(b"u".to_vec()),
            approvals: Map::new(b"a".to_vec()),
            operators: Map::new(b"p".to_vec()),
        }
    }

    /// The collection's name and symbol.
    #[view]
    #[must_use]
    pub fn metadata(&self) -> (String, String) {
        (self.name.clone(), self.symbol.clone())
    }

    /// The holder of `token_id`.
    #[view]
    #[must_use]
    pub fn owner_of(&self, token_id: u64) -> Option<Address> {
        self.owners.get(&token_id)
    }

    /// How many tokens `owner` holds.
    #[view]
    #[must_use]
    pub fn balance_of(&self, owner: Address) -> u64 {
        self.balances.get(&owner).unwrap_or(0)
    }

    /// The URI of `token_id`'s metadata.
    #[view]
    #[must_use]
    pub fn token_uri(&self, token_id: u64) -> Option<String> {
        self.uris.get(&token_id)
    }

    /// The spender approved for `token_id`.
    #[view]
    #[must_use]
    pub fn get_approved(&self, token_id: u64) -> Option<Address> {
        self.approvals.get(&token_id)
    }

    /// Whether `operator` may move all of `owner`'s tokens.
    #[view]
    #[must_use]
    pub fn is_approved_for_all(&self, owner: Address, operator: Address) -> bool {
        self.operators.get(&(owner, operator)).unwrap_or(false)
    }

    /// Mints the next id to `to` with `uri`; the id.
    ///
    /// # Errors
    /// [`NftError::NotMinter`].
    #[call]
    pub fn mint(&mut self, to: Address, uri: String) -> Result<u64, NftError> {
        if env::caller() != self.minter {
            return Err(NftError::NotMinter);
        }
        let id = self.next_id;
        self.next_id += 1;
        self.owners.insert(&id, &to);
        self.uris.insert(&id, &uri);
        self.balances.insert(&to, &(self.balance_of(to) + 1));
        env::emit(&Transfer {
            from: ZERO,
            to,
            token_id: id,
        });
        Ok(id)
    }

    /// Approves `approved` to move `token_id` (the zero address clears).
    ///
    /// # Errors
    /// [`NftError::NoToken`], [`NftError::NotAllowed`] unless the caller holds the token
    /// or operates for its holder.
    #[call]
    pub fn approve(&mut self, approved: Address, token_id: u64) -> Result<(), NftError> {
        let owner = self
            .owners
            .get(&token_id)
            .ok_or(NftError::NoToken(token_id))?;
        let caller = env::caller();
        if caller != owner && !self.is_approved_for_all(owner, caller) {
            return Err(NftError::NotAllowed(token_id));
        }
        if approved == ZERO {
            self.approvals.remove(&token_id);
        } else {
            self.approvals.insert(&token_id, &approved);
        }
        env::emit(&Approval {
            owner,
            approved,
            token_id,
        });
        Ok(())
    }

    /// Allows or disallows `operator` for all of the caller's tokens.
    #[call]
    pub fn set_approval_for_all(&mut self, operator: Address, approved: bool) {
        let owner = env::caller();
        self.operators.insert(&(owner, operator), &approved);
        env::emit(&ApprovalForAll {
            owner,
            operator,
            approved,
        });
    }

    /// Moves `token_id` from `from` to `to`; the caller holds it, is approved for it, or
    /// operates for `from`. Clears the token's approval.
    ///
    /// # Errors
    /// [`NftError::NoToken`], [`NftError::WrongOwner`], [`NftError::NotAllowed`].
    #[call]
    pub fn transfer_from(
        &mut self,
        from: Address,
        to: Address,
        token_id: u64,
    ) -> Result<(), NftError> {
        let owner = self
            .owners
            .get(&token_id)
            .ok_or(NftError::NoToken(token_id))?;
        if owner != from {
            return Err(NftError::WrongOwner(token_id));
        }
        let caller = env::caller();
        let allowed = caller == owner
            || self.approvals.get(&token_id) == Some(caller)
            || self.is_approved_for_all(owner, caller);
        if !allowed {
            return Err(NftError::NotAllowed(token_id));
        }
        self.approvals.remove(&token_id);
        self.owners.insert(&token_id, &to);
        self.balances.insert(&from, &(self.balance_of(from) - 1));
        self.balances.insert(&to, &(self.balance_of(to) + 1));
        env::emit(&Transfer { from, to, token_id });
        Ok(())
    }

    /// Moves the caller's `token_id` to `to`.
    ///
    /// # Errors
    /// As [`Self::transfer_from`].
    #[call]
    pub fn transfer(&mut self, to: Address, token_id: u64) -> Result<(), NftError> {
        self.transfer_from(env::caller(), to, token_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cairn_sdk::testing;

    const MINTER: Address = Address([1; 20]);
    const BOB: Address = Address([2; 20]);
    const CAROL: Address = Address([3; 20]);

    fn nft() -> Nft {
        testing::reset();
        testing::set_caller(MINTER);
        Nft::new("Cats".into(), "CAT".into())
    }

    #[test]
    fn mint_assigns_ids_owner_and_uri() {
        let mut n = nft();
        assert_eq!(n.mint(BOB, "ipfs://1".into()), Ok(1));
        assert_eq!(n.mint(BOB, "ipfs://2".into()), Ok(2));
        assert_eq!(n.owner_of(1), Some(BOB));
        assert_eq!(n.balance_of(BOB), 2);
        assert_eq!(n.token_uri(2).as_deref(), Some("ipfs://2"));
        assert_eq!(n.owner_of(3), None);
        testing::set_caller(BOB);
        assert_eq!(n.mint(BOB, String::new()), Err(NftError::NotMinter));
    }

    #[test]
    fn approvals_and_operators_gate_transfers() {
        let mut n = nft();
        n.mint(BOB, "u".into()).unwrap();
        testing::set_caller(CAROL);
        assert_eq!(n.transfer_from(BOB, CAROL, 1), Err(NftError::NotAllowed(1)));
        testing::set_caller(BOB);
        n.approve(CAROL, 1).unwrap();
        testing::set_caller(CAROL);
        n.transfer_from(BOB, CAROL, 1).unwrap();
        assert_eq!(n.owner_of(1), Some(CAROL));
        assert_eq!(n.get_approved(1), None, "a transfer clears the approval");
        assert_eq!((n.balance_of(BOB), n.balance_of(CAROL)), (0, 1));
        n.set_approval_for_all(BOB, true);
        testing::set_caller(BOB);
        n.transfer_from(CAROL, BOB, 1).unwrap();
        assert_eq!(n.transfer_from(CAROL, BOB, 1), Err(NftError::WrongOwner(1)));
        assert_eq!(testing::events_of::<Transfer>().len(), 3);
    }
}
