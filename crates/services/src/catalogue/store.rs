//! The catalogue in the database: the current definition of each procedure in `svc_procedures`,
//! every version ever published in `svc_procedure_versions`. Applications keep the version they
//! were made under, so an edit never changes what an earlier applicant was asked.

use db::sqlx::{self, Row};
use db::Db;
use kernel::{AppError, ErrorCode};
use serde::Serialize;
use utoipa::ToSchema;

use super::Procedure;

/// Loads the embedded catalogue's procedures that the database does not hold yet, or holds in a
/// version older than the embedded one (a release that changed a form: applications filed under
/// the old version keep it); returns how many were published. A procedure an administrator has
/// edited to the embedded version or beyond is left as it is. `now` (UTC milliseconds) is the time
/// of publication.
pub async fn seed(db: &Db, now: i64) -> Result<usize, AppError> {
    let mut added = 0;
    for p in super::embedded()? {
        if get(db, &p.code).await?.is_none_or(|stored| stored.version < p.version) {
            publish(db, &p, "catalogue import", now).await?;
            added += 1;
        }
    }
    Ok(added)
}

fn parse(text: &str) -> Result<Procedure, AppError> {
    serde_json::from_str(text).map_err(|e| AppError::internal(format!("stored procedure: {e}")))
}

/// The current definition of a procedure.
pub async fn get(db: &Db, code: &str) -> Result<Option<Procedure>, AppError> {
    let row = sqlx::query("SELECT definition FROM svc_procedures WHERE code = $1")
        .bind(code)
        .fetch_optional(db.read())
        .await?;
    row.map(|r| parse(&r.get::<String, _>(0))).transpose()
}

/// The definition an application was made under.
pub async fn get_version(db: &Db, code: &str, version: i64) -> Result<Option<Procedure>, AppError> {
    let row = sqlx::query("SELECT definition FROM svc_procedure_versions WHERE code = $1 AND version = $2")
        .bind(code)
        .bind(version)
        .fetch_optional(db.read())
        .await?;
    row.map(|r| parse(&r.get::<String, _>(0))).transpose()
}

/// Every procedure, essential ones first, then by Vietnamese name; `q` filters by name or code
/// without diacritics.
pub async fn list(db: &Db, q: Option<&str>) -> Result<Vec<Procedure>, AppError> {
    let rows = sqlx::query("SELECT definition FROM svc_procedures").fetch_all(db.read()).await?;
    let mut all: Vec<Procedure> = rows.iter().map(|r| parse(&r.get::<String, _>(0))).collect::<Result<_, _>>()?;
    if let Some(q) = q.map(kernel::text::fold).filter(|q| !q.is_empty()) {
        all.retain(|p| {
            kernel::text::fold(&p.name_vi).contains(&q) || p.name_en.to_lowercase().contains(&q) || p.code.contains(&q)
        });
    }
    all.sort_by(|a, b| b.essential.cmp(&a.essential).then_with(|| a.name_vi.cmp(&b.name_vi)));
    Ok(all)
}

/// One published version.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VersionInfo {
    pub version: i64,
    pub created_at: i64,
    pub created_by: String,
}

/// The versions of a procedure, newest first.
pub async fn versions(db: &Db, code: &str) -> Result<Vec<VersionInfo>, AppError> {
    let rows = sqlx::query(
        "SELECT version, created_at, created_by FROM svc_procedure_versions WHERE code = $1 ORDER BY version DESC",
    )
    .bind(code)
    .fetch_all(db.read())
    .await?;
    Ok(rows.iter().map(|r| VersionInfo { version: r.get(0), created_at: r.get(1), created_by: r.get(2) }).collect())
}

/// Publishes an edited definition as the next version (administrators). The code must exist and
/// the definition must pass [`Procedure::check`].
pub async fn edit(db: &Db, edited: &Procedure, actor: &str, now: i64) -> Result<Procedure, AppError> {
    edited.check().map_err(AppError::invalid)?;
    let current = get(db, &edited.code).await?.ok_or_else(|| AppError::not_found("no such procedure"))?;
    let mut next = edited.clone();
    next.version = current.version + 1;
    publish(db, &next, actor, now).await?;
    Ok(next)
}

async fn publish(db: &Db, p: &Procedure, actor: &str, now: i64) -> Result<(), AppError> {
    let text = serde_json::to_string(p)?;
    let mut tx = db.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO svc_procedure_versions (code, version, definition, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(&p.code)
    .bind(p.version)
    .bind(&text)
    .bind(now)
    .bind(actor)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Err(AppError::new(ErrorCode::Conflict, "this version was published concurrently; reload"));
    }
    sqlx::query(
        "INSERT INTO svc_procedures (code, version, essential, definition, updated_at, updated_by) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (code) DO UPDATE SET version = excluded.version, \
         essential = excluded.essential, definition = excluded.definition, updated_at = excluded.updated_at, \
         updated_by = excluded.updated_by",
    )
    .bind(&p.code)
    .bind(p.version)
    .bind(i64::from(p.essential))
    .bind(&text)
    .bind(now)
    .bind(actor)
    .execute(&mut *tx)
    .await?;
    db::idempotency::bind(&mut tx).await?;
    Ok(tx.commit().await?)
}
