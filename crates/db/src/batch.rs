//! Group commit for short read-modify-write units: requests hand a unit of work to one task,
//! which runs every unit waiting at that moment inside one transaction, each behind its own
//! savepoint, and commits once. A unit that fails is rolled back to its savepoint without touching
//! the others; each caller gets its own result only after the commit, so nothing is reported done
//! before it is durable. One commit for many requests matters on both backends: on PostgreSQL a
//! commit waits for the WAL flush, and on SQLite every commit makes each reader drop its page cache.
//!
//! A unit must do all its writes through the connection it is given. Taking the writer pool from
//! inside a unit would wait for the connection the batch holds (on SQLite there is only one).

use std::any::Any;

use futures::future::BoxFuture;
use sqlx::AnyConnection;
use tokio::sync::{mpsc, oneshot};

use crate::Db;

/// Units per transaction at most.
const BATCH: usize = 256;

type Output = Result<Box<dyn Any + Send>, sqlx::Error>;
type Unit = Box<dyn for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Output> + Send>;

/// Handle to the batching task. Cheap to clone.
#[derive(Clone)]
pub struct Batcher {
    tx: mpsc::Sender<(Unit, oneshot::Sender<Output>)>,
}

impl Batcher {
    /// Starts the task on the current runtime.
    pub fn start(db: Db) -> Batcher {
        let (tx, rx) = mpsc::channel(4 * BATCH);
        tokio::spawn(run(db, rx));
        Batcher { tx }
    }

    /// Runs `work` inside the next batch's transaction and returns its result once the batch has
    /// committed. An `Err` from `work` rolls back only what `work` wrote.
    pub async fn run<T, F>(&self, work: F) -> Result<T, sqlx::Error>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Result<T, sqlx::Error>> + Send + 'static,
    {
        let unit: Unit =
            Box::new(move |conn| Box::pin(async move { work(conn).await.map(|t| Box::new(t) as Box<dyn Any + Send>) }));
        let (reply, done) = oneshot::channel();
        self.tx.send((unit, reply)).await.map_err(|_| stopped())?;
        let out = done.await.map_err(|_| stopped())??;
        // The unit built above boxes a `T`, so the downcast always succeeds.
        out.downcast::<T>().map(|t| *t).map_err(|_| sqlx::Error::Protocol("a batch unit returned another type".into()))
    }
}

fn stopped() -> sqlx::Error {
    sqlx::Error::WorkerCrashed
}

async fn run(db: Db, mut rx: mpsc::Receiver<(Unit, oneshot::Sender<Output>)>) {
    let mut buf = Vec::with_capacity(BATCH);
    loop {
        if rx.recv_many(&mut buf, BATCH).await == 0 {
            return;
        }
        let replies = write(&db, &mut buf).await;
        for (reply, out) in replies {
            let _ = reply.send(out);
        }
    }
}

/// One transaction over the waiting units; a failed commit fails all of them.
async fn write(db: &Db, units: &mut Vec<(Unit, oneshot::Sender<Output>)>) -> Vec<(oneshot::Sender<Output>, Output)> {
    let mut tx = match db.begin().await {
        Ok(tx) => tx,
        Err(e) => {
            tracing::error!(error = %e, "batch transaction could not start");
            return units.drain(..).map(|(_, r)| (r, Err(sqlx::Error::Protocol(format!("begin: {e}"))))).collect();
        }
    };
    let mut results = Vec::with_capacity(units.len());
    // Each boundary between units is one round trip that ends the previous unit's savepoint and
    // opens the next one: the units of a batch run one after the other, so the writer's statements
    // per unit are what bounds a batch's rate.
    let mut boundary = "SAVEPOINT unit";
    let mut broken = None;
    for (unit, reply) in units.drain(..) {
        if broken.is_none() {
            if let Err(e) = sqlx::Executor::execute(&mut *tx, boundary).await {
                broken = Some(e.to_string());
            }
        }
        if let Some(why) = &broken {
            results.push((reply, Err(sqlx::Error::Protocol(format!("savepoint: {why}")))));
            continue;
        }
        let out = unit(&mut tx).await;
        boundary = if out.is_ok() {
            "RELEASE SAVEPOINT unit; SAVEPOINT unit"
        } else {
            // ROLLBACK TO keeps the savepoint open; release it before the next one.
            "ROLLBACK TO SAVEPOINT unit; RELEASE SAVEPOINT unit; SAVEPOINT unit"
        };
        results.push((reply, out));
    }
    if broken.is_some() {
        return results;
    }
    let last = boundary.trim_end_matches("; SAVEPOINT unit");
    if let Err(e) = sqlx::Executor::execute(&mut *tx, last).await {
        tracing::error!(error = %e, "batch savepoint could not end");
        return results.into_iter().map(|(r, _)| (r, Err(sqlx::Error::Protocol(format!("savepoint: {e}"))))).collect();
    }
    if let Err(e) = tx.commit().await {
        tracing::error!(error = %e, units = results.len(), "batch commit failed");
        return results.into_iter().map(|(r, _)| (r, Err(sqlx::Error::Protocol(format!("commit: {e}"))))).collect();
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn table(db: &Db) {
        sqlx::query("CREATE TABLE batch_t (k TEXT PRIMARY KEY, v BIGINT NOT NULL)").execute(db.write()).await.unwrap();
    }

    async fn count(db: &Db) -> i64 {
        sqlx::Row::get(&sqlx::query("SELECT COUNT(*) FROM batch_t").fetch_one(db.write()).await.unwrap(), 0)
    }

    /// Concurrent units share transactions; a failing unit (a duplicate key after a first insert)
    /// leaves nothing behind, the others are all stored, and each caller sees its own result.
    async fn units_commit_together_and_fail_alone(db: Db) {
        table(&db).await;
        let batcher = Batcher::start(db.clone());
        let mut calls = Vec::new();
        for i in 0..200i64 {
            let b = batcher.clone();
            calls.push(tokio::spawn(async move {
                b.run(move |c: &mut AnyConnection| {
                    Box::pin(async move {
                        sqlx::query("INSERT INTO batch_t (k, v) VALUES ($1, $2)")
                            .bind(format!("k{i}"))
                            .bind(i)
                            .execute(&mut *c)
                            .await?;
                        if i % 10 == 0 {
                            // Every tenth unit writes a second row and then fails.
                            sqlx::query("INSERT INTO batch_t (k, v) VALUES ($1, 0)")
                                .bind(format!("x{i}"))
                                .execute(&mut *c)
                                .await?;
                            sqlx::query("INSERT INTO batch_t (k, v) VALUES ($1, 0)")
                                .bind(format!("k{i}"))
                                .execute(&mut *c)
                                .await?;
                        }
                        Ok(i * 2)
                    })
                })
                .await
            }));
        }
        let mut ok = 0;
        for (i, call) in calls.into_iter().enumerate() {
            match call.await.unwrap() {
                Ok(v) => {
                    assert_eq!(v, i as i64 * 2);
                    ok += 1;
                }
                Err(_) => assert_eq!(i % 10, 0, "unit {i} failed"),
            }
        }
        assert_eq!(ok, 180);
        assert_eq!(count(&db).await, 180, "failed units left no row, not even their first insert");
    }

    crate::dual_tests!(crate::MigrationSet::new(); units_commit_together_and_fail_alone);
}
