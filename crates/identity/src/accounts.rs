//! Accounts of every kind: officers and administrators (created by an administrator), citizens
//! (self-registered, e-ID level 1 or 2) and organization staff (invited by their organization).

use db::sqlx::{self, Row};
use db::Db;
use kernel::{Actor, Jurisdiction, Role};
use kernel::{AppError, ErrorCode, Page, PageRequest};
use serde::Serialize;

use crate::password::PasswordHasher;

/// Whether an account may sign in, and if not, who stopped it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    Active,
    /// Locked by the citizen themself (like locking the e-ID in VNeID); they unlock it with their
    /// password and a code sent to their phone.
    Locked,
    /// Suspended by an administrator.
    Suspended,
    /// The registry records the holder's death: the account can never sign in again.
    Deceased,
}

impl AccountStatus {
    pub fn code(self) -> &'static str {
        match self {
            AccountStatus::Active => "active",
            AccountStatus::Locked => "locked",
            AccountStatus::Suspended => "suspended",
            AccountStatus::Deceased => "deceased",
        }
    }

    pub fn parse(s: &str) -> Option<AccountStatus> {
        match s {
            "active" => Some(AccountStatus::Active),
            "locked" => Some(AccountStatus::Locked),
            "suspended" => Some(AccountStatus::Suspended),
            "deceased" => Some(AccountStatus::Deceased),
            _ => None,
        }
    }

    /// Why a right password does not open a session, in Vietnamese and English, with what the
    /// holder can do about it.
    pub fn refusal(self) -> (&'static str, &'static str) {
        match self {
            AccountStatus::Locked => (
                "Tài khoản của bạn đang bị khóa theo yêu cầu của chính bạn. Để mở khóa, vào trang \
                 \"Mở khóa tài khoản\" (/account/unlock), nhập mật khẩu và mã xác nhận gửi tới số điện thoại đã đăng ký.",
                "Your account is locked at your own request. To unlock it, open \"Unlock account\" (/account/unlock) \
                 and enter your password and the code sent to your registered phone.",
            ),
            AccountStatus::Suspended => (
                "Tài khoản đang bị tạm ngừng bởi quản trị viên. Vui lòng liên hệ cơ quan công an nơi cư trú.",
                "The account is suspended by an administrator. Please contact the police of your commune.",
            ),
            AccountStatus::Deceased | AccountStatus::Active => (
                "Tài khoản đã đóng theo dữ liệu của Cơ sở dữ liệu quốc gia về dân cư.",
                "The account is closed according to the national population database.",
            ),
        }
    }

    /// Vietnamese and English labels.
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            AccountStatus::Active => ("Đang hoạt động", "Active"),
            AccountStatus::Locked => ("Đã khóa (do bạn khóa)", "Locked (by you)"),
            AccountStatus::Suspended => ("Bị tạm ngừng bởi quản trị viên", "Suspended by an administrator"),
            AccountStatus::Deceased => ("Đã đóng (công dân đã mất)", "Closed (holder deceased)"),
        }
    }
}

/// An account as stored (without its secrets).
#[derive(Debug, Clone, Serialize)]
pub struct Account {
    pub id: String,
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub jurisdiction: Jurisdiction,
    pub status: AccountStatus,
    /// e-ID level (Decree 69/2024): 0 for officers and organization staff, 1 or 2 for citizens.
    pub level: u8,
    /// When the current level was reached (UTC ms).
    pub level_raised_at: Option<i64>,
    /// The citizen's 12-digit personal id (citizen accounts only).
    pub person_id: Option<String>,
    /// The organization a staff account acts for.
    pub organization_id: Option<String>,
    /// `owner`, `manager` or `staff` within the organization.
    pub org_role: Option<String>,
    /// The phone number, only once it has been confirmed with a one-time code.
    pub phone: Option<String>,
    /// For a child's account: the guardian's account, which manages it.
    pub guardian_account_id: Option<String>,
    /// Whether sign-in asks for a TOTP code after the password.
    pub totp_enabled: bool,
}

