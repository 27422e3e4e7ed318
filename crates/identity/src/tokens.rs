//! Personal API tokens (`Authorization: Bearer dct_…`), stored as SHA-256 hashes and revocable.

use db::sqlx;
use db::Db;
use kernel::AppError;

use crate::accounts::{account_from_row, Account, ACCOUNT_COLUMNS};
use crate::secrets::{hash_secret, random_secret};

/// Prefix that makes tokens recognizable to secret scanners.
pub(crate) const TOKEN_PREFIX: &str = "dct_";

/// Issues a token at `now` (UTC milliseconds); the plaintext is returned once and never stored.
/// Returns (token id, token).
pub async fn issue_token(db: &Db, account_id: &str, name: &str, now: i64) -> Result<(String, String), AppError> {
    let token = format!("{TOKEN_PREFIX}{}", random_secret());
    let id = kernel::ids::new_id();
    sqlx::query(
        "INSERT INTO api_tokens (id, account_id, name, token_hash, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, NULL)",
    )
    .bind(&id)
    .bind(account_id)
    .bind(name)
    .bind(hash_secret(&token))
    .bind(now)
    .execute(db.write())
    .await?;
    Ok((id, token))
}

/// Revokes a token by id at `now` (UTC milliseconds); returns whether a live token was revoked.
pub async fn revoke_token(db: &Db, token_id: &str, now: i64) -> Result<bool, AppError> {
    let r = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(token_id)
        .execute(db.write())
        .await?;
    Ok(r.rows_affected() == 1)
}

/// How long a process that resolved a bearer token trusts it without asking the database again.
pub(crate) const TOKEN_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(5);

/// Revokes every live token of an account inside the caller's transaction (a password reset:
/// whoever knew the old password may have made one). Processes that resolved a token in the last
/// [`TOKEN_CACHE_TTL`] keep accepting it until their cache expires. Revoked at `now`.
pub(crate) async fn revoke_all_in(conn: &mut sqlx::AnyConnection, account_id: &str, now: i64) -> Result<u64, AppError> {
    let r = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(account_id)
        .execute(&mut *conn)
        .await?;
    Ok(r.rows_affected())
}

/// The active account behind a live token.
pub(crate) async fn lookup_token(db: &Db, token: &str) -> Result<Option<Account>, AppError> {
    let row = sqlx::query(&format!(
        "SELECT {ACCOUNT_COLUMNS} FROM api_tokens t JOIN accounts a ON a.id = t.account_id \
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND a.status = 'active'"
    ))
    .bind(hash_secret(token))
    .fetch_optional(db.read())
    .await?;
    Ok(row.as_ref().and_then(account_from_row))
}
