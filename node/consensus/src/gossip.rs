//! Transaction gossip on its own p2p channel: bounded, deduplicated, never relayed (the
//! validators of a `lookup` network are fully connected, so one hop reaches everyone).
//!
//! ```text
//! Handle::gossip(bytes) ─► bounded queue ─► gossip task ─► channel 5 ─► every other validator
//! channel 5 ─► gossip task: size ≤ MAX_GOSSIP_BYTES? first time seen? ─► app.gossip_received(bytes)
//! ```

use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;

use cairn_primitives::Hash;
use commonware_cryptography::ed25519::PublicKey;
use commonware_p2p::{Receiver, Recipients, Sender};
use futures::StreamExt;
use futures::channel::mpsc;
use tracing::debug;

use crate::application::Application;

/// Largest gossip message: one transaction of the largest admissible size.
pub const MAX_GOSSIP_BYTES: usize = cairn_primitives::limits::MAX_TX_SIZE;

/// Outbound messages queued before [`crate::Handle::gossip`] reports the queue full: enough for
/// a burst of RPC submissions while the network drains.
pub(crate) const GOSSIP_QUEUE: usize = 4096;

/// Hashes remembered for deduplication (oldest forgotten first).
const SEEN_CAPACITY: usize = 1 << 16;

/// A bounded set of recently seen message hashes.
#[derive(Default)]
struct Seen {
    order: VecDeque<Hash>,
    set: BTreeSet<Hash>,
}

impl Seen {
    /// Records `hash`; returns whether it was new.
    fn insert(&mut self, hash: Hash) -> bool {
        if !self.set.insert(hash) {
            return false;
        }
        self.order.push_back(hash);
        if self.order.len() > SEEN_CAPACITY
            && let Some(old) = self.order.pop_front()
        {
            self.set.remove(&old);
        }
        true
    }
}

/// Runs the gossip task until both the outbound queue and the network channel close.
pub(crate) async fn run<A, S, R>(
    app: Arc<A>,
    (mut sender, mut receiver): (S, R),
    mut outbound: mpsc::Receiver<Vec<u8>>,
) where
    A: Application,
    S: Sender<PublicKey = PublicKey>,
    R: Receiver<PublicKey = PublicKey>,
{
    let mut seen = Seen::default();
    let mut outbound_open = true;
    loop {
        let incoming = std::pin::pin!(receiver.recv());
        let next = if outbound_open {
            let local = outbound.next();
            match futures::future::select(local, incoming).await {
                futures::future::Either::Left((Some(bytes), _)) => Event::Local(bytes),
                futures::future::Either::Left((None, _)) => {
                    outbound_open = false;
                    continue;
                }
                futures::future::Either::Right((message, _)) => Event::Remote(message),
            }
        } else {
            Event::Remote(incoming.await)
        };
        match next {
            Event::Local(bytes) => {
                if bytes.len() <= MAX_GOSSIP_BYTES && seen.insert(Hash::of(&bytes)) {
                    sender.send(Recipients::All, bytes, false);
                }
            }
            Event::Remote(Ok((peer, message))) => {
                let bytes = message.as_ref();
                if bytes.len() > MAX_GOSSIP_BYTES {
                    debug!(%peer, len = bytes.len(), "dropping oversized gossip");
                    continue;
                }
                if seen.insert(Hash::of(bytes)) {
                    app.gossip_received(bytes.to_vec());
                }
            }
            Event::Remote(Err(_)) => return,
        }
    }
}

enum Event<M> {
    Local(Vec<u8>),
    Remote(M),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_is_bounded_and_deduplicates() {
        let mut seen = Seen::default();
        assert!(seen.insert(Hash::of(b"a")));
        assert!(!seen.insert(Hash::of(b"a")));
        for i in 0..SEEN_CAPACITY as u64 {
            seen.insert(Hash::of(&i.to_le_bytes()));
        }
        assert_eq!(seen.set.len(), SEEN_CAPACITY);
        // "a" was the oldest and has been forgotten.
        assert!(seen.insert(Hash::of(b"a")));
    }
}