impl Account {
    /// This account as the actor of a request authenticated with the methods `amr`.
    pub fn to_actor(&self, amr: Vec<String>) -> Actor {
        Actor {
            account_id: self.id.clone(),
            login: self.login.clone(),
            display_name: self.display_name.clone(),
            role: self.role,
            jurisdiction: self.jurisdiction.clone(),
            organization_id: self.organization_id.clone(),
            eid_level: self.level,
            amr,
            scopes: None,
        }
    }

    pub fn is_active(&self) -> bool {
        self.status == AccountStatus::Active
    }
}

/// What is needed to create an officer or administrator account.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub jurisdiction: Jurisdiction,
    pub password: String,
}

/// Fields beyond [`NewAccount`] that citizen and organization accounts carry.
#[derive(Debug, Clone, Default)]
pub(crate) struct AccountExtras {
    pub person_id: Option<String>,
    pub level: u8,
    pub phone: Option<String>,
    pub organization_id: Option<String>,
    pub org_role: Option<String>,
    pub guardian_account_id: Option<String>,
}

/// Columns selected wherever an [`Account`] is read; [`ACCOUNT_COLUMN_COUNT`] of them.
pub(crate) const ACCOUNT_COLUMNS: &str = "a.id, a.login, a.display_name, a.role, a.jurisdiction_kind, \
    a.jurisdiction_code, a.status, a.level, a.level_raised_at, a.person_id, a.organization_id, a.org_role, \
    CASE WHEN a.phone_verified_at IS NOT NULL THEN a.phone END, a.guardian_account_id, a.totp_enabled_at";

/// Index of the first column after [`ACCOUNT_COLUMNS`].
pub(crate) const ACCOUNT_COLUMN_COUNT: usize = 15;

pub(crate) fn account_from_row(r: &db::Row) -> Option<Account> {
    Some(Account {
        id: r.get(0),
        login: r.get(1),
        display_name: r.get(2),
        role: Role::parse(&r.get::<String, _>(3))?,
        jurisdiction: Jurisdiction::parse(&r.get::<String, _>(4), &r.get::<String, _>(5))?,
        status: AccountStatus::parse(&r.get::<String, _>(6))?,
        level: r.get::<i64, _>(7).clamp(0, 2) as u8,
        level_raised_at: r.get(8),
        person_id: r.get(9),
        organization_id: r.get(10),
        org_role: r.get(11),
        phone: r.get(12),
        guardian_account_id: r.get(13),
        totp_enabled: r.get::<Option<i64>, _>(14).is_some(),
    })
}

/// Logins are case-insensitive: stored and looked up in lower case.
pub(crate) fn normalize_login(login: &str) -> String {
    login.trim().to_lowercase()
}

/// Creates an active officer or administrator account at `now` (UTC milliseconds). Logins are
/// case-insensitive and unique.
pub async fn create_account(db: &Db, hasher: &PasswordHasher, new: NewAccount, now: i64) -> Result<Account, AppError> {
    let login = normalize_login(&new.login);
    if login.len() < 3 || !login.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)) {
        return Err(AppError::invalid("login must be 3+ characters of a-z, 0-9, '.', '_' or '-'"));
    }
    crate::password::check_new_password(&new.password, &[&login])?;
    let hash = hasher.hash(&new.password).await?;
    let mut conn = db.write().acquire().await?;
    insert_account(&mut conn, &new, &hash, AccountExtras::default(), now).await
}

