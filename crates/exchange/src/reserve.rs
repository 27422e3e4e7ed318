//! The replay guard and the daily quotas, committed in batches: every request that arrives while
//! a batch is being written goes into the next transaction (group commit, as `translog::TransLog`
//! does), so the single writer of SQLite commits once for many requests instead of once each.
//!
//! A batch is three statements whatever its size: one multi-row insert of the request ids that
//! returns those that were new (the others are replays), one read of the quotas' use, one update
//! per right and day counting the requests that fit. A request over its quota has its id removed
//! again in the same transaction, so a refusal leaves nothing behind.

use std::collections::HashMap;

use db::sqlx::{self, Row};
use db::Db;
use kernel::{AppError, ErrorCode};
use tokio::sync::{mpsc, oneshot};

/// Requests reserved per transaction at most.
const BATCH: usize = 500;
/// Requests waiting at most; past this, [`Reserver::reserve`] waits for room.
const QUEUE: usize = 20_000;

/// One request to reserve.
#[derive(Debug, Clone)]
pub(crate) struct Reservation {
    pub member: String,
    pub request_id: String,
    pub subsystem: String,
    pub service: String,
    pub right_id: String,
    pub daily_quota: i64,
    /// Vietnam day the quota counts (`YYYY-MM-DD`).
    pub day: String,
    pub received_at: i64,
    pub expires_at: i64,
}

struct Msg {
    r: Reservation,
    done: oneshot::Sender<Result<(), AppError>>,
}

/// Handle to the reservation writer. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Reserver {
    tx: mpsc::Sender<Msg>,
}

impl Reserver {
    /// Starts the writer task on the current runtime.
    pub(crate) fn start(db: Db) -> Reserver {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(db, rx));
        Reserver { tx }
    }

    /// Stores the request id and counts the request against its right's quota once committed:
    /// refused as replayed when the id was used before, as over quota when the day's quota is
    /// used up (then nothing of it is stored).
    pub(crate) async fn reserve(&self, r: Reservation) -> Result<(), AppError> {
        let (done, wait) = oneshot::channel();
        let stopped = || AppError::internal("exchange reservation writer stopped");
        self.tx.send(Msg { r, done }).await.map_err(|_| stopped())?;
        wait.await.map_err(|_| stopped())?
    }
}

async fn run(db: Db, mut rx: mpsc::Receiver<Msg>) {
    let mut buf: Vec<Msg> = Vec::with_capacity(BATCH);
    loop {
        if rx.recv_many(&mut buf, BATCH).await == 0 {
            return;
        }
        let reservations: Vec<&Reservation> = buf.iter().map(|m| &m.r).collect();
        match write(&db, &reservations).await {
            Ok(outcomes) => {
                for (m, outcome) in buf.drain(..).zip(outcomes) {
                    let _ = m.done.send(outcome);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "exchange reservation batch failed");
                for m in buf.drain(..) {
                    let _ = m.done.send(Err(e.clone()));
                }
            }
        }
    }
}

