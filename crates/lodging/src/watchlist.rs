//! The watchlist (wanted persons and persons of interest): entries kept by the police, matched by
//! subject key against every check-in inside the check-in transaction.
//!
//! Changes and reads of the list go to `lodging_watchlist_audit`, not to the citizen-visible
//! access log, so that a listed person cannot learn from their own access log that they are
//! listed.

use db::sqlx::{self, Row};
use db::{Arg, Db, Filter};
use kernel::{Actor, Jurisdiction};
use kernel::{AppError, ErrorCode, Page, PageRequest, PersonalId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Categories of entries.
pub const CATEGORIES: &[&str] = &["wanted", "interest"];

/// An entry as stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Entry {
    pub id: String,
    /// Personal id, or `passport:<nationality>:<number>`.
    pub subject_key: String,
    pub personal_id: Option<String>,
    pub passport_number: Option<String>,
    pub nationality: Option<String>,
    pub full_name: Option<String>,
    /// `wanted` (truy nã) or `interest` (cần chú ý).
    pub category: String,
    pub reason: String,
    /// `commune` or `province`: the unit that owns the entry and also receives its alerts.
    pub owner_kind: String,
    pub owner_code: String,
    pub active: bool,
    pub created_at: i64,
}

/// What an officer enters: a personal id, or a passport number with nationality.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewEntry {
    pub personal_id: Option<String>,
    pub passport_number: Option<String>,
    /// ISO 3166-1 alpha-3, with `passport_number`.
    pub nationality: Option<String>,
    pub full_name: Option<String>,
    pub category: String,
    pub reason: String,
}

const COLUMNS: &str = "w.id, w.subject_key, w.personal_id, w.passport_number, w.nationality, w.full_name, \
    w.category, w.reason, w.owner_kind, w.owner_code, w.active, w.created_at";

fn from_row(r: &db::Row) -> Entry {
    Entry {
        id: r.get(0),
        subject_key: r.get(1),
        personal_id: r.get(2),
        passport_number: r.get(3),
        nationality: r.get(4),
        full_name: r.get(5),
        category: r.get(6),
        reason: r.get(7),
        owner_kind: r.get(8),
        owner_code: r.get(9),
        active: r.get::<i64, _>(10) != 0,
        created_at: r.get(11),
    }
}

/// The subject key of a foreigner, as check-ins compute it (`guests::Guest::subject`).
pub fn passport_key(nationality: &str, number: &str) -> String {
    format!("passport:{nationality}:{number}")
}

/// The subject key and identity columns of a new entry.
struct Identity {
    key: String,
    personal_id: Option<String>,
    passport_number: Option<String>,
    nationality: Option<String>,
}

/// Validates who a new entry is about.
fn subject(new: &NewEntry) -> Result<Identity, AppError> {
    match (&new.personal_id, &new.passport_number) {
        (Some(id), None) => {
            let id = PersonalId::parse(id)?.as_str().to_string();
            Ok(Identity { key: id.clone(), personal_id: Some(id), passport_number: None, nationality: None })
        }
        (None, Some(number)) => {
            let (n, c) = crate::guests::passport_identity(number, new.nationality.as_deref().unwrap_or(""))?;
            Ok(Identity {
                key: passport_key(&c, &n),
                personal_id: None,
                passport_number: Some(n),
                nationality: Some(c),
            })
        }
        _ => Err(AppError::invalid("an entry needs either personal_id or passport_number with nationality")),
    }
}

/// The owner columns of entries an officer creates: their commune, else their province.
fn owner(j: &Jurisdiction) -> Result<(&'static str, String, String), AppError> {
    match j {
        Jurisdiction::Commune(c) => {
            let province = registry::admin_units::AdminUnits::get()
                .commune(c)
                .map(|u| u.province_code.clone())
                .ok_or_else(|| AppError::new(ErrorCode::UnknownCommune, "the officer's commune is unknown"))?;
            Ok(("commune", c.clone(), province))
        }
        Jurisdiction::Province(p) => Ok(("province", p.clone(), p.clone())),
        Jurisdiction::Own(_) => Err(AppError::forbidden("police only")),
    }
}

/// Entries an officer manages: a commune officer those of their commune, the province all.
fn restrict(f: &mut Filter, j: &Jurisdiction) {
    match j {
        Jurisdiction::Commune(c) => {
            f.and("w.owner_kind = 'commune' AND w.owner_code = ?", Arg::Text(c.clone()));
        }
        Jurisdiction::Province(p) => {
            f.and("w.province_code = ?", Arg::Text(p.clone()));
        }
        Jurisdiction::Own(o) => {
            f.and("? IS NULL", Arg::Text(o.clone()));
        }
    }
}

