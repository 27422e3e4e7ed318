//! Server-side sessions. The cookie holds a random secret; the database holds its hash, the
//! session's CSRF token and its expiry. Revoking a session takes effect on the next request.

use db::sqlx::{self, Row};
use db::Db;
use kernel::AppError;

use crate::accounts::{account_from_row, Account, ACCOUNT_COLUMNS};
use crate::secrets::{hash_secret, random_secret};

/// How long a session lasts.
pub const SESSION_TTL_MS: i64 = 12 * 3600 * 1000;

/// Starts a session; returns the cookie value and the session's CSRF token.
pub async fn create_session(db: &Db, account_id: &str, user_agent: Option<&str>) -> Result<(String, String), AppError> {
    let secret = random_secret();
    let csrf = random_secret();
    let now = kernel::clock::now_ms();
    sqlx::query(
        "INSERT INTO sessions (id_hash, account_id, csrf, user_agent, created_at, expires_at, revoked_at) \
         VALUES ($1, $2, $3, $4, $5, $6, NULL)",
    )
    .bind(hash_secret(&secret))
    .bind(account_id)
    .bind(&csrf)
    .bind(user_agent.map(|u| u.chars().take(200).collect::<String>()))
    .bind(now)
    .bind(now + SESSION_TTL_MS)
    .execute(db.write())
    .await
    .map_err(db::internal)?;
    Ok((secret, csrf))
}

/// The active account and CSRF token behind a session cookie.
pub(crate) async fn lookup_session(db: &Db, secret: &str) -> Result<Option<(Account, String)>, AppError> {
    let row = sqlx::query(&format!(
        "SELECT {ACCOUNT_COLUMNS}, s.csrf FROM sessions s JOIN accounts a ON a.id = s.account_id \
         WHERE s.id_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND a.status = 'active'"
    ))
    .bind(hash_secret(secret))
    .bind(kernel::clock::now_ms())
    .fetch_optional(db.read())
    .await
    .map_err(db::internal)?;
    Ok(row.and_then(|r| Some((account_from_row(&r)?, r.get(7)))))
}

/// Ends a session (sign-out).
pub async fn revoke_session(db: &Db, secret: &str) -> Result<(), AppError> {
    sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE id_hash = $2 AND revoked_at IS NULL")
        .bind(kernel::clock::now_ms())
        .bind(hash_secret(secret))
        .execute(db.write())
        .await
        .map_err(db::internal)?;
    Ok(())
}
