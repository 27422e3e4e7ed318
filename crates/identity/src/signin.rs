//! The sign-in policy, apart from HTTP: which answer a login and password get.
//!
//! Unknown login, wrong password and the temporary lockout all get one answer
//! ([`PasswordCheck::Refused`]), so the sign-in form reveals nothing about which accounts exist.
//! Only someone who knows the password learns that the account is locked, suspended or closed
//! ([`PasswordCheck::Unavailable`]). Rate limits per address and per login stay with the caller:
//! they count requests, not accounts.

use db::Db;
use kernel::AppError;

use crate::accounts::{self, Account, AccountStatus};
use crate::password::PasswordHasher;

/// The answer to a login and password.
#[derive(Debug, Clone)]
pub enum PasswordCheck {
    /// Unknown login, wrong password, or the account is in its progressive lockout. The user is
    /// told none of this; the security event is.
    Refused(Refusal),
    /// The password is right but the account may not sign in (see [`AccountStatus::refusal`]).
    Unavailable(AccountStatus),
    /// The password is right; a TOTP or recovery code must follow before a session opens.
    SecondFactor(Account),
    /// Signed in with the password alone.
    Accepted(Account),
}

/// Why a sign-in was refused, for the security event (never shown to the user).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The account the login names, if any.
    pub account_id: Option<String>,
    /// `unknown_login`, `locked_out` or `wrong_password`.
    pub reason: &'static str,
    /// This failure started (or lengthened) the account's lockout.
    pub locked: bool,
}

impl Refusal {
    fn of(account_id: Option<&str>, reason: &'static str, locked: bool) -> PasswordCheck {
        PasswordCheck::Refused(Refusal { account_id: account_id.map(str::to_string), reason, locked })
    }
}

/// Checks a password sign-in at `now` (UTC ms). The password is verified even for an unknown
/// login, so the answer takes as long either way; failures feed the progressive lockout.
pub async fn check_password(
    db: &Db,
    hasher: &PasswordHasher,
    login: &str,
    password: &str,
    now: i64,
) -> Result<PasswordCheck, AppError> {
    let found = accounts::find_by_login(db, login).await?;
    let locked_out = found.as_ref().and_then(|(_, _, until)| *until).is_some_and(|until| until > now);
    let password_ok = hasher.verify(password, found.as_ref().map(|(_, hash, _)| hash.as_str())).await;
    let Some((account, _, _)) = found else { return Ok(Refusal::of(None, "unknown_login", false)) };
    if locked_out {
        return Ok(Refusal::of(Some(&account.id), "locked_out", false));
    }
    let locked = accounts::record_login_result(db, &account.id, password_ok, now).await?;
    if !password_ok {
        return Ok(Refusal::of(Some(&account.id), "wrong_password", locked));
    }
    let status = availability(db, &account, now).await?;
    if status != AccountStatus::Active {
        return Ok(PasswordCheck::Unavailable(status));
    }
    Ok(if account.totp_enabled { PasswordCheck::SecondFactor(account) } else { PasswordCheck::Accepted(account) })
}

/// The status that decides whether `account` may sign in now: its stored status, or `Deceased`
/// when the registry has meanwhile recorded the holder's death (which closes the account, at `now`).
pub async fn availability(db: &Db, account: &Account, now: i64) -> Result<AccountStatus, AppError> {
    Ok(if crate::liveness::check(db, account, now).await? { account.status } else { AccountStatus::Deceased })
}

#[cfg(test)]
mod tests {
    use db::{Db, MigrationSet};
    use kernel::{Jurisdiction, Role};

    use super::*;
    use crate::accounts::{create_account, set_status, NewAccount};

    fn migrations() -> MigrationSet {
        MigrationSet::new().with(audit::MIGRATIONS).with(registry::MIGRATIONS).with(crate::MIGRATIONS)
    }

    /// 1 March 2026, 09:00 in Vietnam: the tests fix time instead of reading the clock.
    const NOW: i64 = 1_772_330_400_000;
    const MINUTE: i64 = 60_000;

    async fn officer(db: &Db, hasher: &PasswordHasher) -> Account {
        let new = NewAccount {
            login: "canbo.phuong".into(),
            display_name: "Cán bộ phường".into(),
            role: Role::CommunePolice,
            jurisdiction: Jurisdiction::Commune("00004".into()),
            password: "mật-khẩu-đủ-dài".into(),
        };
        create_account(db, hasher, new, NOW).await.unwrap()
    }

    fn accepted(c: &PasswordCheck) -> bool {
        matches!(c, PasswordCheck::Accepted(_))
    }

    async fn right_password_signs_in_and_wrong_ones_lock_progressively(db: Db) {
        let hasher = PasswordHasher::new(2);
        officer(&db, &hasher).await;
        let check = |login: &'static str, password: &'static str, now: i64| {
            let (db, hasher) = (db.clone(), hasher.clone());
            async move { check_password(&db, &hasher, login, password, now).await.unwrap() }
        };
        assert!(accepted(&check("CANBO.PHUONG", "mật-khẩu-đủ-dài", NOW).await), "logins are case-insensitive");
        assert!(matches!(check("khong.co", "mật-khẩu-đủ-dài", NOW).await, PasswordCheck::Refused(_)));
        for i in 0..5 {
            let PasswordCheck::Refused(r) = check("canbo.phuong", "sai", NOW + i).await else { panic!("signed in") };
            assert_eq!((r.reason, r.locked), ("wrong_password", i == 4), "the fifth failure locks, and says so");
        }
        // Five failures lock for one minute: the right password is refused like a wrong one.
        assert!(matches!(check("canbo.phuong", "mật-khẩu-đủ-dài", NOW + 30_000).await, PasswordCheck::Refused(_)));
        assert!(accepted(&check("canbo.phuong", "mật-khẩu-đủ-dài", NOW + 5 + MINUTE).await));
        // Success resets the count. Attempts during a lockout are not counted; the first failure
        // after it ends doubles the lockout (two minutes).
        let start = NOW + 2 * MINUTE;
        for i in 0..5 {
            check("canbo.phuong", "sai", start + i).await;
        }
        check("canbo.phuong", "sai", start + 10).await;
        let sixth = start + 4 + MINUTE + 1;
        check("canbo.phuong", "sai", sixth).await;
        assert!(matches!(check("canbo.phuong", "mật-khẩu-đủ-dài", sixth + MINUTE).await, PasswordCheck::Refused(_)));
        assert!(accepted(&check("canbo.phuong", "mật-khẩu-đủ-dài", sixth + 2 * MINUTE + 1).await));
    }

    async fn a_right_password_on_a_stopped_account_says_why(db: Db) {
        let hasher = PasswordHasher::new(2);
        let account = officer(&db, &hasher).await;
        assert!(set_status(&db, &account.id, &[AccountStatus::Active], AccountStatus::Suspended, NOW).await.unwrap());
        let answer = check_password(&db, &hasher, "canbo.phuong", "mật-khẩu-đủ-dài", NOW).await.unwrap();
        assert!(matches!(answer, PasswordCheck::Unavailable(AccountStatus::Suspended)));
        // A wrong password on the same account learns nothing about the suspension.
        let answer = check_password(&db, &hasher, "canbo.phuong", "sai-mật-khẩu", NOW).await.unwrap();
        assert!(matches!(answer, PasswordCheck::Refused(_)));
        assert!(AccountStatus::Suspended.refusal().0.contains("tạm ngừng"));
    }

    db::dual_tests!(crate::signin::tests::migrations();
        right_password_signs_in_and_wrong_ones_lock_progressively,
        a_right_password_on_a_stopped_account_says_why,
    );
}
