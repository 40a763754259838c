//! A constant-product market maker (x · y = k) over two `token` contracts: liquidity
//! providers deposit both tokens for pool shares; traders swap one for the other with a
//! minimum-output bound. Every token movement is a real cross-contract call; a token's
//! revert (no allowance, no balance) comes back as an error and reverts the whole swap.
#![cfg_attr(not(test), no_std)]

use cairn_sdk::prelude::*;

/// The token methods the pool calls.
#[interface]
pub trait Token {
    /// Moves the caller's tokens.
    fn transfer(&mut self, to: Address, amount: u128);
    /// Moves `from`'s tokens out of the caller's allowance.
    fn transfer_from(&mut self, from: Address, to: Address, amount: u128);
    /// A balance.
    fn balance_of(&self, owner: Address) -> u128;
}

/// Fee denominator: fees are in basis points.
pub const BPS: u128 = 10_000;
/// Highest fee a pool may charge (10 %).
pub const MAX_FEE_BPS: u16 = 1_000;

/// The pool's state.
#[contract]
pub struct Pool {
    token_a: Address,
    token_b: Address,
    fee_bps: u16,
    reserve_a: u128,
    reserve_b: u128,
    total_shares: u128,
    shares: Map<Address, u128>,
}

/// Liquidity was added.
#[event]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiquidityAdded {
    /// Who added it.
    #[topic]
    pub provider: Address,
    /// Token A deposited.
    pub amount_a: u128,
    /// Token B deposited.
    pub amount_b: u128,
    /// Shares minted.
    pub shares: u128,
}

/// Liquidity was removed.
#[event]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiquidityRemoved {
    /// Who removed it.
    #[topic]
    pub provider: Address,
    /// Token A paid out.
    pub amount_a: u128,
    /// Token B paid out.
    pub amount_b: u128,
    /// Shares burnt.
    pub shares: u128,
}

/// A swap.
#[event]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Swap {
    /// The trader.
    #[topic]
    pub trader: Address,
    /// The token sold to the pool.
    #[topic]
    pub token_in: Address,
    /// Amount sold.
    pub amount_in: u128,
    /// Amount of the other token bought.
    pub amount_out: u128,
}

/// Why the pool refused.
#[error]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PoolError {
    /// The two tokens are the same contract.
    SameToken,
    /// The fee is above [`MAX_FEE_BPS`].
    FeeTooHigh(u16),
    /// The token is neither of the pool's.
    UnknownToken(Address),
    /// An amount is zero where it must not be.
    ZeroAmount,
    /// The pool has no liquidity yet.
    Empty,
    /// The result is below the caller's minimum.
    Slippage {
        /// What the pool would give.
        got: u128,
        /// The caller's bound.
        min: u128,
    },
    /// The caller holds fewer shares.
    InsufficientShares {
        /// Shares held.
        have: u128,
        /// Shares asked.
        need: u128,
    },
    /// Arithmetic would overflow `u128`.
    Overflow,
    /// A token contract refused (its revert message inside).
    Token(CallError),
}

impl core::fmt::Display for PoolError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::SameToken => f.write_str("the two tokens must differ"),
            Self::FeeTooHigh(b) => write!(f, "fee {b} bps is above {MAX_FEE_BPS}"),
            Self::UnknownToken(a) => write!(f, "{a} is not one of the pool's tokens"),
            Self::ZeroAmount => f.write_str("amount must be positive"),
            Self::Empty => f.write_str("the pool has no liquidity"),
            Self::Slippage { got, min } => {
                write!(f, "slippage: output {got} is below the minimum {min}")
            }
            Self::InsufficientShares { have, need } => {
                write!(f, "insufficient shares: have {have}, need {need}")
            }
            Self::Overflow => f.write_str("amounts too large"),
            Self::Token(e) => write!(f, "token {e}"),
        }
    }
}

/// `a · b / c`, refusing overflow.
fn mul_div(a: u128, b: u128, c: u128) -> Result<u128, PoolError> {
    a.checked_mul(b)
        .and_then(|p| p.checked_div(c))
        .ok_or(PoolError::Overflow)
}

/// ⌊√n⌋ by Newton's method.
fn isqrt(n: u128) -> u128 {
    if n < 2 {
        return n;
    }
    let mut x = n;
    let mut y = x.div_ceil(2);
    while y < x {
        x = y;
        y = (x + n / x) / 2;
    }
    x
}

#[contract]
impl Pool {
    /// A pool trading `token_a` against `token_b` with a fee of `fee_bps` basis points.
    ///
    /// # Errors
    /// [`PoolError::SameToken`], [`PoolError::FeeTooHigh`].
    #[init]
    pub fn new(token_a: Address, token_b: Address, fee_bps: u16) -> Result<Self, PoolError> {
        if token_a == token_b {
            return Err(PoolError::SameToken);
        }
        if fee_bps > MAX_FEE_BPS {
            return Err(PoolError::FeeTooHigh(fee_bps));
        }
        Ok(Self {
            token_a,
            token_b,
            fee_bps,
            reserve_a: 0,
            reserve_b: 0,
            total_shares: 0,
            shares: Map::new(b"s".to_vec()),
        })
    }

