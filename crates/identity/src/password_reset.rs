//! Recovering a forgotten password: the holder names the account (login or personal id) and its
//! registered phone, receives a one-time code there ([`crate::otp`]) and chooses a new password.
//! The new password ends every session of the account and revokes its personal API tokens;
//! two-step verification, when on, is still
//! asked at the next sign-in, and the account's state (locked, suspended) is not changed.

use db::sqlx;
use db::Db;
use kernel::AppError;

use crate::accounts::{Account, AccountStatus};

/// Purpose code of password-reset one-time codes.
pub const OTP_PURPOSE: &str = "password_reset";

/// Whether `phone` (normalized) is the confirmed phone of an account that may recover its
/// password. Suspended and closed accounts may not: a new password would not let them sign in.
pub fn may_reset(account: &Account, phone: &str) -> bool {
    matches!(account.status, AccountStatus::Active | AccountStatus::Locked) && account.phone.as_deref() == Some(phone)
}

/// Stores the new password hash, clears the failed-sign-in count, ends every session and revokes
/// every personal API token, in one transaction. Returns false when the account can no longer recover its password.
/// `now` is UTC milliseconds, the time of the change.
pub async fn set_new_password(db: &Db, account_id: &str, password_hash: &str, now: i64) -> Result<bool, AppError> {
    let mut tx = db.begin().await?;
    let r = sqlx::query(
        "UPDATE accounts SET password_hash = $1, failed_logins = 0, locked_until = NULL \
         WHERE id = $2 AND status IN ('active', 'locked')",
    )
    .bind(password_hash)
    .bind(account_id)
    .execute(&mut *tx)
    .await?;
    if r.rows_affected() != 1 {
        return Ok(false);
    }
    crate::sessions::revoke_all_in(&mut tx, account_id, now).await?;
    crate::tokens::revoke_all_in(&mut tx, account_id, now).await?;
    tx.commit().await?;
    Ok(true)
}
