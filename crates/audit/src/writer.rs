//! The batched asynchronous writer behind [`AccessLog`].

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use db::held::Held;
use db::sqlx::Connection;
use db::Db;
use kernel::AppError;
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

/// Entries to commit, and who waits for the commit.
struct Msg {
    entries: Vec<AccessEntry>,
    /// The case the reads serve (investigation file, application receipt code), when the purpose
    /// names one.
    case_ref: Option<String>,
    committed: oneshot::Sender<()>,
}

/// Handle for recording accesses. Cheap to clone.
#[derive(Clone)]
pub struct AccessLog {
    tx: mpsc::Sender<Msg>,
    depth: Arc<AtomicUsize>,
}

/// Requests committed per transaction at most.
const BATCH: usize = 2_000;
/// Requests that may wait before `record` waits for room.
const QUEUE: usize = 100_000;

impl AccessLog {
    /// Starts the writer task on the current runtime.
    pub fn start(db: Db) -> AccessLog {
        let (tx, rx) = mpsc::channel(QUEUE);
        let depth = Arc::new(AtomicUsize::new(0));
        tokio::spawn(run(db, rx, depth.clone()));
        AccessLog { tx, depth }
    }

    /// Records an access and returns once it is committed: a citizen's data is not released
    /// before the entry that tells them about it is durable. A process killed after the answer
    /// cannot lose the entry.
    #[track_caller]
    pub fn record(&self, entry: AccessEntry) -> impl std::future::Future<Output = Result<(), AppError>> + '_ {
        self.record_all(vec![entry])
    }

    /// Records several accesses (the hits of one search) with one wait.
    #[track_caller]
    pub fn record_all(
        &self,
        entries: Vec<AccessEntry>,
    ) -> impl std::future::Future<Output = Result<(), AppError>> + '_ {
        self.record_for_case(entries, None)
    }

    /// Records accesses made for one case (`case_ref`: the investigation file number or the
    /// application's receipt code that the purpose asked for), kept beside the purpose.
    #[track_caller]
    pub fn record_for_case(
        &self,
        entries: Vec<AccessEntry>,
        case_ref: Option<String>,
    ) -> impl std::future::Future<Output = Result<(), AppError>> + '_ {
        let location = std::panic::Location::caller();
        async move {
            if entries.is_empty() {
                return Ok(());
            }
            let n = entries.len();
            let (committed, wait) = oneshot::channel();
            self.depth.fetch_add(n, Ordering::Relaxed);
            if self.tx.send(Msg { entries, case_ref, committed }).await.is_err() {
                self.depth.fetch_sub(n, Ordering::Relaxed);
                return Err(stopped(location));
            }
            wait.await.map_err(|_| stopped(location))
        }
    }

    /// Waits until everything recorded before this call is committed.
    pub async fn flush(&self) {
        let (committed, wait) = oneshot::channel();
        if self.tx.send(Msg { entries: Vec::new(), case_ref: None, committed }).await.is_ok() {
            let _ = wait.await;
        }
    }

    /// Entries waiting for their commit (exported as a metric).
    pub fn queue_depth(&self) -> usize {
        self.depth.load(Ordering::Relaxed)
    }
}

fn stopped(location: &'static std::panic::Location<'static>) -> AppError {
    AppError::internal(format!("access log writer stopped (entry from {location}); the data is not released"))
}

/// An entry waiting in a batch, with the case reference of its request.
type Queued<'a> = (&'a AccessEntry, Option<&'a str>);

/// Group commit: every request that arrived while the previous batch was being written goes into
/// the next transaction, so the wait of one read is one commit however many reads there are, and
/// no timer delays an answer.
async fn run(db: Db, mut rx: mpsc::Receiver<Msg>, depth: Arc<AtomicUsize>) {
    let mut buf = Vec::with_capacity(BATCH);
    let mut held = Held::new(&db, db.write());
    loop {
        if rx.recv_many(&mut buf, BATCH).await == 0 {
            return;
        }
        let entries: Vec<Queued<'_>> =
            buf.iter().flat_map(|m: &Msg| m.entries.iter().map(|e| (e, m.case_ref.as_deref()))).collect();
        if !entries.is_empty() {
            let n = entries.len();
            // A failed batch is retried until it commits: the log must not lose entries, and the
            // readers wait (their data is not released) until it does.
            let mut attempt = 0u32;
            while let Err(e) = write_batch(&db, &mut held, &entries).await {
                attempt += 1;
                tracing::error!(error = %e, attempt, "access log batch failed; retrying");
                tokio::time::sleep(std::time::Duration::from_millis(100 * u64::from(attempt.min(50)))).await;
            }
            depth.fetch_sub(n, Ordering::Relaxed);
        }
        for m in buf.drain(..) {
            let _ = m.committed.send(());
        }
    }
}

/// Writes one batch on the writer's connection.
async fn write_batch(db: &Db, held: &mut Held, entries: &[Queued<'_>]) -> Result<(), db::sqlx::Error> {
    let written = insert_batch(db, held, entries).await;
    held.done(written.is_ok());
    written
}

async fn insert_batch(db: &Db, held: &mut Held, entries: &[Queued<'_>]) -> Result<(), db::sqlx::Error> {
    let mut tx = held.conn().await?.begin().await?;
    // 9 columns per row; 60 rows per statement keeps well under every placeholder limit.
    for chunk in entries.chunks(60) {
        let sql = format!(
            "INSERT INTO access_log (at, actor_id, actor_label, subject_id, action, purpose, released, channel, case_ref) \
             VALUES {}",
            db::values(db.backend(), chunk.len(), 9)
        );
        let mut q = db::sqlx::query(&sql);
        for (e, case_ref) in chunk {
            q = q
                .bind(e.at)
                .bind(&e.actor_id)
                .bind(&e.actor_label)
                .bind(&e.subject_id)
                .bind(&e.action)
                .bind(&e.purpose)
                .bind(&e.released)
                .bind(&e.channel)
                .bind(*case_ref);
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await
}
