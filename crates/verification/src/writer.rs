//! Group commit of the writes every verification makes: its history row and, for an identity QR,
//! its single-use nonce. Requests hand their rows to one writer task and wait until they are
//! committed, so a receipt is never returned before its history row is durable and a replayed
//! token is refused exactly as with one insert per request. Committing the rows of many concurrent
//! requests together keeps commits (each of which makes every SQLite reader drop its page cache)
//! to a few hundred a second under load.

use std::collections::HashSet;

use db::held::Held;
use db::sqlx::{self, Connection, Row};
use db::Db;
use kernel::AppError;
use tokio::sync::{mpsc, oneshot};

/// One row of `verifications`.
#[derive(Debug, Clone)]
pub struct HistoryEntry {
    pub id: String,
    pub org_id: String,
    pub actor_id: String,
    pub actor_label: String,
    pub method: String,
    pub purpose: String,
    pub subject_id: Option<String>,
    pub outcome: String,
    pub card_status: Option<String>,
    pub person_status: Option<String>,
    pub assurance: String,
    pub summary: String,
    pub created_at: i64,
}

enum Job {
    History(Box<HistoryEntry>, oneshot::Sender<bool>),
    /// Reply: true when the nonce was new (now recorded), false when it was seen before.
    Nonce {
        nonce: String,
        expires_ms: i64,
        reply: oneshot::Sender<Option<bool>>,
    },
}

/// Handle to the writer task. Cheap to clone.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Job>,
}

/// Rows per transaction at most.
const BATCH: usize = 256;
/// Expired nonces are deleted every this many batches.
const SWEEP_EVERY: u32 = 500;

impl Writer {
    /// Starts the writer task on the current runtime; `clock` decides which nonces have expired
    /// when they are swept.
    pub fn start(db: Db, clock: kernel::clock::Clock) -> Writer {
        let (tx, rx) = mpsc::channel(4 * BATCH);
        tokio::spawn(run(db, rx, clock));
        Writer { tx }
    }

    /// Stores a history row; returns once it is committed.
    pub async fn history(&self, entry: HistoryEntry) -> Result<(), AppError> {
        let (reply, done) = oneshot::channel();
        self.tx.send(Job::History(Box::new(entry), reply)).await.map_err(|_| stopped())?;
        match done.await {
            Ok(true) => Ok(()),
            _ => Err(AppError::internal("the verification history could not be written")),
        }
    }

    /// Records a nonce until `expires_ms`; `false` when it was already recorded (a replay).
    pub async fn use_nonce(&self, nonce: &str, expires_ms: i64) -> Result<bool, AppError> {
        let (reply, done) = oneshot::channel();
        let job = Job::Nonce { nonce: nonce.to_owned(), expires_ms, reply };
        self.tx.send(job).await.map_err(|_| stopped())?;
        done.await.ok().flatten().ok_or_else(|| AppError::internal("the nonce could not be recorded"))
    }
}

fn stopped() -> AppError {
    AppError::internal("verification writer stopped")
}

async fn run(db: Db, mut rx: mpsc::Receiver<Job>, clock: kernel::clock::Clock) {
    let mut buf = Vec::with_capacity(BATCH);
    let mut held = Held::new(&db, db.write());
    let mut batches = 0u32;
    loop {
        // What queued up while the previous transaction committed is the next batch. Waiting for
        // more would only add latency: a 2 ms linger cost the dynamic QR a third of its rate.
        if rx.recv_many(&mut buf, BATCH).await == 0 {
            return;
        }
        let mut rows = Vec::new();
        let mut history_waiters = Vec::new();
        let mut nonces = Vec::new();
        for job in buf.drain(..) {
            match job {
                Job::History(e, reply) => {
                    rows.push(*e);
                    history_waiters.push(reply);
                }
                Job::Nonce { nonce, expires_ms, reply } => nonces.push((nonce, expires_ms, reply)),
            }
        }
        batches = batches.wrapping_add(1);
        let sweep = batches.is_multiple_of(SWEEP_EVERY).then(clock);
        match write(&db, &mut held, &rows, &nonces, sweep).await {
            Ok(mut fresh) => {
                // Only the first request presenting a new nonce gets it.
                for (nonce, _, reply) in nonces {
                    let _ = reply.send(Some(fresh.remove(&nonce)));
                }
                for reply in history_waiters {
                    let _ = reply.send(true);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, rows = rows.len(), nonces = nonces.len(), "verification writes failed");
                for (_, _, reply) in nonces {
                    let _ = reply.send(None);
                }
                for reply in history_waiters {
                    let _ = reply.send(false);
                }
            }
        }
    }
}

type NonceJob = (String, i64, oneshot::Sender<Option<bool>>);

