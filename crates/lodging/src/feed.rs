//! The live feed: committed notifications are broadcast in-process to connected police clients,
//! each of which keeps only the events of its jurisdiction.

use std::sync::Arc;

use serde::Serialize;
use tokio::sync::broadcast;

/// One event of the feed. The routing fields are not sent to clients.
#[derive(Debug, Clone, Serialize)]
pub struct FeedEvent {
    /// SSE event name (`notification`, `alert`, `stay`).
    #[serde(skip)]
    pub kind: &'static str,
    /// Communes whose police receive the event (the facility's; for an alert also the commune
    /// that owns the watchlist entry).
    #[serde(skip)]
    pub communes: Vec<String>,
    #[serde(skip)]
    pub province_code: String,
    /// What the client receives as the event's data.
    pub data: serde_json::Value,
}

/// Sender side of the feed, shared by every request handler.
#[derive(Clone)]
pub struct Feed {
    tx: broadcast::Sender<Arc<FeedEvent>>,
}

impl Feed {
    /// A feed keeping up to `capacity` events for slow clients (older ones are skipped for them).
    pub fn new(capacity: usize) -> Self {
        Self { tx: broadcast::channel(capacity).0 }
    }

    /// Publishes an event; call only after the transaction that produced it has committed.
    pub fn publish(&self, event: FeedEvent) {
        // No subscriber is not an error: nobody is watching.
        let _ = self.tx.send(Arc::new(event));
    }

    /// A new receiver that sees events published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<FeedEvent>> {
        self.tx.subscribe()
    }
}

impl Default for Feed {
    fn default() -> Self {
        Self::new(4096)
    }
}
