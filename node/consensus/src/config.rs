//! Configuration: validator set, keys, storage location, timeouts and block pacing.
//!
//! ```text
//! view starts ──► leader waits work_ready() or heartbeat ──► (+ block_time) ──► propose
//!     │                                                                    │
//!     └──────────── leader timeout (must exceed heartbeat + block_time) ───┘ else: nullify the view
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::error::{Error, Result};

/// Most validators a network may have: bounds the peer sets, certificate sizes and the
/// per-validator work of every vote.
pub const MAX_VALIDATORS: usize = 1024;

/// One member of the validator set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Validator {
    /// ed25519 public key (also the p2p identity).
    pub public_key: [u8; 32],
    /// Address its p2p listener is reachable at.
    pub address: SocketAddr,
}

/// Consensus timeouts (Simplex).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// How long to wait for the leader's proposal before voting to nullify the view.
    pub leader: Duration,
    /// How long to wait for a notarization/certification before voting to nullify. Must exceed
    /// `leader`.
    pub certification: Duration,
    /// How often to rebroadcast a nullify vote while stuck in a view.
    pub nullify_retry: Duration,
    /// How long to wait for a peer to answer a fetch (missing certificates or blocks).
    pub fetch: Duration,
}

impl Timeouts {
    /// Timeouts for a multi-validator network on a LAN/WAN.
    #[must_use]
    pub const fn network() -> Self {
        Self {
            leader: Duration::from_secs(1),
            certification: Duration::from_secs(2),
            nullify_retry: Duration::from_secs(10),
            fetch: Duration::from_secs(2),
        }
    }

    /// Timeouts for a one-validator devnet: far longer than the idle heartbeat, so an idle
    /// devnet never nullifies views.
    #[must_use]
    pub const fn devnet() -> Self {
        Self {
            leader: Duration::from_secs(10),
            certification: Duration::from_secs(20),
            nullify_retry: Duration::from_secs(10),
            fetch: Duration::from_secs(2),
        }
    }
}

/// When a leader proposes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pacing {
    /// After the application signals pending work, wait this long to gather more before
    /// proposing (`Duration::ZERO` = "instant": propose at once).
    pub block_time: Duration,
    /// With no pending work, propose an (empty) block after this long.
    pub heartbeat: Duration,
}

impl Pacing {
    /// Instant blocks on work, an empty block every second when idle.
    #[must_use]
    pub const fn devnet() -> Self {
        Self {
            block_time: Duration::ZERO,
            heartbeat: Duration::from_secs(1),
        }
    }

    /// Propose at once (no waiting for work): for networks where every view should carry a
    /// block whatever the load.
    #[must_use]
    pub const fn immediate() -> Self {
        Self {
            block_time: Duration::ZERO,
            heartbeat: Duration::ZERO,
        }
    }
}

/// Everything [`crate::start`] needs.
#[derive(Clone, Debug)]
pub struct Config {
    /// This validator's ed25519 secret key (32-byte seed).
    pub signing_key: [u8; 32],
    /// The validator set (any order: it is sorted by public key internally). Must contain the
    /// key of `signing_key`.
    pub validators: Vec<Validator>,
    /// Address the p2p listener binds to.
    pub listen: SocketAddr,
    /// Directory holding the consensus journals and marshal's block archives.
    pub data_dir: PathBuf,
    /// Prefix of every storage partition (lets several engines share a directory).
    pub partition_prefix: String,
    /// Chain-specific namespace for every consensus signature and the p2p handshake (for
    /// example `b"cairn-devnet-1"`): a vote for one chain is never valid on another.
    pub namespace: Vec<u8>,
    /// Simplex timeouts.
    pub timeouts: Timeouts,
    /// Block pacing.
    pub pacing: Pacing,
    /// Worker threads of the consensus runtime.
    pub worker_threads: usize,
}

impl Config {
    /// A one-validator devnet listening on `127.0.0.1:0`-style `listen`, storing under `data_dir`.
    #[must_use]
    pub fn devnet(signing_key: [u8; 32], listen: SocketAddr, data_dir: PathBuf) -> Self {
        let public_key = crate::keys::public_key(&signing_key);
        Self {
            signing_key,
            validators: vec![Validator {
                public_key,
                address: listen,
            }],
            listen,
            data_dir,
            partition_prefix: "cairn".into(),
            namespace: b"cairn-devnet".to_vec(),
            timeouts: Timeouts::devnet(),
            pacing: Pacing::devnet(),
            worker_threads: 2,
        }
    }

