//! Aggregate e-ID counts per commune for programme indicators (Project 06 KPI "share of residents
//! aged 14+ with a level-2 e-ID"). Only numbers per commune leave this module, so no access log
//! entry is written.
//!
//! The count joins accounts with the registry's residents in one aggregate query: the commune,
//! age and living status of every account holder are needed, and reading them person by person
//! through the registry's functions would not scale to a province.

use chrono::{Datelike, NaiveDate};
use db::sqlx::{self, Row};
use db::Db;
use kernel::AppError;
use registry::queries::stats::CommuneTally;

/// Living residents aged 14 or more on `today` per commune of current residence (`total`; a
/// year-only birth date counts once the whole year is past), and how many of them hold a level-2
/// e-ID account that is activated and not suspended or closed (`matching`; an account the citizen
/// locked themselves still counts).
pub async fn level2_adults_by_commune(db: &Db, today: NaiveDate) -> Result<Vec<CommuneTally>, AppError> {
    let cutoff = today.with_year(today.year() - 14).unwrap_or(today);
    let rows = sqlx::query(
        "SELECT p.current_commune, COUNT(*), CAST(SUM(CASE WHEN a.id IS NULL THEN 0 ELSE 1 END) AS BIGINT) \
         FROM persons p LEFT JOIN accounts a ON a.person_id = p.personal_id AND a.level = 2 \
         AND a.status IN ('active', 'locked') \
         WHERE p.status = 'living' AND p.current_commune IS NOT NULL \
         AND ((length(p.birth_date) = 10 AND p.birth_date <= $1) OR p.birth_year < $2) \
         GROUP BY p.current_commune ORDER BY p.current_commune",
    )
    .bind(cutoff.format("%Y-%m-%d").to_string())
    .bind(cutoff.year() as i64)
    .fetch_all(db.read())
    .await
    .map_err(db::internal)?;
    Ok(rows.iter().map(|r| CommuneTally { commune_code: r.get(0), total: r.get(1), matching: r.get(2) }).collect())
}
