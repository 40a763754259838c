//! A fungible token: balances, transfers, allowances (`approve` / `transfer_from`), minting
//! by the owner, burning, and `Transfer` / `Approval` events. Amounts are `u128`.
#![cfg_attr(not(test), no_std)]

use cairn_sdk::prelude::*;

/// The token's state.
#[contract]
pub struct Token {
    name: String,
    symbol: String,
    decimals: u8,
    total_supply: u128,
    owner: Address,
    balances: Map<Address, u128>,
    allowances: Map<(Address, Address), u128>,
}

/// Tokens moved (`from` is the zero address for a mint, `to` for a burn).
#[event]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transfer {
    /// The sender.
    #[topic]
    pub from: Address,
    /// The recipient.
    #[topic]
    pub to: Address,
    /// How much.
    pub amount: u128,
}

/// An allowance was set.
#[event]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Approval {
    /// The holder.
    #[topic]
    pub owner: Address,
    /// Who may spend.
    #[topic]
    pub spender: Address,
    /// How much.
    pub amount: u128,
}

/// Why a token operation was refused.
#[error]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenError {
    /// The balance is below the amount.
    InsufficientBalance {
        /// What the account holds.
        balance: u128,
        /// What was asked.
        needed: u128,
    },
    /// The allowance is below the amount.
    InsufficientAllowance {
        /// What the spender may still move.
        allowance: u128,
        /// What was asked.
        needed: u128,
    },
    /// Only the owner may do this.
    NotOwner,
    /// The total supply would overflow.
    SupplyOverflow,
}

impl core::fmt::Display for TokenError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::InsufficientBalance { balance, needed } => {
                write!(f, "insufficient balance: have {balance}, need {needed}")
            }
            Self::InsufficientAllowance { allowance, needed } => {
                write!(f, "insufficient allowance: have {allowance}, need {needed}")
            }
            Self::NotOwner => f.write_str("only the owner can mint"),
            Self::SupplyOverflow => f.write_str("total supply overflow"),
        }
    }
}

const ZERO: Address = Address([0; 20]);

#[contract]
impl Token {
    /// A token with `initial_supply` minted to the deployer, who becomes the owner.
    #[init]
    #[must_use]
    pub fn new(name: String, symbol: String, decimals: u8, initial_supply: u128) -> Self {
        let owner = env::caller();
        let mut t = Self {
            name,
            symbol,
            decimals,
            total_supply: initial_supply,
            owner,
            balances: Map::new(b"b".to_vec()),
            allowances: Map::new(b"a".to_vec()),
        };
        t.balances.insert(&owner, &initial_supply);
        env::emit(&Transfer {
            from: ZERO,
            to: owner,
            amount: initial_supply,
        });
        t
    }

    /// The token's name.
    #[view]
    #[must_use]
    pub fn name(&self) -> String {
        self.name.clone()
    }

    /// The token's symbol.
    #[view]
    #[must_use]
    pub fn symbol(&self) -> String {
        self.symbol.clone()
    }

    /// Decimal places shown by wallets.
    #[view]
    #[must_use]
    pub fn decimals(&self) -> u8 {
        self.decimals
    }

    /// Tokens in existence.
    #[view]
    #[must_use]
    pub fn total_supply(&self) -> u128 {
        self.total_supply
    }

    /// The owner (may mint).
    #[view]
    #[must_use]
    pub fn owner(&self) -> Address {
        self.owner
    }

    /// The balance of `owner`.
    #[view]
    #[must_use]
    pub fn balance_of(&self, owner: Address) -> u128 {
        self.balances.get(&owner).unwrap_or(0)
    }

    /// How much `spender` may still move from `owner`.
    #[view]
    #[must_use]
    pub fn allowance(&self, owner: Address, spender: Address) -> u128 {
        self.allowances.get(&(owner, spender)).unwrap_or(0)
    }

    /// Moves `amount` from the caller to `to`.
    ///
    /// # Errors
    /// [`TokenError::InsufficientBalance`].
    #[call]
    pub fn transfer(&mut self, to: Address, amount: u128) -> Result<(), TokenError> {
        self.move_tokens(env::caller(), to, amount)
    }

    /// Lets `spender` move up to `amount` of the caller's tokens (replaces the allowance).
    #[call]
    pub fn approve(&mut self, spender: Address, amount: u128) {
        let owner = env::caller();
        self.allowances.insert(&(owner, spender), &amount);
        env::emit(&Approval {
            owner,
            spender,
            amount,
        });
    }

    /// Moves `amount` from `from` to `to` out of the caller's allowance.
    ///
    /// # Errors
    /// [`TokenError::InsufficientAllowance`] or [`TokenError::InsufficientBalance`].
    #[call]
    pub fn transfer_from(
        &mut self,
        from: Address,
        to: Address,
        amount: u128,
    ) -> Result<(), TokenError> {
        let spender = env::caller();
        let key = (from, spender);
        let allowance = self.allowances.get(&key).unwrap_or(0);
        let Some(left) = allowance.checked_sub(amount) else {
            return Err(TokenError::InsufficientAllowance {
                allowance,
                needed: amount,
            });
        };
        self.allowances.insert(&key, &left);
        self.move_tokens(from, to, amount)
    }

