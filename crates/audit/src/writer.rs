//! The batched asynchronous writer behind [`AccessLog`].

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use db::held::Held;
use db::rusqlite::{self, Connection, TransactionBehavior};
use db::sqlx::Connection as _;
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
    /// Starts the writer: on SQLite a thread with a connection of its own on the logs file
    /// ([`Db::open_logs_writer`]), on PostgreSQL a task on the current runtime.
    pub fn start(db: Db) -> AccessLog {
        let (tx, rx) = mpsc::channel(QUEUE);
        let depth = Arc::new(AtomicUsize::new(0));
        match db.open_logs_writer() {
            Ok(Some(conn)) => {
                let d = depth.clone();
                let spawned =
                    std::thread::Builder::new().name("access-log-writer".into()).spawn(move || run_sqlite(conn, rx, d));
                if let Err(e) = spawned {
                    // The receiver is gone with the closure: reads fail rather than go unlogged.
                    tracing::error!(error = %e, "access log writer thread not started; reads of personal data will fail");
                }
            }
            Ok(None) => {
                tokio::spawn(run(db, rx, depth.clone()));
            }
            Err(e) => {
                tracing::warn!(error = %e, "access log: no connection of its own on the logs file; using the pool's writer");
                tokio::spawn(run(db, rx, depth.clone()));
            }
        }
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
                tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt.min(50)))).await;
            }
            depth.fetch_sub(n, Ordering::Relaxed);
            committed(n);
        }
        for m in buf.drain(..) {
            let _ = m.committed.send(());
        }
    }
}

/// Counts a committed batch of `n` entries (`/metrics`: entries per commit is their ratio).
fn committed(n: usize) {
    metrics::counter!("dancu_access_log_commits_total").increment(1);
    metrics::counter!("dancu_access_log_entries_total").increment(n as u64);
}

/// Group commit on SQLite, on a thread of its own with its own connection on the logs file: the
/// same batching as [`run`], without a pool to wait for, without sqlx's connection thread between
/// the writer and SQLite, and without sharing the one writer connection of the registry file.
///
/// Such a writer is fast enough that, left alone, it commits one or two entries at a time (1.4 on
/// average under 16 concurrent lookups), and each commit writes at least three pages (table and
/// two indexes) to the write-ahead log. So when entries come in quick succession it waits
/// [`LINGER`] for more before committing ([`linger`]); a read that comes alone is committed at once.
fn run_sqlite(mut conn: Connection, mut rx: mpsc::Receiver<Msg>, depth: Arc<AtomicUsize>) {
    let mut buf = Vec::with_capacity(BATCH);
    let mut ready = Instant::now();
    while let Some(first) = rx.blocking_recv() {
        let idle = ready.elapsed();
        buf.push(first);
        drain(&mut rx, &mut buf);
        if let Some(wait) = linger(idle, buf.len()) {
            std::thread::sleep(wait);
            drain(&mut rx, &mut buf);
        }
        let entries: Vec<Queued<'_>> =
            buf.iter().flat_map(|m: &Msg| m.entries.iter().map(|e| (e, m.case_ref.as_deref()))).collect();
        if !entries.is_empty() {
            let n = entries.len();
            let mut attempt = 0u32;
            while let Err(e) = insert_sqlite(&mut conn, &entries) {
                attempt += 1;
                tracing::error!(error = %e, attempt, "access log batch failed; retrying");
                std::thread::sleep(Duration::from_millis(100 * u64::from(attempt.min(50))));
            }
            depth.fetch_sub(n, Ordering::Relaxed);
            committed(n);
        }
        for m in buf.drain(..) {
            let _ = m.committed.send(());
        }
        ready = Instant::now();
    }
}

/// Takes what is waiting, up to [`BATCH`] requests in all.
fn drain(rx: &mut mpsc::Receiver<Msg>, buf: &mut Vec<Msg>) {
    while buf.len() < BATCH {
        match rx.try_recv() {
            Ok(m) => buf.push(m),
            Err(_) => break,
        }
    }
}

/// How long the SQLite writer waits before a commit.
const LINGER: Duration = Duration::from_micros(500);
/// Requests in hand that make a commit worth its pages without waiting.
const ENOUGH: usize = 32;