/// One transaction on the writer's connection: the history rows, then the nonces; returns the
/// nonces that were new. A nonce presented twice within the batch is new only the first time.
/// `sweep` is the time (UTC milliseconds) before which expired nonces are deleted, if any.
async fn write(
    db: &Db,
    held: &mut Held,
    rows: &[HistoryEntry],
    nonces: &[NonceJob],
    sweep: Option<i64>,
) -> Result<HashSet<String>, sqlx::Error> {
    let written = write_on(db, held, rows, nonces, sweep).await;
    held.done(written.is_ok());
    written
}

async fn write_on(
    db: &Db,
    held: &mut Held,
    rows: &[HistoryEntry],
    nonces: &[NonceJob],
    sweep: Option<i64>,
) -> Result<HashSet<String>, sqlx::Error> {
    let mut tx = held.conn().await?.begin().await?;
    // 13 columns: 60 rows per statement stays under every placeholder limit.
    for chunk in rows.chunks(60) {
        let sql = format!(
            "INSERT INTO verifications (id, org_id, actor_id, actor_label, method, purpose, subject_id, outcome, \
             card_status, person_status, assurance, summary, created_at) VALUES {}",
            db::values(db.backend(), chunk.len(), 13)
        );
        let mut q = sqlx::query(&sql);
        for r in chunk {
            q = q
                .bind(&r.id)
                .bind(&r.org_id)
                .bind(&r.actor_id)
                .bind(&r.actor_label)
                .bind(&r.method)
                .bind(&r.purpose)
                .bind(r.subject_id.as_deref())
                .bind(&r.outcome)
                .bind(r.card_status.as_deref())
                .bind(r.person_status.as_deref())
                .bind(&r.assurance)
                .bind(&r.summary)
                .bind(r.created_at);
        }
        q.execute(&mut *tx).await?;
    }
    let mut seen = HashSet::new();
    let distinct: Vec<(&str, i64)> =
        nonces.iter().filter(|(n, _, _)| seen.insert(n.as_str())).map(|(n, e, _)| (n.as_str(), *e)).collect();
    let mut fresh = HashSet::new();
    for chunk in distinct.chunks(200) {
        let sql = format!(
            "INSERT INTO used_nonces (nonce, expires_at) VALUES {} ON CONFLICT DO NOTHING RETURNING nonce",
            db::values(db.backend(), chunk.len(), 2)
        );
        let mut q = sqlx::query(&sql);
        for (nonce, expires) in chunk {
            q = q.bind(*nonce).bind(*expires);
        }
        for row in q.fetch_all(&mut *tx).await? {
            fresh.insert(row.get::<String, _>(0));
        }
    }
    if let Some(now) = sweep {
        sqlx::query("DELETE FROM used_nonces WHERE expires_at < $1").bind(now).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(fresh)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str) -> HistoryEntry {
        HistoryEntry {
            id: id.into(),
            org_id: "org".into(),
            actor_id: "a".into(),
            actor_label: "Lễ tân".into(),
            method: "card_qr".into(),
            purpose: "hotel_guest".into(),
            subject_id: None,
            outcome: "green".into(),
            card_status: None,
            person_status: None,
            assurance: "registry_match".into(),
            summary: String::new(),
            created_at: 1,
        }
    }

    /// Concurrent requests share commits; every row is stored once, a nonce is new exactly once
    /// (also when presented twice in the same batch), and a duplicate history id fails its batch
    /// without leaving a partial write.
    async fn group_commit(db: Db) {
        let w = Writer::start(db.clone(), || 1_750_000_000_000);
        let mut tasks = Vec::new();
        for i in 0..300 {
            let w = w.clone();
            tasks.push(tokio::spawn(async move {
                w.history(entry(&format!("v{i}"))).await.unwrap();
                w.use_nonce(&format!("n{}", i % 100), i64::MAX).await.unwrap()
            }));
        }
        let mut fresh = 0;
        for t in tasks {
            fresh += t.await.unwrap() as usize;
        }
        assert_eq!(fresh, 100, "each of the 100 nonces is accepted once");
        let count = |sql: &'static str| {
            let db = db.clone();
            async move { sqlx::query(sql).fetch_one(db.read()).await.unwrap().get::<i64, _>(0) }
        };
        assert_eq!(count("SELECT COUNT(*) FROM verifications").await, 300);
        assert!(!w.use_nonce("n7", i64::MAX).await.unwrap(), "a replay is refused");
        assert!(w.history(entry("v1")).await.is_err(), "duplicate id: the batch fails");
        assert_eq!(count("SELECT COUNT(*) FROM verifications").await, 300);
        assert!(w.use_nonce("fresh", i64::MAX).await.unwrap(), "the writer keeps working after a failure");
    }

    fn migrations() -> db::MigrationSet {
        db::MigrationSet::new().with(crate::MIGRATIONS)
    }

    db::dual_tests!(crate::writer::tests::migrations(); group_commit);
}