    /// The two tokens.
    #[view]
    #[must_use]
    pub fn tokens(&self) -> (Address, Address) {
        (self.token_a, self.token_b)
    }

    /// The reserves of token A and token B.
    #[view]
    #[must_use]
    pub fn reserves(&self) -> (u128, u128) {
        (self.reserve_a, self.reserve_b)
    }

    /// All shares in existence.
    #[view]
    #[must_use]
    pub fn total_shares(&self) -> u128 {
        self.total_shares
    }

    /// The shares of `provider`.
    #[view]
    #[must_use]
    pub fn shares_of(&self, provider: Address) -> u128 {
        self.shares.get(&provider).unwrap_or(0)
    }

    /// What selling `amount_in` of `token_in` would give now.
    ///
    /// # Errors
    /// As [`Self::swap`] before any transfer.
    #[view]
    pub fn quote(&self, token_in: Address, amount_in: u128) -> Result<u128, PoolError> {
        let (r_in, r_out) = self.oriented(token_in)?;
        if r_in == 0 || r_out == 0 {
            return Err(PoolError::Empty);
        }
        let in_after_fee = mul_div(amount_in, BPS - u128::from(self.fee_bps), BPS)?;
        mul_div(
            in_after_fee,
            r_out,
            r_in.checked_add(in_after_fee).ok_or(PoolError::Overflow)?,
        )
    }

    /// Deposits up to `amount_a` and `amount_b` (in the pool's ratio; the first deposit sets
    /// it) from the caller, who must have approved the pool on both tokens; the shares
    /// minted.
    ///
    /// # Errors
    /// [`PoolError::ZeroAmount`], [`PoolError::Slippage`] (fewer than `min_shares`),
    /// [`PoolError::Token`] when a token refuses.
    #[call]
    pub fn add_liquidity(
        &mut self,
        amount_a: u128,
        amount_b: u128,
        min_shares: u128,
    ) -> Result<u128, PoolError> {
        if amount_a == 0 || amount_b == 0 {
            return Err(PoolError::ZeroAmount);
        }
        let (a, b, minted) = if self.total_shares == 0 {
            let product = amount_a.checked_mul(amount_b).ok_or(PoolError::Overflow)?;
            (amount_a, amount_b, isqrt(product))
        } else {
            let b_for_a = mul_div(amount_a, self.reserve_b, self.reserve_a)?;
            let (a, b) = if b_for_a <= amount_b {
                (amount_a, b_for_a)
            } else {
                (mul_div(amount_b, self.reserve_a, self.reserve_b)?, amount_b)
            };
            (a, b, mul_div(a, self.total_shares, self.reserve_a)?)
        };
        if minted == 0 || minted < min_shares {
            return Err(PoolError::Slippage {
                got: minted,
                min: min_shares,
            });
        }
        let provider = env::caller();
        let me = env::self_address();
        TokenRef::new(self.token_a)
            .transfer_from(provider, me, a)
            .map_err(PoolError::Token)?;
        TokenRef::new(self.token_b)
            .transfer_from(provider, me, b)
            .map_err(PoolError::Token)?;
        self.reserve_a = self.reserve_a.checked_add(a).ok_or(PoolError::Overflow)?;
        self.reserve_b = self.reserve_b.checked_add(b).ok_or(PoolError::Overflow)?;
        self.total_shares += minted;
        self.shares
            .insert(&provider, &(self.shares_of(provider) + minted));
        env::emit(&LiquidityAdded {
            provider,
            amount_a: a,
            amount_b: b,
            shares: minted,
        });
        Ok(minted)
    }

    /// Burns `shares` of the caller's and pays out their part of both reserves.
    ///
    /// # Errors
    /// [`PoolError::InsufficientShares`], [`PoolError::Slippage`] below `min_a`/`min_b`.
    #[call]
    pub fn remove_liquidity(
        &mut self,
        shares: u128,
        min_a: u128,
        min_b: u128,
    ) -> Result<(u128, u128), PoolError> {
        let provider = env::caller();
        let have = self.shares_of(provider);
        if shares == 0 {
            return Err(PoolError::ZeroAmount);
        }
        if have < shares {
            return Err(PoolError::InsufficientShares { have, need: shares });
        }
        let a = mul_div(shares, self.reserve_a, self.total_shares)?;
        let b = mul_div(shares, self.reserve_b, self.total_shares)?;
        if a < min_a {
            return Err(PoolError::Slippage { got: a, min: min_a });
        }
        if b < min_b {
            return Err(PoolError::Slippage { got: b, min: min_b });
        }
        self.shares.insert(&provider, &(have - shares));
        self.total_shares -= shares;
        self.reserve_a -= a;
        self.reserve_b -= b;
        TokenRef::new(self.token_a)
            .transfer(provider, a)
            .map_err(PoolError::Token)?;
        TokenRef::new(self.token_b)
            .transfer(provider, b)
            .map_err(PoolError::Token)?;
        env::emit(&LiquidityRemoved {
            provider,
            amount_a: a,
            amount_b: b,
            shares,
        });
        Ok((a, b))
    }

