//! The batched asynchronous writer behind [`AccessLog`].

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use db::held::Held;
use db::sqlx::Connection;
use db::Db;
use tokio::sync::{mpsc, oneshot};

/// One access to be recorded.
#[derive(Debug, Clone)]
pub struct AccessEntry {
    pub at: i64,
    pub actor_id: String,
    /// Who acted, as the citizen will read it ("Công an xã Mỹ Lâm – Nguyễn Văn A").
    pub actor_label: String,
    /// Personal id of the citizen whose data was accessed.
    pub subject_id: String,
    /// What happened, e.g. `person.read`, `household.read`, `oidc.claims`.
    pub action: String,
    /// A code from [`crate::PURPOSES`].
    pub purpose: String,
    /// Which data was released (field names, comma-separated).
    pub released: String,
    /// `web`, `api`, `oidc`, …
    pub channel: String,
}

enum Msg {
    Entry(AccessEntry),
    Flush(oneshot::Sender<()>),
}

/// Handle for recording accesses. Cheap to clone.
#[derive(Clone)]
pub struct AccessLog {
    tx: mpsc::Sender<Msg>,
    depth: Arc<AtomicUsize>,
}

/// Entries written per transaction at most.
const BATCH: usize = 5_000;
/// Entries that may wait in memory before `record` starts waiting for the writer.
const QUEUE: usize = 100_000;
/// How long the writer gathers entries before committing. Each commit makes every SQLite reader
/// drop its page cache, so fewer, larger commits keep reads fast under load.
const LINGER: std::time::Duration = std::time::Duration::from_millis(100);

impl AccessLog {
    /// Starts the writer task on the current runtime.
    pub fn start(db: Db) -> AccessLog {
        let (tx, rx) = mpsc::channel(QUEUE);
        let depth = Arc::new(AtomicUsize::new(0));
        tokio::spawn(run(db, rx, depth.clone()));
        AccessLog { tx, depth }
    }

    /// Queues an entry. Waits only when the queue is full (the writer is far behind), so entries are
    /// never dropped.
    pub async fn record(&self, entry: AccessEntry) {
        self.depth.fetch_add(1, Ordering::Relaxed);
        if self.tx.send(Msg::Entry(entry)).await.is_err() {
            self.depth.fetch_sub(1, Ordering::Relaxed);
            tracing::error!("access log writer stopped; entry not recorded");
        }
    }

    /// Waits until everything queued before this call is committed.
    pub async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Msg::Flush(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }

    /// Entries queued and not yet committed (exported as a metric).
    pub fn queue_depth(&self) -> usize {
        self.depth.load(Ordering::Relaxed)
    }
}

async fn run(db: Db, mut rx: mpsc::Receiver<Msg>, depth: Arc<AtomicUsize>) {
    let mut buf = Vec::with_capacity(BATCH);
    let mut held = Held::new(&db, db.write());
    loop {
        if rx.recv_many(&mut buf, BATCH).await == 0 {
            return;
        }
        let deadline = tokio::time::Instant::now() + LINGER;
        while buf.len() < BATCH && !buf.iter().any(|m| matches!(m, Msg::Flush(_))) {
            let room = BATCH - buf.len();
            match tokio::time::timeout_at(deadline, rx.recv_many(&mut buf, room)).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
        let mut entries = Vec::with_capacity(buf.len());
        let mut waiters = Vec::new();
        for m in buf.drain(..) {
            match m {
                Msg::Entry(e) => entries.push(e),
                Msg::Flush(w) => waiters.push(w),
            }
        }
        if !entries.is_empty() {
            let n = entries.len();
            // A failed batch is retried until it commits: the log must not lose entries.
            let mut attempt = 0u32;
            while let Err(e) = write_batch(&db, &mut held, &entries).await {
                attempt += 1;
                tracing::error!(error = %e, attempt, "access log batch failed; retrying");
                tokio::time::sleep(std::time::Duration::from_millis(100 * attempt.min(50) as u64)).await;
            }
            depth.fetch_sub(n, Ordering::Relaxed);
        }
        for w in waiters {
            let _ = w.send(());
        }
    }
}

/// Writes one batch on the writer's connection.
async fn write_batch(db: &Db, held: &mut Held, entries: &[AccessEntry]) -> Result<(), db::sqlx::Error> {
    let written = insert_batch(db, held, entries).await;
    held.done(written.is_ok());
    written
}

async fn insert_batch(db: &Db, held: &mut Held, entries: &[AccessEntry]) -> Result<(), db::sqlx::Error> {
    let mut tx = held.conn().await?.begin().await?;
    // 8 columns per row; 60 rows per statement keeps well under every placeholder limit.
    for chunk in entries.chunks(60) {
        let sql = format!(
            "INSERT INTO access_log (at, actor_id, actor_label, subject_id, action, purpose, released, channel) VALUES {}",
            db::values(db.backend(), chunk.len(), 8)
        );
        let mut q = db::sqlx::query(&sql);
        for e in chunk {
            q = q
                .bind(e.at)
                .bind(&e.actor_id)
                .bind(&e.actor_label)
                .bind(&e.subject_id)
                .bind(&e.action)
                .bind(&e.purpose)
                .bind(&e.released)
                .bind(&e.channel);
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await
}
