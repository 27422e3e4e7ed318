//! A citizen locks their own account (like locking the e-ID in VNeID) when a phone or password
//! may be in someone else's hands: every session ends at once. Unlocking needs both factors the
//! holder still has: the password, then a code sent to the registered phone.

use db::Db;
use kernel::AppError;

use crate::accounts::{self, Account, AccountStatus};
use crate::password::PasswordHasher;

/// Purpose code of unlock one-time codes.
pub const UNLOCK_PURPOSE: &str = "unlock";

/// Locks `account` and ends all its sessions. An account without a confirmed phone is refused:
/// it could never be unlocked. `now` is UTC milliseconds, the time of the lock.
pub async fn lock(db: &Db, account: &Account, now: i64) -> Result<(), AppError> {
    if account.phone.is_none() {
        return Err(AppError::invalid(
            "an account without a confirmed phone cannot be unlocked, so it cannot be locked",
        )
        .with_message(
            "Tài khoản chưa xác nhận số điện thoại nên không thể mở khóa lại; vì vậy không khóa được.",
            "The account has no confirmed phone, so it could not be unlocked again; it cannot be locked.",
        ));
    }
    accounts::set_status(db, &account.id, &[AccountStatus::Active], AccountStatus::Locked, now).await?;
    crate::sessions::revoke_other_sessions(db, &account.id, None, now).await?;
    Ok(())
}

/// The locked account that `login` and `password` name, when the password is right and the
/// account has a phone to send the unlock code to; `None` otherwise, whatever the reason, so the
/// form reveals nothing.
pub async fn unlockable(
    db: &Db,
    hasher: &PasswordHasher,
    login: &str,
    password: &str,
) -> Result<Option<Account>, AppError> {
    let found = accounts::find_by_login(db, login).await?;
    let ok = hasher.verify(password, found.as_ref().map(|(_, hash, _)| hash.as_str())).await;
    Ok(found.map(|(a, _, _)| a).filter(|a| ok && a.status == AccountStatus::Locked && a.phone.is_some()))
}

/// Unlocks an account at `now` (UTC milliseconds) after its phone code was confirmed; returns
/// whether it was locked.
pub async fn unlock(db: &Db, account_id: &str, now: i64) -> Result<bool, AppError> {
    accounts::set_status(db, account_id, &[AccountStatus::Locked], AccountStatus::Active, now).await
}
