//! Officer and administrator accounts.

use db::sqlx::{self, Row};
use db::Db;
use kernel::{AppError, ErrorCode};
use serde::Serialize;
use web::{CurrentUser, Jurisdiction, Role};

use crate::password::PasswordHasher;

/// An account as stored (without its password hash).
#[derive(Debug, Clone, Serialize)]
pub struct Account {
    pub id: String,
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub jurisdiction: Jurisdiction,
    pub status: String,
}

impl Account {
    /// The request identity of this account.
    pub fn to_user(&self, csrf: Option<String>) -> CurrentUser {
        CurrentUser {
            account_id: self.id.clone(),
            login: self.login.clone(),
            display_name: self.display_name.clone(),
            role: self.role,
            jurisdiction: self.jurisdiction.clone(),
            csrf,
            scopes: None,
        }
    }
}

/// What is needed to create an account.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub jurisdiction: Jurisdiction,
    pub password: String,
}

/// Columns selected wherever an [`Account`] is read.
pub(crate) const ACCOUNT_COLUMNS: &str =
    "a.id, a.login, a.display_name, a.role, a.jurisdiction_kind, a.jurisdiction_code, a.status";

pub(crate) fn account_from_row(r: &db::Row) -> Option<Account> {
    Some(Account {
        id: r.get(0),
        login: r.get(1),
        display_name: r.get(2),
        role: Role::parse(&r.get::<String, _>(3))?,
        jurisdiction: Jurisdiction::parse(&r.get::<String, _>(4), &r.get::<String, _>(5))?,
        status: r.get(6),
    })
}

/// Creates an active account. Logins are case-insensitive and unique.
pub async fn create_account(db: &Db, hasher: &PasswordHasher, new: NewAccount) -> Result<Account, AppError> {
    let login = new.login.trim().to_lowercase();
    if login.len() < 3 || !login.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)) {
        return Err(AppError::invalid("login must be 3+ characters of a-z, 0-9, '.', '_' or '-'"));
    }
    if new.password.chars().count() < 10 {
        return Err(AppError::invalid("password must have at least 10 characters"));
    }
    let display_name = kernel::text::normalize_name(&new.display_name);
    if display_name.is_empty() {
        return Err(AppError::invalid("display name is required"));
    }
    let hash = hasher.hash(&new.password).await?;
    let id = kernel::ids::new_id();
    let res = sqlx::query(
        "INSERT INTO accounts (id, login, display_name, role, jurisdiction_kind, jurisdiction_code, \
         password_hash, status, failed_logins, locked_until, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', 0, NULL, $8)",
    )
    .bind(&id)
    .bind(&login)
    .bind(&display_name)
    .bind(new.role.code())
    .bind(new.jurisdiction.kind())
    .bind(new.jurisdiction.code())
    .bind(&hash)
    .bind(kernel::clock::now_ms())
    .execute(db.write())
    .await;
    match res {
        Ok(_) => Ok(Account {
            id,
            login,
            display_name,
            role: new.role,
            jurisdiction: new.jurisdiction,
            status: "active".into(),
        }),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            Err(AppError::new(ErrorCode::Conflict, "login already taken"))
        }
        Err(e) => Err(db::internal(e)),
    }
}

/// Finds an account by login (case-insensitive), with its password hash and lockout state.
pub async fn find_by_login(db: &Db, login: &str) -> Result<Option<(Account, String, Option<i64>)>, AppError> {
    let row = sqlx::query(&format!(
        "SELECT {ACCOUNT_COLUMNS}, a.password_hash, a.locked_until FROM accounts a WHERE a.login = $1"
    ))
    .bind(login.trim().to_lowercase())
    .fetch_optional(db.read())
    .await
    .map_err(db::internal)?;
    Ok(row.and_then(|r| Some((account_from_row(&r)?, r.get(7), r.get(8)))))
}

/// Failed-login bookkeeping: after 5 failures the account locks for 1 minute, doubling with each
/// further failure up to 1 hour (progressive lockout).
pub(crate) async fn record_login_result(db: &Db, account_id: &str, ok: bool) -> Result<(), AppError> {
    let sql = if ok {
        "UPDATE accounts SET failed_logins = 0, locked_until = NULL WHERE id = $1".to_string()
    } else {
        "UPDATE accounts SET failed_logins = failed_logins + 1 WHERE id = $1".to_string()
    };
    sqlx::query(&sql).bind(account_id).execute(db.write()).await.map_err(db::internal)?;
    if !ok {
        let failed: i64 = sqlx::query("SELECT failed_logins FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_one(db.write())
            .await
            .map_err(db::internal)?
            .get(0);
        if failed >= 5 {
            let minutes = 1i64 << (failed - 5).min(6);
            let until = kernel::clock::now_ms() + minutes.min(60) * 60_000;
            sqlx::query("UPDATE accounts SET locked_until = $1 WHERE id = $2")
                .bind(until)
                .bind(account_id)
                .execute(db.write())
                .await
                .map_err(db::internal)?;
        }
    }
    Ok(())
}
