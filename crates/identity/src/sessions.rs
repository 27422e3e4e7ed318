//! Server-side sessions. The cookie holds a random secret; the database holds its hash, the
//! session's CSRF token, how the user proved who they are (`amr`), the device's user agent and
//! when it was last seen. Revoking a session takes effect on the next request.

use db::sqlx::{self, Row};
use db::Db;
use kernel::AppError;
use serde::Serialize;

use crate::accounts::{account_from_row, Account, ACCOUNT_COLUMNS, ACCOUNT_COLUMN_COUNT};
use crate::secrets::{hash_secret, random_secret};

/// How long a session lasts.
pub(crate) const SESSION_TTL_MS: i64 = 12 * 3600 * 1000;
/// `last_seen_at` is refreshed at most this often, so reads do not each cost a write.
const TOUCH_EVERY_MS: i64 = 60_000;

/// A signed-in browser as the OpenID provider and the pages need it.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub account: Account,
    /// When the user authenticated (the session's creation): `auth_time` in ID tokens.
    pub auth_time_ms: i64,
    /// Authentication methods (RFC 8176): `pwd`, `otp`, `hwk`.
    pub amr: Vec<String>,
    pub csrf: String,
}

/// A session as listed on the citizen's account page.
#[derive(Debug, Clone, Serialize)]
pub struct SessionView {
    /// The stored hash, used to name the session in revoke forms (the secret itself never leaves
    /// the cookie).
    pub id: String,
    pub user_agent: Option<String>,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub amr: Vec<String>,
    /// The session making the request.
    pub current: bool,
}

/// Starts a session after a successful sign-in at `now` (UTC milliseconds); returns the cookie
/// value and the CSRF token.
pub async fn create_session(
    db: &Db,
    account_id: &str,
    user_agent: Option<&str>,
    amr: &[&str],
    now: i64,
) -> Result<(String, String), AppError> {
    let secret = random_secret();
    let csrf = random_secret();
    sqlx::query(
        "INSERT INTO sessions (id_hash, account_id, csrf, user_agent, created_at, expires_at, revoked_at, amr, \
         last_seen_at) VALUES ($1, $2, $3, $4, $5, $6, NULL, $7, $5)",
    )
    .bind(hash_secret(&secret))
    .bind(account_id)
    .bind(&csrf)
    .bind(user_agent.map(|u| u.chars().take(200).collect::<String>()))
    .bind(now)
    .bind(now + SESSION_TTL_MS)
    .bind(amr.join(" "))
    .execute(db.write())
    .await?;
    Ok((secret, csrf))
}

/// The live session behind a cookie value: the account must be active and, for a citizen, still
/// alive in the registry. `now` (UTC milliseconds) decides expiry and the last-seen time.
pub async fn session_info(db: &Db, secret: &str, now: i64) -> Result<Option<SessionInfo>, AppError> {
    let n = ACCOUNT_COLUMN_COUNT;
    let id_hash = hash_secret(secret);
    let row = sqlx::query(&format!(
        "SELECT {ACCOUNT_COLUMNS}, s.csrf, s.created_at, s.amr, s.last_seen_at FROM sessions s \
         JOIN accounts a ON a.id = s.account_id \
         WHERE s.id_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND a.status = 'active'"
    ))
    .bind(&id_hash)
    .bind(now)
    .fetch_optional(db.read())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let Some(account) = account_from_row(&row) else { return Ok(None) };
    if !crate::liveness::check(db, &account, now).await? {
        return Ok(None);
    }
    let last_seen: Option<i64> = row.get(n + 3);
    if last_seen.map(|t| now - t > TOUCH_EVERY_MS).unwrap_or(true) {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
            .bind(now)
            .bind(&id_hash)
            .execute(db.write())
            .await?;
    }
    Ok(Some(SessionInfo {
        account,
        csrf: row.get(n),
        auth_time_ms: row.get(n + 1),
        amr: split_amr(&row.get::<String, _>(n + 2)),
    }))
}

fn split_amr(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_owned).collect()
}

/// The sessions of an account live at `now` (UTC milliseconds), newest first; `current` marks
/// the caller's own.
pub async fn list_sessions(
    db: &Db,
    account_id: &str,
    current_secret: Option<&str>,
    now: i64,
) -> Result<Vec<SessionView>, AppError> {
    let current = current_secret.map(hash_secret);
    let rows = sqlx::query(
        "SELECT id_hash, user_agent, created_at, last_seen_at, amr FROM sessions \
         WHERE account_id = $1 AND revoked_at IS NULL AND expires_at > $2 ORDER BY created_at DESC",
    )
    .bind(account_id)
    .bind(now)
    .fetch_all(db.read())
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let id: String = r.get(0);
            let created_at: i64 = r.get(2);
            SessionView {
                current: current.as_deref() == Some(id.as_str()),
                id,
                user_agent: r.get(1),
                created_at,
                last_seen_at: r.get::<Option<i64>, _>(3).unwrap_or(created_at),
                amr: split_amr(&r.get::<String, _>(4)),
            }
        })
        .collect())
}

/// Ends a session (sign-out) at `now` (UTC milliseconds).
pub async fn revoke_session(db: &Db, secret: &str, now: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE id_hash = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(hash_secret(secret))
        .execute(db.write())
        .await?;
    Ok(())
}

/// Ends one of an account's sessions by its listed id at `now`; returns whether one was ended.
pub async fn revoke_session_by_id(db: &Db, account_id: &str, id_hash: &str, now: i64) -> Result<bool, AppError> {
    let r = sqlx::query(
        "UPDATE sessions SET revoked_at = $1 WHERE id_hash = $2 AND account_id = $3 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(id_hash)
    .bind(account_id)
    .execute(db.write())
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Ends every session of an account except `keep` (a cookie value) at `now`; returns how many
/// ended.
pub async fn revoke_other_sessions(db: &Db, account_id: &str, keep: Option<&str>, now: i64) -> Result<u64, AppError> {
    let r = sqlx::query(
        "UPDATE sessions SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL AND id_hash <> $3",
    )
    .bind(now)
    .bind(account_id)
    .bind(keep.map(hash_secret).unwrap_or_default())
    .execute(db.write())
    .await?;
    Ok(r.rows_affected())
}

/// Ends every session of an account inside the caller's transaction, so the change that calls for
/// it (a suspension, a new password) and the sign-out happen together, at `now`.
pub(crate) async fn revoke_all_in(conn: &mut sqlx::AnyConnection, account_id: &str, now: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(account_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
