//! Aggregate e-ID counts per commune for programme indicators (Project 06 KPI "share of residents
//! aged 14+ with a level-2 e-ID") and the population dashboard's e-ID figure. Only numbers per
//! commune leave this module, so no access log entry is written.
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
    .await?;
    Ok(rows.iter().map(|r| CommuneTally { commune_code: r.get(0), total: r.get(1), matching: r.get(2) }).collect())
}

/// Citizens' e-ID accounts of one level held by living residents of one commune.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EidTally {
    pub commune_code: String,
    /// 1 or 2.
    pub level: i64,
    pub accounts: i64,
}

/// Citizen accounts at level 1 or 2 that are activated and not suspended or closed (status
/// `active`, or `locked` by the citizen themselves), grouped by level and the holder's commune of
/// current residence; holders who are not living or have no current residence are left out. An
/// account exists only once its phone code was confirmed, so every row here is activated.
pub async fn eid_accounts_by_commune(db: &Db) -> Result<Vec<EidTally>, AppError> {
    let rows = sqlx::query(
        "SELECT p.current_commune, a.level, COUNT(*) FROM accounts a JOIN persons p ON p.personal_id = a.person_id \
         WHERE a.role = 'citizen' AND a.level IN (1, 2) AND a.status IN ('active', 'locked') \
         AND p.status = 'living' AND p.current_commune IS NOT NULL \
         GROUP BY p.current_commune, a.level ORDER BY p.current_commune, a.level",
    )
    .fetch_all(db.read())
    .await?;
    Ok(rows.iter().map(|r| EidTally { commune_code: r.get(0), level: r.get(1), accounts: r.get(2) }).collect())
}
