//! Aggregate counts per commune for programme indicators (Project 06 KPIs). They release no
//! personal data — only numbers per commune — so they need no jurisdiction or access logging, and
//! other modules read them instead of the registry tables.

use chrono::{Datelike, NaiveDate};
use db::sqlx::{self, Row};
use db::{Arg, Db};
use kernel::AppError;
use serde::Serialize;

/// How many records of a commune were counted and how many of them match the indicator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommuneTally {
    pub commune_code: String,
    pub total: i64,
    pub matching: i64,
}

async fn tallies(db: &Db, sql: &str, args: &[Arg]) -> Result<Vec<CommuneTally>, AppError> {
    let mut q = sqlx::query(sql);
    for a in args {
        q = a.bind_to(q);
    }
    let rows = q.fetch_all(db.read()).await?;
    Ok(rows.iter().map(|r| CommuneTally { commune_code: r.get(0), total: r.get(1), matching: r.get(2) }).collect())
}

/// Current cards (recorded valid or expired) of living residents, and how many of them are
/// expired on `today`: recorded as expired, or recorded valid past their expiry date.
pub async fn expired_cards(db: &Db, today: NaiveDate) -> Result<Vec<CommuneTally>, AppError> {
    tallies(
        db,
        "SELECT p.current_commune, COUNT(*), CAST(SUM(CASE WHEN c.status = 'expired' \
         OR (c.expiry_date IS NOT NULL AND c.expiry_date < $1) THEN 1 ELSE 0 END) AS BIGINT) \
         FROM identity_cards c JOIN persons p ON p.personal_id = c.personal_id \
         WHERE p.status = 'living' AND p.current_commune IS NOT NULL AND c.status IN ('valid', 'expired') \
         GROUP BY p.current_commune ORDER BY p.current_commune",
        &[Arg::Text(today.format("%Y-%m-%d").to_string())],
    )
    .await
}

/// Living Vietnamese residents aged 14 or more on `today` (the age from which a card is
/// compulsory; a year-only birth date counts once the whole year is past), and how many of them
/// hold a valid, unexpired card (every card issued since 2021 carries a chip).
pub async fn adults_with_valid_card(db: &Db, today: NaiveDate) -> Result<Vec<CommuneTally>, AppError> {
    let cutoff = today.with_year(today.year() - 14).unwrap_or(today);
    tallies(
        db,
        "SELECT p.current_commune, COUNT(*), CAST(SUM(CASE WHEN EXISTS (SELECT 1 FROM identity_cards c \
         WHERE c.personal_id = p.personal_id AND c.status = 'valid' \
         AND (c.expiry_date IS NULL OR c.expiry_date >= $1)) THEN 1 ELSE 0 END) AS BIGINT) \
         FROM persons p WHERE p.status = 'living' AND p.nationality = 'VN' AND p.current_commune IS NOT NULL \
         AND ((length(p.birth_date) = 10 AND p.birth_date <= $2) OR p.birth_year < $3) \
         GROUP BY p.current_commune ORDER BY p.current_commune",
        &[
            Arg::Text(today.format("%Y-%m-%d").to_string()),
            Arg::Text(cutoff.format("%Y-%m-%d").to_string()),
            Arg::Int(cutoff.year() as i64),
        ],
    )
    .await
}

/// Persons per commune and how many of them have no finding in the latest data-quality run;
/// `None` when no run has happened yet. Returns the run's finish time with the tallies.
pub async fn passing_quality(db: &Db) -> Result<Option<(i64, Vec<CommuneTally>)>, AppError> {
    let run = sqlx::query("SELECT id, finished_at FROM quality_runs ORDER BY finished_at DESC LIMIT 1")
        .fetch_optional(db.read())
        .await?;
    let Some(run) = run else { return Ok(None) };
    let (run_id, finished_at): (String, i64) = (run.get(0), run.get(1));
    let persons = tallies(
        db,
        "SELECT current_commune, COUNT(*), COUNT(*) FROM persons WHERE current_commune IS NOT NULL \
         GROUP BY current_commune ORDER BY current_commune",
        &[],
    )
    .await?;
    let flagged = tallies(
        db,
        "SELECT commune_code, COUNT(DISTINCT personal_id), COUNT(DISTINCT personal_id) FROM quality_findings \
         WHERE run_id = $1 AND commune_code IS NOT NULL GROUP BY commune_code",
        &[Arg::Text(run_id)],
    )
    .await?;
    let out = persons
        .into_iter()
        .map(|mut t| {
            let bad = flagged.iter().find(|f| f.commune_code == t.commune_code).map(|f| f.total).unwrap_or(0);
            t.matching = (t.total - bad).max(0);
            t
        })
        .collect();
    Ok(Some((finished_at, out)))
}
