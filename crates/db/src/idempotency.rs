//! Replay keys for state-changing requests (`Idempotency-Key`, draft-ietf-httpapi-idempotency-key-header).
//!
//! A client that retries after a timeout must not file a second application or pay a fee twice.
//! The web layer claims `(actor, key)` in `idempotency_keys` before the request runs, and stores
//! the answer once it is known; a retry with the same key gets that answer again. The gap this
//! leaves — the change committed, then the process died before the answer was stored — is closed
//! by [`bind`]: a write that must happen once marks the claim in its own transaction, so after a
//! crash the claim says whether the change was made. An unbound claim left by a dead process is
//! taken over and the request runs; a bound one is answered "carried out, answer not kept" and
//! never runs twice.
//!
//! The claim travels in a task-local value rather than in every domain function's parameters:
//! the request's handler runs inside [`scope`], and [`bind`] outside such a scope does nothing.

use std::future::Future;
use std::sync::OnceLock;

use sqlx::{Any, Transaction};

use crate::{Db, DbError};

/// The table of replay keys (module `db` of the migration set: the storage crate's own table).
pub const MIGRATIONS: &[crate::Migration] = crate::migrations!("db", [(1, "idempotency_keys")]);

/// How long a claim of another process counts as in flight: beyond every request time limit.
pub const FOREIGN_IN_FLIGHT_MS: i64 = 120_000;

/// Who sent a key, and the key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Claim {
    pub actor: String,
    pub key: String,
}

tokio::task_local! {
    static CURRENT: Claim;
}

/// This process's identity in claims, so that a claim left by a crashed process is known as such.
pub fn boot() -> &'static str {
    static BOOT: OnceLock<String> = OnceLock::new();
    BOOT.get_or_init(|| uuid::Uuid::now_v7().to_string())
}

/// Runs a request's handler with its claim in reach of [`bind`].
pub async fn scope<F: Future>(claim: Claim, f: F) -> F::Output {
    CURRENT.scope(claim, f).await
}

/// Marks the running request's claim as carried out by `tx`: call it in the transaction of a
/// change that must not happen twice. Outside a keyed request it does nothing.
pub async fn bind(tx: &mut Transaction<'static, Any>) -> Result<(), sqlx::Error> {
    let Ok(claim) = CURRENT.try_with(Claim::clone) else { return Ok(()) };
    sqlx::query("UPDATE idempotency_keys SET bound = 1 WHERE actor_id = $1 AND idem_key = $2")
        .bind(claim.actor)
        .bind(claim.key)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A stored answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    /// Headers worth replaying (content type, location), as a JSON object.
    pub headers: String,
    /// The body, base64.
    pub body: String,
}

/// What an earlier request with the same key left behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Earlier {
    /// The key was sent with another request.
    OtherRequest,
    /// The earlier request finished: its answer.
    Answered(Answer),
    /// The earlier request is still running (in this process, or lately in another).
    InFlight,
    /// The earlier request's process is gone after making its change; its answer was lost.
    CarriedOut,
}

/// Claims `(actor, key)` for a request with `fingerprint`, or says what holds it. `running` says
/// whether this process is still working on a claim of its own.
pub async fn claim(
    db: &Db,
    claim: &Claim,
    fingerprint: &str,
    running: bool,
    now: i64,
) -> Result<Option<Earlier>, DbError> {
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (actor_id, idem_key, fingerprint, boot, created_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (actor_id, idem_key) DO NOTHING",
    )
    .bind(&claim.actor)
    .bind(&claim.key)
    .bind(fingerprint)
    .bind(boot())
    .bind(now)
    .execute(db.write())
    .await
    .map_err(DbError::from)?
    .rows_affected();
    if inserted == 1 {
        return Ok(None);
    }
    let row = sqlx::query_as::<_, (String, String, i64, Option<i64>, Option<String>, Option<String>, i64)>(
        "SELECT fingerprint, boot, bound, status, headers, body, created_at FROM idempotency_keys \
         WHERE actor_id = $1 AND idem_key = $2",
    )
    .bind(&claim.actor)
    .bind(&claim.key)
    .fetch_optional(db.write())
    .await
    .map_err(DbError::from)?;
    // Pruned between the two statements: the key is free again.
    let Some((stored_fingerprint, owner, bound, status, headers, body, created_at)) = row else {
        return Box::pin(self::claim(db, claim, fingerprint, running, now)).await;
    };
    if stored_fingerprint != fingerprint {
        return Ok(Some(Earlier::OtherRequest));
    }
    if let Some(status) = status {
        let answer = Answer {
            status: u16::try_from(status).unwrap_or(500),
            headers: headers.unwrap_or_default(),
            body: body.unwrap_or_default(),
        };
        return Ok(Some(Earlier::Answered(answer)));
    }
    let alive = if owner == boot() { running } else { now - created_at < FOREIGN_IN_FLIGHT_MS };
    if alive {
        return Ok(Some(Earlier::InFlight));
    }
    if bound != 0 {
        return Ok(Some(Earlier::CarriedOut));
    }
    // Abandoned before its change was made: take it over.
    sqlx::query(
        "UPDATE idempotency_keys SET boot = $3, created_at = $4 WHERE actor_id = $1 AND idem_key = $2 AND bound = 0",
    )
    .bind(&claim.actor)
    .bind(&claim.key)
    .bind(boot())
    .bind(now)
    .execute(db.write())
    .await
    .map_err(DbError::from)?;
    Ok(None)
}

/// Stores the answer of a claimed request.
pub async fn answer(db: &Db, claim: &Claim, answer: &Answer) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE idempotency_keys SET status = $3, headers = $4, body = $5 WHERE actor_id = $1 AND idem_key = $2",
    )
    .bind(&claim.actor)
    .bind(&claim.key)
    .bind(i64::from(answer.status))
    .bind(&answer.headers)
    .bind(&answer.body)
    .execute(db.write())
    .await
    .map_err(DbError::from)?;
    Ok(())
}

/// Frees a claim whose request changed nothing it would be wrong to repeat (it failed, or was
/// cut off), so that a retry runs.
pub async fn release(db: &Db, claim: &Claim) -> Result<(), DbError> {
    sqlx::query("DELETE FROM idempotency_keys WHERE actor_id = $1 AND idem_key = $2 AND bound = 0 AND status IS NULL")
        .bind(&claim.actor)
        .bind(&claim.key)
        .execute(db.write())
        .await
        .map_err(DbError::from)?;
    Ok(())
}

/// Deletes claims made before `before` (keys are kept for a day: see the web layer).
pub async fn prune(db: &Db, before: i64) -> Result<u64, DbError> {
    let done = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
        .bind(before)
        .execute(db.write())
        .await
        .map_err(DbError::from)?;
    Ok(done.rows_affected())
}
