//! A counter: anyone increments, the owner resets. The smallest contract that shows state,
//! a view, calls, an event and a revert.
#![cfg_attr(not(test), no_std)]

use cairn_sdk::prelude::*;

/// The contract state.
#[contract]
pub struct Counter {
    owner: Address,
    value: u64,
}

/// Emitted on every change.
#[event]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Changed {
    /// Who changed it.
    #[topic]
    pub by: Address,
    /// The new value.
    pub value: u64,
}

#[contract]
impl Counter {
    /// A counter starting at `start`, owned by the deployer.
    #[init]
    #[must_use]
    pub fn new(start: u64) -> Self {
        Self {
            owner: env::caller(),
            value: start,
        }
    }

    /// The current value.
    #[view]
    #[must_use]
    pub fn get(&self) -> u64 {
        self.value
    }

    /// The owner.
    #[view]
    #[must_use]
    pub fn owner(&self) -> Address {
        self.owner
    }

    /// Adds `by` (reverts on overflow); returns the new value.
    #[call]
    pub fn increment(&mut self, by: u64) -> u64 {
        self.value = self
            .value
            .checked_add(by)
            .unwrap_or_else(|| env::revert("counter overflow"));
        env::emit(&Changed {
            by: env::caller(),
            value: self.value,
        });
        self.value
    }

    /// Sets the value back to zero; only the owner.
    #[call]
    pub fn reset(&mut self) {
        require!(env::caller() == self.owner, "only the owner can reset");
        self.value = 0;
        env::emit(&Changed {
            by: env::caller(),
            value: 0,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cairn_sdk::testing;

    const OWNER: Address = Address([1; 20]);
    const OTHER: Address = Address([2; 20]);

    #[test]
    fn increments_and_emits() {
        testing::reset();
        testing::set_caller(OWNER);
        let mut c = Counter::new(5);
        assert_eq!(c.increment(3), 8);
        assert_eq!(c.get(), 8);
        assert_eq!(
            testing::events_of::<Changed>(),
            [Changed {
                by: OWNER,
                value: 8
            }]
        );
    }

    #[test]
    fn only_the_owner_resets() {
        testing::reset();
        testing::set_caller(OWNER);
        let mut c = Counter::new(5);
        testing::set_caller(OTHER);
        assert_eq!(
            testing::expect_revert(|| c.reset()).as_deref(),
            Some("only the owner can reset")
        );
        testing::set_caller(OWNER);
        c.reset();
        assert_eq!(c.get(), 0);
    }

    #[test]
    fn overflow_reverts() {
        testing::reset();
        let mut c = Counter::new(u64::MAX);
        assert_eq!(
            testing::expect_revert(|| c.increment(1)).as_deref(),
            Some("counter overflow")
        );
    }
}