    /// Checks the invariants Simplex and the pacing rely on.
    ///
    /// # Errors
    /// [`Error::Config`] naming the first broken rule.
    pub fn validate(&self) -> Result<()> {
        validate_parts(
            &self
                .validators
                .iter()
                .map(|v| v.public_key)
                .collect::<Vec<_>>(),
            &self.signing_key,
            &self.timeouts,
            &self.pacing,
        )?;
        if self.worker_threads == 0 {
            return Err(Error::Config("worker_threads must be positive".into()));
        }
        if self.partition_prefix.is_empty() {
            return Err(Error::Config("partition_prefix must not be empty".into()));
        }
        Ok(())
    }
}

/// Validation shared by the node and the simulations.
pub(crate) fn validate_parts(
    validators: &[[u8; 32]],
    signing_key: &[u8; 32],
    timeouts: &Timeouts,
    pacing: &Pacing,
) -> Result<()> {
    if validators.is_empty() || validators.len() > MAX_VALIDATORS {
        return Err(Error::Config(format!(
            "validator count {} outside 1..={MAX_VALIDATORS}",
            validators.len()
        )));
    }
    let mut sorted = validators.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    if sorted.len() != validators.len() {
        return Err(Error::Config("duplicate validator key".into()));
    }
    let me = crate::keys::public_key(signing_key);
    if !validators.contains(&me) {
        return Err(Error::Config(format!(
            "own key {} is not in the validator set",
            crate::keys::hex(&me)
        )));
    }
    for key in validators {
        crate::keys::parse_public(key)?;
    }
    if timeouts.leader.is_zero() {
        return Err(Error::Config("leader timeout must be positive".into()));
    }
    if timeouts.certification <= timeouts.leader {
        return Err(Error::Config(format!(
            "certification timeout {:?} must exceed leader timeout {:?}",
            timeouts.certification, timeouts.leader
        )));
    }
    if timeouts.nullify_retry.is_zero() || timeouts.fetch.is_zero() {
        return Err(Error::Config(
            "nullify retry and fetch timeouts must be positive".into(),
        ));
    }
    let wait = pacing.heartbeat + pacing.block_time;
    if wait >= timeouts.leader {
        return Err(Error::Config(format!(
            "heartbeat + block time {wait:?} must be below the leader timeout {:?}, or idle views are nullified",
            timeouts.leader
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn devnet() -> Config {
        Config::devnet([1; 32], "127.0.0.1:9000".parse().unwrap(), "/tmp/x".into())
    }

    fn rejected(config: &Config, needle: &str) {
        let err = config.validate().expect_err(needle).to_string();
        assert!(err.contains(needle), "{err} should mention {needle}");
    }

    #[test]
    fn presets_are_valid() {
        devnet().validate().unwrap();
        let mut network = devnet();
        network.timeouts = Timeouts::network();
        network.pacing = Pacing::immediate();
        network.validate().unwrap();
    }

    #[test]
    fn each_rule_is_enforced() {
        let mut c = devnet();
        c.validators.clear();
        rejected(&c, "validator count 0");

        let mut c = devnet();
        c.validators.push(c.validators[0].clone());
        rejected(&c, "duplicate validator key");

        let mut c = devnet();
        c.signing_key = [2; 32];
        rejected(&c, "is not in the validator set");

        let mut c = devnet();
        c.timeouts.certification = c.timeouts.leader;
        rejected(&c, "must exceed leader timeout");

        let mut c = devnet();
        c.timeouts.fetch = Duration::ZERO;
        rejected(&c, "must be positive");

        let mut c = devnet();
        c.pacing.heartbeat = c.timeouts.leader;
        rejected(&c, "below the leader timeout");

        let mut c = devnet();
        c.worker_threads = 0;
        rejected(&c, "worker_threads");

        let mut c = devnet();
        c.validators[0].public_key = {
            let mut bad = [0u8; 32];
            bad[0] = 2;
            bad
        };
        c.validators.push(Validator {
            public_key: crate::keys::public_key(&c.signing_key),
            address: c.listen,
        });
        rejected(&c, "invalid validator key");
    }
}
