//! An organization's own verification history, with CSV export.

use db::sqlx::{self, Row};
use db::Db;
use kernel::{AppError, Page, PageRequest};
use serde::Serialize;
use utoipa::ToSchema;

use crate::caller::Caller;
use crate::result::VerificationResult;

/// One past verification as the organization sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HistoryRow {
    pub id: String,
    pub at: i64,
    pub staff: String,
    pub method: String,
    pub purpose: String,
    pub personal_id: Option<String>,
    /// Name as released to the organization (empty when the purpose only needed age).
    pub name: String,
    pub outcome: String,
    pub card_status: Option<String>,
    pub person_status: Option<String>,
    pub assurance: String,
}

/// Stores a verification in the organization's history.
pub async fn record(db: &Db, caller: &Caller, r: &VerificationResult) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO verifications (id, org_id, actor_id, actor_label, method, purpose, subject_id, outcome, \
         card_status, person_status, assurance, summary, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(&r.id)
    .bind(&caller.org_id)
    .bind(&caller.account_id)
    .bind(&caller.staff_label)
    .bind(&r.method)
    .bind(&r.purpose)
    .bind(r.personal_id.as_deref())
    .bind(serde_json::to_value(r.outcome).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default())
    .bind(r.card.as_ref().map(|c| c.status.clone()))
    .bind(r.person_status.as_deref())
    .bind(&r.assurance)
    .bind(r.person.full_name.as_deref().unwrap_or(""))
    .bind(r.verified_at)
    .execute(db.write())
    .await
    .map_err(db::internal)?;
    Ok(())
}

const COLUMNS: &str = "id, created_at, actor_label, method, purpose, subject_id, summary, outcome, card_status, \
    person_status, assurance";

fn from_row(r: &db::Row) -> HistoryRow {
    HistoryRow {
        id: r.get(0),
        at: r.get(1),
        staff: r.get(2),
        method: r.get(3),
        purpose: r.get(4),
        personal_id: r.get(5),
        name: r.get(6),
        outcome: r.get(7),
        card_status: r.get(8),
        person_status: r.get(9),
        assurance: r.get(10),
    }
}

/// A page of the organization's history, newest first.
pub async fn list(db: &Db, org_id: &str, page: PageRequest) -> Result<Page<HistoryRow>, AppError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM verifications WHERE org_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3"
    ))
    .bind(org_id)
    .bind(page.limit_probe())
    .bind(page.offset())
    .fetch_all(db.read())
    .await
    .map_err(db::internal)?;
    Ok(Page::from_probe(rows.iter().map(from_row).collect(), page))
}

/// The whole history as CSV (UTF-8 with BOM so spreadsheet programs show Vietnamese correctly).
pub async fn csv(db: &Db, org_id: &str) -> Result<String, AppError> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM verifications WHERE org_id = $1 ORDER BY created_at, id"))
        .bind(org_id)
        .fetch_all(db.read())
        .await
        .map_err(db::internal)?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = [
        "id",
        "time",
        "staff",
        "method",
        "purpose",
        "personal_id",
        "name",
        "outcome",
        "card_status",
        "person_status",
        "assurance",
    ];
    w.write_record(header).map_err(|e| AppError::internal(e.to_string()))?;
    for r in rows.iter().map(from_row) {
        w.write_record([
            r.id,
            kernel::clock::format_ms_vn(r.at),
            r.staff,
            r.method,
            r.purpose,
            r.personal_id.unwrap_or_default(),
            r.name,
            r.outcome,
            r.card_status.unwrap_or_default(),
            r.person_status.unwrap_or_default(),
            r.assurance,
        ])
        .map_err(|e| AppError::internal(e.to_string()))?;
    }
    let bytes = w.into_inner().map_err(|e| AppError::internal(e.to_string()))?;
    Ok(format!("\u{feff}{}", String::from_utf8_lossy(&bytes)))
}