/// Inserts an account row; shared by officer creation, citizen registration and invitations.
pub(crate) async fn insert_account(
    conn: &mut sqlx::AnyConnection,
    new: &NewAccount,
    password_hash: &str,
    extras: AccountExtras,
    now: i64,
) -> Result<Account, AppError> {
    let login = normalize_login(&new.login);
    let display_name = kernel::text::normalize_name(&new.display_name);
    if display_name.is_empty() {
        return Err(AppError::invalid("display name is required"));
    }
    let id = kernel::ids::new_id();
    let level_at = (extras.level > 0).then_some(now);
    let res = sqlx::query(
        "INSERT INTO accounts (id, login, display_name, role, jurisdiction_kind, jurisdiction_code, \
         password_hash, status, failed_logins, locked_until, created_at, person_id, level, level_raised_at, phone, \
         phone_verified_at, organization_id, org_role, guardian_account_id, status_changed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', 0, NULL, $8, $9, $10, $11, $12, $13, $14, $15, $16, $8)",
    )
    .bind(&id)
    .bind(&login)
    .bind(&display_name)
    .bind(new.role.code())
    .bind(new.jurisdiction.kind())
    .bind(new.jurisdiction.code())
    .bind(password_hash)
    .bind(now)
    .bind(&extras.person_id)
    .bind(extras.level as i64)
    .bind(level_at)
    .bind(&extras.phone)
    .bind(extras.phone.as_ref().map(|_| now))
    .bind(&extras.organization_id)
    .bind(&extras.org_role)
    .bind(&extras.guardian_account_id)
    .execute(&mut *conn)
    .await;
    match res {
        Ok(_) => Ok(Account {
            id,
            login,
            display_name,
            role: new.role,
            jurisdiction: new.jurisdiction.clone(),
            status: AccountStatus::Active,
            level: extras.level,
            level_raised_at: level_at,
            person_id: extras.person_id,
            organization_id: extras.organization_id,
            org_role: extras.org_role,
            phone: extras.phone,
            guardian_account_id: extras.guardian_account_id,
            totp_enabled: false,
        }),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            Err(AppError::new(ErrorCode::Conflict, "login or personal id already registered"))
        }
        Err(e) => Err(kernel::AppError::from(e)),
    }
}

/// Accounts for the administrators' page, ordered by login: those whose login starts with `q`
/// (case-insensitive) or whose name contains `q` as written (NFC); every account when `q` is empty.
pub async fn search_accounts(db: &Db, q: &str, page: PageRequest) -> Result<Page<Account>, AppError> {
    let q = kernel::text::normalize_name(q).replace(['%', '_', '\\'], "");
    let (login_like, name_like) = if q.is_empty() {
        ("%".to_string(), "%".to_string())
    } else {
        (format!("{}%", normalize_login(&q)), format!("%{q}%"))
    };
    let rows = sqlx::query(&format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.login LIKE $1 OR a.display_name LIKE $2 \
         ORDER BY a.login LIMIT $3 OFFSET $4"
    ))
    .bind(login_like)
    .bind(name_like)
    .bind(page.limit_probe())
    .bind(page.offset())
    .fetch_all(db.read())
    .await?;
    Ok(Page::from_probe(rows.iter().filter_map(account_from_row).collect(), page))
}

/// An account by id, whatever its status (callers decide what a non-active account may do).
pub async fn account_by_id(db: &Db, id: &str) -> Result<Option<Account>, AppError> {
    let row = sqlx::query(&format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.id = $1"))
        .bind(id)
        .fetch_optional(db.read())
        .await?;
    Ok(row.as_ref().and_then(account_from_row))
}

/// The accounts of several ids, read on the caller's connection: a group-commit writer loads the
/// holders of a whole batch of grants with one statement inside its transaction. Ids that name
/// no account are missing from the result.
pub async fn accounts_by_ids(conn: &mut sqlx::AnyConnection, ids: &[&str]) -> Result<Vec<Account>, AppError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders = db::values(db::backend_of(conn), ids.len(), 1);
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.id IN ({placeholders})");
    let mut q = sqlx::query(&sql);
    for id in ids {
        q = q.bind(*id);
    }
    let rows = q.fetch_all(&mut *conn).await?;
    Ok(rows.iter().filter_map(account_from_row).collect())
}

