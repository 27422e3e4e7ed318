//! The durable outbox of the events sent to NATS JetStream.
//!
//! The live feed is in memory: what happens while NATS is unreachable, or while the server is
//! down, would be lost between the database commit and NATS. So every event meant for NATS is
//! also written to `lodging_outbox`, one row per receiving commune's subject, inside the
//! transaction of the change that causes it: the row exists exactly when the change does. The
//! publisher ([`crate::nats`]) sends the unpublished rows in id order and marks them published;
//! published rows are pruned after a retention period. Without a NATS URL nothing is written.

use std::sync::Arc;

use db::sqlx::{self, Row};
use db::Db;
use tokio::sync::Notify;

use crate::feed::FeedEvent;

/// Rows per multi-row `INSERT` (well under both backends' limits on bound parameters).
const ROWS_PER_INSERT: usize = 100;

/// Where the changes of lodging write their NATS events, and the bell that wakes the publisher
/// once they have committed. Cheap to clone.
#[derive(Clone, Default)]
pub struct Outbox {
    enabled: bool,
    wake: Arc<Notify>,
}

/// One unpublished event.
#[derive(Debug, Clone)]
pub struct Pending {
    /// Also the JetStream message id, so a message sent again is dropped by the stream.
    pub id: i64,
    pub subject: String,
    pub payload: String,
}

/// Events not yet acknowledged by JetStream.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Backlog {
    pub count: i64,
    /// When the oldest of them was committed (UTC milliseconds).
    pub oldest_at: Option<i64>,
}

impl Outbox {
    /// An outbox that writes events when `enabled` (a NATS URL is configured).
    pub fn new(enabled: bool) -> Outbox {
        Outbox { enabled, wake: Arc::default() }
    }

    /// Writes `events` inside the caller's transaction, one row per receiving commune.
    pub async fn record(
        &self,
        tx: &mut sqlx::AnyConnection,
        events: &[FeedEvent],
        now: i64,
    ) -> Result<(), sqlx::Error> {
        if !self.enabled {
            return Ok(());
        }
        let mut rows = Vec::new();
        for ev in events {
            let payload = serde_json::to_string(&ev.data).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
            for commune in &ev.communes {
                rows.push((crate::nats::subject(commune, ev.kind), payload.clone()));
            }
        }
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            let sql = format!(
                "INSERT INTO lodging_outbox (subject, payload, created_at) VALUES {}",
                db::values(db::backend_of(tx), chunk.len(), 3)
            );
            let mut q = sqlx::query(&sql);
            for (subject, payload) in chunk {
                q = q.bind(subject.clone()).bind(payload.clone()).bind(now);
            }
            q.execute(&mut *tx).await?;
        }
        Ok(())
    }

    /// Tells the publisher that events have committed; call after the commit.
    pub fn wake(&self) {
        if self.enabled {
            self.wake.notify_one();
        }
    }

    /// Waits for [`Outbox::wake`] (a wake-up given while nobody waited is kept for the next wait).
    pub(crate) async fn woken(&self) {
        self.wake.notified().await;
    }
}

/// Up to `limit` unpublished events, oldest first.
pub async fn pending(db: &Db, limit: i64) -> Result<Vec<Pending>, sqlx::Error> {
    let rows =
        sqlx::query("SELECT id, subject, payload FROM lodging_outbox WHERE published_at IS NULL ORDER BY id LIMIT $1")
            .bind(limit)
            .fetch_all(db.read())
            .await?;
    Ok(rows.iter().map(|r| Pending { id: r.get(0), subject: r.get(1), payload: r.get(2) }).collect())
}

/// Marks the events `ids` published at `now`.
pub async fn mark_published(db: &Db, ids: &[i64], now: i64) -> Result<(), sqlx::Error> {
    if ids.is_empty() {
        return Ok(());
    }
    let b = db.backend();
    let sql = format!(
        "UPDATE lodging_outbox SET published_at = {} WHERE id IN {}",
        db::param(b, 1),
        db::values_after(b, 1, 1, ids.len())
    );
    let mut q = sqlx::query(&sql).bind(now);
    for id in ids {
        q = q.bind(*id);
    }
    q.execute(db.write()).await.map(|_| ())
}

/// How many events wait for JetStream and since when.
pub async fn backlog(db: &Db) -> Result<Backlog, sqlx::Error> {
    let row = sqlx::query("SELECT COUNT(*), MIN(created_at) FROM lodging_outbox WHERE published_at IS NULL")
        .fetch_one(db.read())
        .await?;
    Ok(Backlog { count: row.get(0), oldest_at: row.get(1) })
}

/// Deletes up to `batch` events published before `before`; returns how many. Run until it
/// returns less than `batch`, so no single statement holds the writer long.
pub async fn prune(db: &Db, before: i64, batch: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "DELETE FROM lodging_outbox WHERE id IN (SELECT id FROM lodging_outbox \
         WHERE published_at IS NOT NULL AND published_at < $1 LIMIT $2)",
    )
    .bind(before)
    .bind(batch)
    .execute(db.write())
    .await?;
    Ok(done.rows_affected())
}
