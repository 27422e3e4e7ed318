//! Figures for the KPIs of pilot models 1, 3, 5, BG-1 and TH-1: per procedure, commune and month,
//! how many applications came online, through a kiosk or at the counter, how many carried a fee
//! and how many of those were paid online, how long processing took, how many ran past their
//! deadline, how many were filed by public officials, and how satisfied applicants were (ratings
//! given after the result and their mean). Counts only, never applicants.

use db::sqlx::{self, Row};
use db::Db;
use kernel::AppError;
use registry::queries::stats::CommuneTally;
use serde::Serialize;
use utoipa::ToSchema;

/// One row of the monthly figures.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MonthlyRow {
    pub procedure_code: String,
    pub commune_code: String,
    /// `YYYY-MM` of submission.
    pub month: String,
    pub total: i64,
    pub online: i64,
    pub kiosk: i64,
    pub counter: i64,
    pub fee_bearing: i64,
    pub paid_online: i64,
    pub decided: i64,
    /// Mean hours from submission to decision, over decided applications.
    pub mean_processing_hours: Option<f64>,
    /// Decided after the deadline, or still open past it.
    pub overdue: i64,
    pub by_officials: i64,
    /// Applications rated by their applicant (1–5 stars, once each).
    pub rated: i64,
    /// Mean stars over the rated applications.
    pub mean_rating: Option<f64>,
}

/// Monthly figures of a province for months `from..=to` (`YYYY-MM`), optionally one commune.
/// `now` (UTC milliseconds) decides which open applications are overdue.
pub async fn monthly(
    db: &Db,
    province: &str,
    from: &str,
    to: &str,
    commune: Option<&str>,
    now: i64,
) -> Result<Vec<MonthlyRow>, AppError> {
    let sql = "SELECT a.procedure_code, a.commune_code, a.submitted_month, COUNT(*), \
        SUM(CASE WHEN a.channel = 'online' THEN 1 ELSE 0 END), SUM(CASE WHEN a.channel = 'kiosk' THEN 1 ELSE 0 END), \
        SUM(CASE WHEN a.channel = 'counter' THEN 1 ELSE 0 END), SUM(CASE WHEN a.fee_vnd > 0 THEN 1 ELSE 0 END), \
        CAST(SUM(a.paid_online) AS BIGINT), SUM(CASE WHEN a.decided_at IS NOT NULL THEN 1 ELSE 0 END), \
        CAST(SUM(CASE WHEN a.decided_at IS NOT NULL THEN a.decided_at - a.submitted_at ELSE 0 END) AS BIGINT), \
        SUM(CASE WHEN (a.decided_at IS NOT NULL AND a.decided_at > a.due_at) \
                   OR (a.decided_at IS NULL AND a.status IN ('submitted', 'processing', 'info_requested') \
                       AND a.due_at < $4) \
            THEN 1 ELSE 0 END), CAST(SUM(a.by_official) AS BIGINT), \
        SUM(CASE WHEN r.stars IS NOT NULL THEN 1 ELSE 0 END), CAST(SUM(COALESCE(r.stars, 0)) AS BIGINT) \
        FROM svc_applications a LEFT JOIN svc_ratings r ON r.application_id = a.id \
        WHERE a.province_code = $1 AND a.submitted_month >= $2 AND a.submitted_month <= $3 \
        AND ($5 = '' OR a.commune_code = $5) \
        GROUP BY a.procedure_code, a.commune_code, a.submitted_month \
        ORDER BY a.submitted_month, a.procedure_code, a.commune_code";
    let rows = sqlx::query(sql)
        .bind(province)
        .bind(from)
        .bind(to)
        .bind(now)
        .bind(commune.unwrap_or(""))
        .fetch_all(db.read())
        .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let decided: i64 = r.get(9);
            let ms: i64 = r.get(10);
            let rated: i64 = r.get(13);
            let stars: i64 = r.get(14);
            MonthlyRow {
                procedure_code: r.get(0),
                commune_code: r.get(1),
                month: r.get(2),
                total: r.get(3),
                online: r.get(4),
                kiosk: r.get(5),
                counter: r.get(6),
                fee_bearing: r.get(7),
                paid_online: r.get(8),
                decided,
                mean_processing_hours: (decided > 0).then(|| ms as f64 / decided as f64 / 3_600_000.0),
                overdue: r.get(11),
                by_officials: r.get(12),
                rated,
                mean_rating: (rated > 0).then(|| stars as f64 / rated as f64),
            }
        })
        .collect())
}

/// Which share a commune tally counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Share {
    /// Essential-service applications submitted online (portal or kiosk) / all of them.
    OnlineApplications,
    /// Fee-bearing applications paid online / all fee-bearing applications.
    OnlinePayments,
}

/// Per-commune tallies over applications submitted in the 12 months up to `today`.
pub async fn commune_tally(db: &Db, share: Share, today: chrono::NaiveDate) -> Result<Vec<CommuneTally>, AppError> {
    let since = (today - chrono::Months::new(11)).format("%Y-%m").to_string();
    let sql = match share {
        Share::OnlineApplications => {
            "SELECT a.commune_code, COUNT(*), SUM(CASE WHEN a.channel <> 'counter' THEN 1 ELSE 0 END) \
             FROM svc_applications a JOIN svc_procedures p ON p.code = a.procedure_code \
             WHERE p.essential = 1 AND a.submitted_month >= $1 GROUP BY a.commune_code"
        }
        Share::OnlinePayments => {
            "SELECT a.commune_code, COUNT(*), CAST(SUM(a.paid_online) AS BIGINT) FROM svc_applications a \
             WHERE a.fee_vnd > 0 AND a.submitted_month >= $1 GROUP BY a.commune_code"
        }
    };
    let rows = sqlx::query(sql).bind(since).fetch_all(db.read()).await?;
    Ok(rows.iter().map(|r| CommuneTally { commune_code: r.get(0), total: r.get(1), matching: r.get(2) }).collect())
}