    /// Creates `amount` tokens for `to`; only the owner.
    ///
    /// # Errors
    /// [`TokenError::NotOwner`] or [`TokenError::SupplyOverflow`].
    #[call]
    pub fn mint(&mut self, to: Address, amount: u128) -> Result<(), TokenError> {
        if env::caller() != self.owner {
            return Err(TokenError::NotOwner);
        }
        self.total_supply = self
            .total_supply
            .checked_add(amount)
            .ok_or(TokenError::SupplyOverflow)?;
        let b = self.balance_of(to);
        // Cannot overflow: every balance is at most the total supply.
        self.balances.insert(&to, &(b + amount));
        env::emit(&Transfer {
            from: ZERO,
            to,
            amount,
        });
        Ok(())
    }

    /// Destroys `amount` of the caller's tokens.
    ///
    /// # Errors
    /// [`TokenError::InsufficientBalance`].
    #[call]
    pub fn burn(&mut self, amount: u128) -> Result<(), TokenError> {
        let from = env::caller();
        self.debit(from, amount)?;
        self.total_supply -= amount;
        env::emit(&Transfer {
            from,
            to: ZERO,
            amount,
        });
        Ok(())
    }
}

impl Token {
    /// Takes `amount` out of `from`'s balance.
    fn debit(&mut self, from: Address, amount: u128) -> Result<(), TokenError> {
        let balance = self.balance_of(from);
        let Some(left) = balance.checked_sub(amount) else {
            return Err(TokenError::InsufficientBalance {
                balance,
                needed: amount,
            });
        };
        self.balances.insert(&from, &left);
        Ok(())
    }

    fn move_tokens(&mut self, from: Address, to: Address, amount: u128) -> Result<(), TokenError> {
        self.debit(from, amount)?;
        let to_balance = self.balance_of(to);
        // Cannot overflow: the sum of balances is the total supply.
        self.balances.insert(&to, &(to_balance + amount));
        env::emit(&Transfer { from, to, amount });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cairn_sdk::testing;

    const ALICE: Address = Address([1; 20]);
    const BOB: Address = Address([2; 20]);
    const CAROL: Address = Address([3; 20]);

    fn token() -> Token {
        testing::reset();
        testing::set_caller(ALICE);
        Token::new("Gold".into(), "GLD".into(), 18, 1_000)
    }

    #[test]
    fn init_mints_to_the_deployer() {
        let t = token();
        assert_eq!(t.balance_of(ALICE), 1_000);
        assert_eq!(t.total_supply(), 1_000);
        assert_eq!(t.owner(), ALICE);
        assert_eq!(
            testing::events_of::<Transfer>(),
            [Transfer {
                from: ZERO,
                to: ALICE,
                amount: 1_000
            }]
        );
    }

    #[test]
    fn transfer_moves_and_refuses_overdraft() {
        let mut t = token();
        t.transfer(BOB, 300).unwrap();
        assert_eq!((t.balance_of(ALICE), t.balance_of(BOB)), (700, 300));
        assert_eq!(
            t.transfer(BOB, 701),
            Err(TokenError::InsufficientBalance {
                balance: 700,
                needed: 701
            })
        );
        assert_eq!(t.balance_of(ALICE), 700);
    }

    #[test]
    fn allowance_flow() {
        let mut t = token();
        t.approve(BOB, 100);
        assert_eq!(t.allowance(ALICE, BOB), 100);
        testing::set_caller(BOB);
        t.transfer_from(ALICE, CAROL, 60).unwrap();
        assert_eq!(t.allowance(ALICE, BOB), 40);
        assert_eq!(t.balance_of(CAROL), 60);
        assert!(matches!(
            t.transfer_from(ALICE, CAROL, 41),
            Err(TokenError::InsufficientAllowance { .. })
        ));
        assert_eq!(testing::events_of::<Approval>().len(), 1);
    }

    #[test]
    fn only_the_owner_mints() {
        let mut t = token();
        testing::set_caller(BOB);
        assert_eq!(t.mint(BOB, 1), Err(TokenError::NotOwner));
        testing::set_caller(ALICE);
        t.mint(BOB, 5).unwrap();
        assert_eq!(t.total_supply(), 1_005);
        assert_eq!(t.mint(BOB, u128::MAX), Err(TokenError::SupplyOverflow));
    }

    #[test]
    fn burn_reduces_supply() {
        let mut t = token();
        t.burn(400).unwrap();
        assert_eq!((t.total_supply(), t.balance_of(ALICE)), (600, 600));
    }
}
