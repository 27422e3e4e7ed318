//! [`TransLog`]: appends from many concurrent requests, committed in batches.

use db::Db;
use kernel::AppError;
use tokio::sync::{mpsc, oneshot};

use crate::store::{self, NewEntry};

/// Appends waiting at most; past this, [`TransLog::append`] waits for room.
const QUEUE: usize = 50_000;
/// Entries committed per transaction at most.
const BATCH: usize = 2_000;

struct Msg {
    entry: NewEntry,
    done: oneshot::Sender<Result<u64, AppError>>,
}

/// Handle to the log's writer. Cheap to clone.
///
/// Group commit: every entry that arrives while a batch is being written goes into the next
/// transaction, so an append waits for one commit however many requests append at once, and no
/// timer delays an answer. The index is returned only once the entry is committed: an answer that
/// names its log index is never sent for an entry a crash could lose.
#[derive(Clone)]
pub struct TransLog {
    tx: mpsc::Sender<Msg>,
}

impl TransLog {
    /// Starts the writer task on the current runtime.
    pub fn start(db: Db) -> TransLog {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(db, rx));
        TransLog { tx }
    }

    /// Appends `data` (appended at `at`, UTC milliseconds) and returns its index once committed.
    pub async fn append(&self, data: Vec<u8>, at: i64) -> Result<u64, AppError> {
        let (done, wait) = oneshot::channel();
        let stopped = || AppError::internal("transparency log writer stopped");
        self.tx.send(Msg { entry: NewEntry { data, at }, done }).await.map_err(|_| stopped())?;
        wait.await.map_err(|_| stopped())?
    }
}

async fn run(db: Db, mut rx: mpsc::Receiver<Msg>) {
    let mut buf: Vec<Msg> = Vec::with_capacity(BATCH);
    loop {
        if rx.recv_many(&mut buf, BATCH).await == 0 {
            return;
        }
        let entries: Vec<NewEntry> = buf.iter().map(|m| m.entry.clone()).collect();
        match store::append(&db, &entries).await {
            Ok(first) => {
                metrics::counter!("dancu_translog_commits_total").increment(1);
                metrics::counter!("dancu_translog_entries_total").increment(entries.len() as u64);
                for (i, m) in buf.drain(..).enumerate() {
                    let _ = m.done.send(Ok(first + i as u64));
                }
            }
            // The batch rolled back as a whole: every waiter is told, none gets an index.
            Err(e) => {
                tracing::error!(error = %e, "transparency log batch failed");
                for m in buf.drain(..) {
                    let _ = m.done.send(Err(e.clone()));
                }
            }
        }
    }
}