/// Whether to wait [`LINGER`] for more entries, given how long the writer was `idle` before the
/// first request of this batch came and how many requests it holds (`waiting`). Only when requests
/// come faster than one per [`LINGER`]: more are then on their way, and each commit carries
/// several; a request that came after a pause (low load) is committed at once, and a batch that
/// is already large does not wait.
fn linger(idle: Duration, waiting: usize) -> Option<Duration> {
    (idle < LINGER && waiting < ENOUGH).then_some(LINGER)
}

/// One transaction with one prepared single-row `INSERT` run per entry (in-process, a bound
/// statement costs microseconds; multi-row statements would only save SQLite's own loop).
fn insert_sqlite(conn: &mut Connection, entries: &[Queued<'_>]) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO access_log (at, actor_id, actor_label, subject_id, action, purpose, released, channel, case_ref) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )?;
        for (e, case_ref) in entries {
            insert.execute(rusqlite::params![
                e.at,
                e.actor_id,
                e.actor_label,
                e.subject_id,
                e.action,
                e.purpose,
                e.released,
                e.channel,
                case_ref
            ])?;
        }
    }
    tx.commit()
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

#[cfg(test)]
mod tests {
    use super::*;
    use db::sqlx::Row;

    fn entry(subject: &str) -> AccessEntry {
        AccessEntry {
            at: 1_000,
            actor_id: "officer-1".into(),
            actor_label: "Công an xã".into(),
            subject_id: subject.into(),
            action: "person.read".into(),
            purpose: "administration".into(),
            released: "full_name".into(),
            channel: "api".into(),
        }
    }

    async fn count(db: &Db, subject: &str) -> i64 {
        db::sqlx::query("SELECT COUNT(*) FROM access_log WHERE subject_id = $1")
            .bind(subject)
            .fetch_one(db.read())
            .await
            .unwrap()
            .get(0)
    }

    /// Each read's entry is committed when `record` returns, seen at once by another connection,
    /// for every one of many concurrent readers (group commit), with no flush.
    async fn committed_when_record_returns(db: Db) {
        let log = AccessLog::start(db.clone());
        let mut readers = tokio::task::JoinSet::new();
        for i in 0..64 {
            let (log, db) = (log.clone(), db.clone());
            readers.spawn(async move {
                let subject = format!("0012030{i:05}");
                for _ in 0..5 {
                    let before = count(&db, &subject).await;
                    log.record(entry(&subject)).await.unwrap();
                    assert_eq!(count(&db, &subject).await, before + 1, "{subject}: not committed on return");
                }
            });
        }
        while let Some(r) = readers.join_next().await {
            r.unwrap();
        }
        assert_eq!(log.queue_depth(), 0);
    }

    db::dual_tests!(crate::query::tests::migrations(); committed_when_record_returns);

    /// The SQLite writer waits for more entries only while they come faster than one per
    /// [`LINGER`], and never with a large batch in hand.
    #[test]
    fn lingers_only_under_load() {
        assert_eq!(linger(Duration::ZERO, 1), Some(LINGER), "entries in quick succession");
        assert_eq!(linger(LINGER / 2, 5), Some(LINGER));
        assert_eq!(linger(LINGER, 1), None, "a read after a pause is committed at once");
        assert_eq!(linger(Duration::from_secs(1), 1), None);
        assert_eq!(linger(Duration::ZERO, ENOUGH), None, "a large batch does not wait");
    }

    /// On SQLite the access log has a connection of its own on the logs file: a read is logged
    /// (and committed, as a new connection sees) while another write holds the one writer
    /// connection of the pool and the registry file's write lock.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn logs_while_the_registry_writer_is_busy() {
        let t = db::testing::TestDb::sqlite(&crate::query::tests::migrations()).await;
        let db = t.db().clone();
        db::sqlx::query("CREATE TABLE busy (v INTEGER)").execute(db.write()).await.unwrap();
        let log = AccessLog::start(db.clone());
        let mut tx = db.begin().await.unwrap();
        db::sqlx::query("INSERT INTO busy (v) VALUES (1)").execute(&mut *tx).await.unwrap();
        tokio::time::timeout(Duration::from_secs(20), log.record(entry("001203000042")))
            .await
            .expect("the entry waited for the registry's writer")
            .unwrap();
        let logs = db.sqlite_file().unwrap().replace(".db", "-logs.db");
        let fresh = db::rusqlite::Connection::open(logs).unwrap();
        let n: i64 = fresh
            .query_row("SELECT COUNT(*) FROM access_log WHERE subject_id = '001203000042'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1, "committed before the registry write ended");
        tx.rollback().await.unwrap();
    }
}
