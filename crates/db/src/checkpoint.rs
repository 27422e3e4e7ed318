//! Background WAL checkpoints for SQLite.
//!
//! By default the connection whose commit takes the write-ahead log past 1,000 pages copies the
//! log into the database file itself, inside that commit. With one writer and hundreds of group
//! commits a second that is the writer stalling every few seconds and paying again for pages it
//! rewrites a moment later. Here the pool connections checkpoint only as a backstop (at
//! [`BACKSTOP_PAGES`]), and a thread of its own runs a passive checkpoint of each file every
//! [`EVERY`]: it blocks neither the writer nor the readers, and a page written many times in
//! between is copied once.
//!
//! A passive checkpoint leaves the log file at its size, which is the largest burst it ever held.
//! When a file's log was fully copied and nothing was written to it for one whole interval, the
//! thread truncates the log to nothing (`wal_checkpoint(TRUNCATE)`); should a reader still hold
//! the log, that fails quietly and is tried again at the next pause. While writes never pause, the
//! pools' `journal_size_limit` (512 MiB) cuts back a log that grew past it each time it starts over.

use std::sync::mpsc::{channel, RecvTimeoutError, Sender};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::DbError;

/// How often the log is copied into the database file.
pub(crate) const EVERY: Duration = Duration::from_millis(500);
/// WAL pages after which a committing connection checkpoints itself (when the thread falls
/// behind, e.g. while a long read holds old pages).
pub(crate) const BACKSTOP_PAGES: u32 = 65_536;

/// Stops the checkpoint thread when the last handle of the database is dropped.
#[derive(Debug)]
pub(crate) struct Checkpointer {
    _stop: Sender<()>,
}

impl Checkpointer {
    /// Starts the thread for the database files `paths` (each in WAL mode).
    pub(crate) fn start(paths: Vec<String>) -> Result<Checkpointer, DbError> {
        let conns = paths
            .iter()
            .map(|p| {
                Connection::open_with_flags(p, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            })
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let (stop, stopped) = channel::<()>();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                // Frames in each file's log at the previous pass.
                let mut before = vec![0_i64; conns.len()];
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(EVERY) {
                    for (c, before) in conns.iter().zip(before.iter_mut()) {
                        match c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| Ok((r.get(1)?, r.get(2)?))) {
                            Ok((log, copied)) => *before = truncate_when_idle(c, log, copied, *before),
                            Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed"),
                        }
                    }
                }
            })
            .map_err(DbError::Thread)?;
        Ok(Checkpointer { _stop: stop })
    }
}

/// Truncates the log of `c` when all of its `log` frames were `copied` and it has not grown since
/// the previous pass (`before`); returns the frame count to compare with next time.
fn truncate_when_idle(c: &Connection, log: i64, copied: i64, before: i64) -> i64 {
    if log == 0 || log != copied || log != before {
        return log;
    }
    match c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get::<_, i64>(0)) {
        Ok(0) => 0,
        // Busy: a reader still uses the log; try again at the next pause.
        Ok(_) => log,
        Err(e) => {
            tracing::debug!(error = %e, "WAL truncation deferred");
            log
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use crate::Db;

    /// Committed pages reach the database file without any connection checkpointing (the pool's
    /// backstop is far away).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn copies_the_log_into_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let db = Db::connect(&format!("sqlite://{}", path.display())).await.unwrap();
        sqlx::query("CREATE TABLE t (v TEXT)").execute(db.write()).await.unwrap();
        let before = std::fs::metadata(&path).unwrap().len();
        let mut tx = db.begin().await.unwrap();
        for i in 0..2_000 {
            sqlx::query("INSERT INTO t (v) VALUES ($1)").bind(format!("{i:0>200}")).execute(&mut *tx).await.unwrap();
        }
        tx.commit().await.unwrap();
        let deadline = Instant::now() + super::EVERY * 40;
        while std::fs::metadata(&path).unwrap().len() < before + 400_000 {
            assert!(Instant::now() < deadline, "the log was not checkpointed into the file");
            tokio::time::sleep(super::EVERY / 5).await;
        }
    }

    /// After a burst of writes, once writing pauses, the log file shrinks to nothing instead of
    /// keeping the burst's size; the data stays readable.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_log_shrinks_once_writes_pause() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let wal = dir.path().join("w.db-wal");
        let db = Db::connect(&format!("sqlite://{}", path.display())).await.unwrap();
        sqlx::query("CREATE TABLE t (v TEXT)").execute(db.write()).await.unwrap();
        let mut tx = db.begin().await.unwrap();
        for i in 0..20_000 {
            sqlx::query("INSERT INTO t (v) VALUES ($1)").bind(format!("{i:0>400}")).execute(&mut *tx).await.unwrap();
        }
        tx.commit().await.unwrap();
        assert!(std::fs::metadata(&wal).unwrap().len() > 8_000_000, "the burst went through the log");
        let deadline = Instant::now() + super::EVERY * 40;
        while std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0) > 0 {
            assert!(Instant::now() < deadline, "the log kept {} bytes", std::fs::metadata(&wal).unwrap().len());
            tokio::time::sleep(super::EVERY / 5).await;
        }
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM t").fetch_one(db.read()).await.unwrap();
        assert_eq!(n, 20_000);
    }
}