async fn audit(
    db: &Db,
    user: &Actor,
    action: &str,
    entry: Option<&str>,
    detail: &str,
    now: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO lodging_watchlist_audit (id, at, actor_id, actor_label, action, entry_id, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(kernel::ids::new_id())
    .bind(now)
    .bind(&user.account_id)
    .bind(user.actor_label())
    .bind(action)
    .bind(entry.map(str::to_string))
    .bind(detail)
    .execute(db.write())
    .await?;
    Ok(())
}

/// Adds an active entry owned by the officer's unit; refuses a duplicate active entry of the same
/// unit for the same subject. `now` is UTC milliseconds, passed so tests can fix time.
pub async fn create(db: &Db, user: &Actor, new: NewEntry, now: i64) -> Result<Entry, AppError> {
    if !CATEGORIES.contains(&new.category.as_str()) {
        return Err(AppError::invalid("category must be wanted or interest"));
    }
    let reason = kernel::text::normalize_name(&new.reason);
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(AppError::invalid("reason is required (at most 500 characters)"));
    }
    let Identity { key, personal_id, passport_number, nationality } = subject(&new)?;
    let (owner_kind, owner_code, province) = owner(&user.jurisdiction)?;
    let dup = sqlx::query(
        "SELECT 1 FROM lodging_watchlist WHERE subject_key = $1 AND active = 1 AND owner_kind = $2 AND owner_code = $3",
    )
    .bind(&key)
    .bind(owner_kind)
    .bind(&owner_code)
    .fetch_optional(db.write())
    .await?;
    if dup.is_some() {
        return Err(AppError::new(ErrorCode::Conflict, "your unit already has an active entry for this person"));
    }
    let e = Entry {
        id: kernel::ids::new_id(),
        subject_key: key,
        personal_id,
        passport_number,
        nationality,
        full_name: new.full_name.map(|n| kernel::text::normalize_name(&n)).filter(|n| !n.is_empty()),
        category: new.category,
        reason,
        owner_kind: owner_kind.into(),
        owner_code,
        active: true,
        created_at: now,
    };
    sqlx::query(
        "INSERT INTO lodging_watchlist (id, subject_key, personal_id, passport_number, nationality, full_name, \
         category, reason, owner_kind, owner_code, province_code, active, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12, $13)",
    )
    .bind(&e.id)
    .bind(&e.subject_key)
    .bind(&e.personal_id)
    .bind(&e.passport_number)
    .bind(&e.nationality)
    .bind(&e.full_name)
    .bind(&e.category)
    .bind(&e.reason)
    .bind(&e.owner_kind)
    .bind(&e.owner_code)
    .bind(&province)
    .bind(&user.account_id)
    .bind(e.created_at)
    .execute(db.write())
    .await?;
    audit(db, user, "create", Some(&e.id), &e.category, now).await?;
    Ok(e)
}

/// Entries the officer manages, newest first (the listing itself is audited at `now`).
pub async fn list(
    db: &Db,
    user: &Actor,
    active: Option<bool>,
    page: PageRequest,
    now: i64,
) -> Result<Page<Entry>, AppError> {
    let mut f = Filter::new();
    restrict(&mut f, &user.jurisdiction);
    if let Some(a) = active {
        f.and("w.active = ?", Arg::Int(i64::from(a)));
    }
    let rows = f
        .fetch_page(db.read(), &format!("SELECT {COLUMNS} FROM lodging_watchlist w"), "w.created_at DESC, w.id", page)
        .await?;
    let page = Page::from_probe(rows.iter().map(from_row).collect::<Vec<_>>(), page);
    audit(db, user, "list", None, &format!("{} entries", page.items.len()), now).await?;
    Ok(page)
}

/// Ends an entry at `now` (UTC milliseconds): it no longer raises alerts (its past alerts stay).
pub async fn deactivate(db: &Db, user: &Actor, id: &str, now: i64) -> Result<(), AppError> {
    let mut w = Filter::new();
    w.and("w.id = ?", Arg::Text(id.to_string()));
    restrict(&mut w, &user.jurisdiction);
    w.and("w.active = ?", Arg::Int(1));
    let n = w.next_placeholder();
    let sql = format!(
        "UPDATE lodging_watchlist SET active = 0, deactivated_by = ${n}, deactivated_at = ${} \
         WHERE id IN (SELECT w.id FROM lodging_watchlist w WHERE {})",
        n + 1,
        w.sql()
    );
    let done = w.bind(sqlx::query(&sql)).bind(user.account_id.clone()).bind(now).execute(db.write()).await?;
    if done.rows_affected() == 0 {
        return Err(AppError::new(ErrorCode::NotFound, "no active entry with this id for your unit"));
    }
    audit(db, user, "deactivate", Some(id), "", now).await
}

/// Active entries whose subject is one of `keys`, with one indexed lookup: inside the caller's
/// transaction, or on a pool so that it runs beside a batch's writes.
pub async fn matching<'e>(
    exec: impl sqlx::Executor<'e, Database = sqlx::Any>,
    keys: &[String],
) -> Result<Vec<Entry>, sqlx::Error> {
    let select = format!("SELECT {COLUMNS} FROM lodging_watchlist w WHERE w.active = 1 AND w.subject_key");
    Ok(db::coalesce::fetch_in(exec, &select, keys).await?.iter().map(from_row).collect())
}

/// Loads `n` synthetic active entries (ids `9…`, which no generated resident has) for benchmarks of
/// the matching cost, created at `now` (UTC milliseconds).
pub async fn load_synthetic(db: &Db, n: usize, province: &str, actor: &str, now: i64) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    let ids: Vec<usize> = (0..n).collect();
    for chunk in ids.chunks(500) {
        let sql = format!(
            "INSERT INTO lodging_watchlist (id, subject_key, personal_id, category, reason, owner_kind, owner_code, \
             province_code, active, created_by, created_at) VALUES {}",
            db::values(db.backend(), chunk.len(), 11)
        );
        let mut q = sqlx::query(&sql);
        for i in chunk {
            let key = format!("9{i:011}");
            q = q.bind(kernel::ids::new_id()).bind(key.clone()).bind(key).bind("interest").bind("benchmark");
            q = q.bind("province").bind(province.to_string()).bind(province.to_string()).bind(1i64);
            q = q.bind(actor.to_string()).bind(now);
        }
        q.execute(&mut *tx).await?;
    }
    db::idempotency::bind(&mut tx).await?;
    tx.commit().await?;
    // Fresh statistics, as autovacuum would give a list that grew over time.
    sqlx::query("ANALYZE lodging_watchlist").execute(db.write()).await?;
    Ok(())
}
