//! Publishing to NATS JetStream for other police systems: with `lodging.nats_url` set, every feed
//! event (notification, alert, stay change, venue scan, declaration) is also published on
//! `dancu.lodging.<commune>.<kind>` to the `DANCU_LODGING` stream, one message per receiving
//! commune. A provincial system subscribes to `dancu.lodging.*.notification`.
//!
//! The events come from the durable outbox ([`crate::outbox`]), not from the in-memory feed, so
//! none is lost while NATS is unreachable or the server restarts. The server starts whether or not
//! NATS answers: the client connects and reconnects in the background, the stream is created once
//! connected, and the backlog is then sent in id order, each message acknowledged by JetStream
//! before the next (so the order within a subject is the order of the commits). Each message
//! carries its outbox id as `Nats-Msg-Id`: a message sent again after a crash between the
//! acknowledgement and the mark is dropped by the stream's duplicate window ([`DUPLICATE_WINDOW`]).
//!
//! [`Status`] tells `/healthz` and `/metrics` (`dancu_nats_connected`, `dancu_outbox_backlog`)
//! whether NATS is connected and how many events wait.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_nats::connection::State;
use async_nats::jetstream;
use db::Db;

use crate::outbox::{self, Outbox};

/// Stream holding the lodging subjects.
pub const STREAM: &str = "DANCU_LODGING";

/// How long the stream remembers message ids to drop a message sent twice. It covers a restart
/// after a crash between JetStream's acknowledgement and the outbox's mark (at most [`BATCH`]
/// messages are sent again).
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(15 * 60);

/// Events read from the outbox and marked published at once.
const BATCH: i64 = 256;
/// The wait between attempts while NATS is unreachable or refuses a message.
const RETRY: Duration = Duration::from_secs(1);
/// The longest sleep while idle: rows committed by another process, the gauges and the pruning
/// are looked at least this often.
const IDLE: Duration = Duration::from_secs(5);
/// How often published rows past their retention are pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(600);
/// Rows one pruning statement deletes at most.
const PRUNE_BATCH: i64 = 5_000;
/// A backlog whose oldest event waits longer than this makes the server degraded although NATS is
/// connected (the publisher is stuck or cannot keep up).
pub const STALE_MS: i64 = 60_000;

/// Subject of an event for one commune.
pub fn subject(commune: &str, kind: &str) -> String {
    format!("dancu.lodging.{commune}.{kind}")
}

/// The publisher's view of NATS, shared with the health check.
#[derive(Debug, Default)]
pub struct Status {
    connected: AtomicBool,
    backlog: AtomicI64,
    /// Commit time of the oldest unpublished event; 0 = none.
    oldest_at: AtomicI64,
}

/// A copy of [`Status`] at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    pub connected: bool,
    pub backlog: i64,
    pub oldest_at: Option<i64>,
}

impl Snapshot {
    /// NATS is disconnected, or the oldest waiting event is older than [`STALE_MS`] at `now`.
    pub fn degraded(&self, now: i64) -> bool {
        !self.connected || self.oldest_at.is_some_and(|t| now - t > STALE_MS)
    }
}

impl Status {
    pub fn snapshot(&self) -> Snapshot {
        let oldest = self.oldest_at.load(Ordering::Relaxed);
        Snapshot {
            connected: self.connected.load(Ordering::Relaxed),
            backlog: self.backlog.load(Ordering::Relaxed),
            oldest_at: (oldest != 0).then_some(oldest),
        }
    }

    fn set_connected(&self, connected: bool) {
        self.connected.store(connected, Ordering::Relaxed);
        metrics::gauge!("dancu_nats_connected").set(f64::from(u8::from(connected)));
    }

    fn set_backlog(&self, b: outbox::Backlog) {
        self.backlog.store(b.count, Ordering::Relaxed);
        self.oldest_at.store(b.oldest_at.unwrap_or(0), Ordering::Relaxed);
        metrics::gauge!("dancu_outbox_backlog").set(b.count as f64);
    }
}

/// What the publisher needs.
pub struct Publisher {
    pub url: String,
    pub db: Db,
    pub outbox: Outbox,
    /// Hours published rows are kept before they are pruned.
    pub retention_hours: i64,
    pub clock: kernel::clock::Clock,
}

