//! Aggregate lodging counts per commune for programme indicators (Project 06 KPI "share of
//! accommodation facilities that sent a lodging notification in the last 30 days"). Only numbers
//! per commune leave this module.

use db::sqlx::{self, Row};
use db::Db;
use kernel::AppError;
use registry::queries::stats::CommuneTally;

/// Approved facilities per commune (`total`) and how many of them submitted at least one lodging
/// notification at or after `since_ms` (UTC milliseconds; `matching`). Communes without an
/// approved facility are absent.
pub async fn active_facilities_by_commune(db: &Db, since_ms: i64) -> Result<Vec<CommuneTally>, AppError> {
    let rows = sqlx::query(
        "SELECT f.commune_code, COUNT(*), CAST(SUM(CASE WHEN n.facility_id IS NULL THEN 0 ELSE 1 END) AS BIGINT) \
         FROM lodging_facilities f LEFT JOIN (SELECT DISTINCT facility_id FROM lodging_notifications \
         WHERE submitted_at >= $1) n ON n.facility_id = f.id \
         WHERE f.status = 'approved' GROUP BY f.commune_code ORDER BY f.commune_code",
    )
    .bind(since_ms)
    .fetch_all(db.read())
    .await?;
    Ok(rows.iter().map(|r| CommuneTally { commune_code: r.get(0), total: r.get(1), matching: r.get(2) }).collect())
}
