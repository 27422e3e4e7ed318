//! Suspending an account and lifting the suspension. An administrator suspends with a reason (and
//! an organization owner suspends a member by removing them); every change is an
//! `account_status_changes` row with who, why and when, written in the same transaction as the
//! status and the end of the account's sessions, so a suspended account is signed out everywhere
//! at once and the record cannot be missing.

use db::sqlx::{self, Row};
use db::Db;
use kernel::AppError;
use serde::Serialize;

use crate::accounts::AccountStatus;
use crate::levels::LevelActor;

/// Longest reason kept.
pub const MAX_REASON_CHARS: usize = 500;

/// One recorded status change of an account.
#[derive(Debug, Clone, Serialize)]
pub struct StatusChange {
    pub from_status: String,
    pub to_status: String,
    pub reason: String,
    pub actor_label: String,
    pub created_at: i64,
}

fn clean_reason(reason: &str, required: bool) -> Result<String, AppError> {
    let reason = kernel::text::normalize_name(reason);
    if required && reason.chars().count() < 3 {
        return Err(AppError::invalid("a reason of at least 3 characters is required"));
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(AppError::invalid(format!("the reason is longer than {MAX_REASON_CHARS} characters")));
    }
    Ok(reason)
}

/// Moves an account from one of `from` to `to`, records the change and, when suspending, ends
/// every session, at `now` (UTC milliseconds). Returns false (and changes nothing) when the
/// account is in none of `from`.
async fn change(
    db: &Db,
    account_id: &str,
    from: &[AccountStatus],
    to: AccountStatus,
    reason: &str,
    actor: &LevelActor,
    now: i64,
) -> Result<bool, AppError> {
    let mut tx = db.begin().await?;
    let current: Option<String> = sqlx::query("SELECT status FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.get(0));
    let Some(current) = current.filter(|s| from.iter().any(|f| f.code() == s)) else {
        return Ok(false);
    };
    // The status guard makes a concurrent change lose instead of being recorded twice.
    let r = sqlx::query("UPDATE accounts SET status = $1, status_changed_at = $2 WHERE id = $3 AND status = $4")
        .bind(to.code())
        .bind(now)
        .bind(account_id)
        .bind(&current)
        .execute(&mut *tx)
        .await?;
    if r.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO account_status_changes (id, account_id, from_status, to_status, reason, actor_id, actor_label, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(kernel::ids::new_id())
    .bind(account_id)
    .bind(&current)
    .bind(to.code())
    .bind(reason)
    .bind(&actor.id)
    .bind(&actor.label)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    if to == AccountStatus::Suspended {
        crate::sessions::revoke_all_in(&mut tx, account_id, now).await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// Suspends an active or locked account: it cannot sign in and its sessions end at once.
/// `reason` (3 to 500 characters) is kept with the change. Returns whether the status changed.
/// `now` is UTC milliseconds, passed so tests can fix time.
pub async fn suspend(db: &Db, account_id: &str, reason: &str, actor: &LevelActor, now: i64) -> Result<bool, AppError> {
    let reason = clean_reason(reason, true)?;
    let from = [AccountStatus::Active, AccountStatus::Locked];
    change(db, account_id, &from, AccountStatus::Suspended, &reason, actor, now).await
}

/// Lifts a suspension: the account is active again (its old sessions stay ended). Returns whether
/// the status changed. `now` is UTC milliseconds.
pub async fn reactivate(
    db: &Db,
    account_id: &str,
    reason: &str,
    actor: &LevelActor,
    now: i64,
) -> Result<bool, AppError> {
    let reason = clean_reason(reason, false)?;
    change(db, account_id, &[AccountStatus::Suspended], AccountStatus::Active, &reason, actor, now).await
}

/// The recorded status changes of an account, newest first.
pub async fn history(db: &Db, account_id: &str) -> Result<Vec<StatusChange>, AppError> {
    let rows = sqlx::query(
        "SELECT from_status, to_status, reason, actor_label, created_at FROM account_status_changes \
         WHERE account_id = $1 ORDER BY created_at DESC, id DESC",
    )
    .bind(account_id)
    .fetch_all(db.read())
    .await?;
    Ok(rows
        .iter()
        .map(|r| StatusChange {
            from_status: r.get(0),
            to_status: r.get(1),
            reason: r.get(2),
            actor_label: r.get(3),
            created_at: r.get(4),
        })
        .collect())
}