impl Publisher {
    /// Starts the client, which keeps trying to connect, and the publishing task in the
    /// background; returns the status they keep. The client fails only on a URL it cannot parse
    /// (which the configuration check refuses first); that is logged.
    pub fn spawn(self) -> Arc<Status> {
        let status = Arc::new(Status::default());
        let kept = status.clone();
        tokio::spawn(async move {
            let client = async_nats::ConnectOptions::new()
                .retry_on_initial_connect()
                .connection_timeout(Duration::from_secs(5))
                .connect(self.url.as_str())
                .await;
            match client {
                Ok(client) => self.run(client, kept).await,
                Err(e) => tracing::error!(error = %e, "lodging events will not be published to NATS"),
            }
        });
        status
    }

    async fn run(self, client: async_nats::Client, status: Arc<Status>) {
        let js = jetstream::new(client.clone());
        let mut stream_ready = false;
        let mut last_prune = tokio::time::Instant::now();
        loop {
            match outbox::backlog(&self.db).await {
                Ok(b) => status.set_backlog(b),
                Err(e) => tracing::warn!(error = %e, "outbox backlog could not be read"),
            }
            let connected = client.connection_state() == State::Connected;
            status.set_connected(connected);
            if connected && !stream_ready {
                match ensure_stream(&js).await {
                    Ok(()) => stream_ready = true,
                    Err(e) => tracing::warn!(error = %e, "JetStream stream not ready"),
                }
            }
            let mut wait = RETRY;
            if connected && stream_ready {
                match self.publish_batch(&js).await {
                    // A full batch: more may wait.
                    Ok(n) if n == BATCH as usize => continue,
                    Ok(_) => wait = IDLE,
                    Err(e) => {
                        // The stream may have been deleted: it is made again before the next try.
                        stream_ready = false;
                        tracing::warn!(error = %e, "NATS publish failed; the outbox keeps the events");
                    }
                }
            }
            if last_prune.elapsed() >= PRUNE_EVERY {
                last_prune = tokio::time::Instant::now();
                self.prune().await;
            }
            if wait == IDLE {
                tokio::select! {
                    () = self.outbox.woken() => {}
                    () = tokio::time::sleep(IDLE) => {}
                }
            } else {
                tokio::time::sleep(wait).await;
            }
        }
    }

    /// Sends up to [`BATCH`] events in id order, each acknowledged before the next, and marks the
    /// acknowledged ones published (also when a later one fails). Returns how many were sent.
    async fn publish_batch(&self, js: &jetstream::Context) -> Result<usize, String> {
        let rows = outbox::pending(&self.db, BATCH).await.map_err(|e| e.to_string())?;
        let mut sent = Vec::with_capacity(rows.len());
        let mut failure = None;
        for row in &rows {
            let mut headers = async_nats::HeaderMap::new();
            headers.insert(async_nats::header::NATS_MESSAGE_ID, row.id.to_string().as_str());
            let acked = match js.publish_with_headers(row.subject.clone(), headers, row.payload.clone().into()).await {
                Ok(ack) => ack.await.map(|_| ()).map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            match acked {
                Ok(()) => sent.push(row.id),
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        outbox::mark_published(&self.db, &sent, (self.clock)()).await.map_err(|e| e.to_string())?;
        match failure {
            Some(e) => Err(e),
            None => Ok(sent.len()),
        }
    }

    async fn prune(&self) {
        let before = (self.clock)() - self.retention_hours * 3_600_000;
        loop {
            match outbox::prune(&self.db, before, PRUNE_BATCH).await {
                Ok(n) if n == PRUNE_BATCH as u64 => continue,
                Ok(_) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "published outbox rows could not be pruned");
                    return;
                }
            }
        }
    }
}

/// Creates the stream unless it exists (an existing stream keeps its configuration).
async fn ensure_stream(js: &jetstream::Context) -> Result<(), String> {
    js.get_or_create_stream(jetstream::stream::Config {
        name: STREAM.into(),
        subjects: vec!["dancu.lodging.>".into()],
        max_age: Duration::from_secs(30 * 86_400),
        duplicate_window: DUPLICATE_WINDOW,
        ..Default::default()
    })
    .await
    .map(|_| ())
    .map_err(|e| format!("JetStream stream {STREAM}: {e}"))
}
