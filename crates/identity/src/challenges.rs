//! A sign-in half done: the password was right and a second factor is due, or a WebAuthn ceremony
//! waits for the authenticator's answer. The browser holds a random secret (a short-lived cookie,
//! or a ticket in the ceremony's JSON); the database holds its hash, the account, where to go next
//! or the ceremony's state, and how many wrong codes were entered.

use db::sqlx::{self, Row};
use db::Db;
use kernel::AppError;

use crate::secrets::{hash_secret, random_secret};

/// Cookie of a pending second sign-in step.
pub(crate) const CHALLENGE_COOKIE: &str = "__Host-dancu_mfa";
/// How long the second step may take.
pub(crate) const CHALLENGE_TTL_MS: i64 = 5 * 60 * 1000;
/// Wrong second-factor entries allowed per challenge.
pub(crate) const CHALLENGE_MAX_ATTEMPTS: i64 = 5;

/// A pending second step.
#[derive(Debug, Clone)]
pub(crate) struct Challenge {
    pub account_id: String,
    pub next: String,
    pub attempts: i64,
}

/// Starts a second step for `account_id` at `now` (UTC milliseconds); returns the cookie value.
pub(crate) async fn create(db: &Db, account_id: &str, kind: &str, next: &str, now: i64) -> Result<String, AppError> {
    insert(db, Some(account_id), kind, "", next, now).await
}

/// Starts a ceremony whose server-side `state` must survive until its second request (a WebAuthn
/// challenge); `account_id` is `None` when the account is unknown. Returns the ticket the client
/// sends back. `now` is UTC milliseconds.
pub(crate) async fn create_with_state(
    db: &Db,
    account_id: Option<&str>,
    kind: &str,
    state: &str,
    now: i64,
) -> Result<String, AppError> {
    insert(db, account_id, kind, state, "", now).await
}

async fn insert(
    db: &Db,
    account_id: Option<&str>,
    kind: &str,
    state: &str,
    next: &str,
    now: i64,
) -> Result<String, AppError> {
    let secret = random_secret();
    sqlx::query(
        "INSERT INTO login_challenges (id_hash, account_id, kind, state, next, attempts, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, 0, $6, $7)",
    )
    .bind(hash_secret(&secret))
    .bind(account_id)
    .bind(kind)
    .bind(state)
    .bind(next)
    .bind(now)
    .bind(now + CHALLENGE_TTL_MS)
    .execute(db.write())
    .await?;
    Ok(secret)
}

/// Ends a live ceremony and returns its account and state: a ticket works once, whatever the
/// outcome, so a captured response cannot be replayed. `now` (UTC milliseconds) decides expiry.
pub(crate) async fn take(
    db: &Db,
    secret: &str,
    kind: &str,
    now: i64,
) -> Result<Option<(Option<String>, String)>, AppError> {
    let row = sqlx::query(
        "DELETE FROM login_challenges WHERE id_hash = $1 AND kind = $2 AND expires_at > $3 \
         RETURNING account_id, state",
    )
    .bind(hash_secret(secret))
    .bind(kind)
    .bind(now)
    .fetch_optional(db.write())
    .await?;
    Ok(row.map(|r| (r.get(0), r.get(1))))
}

/// The challenge behind a cookie value live at `now` (UTC milliseconds), if any.
pub(crate) async fn find(db: &Db, secret: &str, kind: &str, now: i64) -> Result<Option<Challenge>, AppError> {
    let row = sqlx::query(
        "SELECT account_id, next, attempts FROM login_challenges \
         WHERE id_hash = $1 AND kind = $2 AND expires_at > $3 AND attempts < $4",
    )
    .bind(hash_secret(secret))
    .bind(kind)
    .bind(now)
    .bind(CHALLENGE_MAX_ATTEMPTS)
    .fetch_optional(db.write())
    .await?;
    Ok(row.map(|r| Challenge { account_id: r.get(0), next: r.get(1), attempts: r.get(2) }))
}

/// Counts a wrong entry.
pub(crate) async fn fail(db: &Db, secret: &str) -> Result<(), AppError> {
    sqlx::query("UPDATE login_challenges SET attempts = attempts + 1 WHERE id_hash = $1")
        .bind(hash_secret(secret))
        .execute(db.write())
        .await?;
    Ok(())
}

/// Ends a challenge (it succeeded or was abandoned); also sweeps those expired at `now`.
pub(crate) async fn finish(db: &Db, secret: &str, now: i64) -> Result<(), AppError> {
    sqlx::query("DELETE FROM login_challenges WHERE id_hash = $1 OR expires_at < $2")
        .bind(hash_secret(secret))
        .bind(now)
        .execute(db.write())
        .await?;
    Ok(())
}
