//! Version 2 of the counter, reached from version 1 by an in-place upgrade: the state gains
//! a `step` (what `increment` adds), chosen by the admin in the migration. Shows
//! `#[contract(version = N)]`, `#[migrate]` and reading the previous state.
#![cfg_attr(not(test), no_std)]

use cairn_sdk::prelude::*;

/// The contract state (version 2).
#[contract]
pub struct Counter {
    owner: Address,
    value: u64,
    step: u64,
}

/// The state as version 1 of the counter stored it.
#[contract]
pub struct CounterV1 {
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

#[contract(version = 2)]
impl Counter {
    /// A counter starting at `start` and counting by `step`, owned by the deployer.
    #[init]
    #[must_use]
    pub fn new(start: u64, step: u64) -> Self {
        Self {
            owner: env::caller(),
            value: start,
            step,
        }
    }

    /// Runs once, atomically with the upgrade from version 1: keeps the owner and the value,
    /// and counts by `step` from now on. Any other previous version is refused.
    #[migrate]
    pub fn migrate(from_version: u32, step: u64) -> Result<Self, String> {
        if from_version != 1 {
            return Err(format!(
                "cannot migrate from version {from_version}, only from 1"
            ));
        }
        require!(step > 0, "the step must be positive");
        let old: CounterV1 = storage::state_as();
        Ok(Self {
            owner: old.owner,
            value: old.value,
            step,
        })
    }

    /// The current value.
    #[view]
    #[must_use]
    pub fn get(&self) -> u64 {
        self.value
    }

    /// What `increment` adds.
    #[view]
    #[must_use]
    pub fn step(&self) -> u64 {
        self.step
    }

    /// The owner.
    #[view]
    #[must_use]
    pub fn owner(&self) -> Address {
        self.owner
    }

    /// Adds `step` `times` times (reverts on overflow); returns the new value.
    #[call]
    pub fn increment(&mut self, times: u64) -> u64 {
        self.value = times
            .checked_mul(self.step)
            .and_then(|d| self.value.checked_add(d))
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

    #[test]
    fn migrate_keeps_version_1_state() {
        testing::reset();
        testing::set_caller(OWNER);
        cairn_sdk::__private::save_state(&CounterV1 {
            owner: OWNER,
            value: 41,
        });
        let mut c = Counter::migrate(1, 10).unwrap();
        assert_eq!((c.owner(), c.get(), c.step()), (OWNER, 41, 10));
        assert_eq!(c.increment(2), 61);
    }

    #[test]
    fn migrate_refuses_other_versions_and_a_zero_step() {
        testing::reset();
        assert_eq!(
            Counter::migrate(2, 1).err().as_deref(),
            Some("cannot migrate from version 2, only from 1")
        );
        assert_eq!(
            testing::expect_revert(|| Counter::migrate(1, 0)).as_deref(),
            Some("the step must be positive")
        );
    }
}