/// The citizen account of a personal id, if one is registered.
pub async fn account_by_person(db: &Db, person_id: &str) -> Result<Option<Account>, AppError> {
    let row = sqlx::query(&format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.person_id = $1"))
        .bind(person_id)
        .fetch_optional(db.read())
        .await?;
    Ok(row.as_ref().and_then(account_from_row))
}

/// The personal ids that hold an account, all of them: for the demo and benchmark commands, which
/// pick residents without one (a province in production has far too many to list).
pub async fn account_holders(db: &Db) -> Result<std::collections::HashSet<String>, AppError> {
    let rows = sqlx::query("SELECT person_id FROM accounts WHERE person_id IS NOT NULL").fetch_all(db.read()).await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Finds an account by login (case-insensitive), with its password hash and lockout state.
pub async fn find_by_login(db: &Db, login: &str) -> Result<Option<(Account, String, Option<i64>)>, AppError> {
    let row = sqlx::query(&format!(
        "SELECT {ACCOUNT_COLUMNS}, a.password_hash, a.locked_until FROM accounts a WHERE a.login = $1"
    ))
    .bind(normalize_login(login))
    .fetch_optional(db.read())
    .await?;
    let n = ACCOUNT_COLUMN_COUNT;
    Ok(row.and_then(|r| Some((account_from_row(&r)?, r.get(n), r.get(n + 1)))))
}

/// The stored password hash of an account (for re-authentication on sensitive changes).
pub(crate) async fn password_hash(db: &Db, account_id: &str) -> Result<Option<String>, AppError> {
    let row = sqlx::query("SELECT password_hash FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_optional(db.read())
        .await?;
    Ok(row.map(|r| r.get(0)))
}

/// Changes an account's status. `from` guards against races (only that status is changed);
/// returns whether the row changed. `now` (UTC milliseconds) is the time of the change.
pub(crate) async fn set_status(
    db: &Db,
    account_id: &str,
    from: &[AccountStatus],
    to: AccountStatus,
    now: i64,
) -> Result<bool, AppError> {
    let placeholders: Vec<String> = (0..from.len()).map(|i| format!("${}", i + 4)).collect();
    let sql = format!(
        "UPDATE accounts SET status = $1, status_changed_at = $2 WHERE id = $3 AND status IN ({})",
        placeholders.join(", ")
    );
    let mut q = sqlx::query(&sql).bind(to.code()).bind(now).bind(account_id);
    for s in from {
        q = q.bind(s.code());
    }
    let r = q.execute(db.write()).await?;
    Ok(r.rows_affected() == 1)
}

/// Failed-login bookkeeping: after 5 failures the account locks for 1 minute, doubling with each
/// further failure up to 1 hour (progressive lockout), counted from `now` (UTC ms). True when this
/// failure locked the account.
pub(crate) async fn record_login_result(db: &Db, account_id: &str, ok: bool, now: i64) -> Result<bool, AppError> {
    let sql = if ok {
        "UPDATE accounts SET failed_logins = 0, locked_until = NULL WHERE id = $1".to_string()
    } else {
        "UPDATE accounts SET failed_logins = failed_logins + 1 WHERE id = $1".to_string()
    };
    sqlx::query(&sql).bind(account_id).execute(db.write()).await?;
    if !ok {
        let failed: i64 = sqlx::query("SELECT failed_logins FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_one(db.write())
            .await?
            .get(0);
        if failed >= 5 {
            let minutes = 1i64 << (failed - 5).min(6);
            let until = now + minutes.min(60) * 60_000;
            sqlx::query("UPDATE accounts SET locked_until = $1 WHERE id = $2")
                .bind(until)
                .bind(account_id)
                .execute(db.write())
                .await?;
            return Ok(true);
        }
    }
    Ok(false)
}
