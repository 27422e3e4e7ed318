//! Remembered consent: which scopes a citizen agreed to release to which client. Withdrawing it
//! also revokes every token the client holds for the citizen.

use db::sqlx::{self, Row};
use db::Db;
use kernel::AppError;
use serde::Serialize;

use crate::scopes;

/// A remembered consent, with the client's name for the citizen's page.
#[derive(Debug, Clone, Serialize)]
pub struct Consent {
    pub client_id: String,
    pub client_name: String,
    pub scopes: Vec<String>,
    pub granted_at: i64,
}

/// The scopes a citizen has agreed to release to a client (empty when none or withdrawn).
pub async fn granted(db: &Db, account_id: &str, client_id: &str) -> Result<String, AppError> {
    let row =
        sqlx::query("SELECT scope FROM oauth_consents WHERE account_id = $1 AND client_id = $2 AND revoked_at IS NULL")
            .bind(account_id)
            .bind(client_id)
            .fetch_optional(db.read())
            .await?;
    Ok(row.map(|r| r.get(0)).unwrap_or_default())
}

/// Remembers consent for `scope`, adding to what was granted before; granted at `now` (UTC
/// milliseconds).
pub async fn remember(db: &Db, account_id: &str, client_id: &str, scope: &[String], now: i64) -> Result<(), AppError> {
    let mut all = scopes::split(&granted(db, account_id, client_id).await?);
    for s in scope {
        if !all.contains(s) {
            all.push(s.clone());
        }
    }
    sqlx::query(
        "INSERT INTO oauth_consents (account_id, client_id, scope, granted_at, revoked_at) VALUES ($1, $2, $3, $4, NULL) \
         ON CONFLICT (account_id, client_id) DO UPDATE SET scope = excluded.scope, granted_at = excluded.granted_at, \
         revoked_at = NULL",
    )
    .bind(account_id)
    .bind(client_id)
    .bind(all.join(" "))
    .bind(now)
    .execute(db.write())
    .await?;
    Ok(())
}

/// The citizen's remembered consents.
pub async fn list(db: &Db, account_id: &str) -> Result<Vec<Consent>, AppError> {
    let rows = sqlx::query(
        "SELECT c.client_id, k.name, c.scope, c.granted_at FROM oauth_consents c JOIN oauth_clients k ON k.id = c.client_id \
         WHERE c.account_id = $1 AND c.revoked_at IS NULL ORDER BY c.granted_at DESC",
    )
    .bind(account_id)
    .fetch_all(db.read())
    .await?;
    Ok(rows
        .iter()
        .map(|r| Consent {
            client_id: r.get(0),
            client_name: r.get(1),
            scopes: scopes::split(&r.get::<String, _>(2)),
            granted_at: r.get(3),
        })
        .collect())
}

/// Withdraws consent and revokes the client's tokens for the citizen. Returns false when there was
/// nothing to withdraw. `now` is UTC milliseconds, the time of the withdrawal.
pub async fn withdraw(db: &Db, account_id: &str, client_id: &str, now: i64) -> Result<bool, AppError> {
    let n = sqlx::query(
        "UPDATE oauth_consents SET revoked_at = $1 WHERE account_id = $2 AND client_id = $3 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(account_id)
    .bind(client_id)
    .execute(db.write())
    .await?
    .rows_affected();
    crate::grants::revoke_for_account(db, account_id, client_id, now)
        .await
        .map_err(|e| AppError::internal(e.description))?;
    Ok(n > 0)
}
