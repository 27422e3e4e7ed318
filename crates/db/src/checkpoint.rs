//! Background WAL checkpoints for SQLite.
//!
//! By default the connection whose commit takes the write-ahead log past 1,000 pages copies the
//! log into the database file itself, inside that commit. With one writer and hundreds of group
//! commits a second that is the writer stalling every few seconds and paying again for pages it
//! rewrites a moment later. Here the pool connections checkpoint only as a backstop (at
//! [`BACKSTOP_PAGES`]), and a thread of its own runs a passive checkpoint of each file every
//! [`EVERY`]: it blocks neither the writer nor the readers, and a page written many times in
//! between is copied once.

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
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(EVERY) {
                    for c in &conns {
                        if let Err(e) = c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                            tracing::warn!(error = %e, "WAL checkpoint failed");
                        }
                    }
                }
            })
            .map_err(DbError::Thread)?;
        Ok(Checkpointer { _stop: stop })
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
}
