//! The task behind the batch-shaped grant writers ([`crate::code_exchange`],
//! [`crate::refresh_rotation`]). Requests arriving together are handed to one task, which settles
//! all of them with one function call over one transaction: a fixed number of statements however
//! many requests wait, where the savepoint units of `db::Batcher` cost the single writer a few round
//! trips each. Each caller gets its answer only after that commit.
//!
//! The settling function claims what it can; a request it could not claim (an unknown, spent or
//! expired credential) comes back to its caller, which refuses it on the savepoint path, where
//! the reason is found and acted on one request at a time.

use std::collections::HashMap;

use db::sqlx::AnyConnection;
use db::Db;
use futures::future::BoxFuture;
use identity::Account;
use tokio::sync::{mpsc, oneshot};

use crate::error::OAuthError;

/// Requests per transaction at most.
const BATCH: usize = 256;

/// What a batch did with one request: `None` when it could not claim it.
pub type Claimed<T> = Option<Result<Box<T>, OAuthError>>;

/// Settles a batch in one transaction at `now` (UTC milliseconds, read from the task's clock when
/// the batch starts); the outcomes are in the batch's order. An `Err` is a storage failure and
/// fails the whole batch.
pub type Settle<R, T> = for<'a> fn(&'a Db, &'a [R], i64) -> BoxFuture<'a, Result<Vec<Claimed<T>>, OAuthError>>;

/// The answer to one request.
pub enum Outcome<R, T> {
    Done(Result<Box<T>, OAuthError>),
    /// The batch could not claim the request; it comes back to be refused one by one.
    Unclaimed(R),
}

type Job<R, T> = (R, oneshot::Sender<Outcome<R, T>>);

/// Handle to a batching task. Cheap to clone.
pub struct GrantBatch<R, T> {
    tx: mpsc::Sender<Job<R, T>>,
    /// What the task settles, for errors and logs.
    what: &'static str,
}

impl<R, T> Clone for GrantBatch<R, T> {
    fn clone(&self) -> Self {
        GrantBatch { tx: self.tx.clone(), what: self.what }
    }
}

impl<R: Send + 'static, T: Send + 'static> GrantBatch<R, T> {
    /// Starts the task on the current runtime; it reads `clock` once per batch.
    pub fn start(db: Db, what: &'static str, settle: Settle<R, T>, clock: kernel::clock::Clock) -> Self {
        let (tx, rx) = mpsc::channel(4 * BATCH);
        tokio::spawn(run(db, rx, what, settle, clock));
        GrantBatch { tx, what }
    }

    /// Queues a request for the next batch and waits for its outcome.
    pub async fn submit(&self, r: R) -> Result<Outcome<R, T>, OAuthError> {
        let stopped = || OAuthError::server_error(format!("the {} writer has stopped", self.what));
        let (reply, done) = oneshot::channel();
        self.tx.send((r, reply)).await.map_err(|_| stopped())?;
        done.await.map_err(|_| stopped())
    }
}

async fn run<R, T>(
    db: Db,
    mut rx: mpsc::Receiver<Job<R, T>>,
    what: &'static str,
    settle: Settle<R, T>,
    clock: kernel::clock::Clock,
) {
    let mut jobs = Vec::with_capacity(BATCH);
    loop {
        if rx.recv_many(&mut jobs, BATCH).await == 0 {
            return;
        }
        let (batch, replies): (Vec<R>, Vec<oneshot::Sender<Outcome<R, T>>>) = jobs.drain(..).unzip();
        match settle(&db, &batch, clock()).await {
            Ok(claimed) => {
                for ((reply, r), c) in replies.into_iter().zip(batch).zip(claimed) {
                    let _ = reply.send(c.map_or(Outcome::Unclaimed(r), Outcome::Done));
                }
            }
            Err(e) => {
                tracing::error!(error = %e.description, requests = batch.len(), "{what} batch failed");
                for reply in replies {
                    let _ = reply.send(Outcome::Done(Err(e.clone())));
                }
            }
        }
    }
}

/// The distinct values of `key` over `items` (the clients of a batch: each claims its own).
pub fn distinct<'a, R>(items: &'a [R], key: impl Fn(&'a R) -> &'a str) -> Vec<&'a str> {
    let mut keys: Vec<&str> = items.iter().map(key).collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// The accounts of `ids` by id, read with one statement on the batch's connection, so the checks
/// see the account's state as of the batch.
pub async fn holders<'a>(
    conn: &mut AnyConnection,
    ids: impl IntoIterator<Item = &'a str>,
) -> Result<HashMap<String, Account>, OAuthError> {
    let mut ids: Vec<&str> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    let accounts = identity::accounts_by_ids(conn, &ids).await.map_err(OAuthError::server_error)?;
    Ok(accounts.into_iter().map(|a| (a.id.clone(), a)).collect())
}
