//! Gas per contract method, collected over a test chain's life (like a gas reporter).

use std::collections::BTreeMap;

use cairn_primitives::Gas;

/// Gas statistics of one contract method.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GasEntry {
    /// Calls made.
    pub calls: u64,
    /// Fewest gas used.
    pub min: Gas,
    /// Most gas used.
    pub max: Gas,
    /// Sum over all calls.
    pub total: Gas,
}

impl GasEntry {
    /// Mean gas per call.
    #[must_use]
    pub fn mean(&self) -> Gas {
        self.total.checked_div(self.calls).unwrap_or(0)
    }
}

/// Gas per `(contract, method)`; prints as a table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GasReport {
    /// Entries by contract name (from its ABI) and method.
    pub entries: BTreeMap<(String, String), GasEntry>,
}

impl GasReport {
    pub(crate) fn record(&mut self, contract: &str, method: &str, gas: Gas) {
        let e = self
            .entries
            .entry((contract.to_owned(), method.to_owned()))
            .or_default();
        if e.calls == 0 || gas < e.min {
            e.min = gas;
        }
        e.max = e.max.max(gas);
        e.calls += 1;
        e.total = e.total.saturating_add(gas);
    }

    /// The statistics of `contract`'s `method`.
    #[must_use]
    pub fn get(&self, contract: &str, method: &str) -> Option<GasEntry> {
        self.entries
            .get(&(contract.to_owned(), method.to_owned()))
            .copied()
    }
}

impl core::fmt::Display for GasReport {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        writeln!(
            f,
            "| contract | method | calls | min gas | mean gas | max gas |\n|---|---|---:|---:|---:|---:|"
        )?;
        for ((c, m), e) in &self.entries {
            writeln!(
                f,
                "| {c} | {m} | {} | {} | {} | {} |",
                e.calls,
                e.min,
                e.mean(),
                e.max
            )?;
        }
        Ok(())
    }
}
