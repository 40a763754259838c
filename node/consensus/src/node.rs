//! The production entry point: [`start`] runs one validator on Commonware's tokio runtime with
//! authenticated, encrypted p2p (`lookup`: a fixed validator set at known addresses), on a
//! dedicated thread, and returns a [`Handle`].
//!
//! ```text
//! node main ──start(Config, app)──► thread "cairn-consensus"
//!                                     tokio runner (storage = data_dir)
//!                                       ├─ p2p lookup network (listen, validators' addresses)
//!                                       └─ engine::start (Simplex + marshal + commit task)
//! Handle::stop() ──────────────────────► graceful stop signal, runner exits, thread joins
//! ```

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use std::time::Duration;

use commonware_cryptography::ChaCha20Poly1305;
use commonware_p2p::authenticated::lookup;
use commonware_p2p::{Address, AddressableManager as _};
use commonware_runtime::{
    Clock, Metrics as _, Quota, Runner as _, Spawner, Supervisor, tokio as cw_tokio,
};
use commonware_stream::cups::{self, Cups};
use commonware_stream::sake::{self, Sake};
use commonware_utils::ordered::Map;
use futures::channel::oneshot;

use crate::adapter::Status;
use crate::application::Application;
use crate::config::Config;
use crate::engine::{self, EngineConfig, Network};
use crate::error::{Error, Result};
use crate::keys::{parse_private, parse_public};

/// Messages per second a peer may send on one channel before it is throttled.
const CHANNEL_RATE_PER_SECOND: u32 = 10_000;
/// How often the supervising task checks for a fatal application error.
const STATUS_POLL: Duration = Duration::from_millis(100);
/// How long a graceful stop waits for tasks to finish.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);
/// Least time between two connection attempts to one peer: a validator that comes back is
/// reconnected within about this long.
pub const PEER_RECONNECT_COOLDOWN: Duration = Duration::from_secs(1);
/// How often the connected-peer count is read from the p2p metrics.
const PEER_COUNT_EVERY: Duration = Duration::from_secs(1);