    /// Sells `amount_in` of `token_in` (approved to the pool) for at least `min_out` of the
    /// other token; the amount bought.
    ///
    /// # Errors
    /// [`PoolError::UnknownToken`], [`PoolError::Empty`], [`PoolError::Slippage`], or
    /// [`PoolError::Token`] when a token refuses (e.g. no allowance).
    #[call]
    pub fn swap(
        &mut self,
        token_in: Address,
        amount_in: u128,
        min_out: u128,
    ) -> Result<u128, PoolError> {
        if amount_in == 0 {
            return Err(PoolError::ZeroAmount);
        }
        let out = self.quote(token_in, amount_in)?;
        if out == 0 || out < min_out {
            return Err(PoolError::Slippage {
                got: out,
                min: min_out,
            });
        }
        let trader = env::caller();
        let token_out = if token_in == self.token_a {
            self.token_b
        } else {
            self.token_a
        };
        TokenRef::new(token_in)
            .transfer_from(trader, env::self_address(), amount_in)
            .map_err(PoolError::Token)?;
        TokenRef::new(token_out)
            .transfer(trader, out)
            .map_err(PoolError::Token)?;
        if token_in == self.token_a {
            self.reserve_a = self
                .reserve_a
                .checked_add(amount_in)
                .ok_or(PoolError::Overflow)?;
            self.reserve_b -= out;
        } else {
            self.reserve_b = self
                .reserve_b
                .checked_add(amount_in)
                .ok_or(PoolError::Overflow)?;
            self.reserve_a -= out;
        }
        env::emit(&Swap {
            trader,
            token_in,
            amount_in,
            amount_out: out,
        });
        Ok(out)
    }
}

impl Pool {
    /// `(reserve of token_in, reserve of the other)`.
    fn oriented(&self, token_in: Address) -> Result<(u128, u128), PoolError> {
        if token_in == self.token_a {
            Ok((self.reserve_a, self.reserve_b))
        } else if token_in == self.token_b {
            Ok((self.reserve_b, self.reserve_a))
        } else {
            Err(PoolError::UnknownToken(token_in))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cairn_sdk::testing;

    const A: Address = Address([0xa; 20]);
    const B: Address = Address([0xb; 20]);

    #[test]
    fn init_checks_tokens_and_fee() {
        testing::reset();
        assert_eq!(Pool::new(A, A, 30).err(), Some(PoolError::SameToken));
        assert_eq!(
            Pool::new(A, B, 1_001).err(),
            Some(PoolError::FeeTooHigh(1_001))
        );
        let p = Pool::new(A, B, 30).unwrap();
        assert_eq!(p.tokens(), (A, B));
        assert_eq!(p.reserves(), (0, 0));
    }

    #[test]
    fn quote_follows_constant_product_with_fee() {
        testing::reset();
        let mut p = Pool::new(A, B, 30).unwrap();
        assert_eq!(p.quote(A, 10), Err(PoolError::Empty));
        p.reserve_a = 1_000_000;
        p.reserve_b = 2_000_000;
        // 10_000 in, 0.3 % fee: 9_970 · 2_000_000 / 1_009_970 = 19_743.
        assert_eq!(p.quote(A, 10_000), Ok(19_743));
        assert_eq!(
            p.quote(Address([9; 20]), 1),
            Err(PoolError::UnknownToken(Address([9; 20])))
        );
    }

    #[test]
    fn isqrt_is_exact_on_squares_and_floors_otherwise() {
        for n in [0u128, 1, 4, 9, 1 << 64, 10u128.pow(36)] {
            let r = isqrt(n);
            assert_eq!(r * r, n);
        }
        assert_eq!(isqrt(15), 3);
        assert_eq!(isqrt(u128::MAX), u128::from(u64::MAX));
    }

    #[test]
    fn swap_validates_before_calling_tokens() {
        testing::reset();
        let mut p = Pool::new(A, B, 30).unwrap();
        p.reserve_a = 1_000;
        p.reserve_b = 1_000;
        assert_eq!(p.swap(A, 0, 0), Err(PoolError::ZeroAmount));
        assert!(matches!(
            p.swap(A, 100, 1_000),
            Err(PoolError::Slippage { min: 1_000, .. })
        ));
    }
}
