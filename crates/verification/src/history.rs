//! An organization's own verification history, with CSV export.

use db::sqlx::{self, Row};
use db::Db;
use kernel::{AppError, Page, PageRequest};
use serde::Serialize;
use utoipa::ToSchema;

use crate::caller::Caller;
use crate::result::VerificationResult;
use crate::writer::{HistoryEntry, Writer};

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

/// Stores a verification in the organization's history (returns once it is committed).
pub async fn record(writer: &Writer, caller: &Caller, r: &VerificationResult) -> Result<(), AppError> {
    writer
        .history(HistoryEntry {
            id: r.id.clone(),
            org_id: caller.org_id.clone(),
            actor_id: caller.account_id.clone(),
            actor_label: caller.staff_label.clone(),
            method: r.method.clone(),
            purpose: r.purpose.clone(),
            subject_id: r.personal_id.clone(),
            outcome: r.outcome.code().into(),
            card_status: r.card.as_ref().map(|c| c.status.clone()),
            person_status: r.person_status.clone(),
            assurance: r.assurance.clone(),
            summary: r.person.full_name.clone().unwrap_or_default(),
            created_at: r.verified_at,
        })
        .await
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
    .await?;
    Ok(Page::from_probe(rows.iter().map(from_row).collect(), page))
}

/// The whole history as CSV (UTF-8 with BOM so spreadsheet programs show Vietnamese correctly).
pub async fn csv(db: &Db, org_id: &str) -> Result<String, AppError> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM verifications WHERE org_id = $1 ORDER BY created_at, id"))
        .bind(org_id)
        .fetch_all(db.read())
        .await?;
    let mut w = kernel::csv_export::CsvExport::new();
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
    w.row(header)?;
    for r in rows.iter().map(from_row) {
        w.row([
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
        ])?;
    }
    w.finish()
}