/// One batch in one transaction; returns each request's outcome in order.
async fn write(db: &Db, batch: &[&Reservation]) -> Result<Vec<Result<(), AppError>>, AppError> {
    let mut tx = db.begin().await?;
    // Ids repeated inside the batch: only the first is new.
    let mut first_of: HashMap<(&str, &str), usize> = HashMap::new();
    let mut outcomes: Vec<Result<(), AppError>> = Vec::with_capacity(batch.len());
    for (i, r) in batch.iter().enumerate() {
        let first = *first_of.entry((r.member.as_str(), r.request_id.as_str())).or_insert(i);
        outcomes.push(if first == i { Ok(()) } else { Err(replayed()) });
    }
    let fresh: Vec<&Reservation> = batch.iter().zip(&outcomes).filter(|(_, o)| o.is_ok()).map(|(r, _)| *r).collect();
    if fresh.is_empty() {
        tx.rollback().await?;
        return Ok(outcomes);
    }
    let sql = format!(
        "INSERT INTO exchange_requests (member_code, request_id, subsystem_code, service, right_id, received_at, \
         expires_at) VALUES {} ON CONFLICT (member_code, request_id) DO NOTHING RETURNING member_code, request_id",
        db::values(db.backend(), fresh.len(), 7)
    );
    let mut q = sqlx::query(&sql);
    for r in &fresh {
        q = q
            .bind(&r.member)
            .bind(&r.request_id)
            .bind(&r.subsystem)
            .bind(&r.service)
            .bind(&r.right_id)
            .bind(r.received_at)
            .bind(r.expires_at);
    }
    let stored: std::collections::HashSet<(String, String)> = q
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|row| Ok((row.try_get::<String, _>(0)?, row.try_get::<String, _>(1)?)))
        .collect::<Result<_, AppError>>()?;
    for (r, o) in batch.iter().zip(outcomes.iter_mut()) {
        if o.is_ok() && !stored.contains(&(r.member.clone(), r.request_id.clone())) {
            *o = Err(replayed());
        }
    }
    // Quotas: what each right has used today, then as many requests as fit, in arrival order.
    let mut used: HashMap<(&str, &str), i64> = HashMap::new();
    for (r, _) in batch.iter().zip(&outcomes).filter(|(_, o)| o.is_ok()) {
        let key = (r.right_id.as_str(), r.day.as_str());
        if used.contains_key(&key) {
            continue;
        }
        let n: Option<i64> = sqlx::query("SELECT used FROM exchange_quota_use WHERE right_id = $1 AND day = $2")
            .bind(key.0)
            .bind(key.1)
            .fetch_optional(&mut *tx)
            .await?
            .map(|row| row.try_get(0))
            .transpose()?;
        used.insert(key, n.unwrap_or(-1));
    }
    let mut counted: HashMap<(&str, &str), i64> = HashMap::new();
    let mut over: Vec<&&Reservation> = Vec::new();
    for (r, o) in batch.iter().zip(outcomes.iter_mut()) {
        if o.is_err() {
            continue;
        }
        let key = (r.right_id.as_str(), r.day.as_str());
        let before = used.get(&key).copied().unwrap_or(-1).max(0);
        let n = counted.entry(key).or_insert(0);
        if before + *n < r.daily_quota {
            *n += 1;
        } else {
            *o = Err(over_quota(r.daily_quota));
            over.push(r);
        }
    }
    // Guarded, so that another server sharing the database cannot push a right over its quota: if
    // the day's count moved meanwhile and the batch no longer fits, the batch's requests of that
    // right are refused (rare, and only at the quota's edge).
    for ((right, day), n) in counted {
        if n == 0 {
            continue;
        }
        sqlx::query("INSERT INTO exchange_quota_use (right_id, day, used) VALUES ($1, $2, 0) ON CONFLICT (right_id, day) DO NOTHING")
            .bind(right)
            .bind(day)
            .execute(&mut *tx)
            .await?;
        let quota = batch.iter().find(|r| r.right_id == right).map_or(0, |r| r.daily_quota);
        let done = sqlx::query(
            "UPDATE exchange_quota_use SET used = used + $3 WHERE right_id = $1 AND day = $2 AND used + $3 <= $4",
        )
        .bind(right)
        .bind(day)
        .bind(n)
        .bind(quota)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            for (r, o) in batch.iter().zip(outcomes.iter_mut()) {
                if o.is_ok() && r.right_id == right && r.day == day {
                    *o = Err(over_quota(r.daily_quota));
                    over.push(r);
                }
            }
        }
    }
    for r in over {
        sqlx::query("DELETE FROM exchange_requests WHERE member_code = $1 AND request_id = $2")
            .bind(&r.member)
            .bind(&r.request_id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(outcomes)
}

fn over_quota(quota: i64) -> AppError {
    AppError::new(ErrorCode::ExchangeQuotaExceeded, format!("the right's {quota} requests of today are used"))
}

fn replayed() -> AppError {
    AppError::new(ErrorCode::ExchangeReplayed, "this request id was used before")
}
