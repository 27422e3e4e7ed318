//! The NATS publisher in `/healthz`: `nats` (`connected` or `disconnected`), `outbox_backlog`
//! (events not yet acknowledged by JetStream) and `outbox_oldest_seconds` (how long the oldest of
//! them has waited). Degraded while NATS is disconnected or the oldest event waits longer than
//! [`crate::nats::STALE_MS`].

use web::health::{Component, Report};

use crate::nats::Status;

impl Component for Status {
    fn report(&self) -> Report {
        let s = self.snapshot();
        let now = kernel::clock::now_ms();
        let mut fields = serde_json::Map::new();
        fields.insert("nats".into(), if s.connected { "connected" } else { "disconnected" }.into());
        fields.insert("outbox_backlog".into(), s.backlog.into());
        fields.insert("outbox_oldest_seconds".into(), s.oldest_at.map_or(0, |t| (now - t).max(0) / 1000).into());
        Report { degraded: s.degraded(now), fields }
    }
}