/// Connected peers in a Prometheus text encoding of the runtime's metrics: the p2p tracker's
/// per-peer `connected` gauge samples (`…_tracker_directory_connected{peer="…"}` in
/// commonware-p2p 2026.10.0; the name is checked by the multi-validator process test, which
/// expects 3 peers on each of 4 validators).
fn connected_peers(metrics: &str) -> u32 {
    let n = metrics
        .lines()
        .filter(|l| !l.starts_with('#') && l.contains("_tracker_") && l.contains("_connected{"))
        .count();
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Incoming handshakes accepted per second from one IP address (a local network's
/// validators all share 127.0.0.1).
pub const HANDSHAKES_PER_IP_PER_SECOND: u32 = 16;

/// What the consensus thread hands back once the engine runs.
type Started = (Arc<Status>, futures::channel::mpsc::Sender<Vec<u8>>);

/// Sends transactions to every other validator; see [`Handle::gossiper`]. Once the engine
/// stops, sends return `false`.
#[derive(Clone, Debug)]
pub struct Gossiper(Arc<std::sync::Mutex<futures::channel::mpsc::Sender<Vec<u8>>>>);

impl Gossiper {
    /// Queues `bytes` for every other validator; `false` when oversized, the queue is full, or
    /// the engine stopped (gossip is best effort).
    pub fn send(&self, bytes: Vec<u8>) -> bool {
        bytes.len() <= crate::MAX_GOSSIP_BYTES
            && self
                .0
                .lock()
                .is_ok_and(|mut queue| queue.try_send(bytes).is_ok())
    }
}

/// A running validator. Dropping the handle stops it (blocking until its thread exits).
pub struct Handle {
    stop: Option<oneshot::Sender<()>>,
    gossip: std::sync::Mutex<futures::channel::mpsc::Sender<Vec<u8>>>,
    thread: Option<JoinHandle<Result<()>>>,
    status: Arc<Status>,
}

impl Handle {
    /// Highest height committed through [`Application::finalized`] (or skipped as already
    /// committed) since start.
    #[must_use]
    pub fn committed_height(&self) -> u64 {
        self.status.committed.load(Ordering::Relaxed)
    }

    /// Highest finalized height announced by consensus (may run ahead of `committed_height`).
    #[must_use]
    pub fn finalized_tip(&self) -> u64 {
        self.status.tip.load(Ordering::Relaxed)
    }

    /// Sends a transaction to every other validator (their [`Application::gossip_received`]).
    /// Returns `false` when the message exceeds [`crate::MAX_GOSSIP_BYTES`] or the outbound
    /// queue is full (the caller may retry; gossip is best effort).
    pub fn gossip(&self, bytes: Vec<u8>) -> bool {
        bytes.len() <= crate::MAX_GOSSIP_BYTES
            && self
                .gossip
                .lock()
                .is_ok_and(|mut queue| queue.try_send(bytes).is_ok())
    }

    /// A cloneable sender of transaction gossip, for components that outlive borrows of the
    /// handle (the node's RPC path). Same semantics as [`Handle::gossip`].
    #[must_use]
    pub fn gossiper(&self) -> Gossiper {
        let queue = self
            .gossip
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        Gossiper(Arc::new(std::sync::Mutex::new(queue)))
    }

    /// Whether the engine stopped itself (fatal application error or runtime failure).
    #[must_use]
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Stops the validator and waits for its thread. Everything acknowledged to marshal was
    /// committed by the application before, so stopping at any moment is safe.
    ///
    /// # Errors
    /// The fatal application error that stopped the engine earlier, or a runtime failure.
    pub fn stop(mut self) -> Result<()> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take() {
            Some(thread) => thread
                .join()
                .map_err(|_| Error::Runtime("consensus thread panicked".into()))?,
            None => Ok(()),
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

/// Starts a validator: opens (and replays) the journals under `config.data_dir`, connects to
/// the validator set, and drives `app`. Returns once the engine is running.
///
/// # Errors
/// An invalid [`Config`], or a runtime that fails to start.
pub fn start<A: Application>(config: Config, app: A) -> Result<Handle> {
    config.validate()?;
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|e| Error::Runtime(format!("create {}: {e}", config.data_dir.display())))?;
    let app = Arc::new(app);
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<Started>>();
    let thread = std::thread::Builder::new()
        .name("cairn-consensus".into())
        .spawn(move || run(config, app, stop_rx, &ready_tx))
        .map_err(|e| Error::Runtime(format!("spawn consensus thread: {e}")))?;
    match ready_rx.recv() {
        Ok(Ok((status, gossip))) => Ok(Handle {
            stop: Some(stop_tx),
            gossip: std::sync::Mutex::new(gossip),
            thread: Some(thread),
            status,
        }),
        Ok(Err(e)) => {
            let _ = thread.join();
            Err(e)
        }
        Err(_) => match thread.join() {
            Ok(Err(e)) => Err(e),
            _ => Err(Error::Runtime(
                "consensus thread exited during startup".into(),
            )),
        },
    }
}

fn run<A: Application>(
    config: Config,
    app: Arc<A>,
    stop: oneshot::Receiver<()>,
    ready: &std::sync::mpsc::Sender<Result<Started>>,
) -> Result<()> {
    let runtime = cw_tokio::Config::new()
        .with_worker_threads(config.worker_threads)
        .with_storage_directory(config.data_dir.clone());
    let runner = cw_tokio::Runner::new(runtime);
    runner.start(|context| async move {
        let result = serve(context.child("cairn"), config, app, stop, ready).await;
        let _ = context.stop(0, Some(STOP_TIMEOUT)).await;
        result
    })
}

async fn serve<A: Application>(
    context: cw_tokio::Context,
    config: Config,
    app: Arc<A>,
    mut stop: oneshot::Receiver<()>,
    ready: &std::sync::mpsc::Sender<Result<Started>>,
) -> Result<()> {
    let started = async {
        let signer = parse_private(&config.signing_key);
        let validators: Vec<[u8; 32]> = config.validators.iter().map(|v| v.public_key).collect();
        let participants = u32::try_from(validators.len()).unwrap_or(u32::MAX);
        let max_message_size = engine::max_message_size(participants);
        let max_peers = std::num::NonZeroUsize::new(validators.len())
            .ok_or_else(|| Error::Config("empty validator set".into()))?;
        let handshake = Cups::<_, ChaCha20Poly1305>::new(
            Sake {
                signer,
                synchrony_bound: Duration::from_secs(5),
                max_handshake_age: Duration::from_secs(10),
                version: sake::Version::V1,
            },
            cups::Version::V1,
        );
        let mut p2p = lookup::Config::recommended(
            handshake,
            &config.namespace,
            config.listen,
            max_peers,
            max_message_size,
            std::num::NonZeroUsize::new(1024).expect("nonzero"),
        );
        p2p.allow_private_ips = true;
        p2p.dial_frequency = Duration::from_millis(500);
        // The recommended 60 s between connection attempts to one peer (and one handshake
        // per IP every 5 s) kept a restarted validator, or one started a second after its
        // peers, out of consensus for up to a minute. The validator set is fixed and small
        // and the handshake authenticates it, so reconnect within seconds instead.
        p2p.peer_connection_cooldown = PEER_RECONNECT_COOLDOWN;
        p2p.allowed_handshake_rate_per_ip = Quota::per_second(
            std::num::NonZeroU32::new(HANDSHAKES_PER_IP_PER_SECOND).expect("nonzero"),
        );
        let (mut network, mut oracle) = lookup::Network::new(context.child("p2p"), p2p);
        let peers = config
            .validators
            .iter()
            .map(|v| Ok((parse_public(&v.public_key)?, Address::from(v.address))))
            .collect::<Result<Vec<_>>>()?;
        let peers: Map<_, Address> = peers
            .try_into()
            .map_err(|_| Error::Config("duplicate validator key".into()))?;
        let _ = oracle.track(0, peers);

        let quota =
            Quota::per_second(std::num::NonZeroU32::new(CHANNEL_RATE_PER_SECOND).expect("nonzero"));
        let net = Network {
            votes: network.register(engine::CHANNEL_VOTES, quota),
            certificates: network.register(engine::CHANNEL_CERTIFICATES, quota),
            simplex_resolver: network.register(engine::CHANNEL_SIMPLEX_RESOLVER, quota),
            blocks: network.register(engine::CHANNEL_BLOCKS, quota),
            backfill: network.register(engine::CHANNEL_BACKFILL, quota),
            gossip: network.register(engine::CHANNEL_GOSSIP, quota),
            provider: oracle.clone(),
            blocker: oracle.clone(),
        };
        network.start();
        // The p2p tracker publishes one `…tracker_directory_connected{peer=…}` gauge per connected
        // peer; its count is what `node_info.peers` shows.
        let counter = Arc::clone(&app);
        context.child("peers").spawn(move |context| async move {
            loop {
                context.sleep(PEER_COUNT_EVERY).await;
                counter.peers_connected(connected_peers(&context.encode()));
            }
        });
        let cfg = EngineConfig {
            signing_key: config.signing_key,
            validators,
            namespace: config.namespace.clone(),
            partition_prefix: config.partition_prefix.clone(),
            timeouts: config.timeouts,
            pacing: config.pacing,
        };
        engine::start(context.child("engine"), cfg, app, net).await
    };
    let running = match started.await {
        Ok(running) => running,
        Err(e) => {
            let _ = ready.send(Err(Error::Runtime(e.to_string())));
            return Err(e);
        }
    };
    let _ = ready.send(Ok((Arc::clone(&running.status), running.gossip.clone())));
    let mut running = running;
    loop {
        if let Some(fatal) = running.status.fatal.lock().clone() {
            running.abort();
            return Err(Error::Fatal(fatal));
        }
        let tick = std::pin::pin!(context.sleep(STATUS_POLL));
        let stopped = futures::future::select(&mut stop, tick);
        let exited = futures::future::select_all(running.tasks.iter_mut());
        match futures::future::select(stopped, exited).await {
            futures::future::Either::Left((futures::future::Either::Left(_), _)) => {
                running.abort();
                return Ok(());
            }
            futures::future::Either::Left((futures::future::Either::Right(_), _)) => {}
            futures::future::Either::Right(((result, index, _), _)) => {
                // The commit task ends after a fatal error, which the next turn reports.
                if running.status.fatal.lock().is_none() {
                    running.abort();
                    return Err(Error::Runtime(format!(
                        "consensus task {index} exited: {result:?}"
                    )));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::connected_peers;

    #[test]
    fn peers_are_counted_from_the_tracker_gauges() {
        let metrics = "\
# HELP cairn_p2p_tracker_directory_connected Unix timestamp in milliseconds when each connected peer became active.
# TYPE cairn_p2p_tracker_directory_connected gauge
cairn_p2p_tracker_directory_connected{peer=\"36\"} 1795602594665
cairn_p2p_tracker_directory_connected{peer=\"9a\"} 1795602594666
cairn_p2p_tracker_directory_tracked 3
cairn_engine_connected_total 7
";
        assert_eq!(connected_peers(metrics), 2);
        assert_eq!(connected_peers(""), 0);
    }
}
