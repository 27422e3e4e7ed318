//! One quality run: scan, cross-table checks, store findings.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use chrono::Datelike;
use db::sqlx::{self, Row};
use db::{Arg, Db};
use futures::TryStreamExt;
use kernel::AppError;
use serde::Serialize;

use super::person_rules::{check, PersonFacts};

/// What a run found.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    pub run_id: String,
    pub persons_checked: i64,
    pub findings: usize,
    pub seconds: f64,
}

/// A finding before it is stored.
struct Found {
    rule: &'static str,
    personal_id: String,
    commune: Option<String>,
    detail: String,
}

/// Runs every rule over the whole registry and replaces the stored findings. `now` is UTC
/// milliseconds, the start of the run (its day in Vietnam is the "today" of the rules), passed so
/// tests can fix time.
pub async fn run(db: &Db, now: i64) -> Result<RunSummary, AppError> {
    let start = Instant::now();
    let started_at = now;
    let today = kernel::clock::date_vn(now);
    let mut found = Vec::new();
    let persons_checked = scan_persons(db, today, &mut found).await?;
    cross_table_rules(db, today, &mut found).await?;
    duplicates(db, &mut found).await?;
    let mut seen = HashSet::new();
    found.retain(|f| seen.insert((f.rule, f.personal_id.clone())));
    let run_id = kernel::ids::new_id();
    let finished_at = started_at + i64::try_from(start.elapsed().as_millis()).unwrap_or(0);
    store(db, &run_id, started_at, finished_at, persons_checked, &found).await?;
    Ok(RunSummary { run_id, persons_checked, findings: found.len(), seconds: start.elapsed().as_secs_f64() })
}

async fn scan_persons(db: &Db, today: chrono::NaiveDate, out: &mut Vec<Found>) -> Result<i64, AppError> {
    let mut rows = sqlx::query(
        "SELECT personal_id, full_name, gender, birth_date, birth_place, hometown, ethnicity, religion, status, \
         death_date, current_commune FROM persons",
    )
    .fetch(db.read());
    let mut n = 0;
    while let Some(r) = rows.try_next().await? {
        n += 1;
        let p = PersonFacts {
            personal_id: r.get(0),
            full_name: r.get(1),
            gender: r.get(2),
            birth_date: r.get(3),
            birth_place: r.get(4),
            hometown: r.get(5),
            ethnicity: r.get(6),
            religion: r.get(7),
            status: r.get(8),
            death_date: r.get(9),
            current_commune: r.get(10),
        };
        for (rule, detail) in check(&p, today) {
            out.push(Found { rule, personal_id: p.personal_id.clone(), commune: p.current_commune.clone(), detail });
        }
    }
    Ok(n)
}

/// Rules comparing persons with cards, residences and civil-status deaths, as SQL.
async fn cross_table_rules(db: &Db, today: chrono::NaiveDate, out: &mut Vec<Found>) -> Result<(), AppError> {
    let day = today.format("%Y-%m-%d").to_string();
    let cutoff = today.with_year(today.year() - 14).unwrap_or(today);
    let checks: [(&'static str, &str, Vec<Arg>); 5] = [
        (
            "death_not_applied",
            "SELECT p.personal_id, p.current_commune, d.death_date FROM civil_deaths d \
             JOIN persons p ON p.personal_id = d.personal_id WHERE p.status = 'living'",
            vec![],
        ),
        (
            "card_expired_still_valid",
            "SELECT p.personal_id, p.current_commune, c.expiry_date FROM identity_cards c \
             JOIN persons p ON p.personal_id = c.personal_id WHERE c.status = 'valid' AND c.expiry_date < $1",
            vec![Arg::Text(day.clone())],
        ),
        (
            "deceased_with_valid_card",
            "SELECT p.personal_id, p.current_commune, c.issue_date FROM identity_cards c \
             JOIN persons p ON p.personal_id = c.personal_id WHERE c.status = 'valid' AND p.status = 'deceased'",
            vec![],
        ),
        (
            "temporary_residence_expired",
            "SELECT p.personal_id, p.current_commune, r.expiry_date FROM residences r \
             JOIN persons p ON p.personal_id = r.personal_id WHERE r.kind = 'temporary' AND r.end_date IS NULL \
             AND r.expiry_date < $1 AND p.status = 'living'",
            vec![Arg::Text(day)],
        ),
        (
            "missing_card",
            "SELECT p.personal_id, p.current_commune, p.birth_date FROM persons p WHERE p.status = 'living' \
             AND p.nationality = 'VN' AND ((length(p.birth_date) = 10 AND p.birth_date <= $1) OR p.birth_year < $2) \
             AND NOT EXISTS (SELECT 1 FROM identity_cards c WHERE c.personal_id = p.personal_id)",
            vec![Arg::Text(cutoff.format("%Y-%m-%d").to_string()), Arg::Int(cutoff.year() as i64)],
        ),
    ];
    for (rule, sql, args) in checks {
        let mut q = sqlx::query(sql);
        for a in &args {
            q = a.bind_to(q);
        }
        let rows = q.fetch_all(db.read()).await?;
        out.extend(rows.iter().map(|r| Found {
            rule,
            personal_id: r.get(0),
            commune: r.get(1),
            detail: r.get::<Option<String>, _>(2).unwrap_or_default(),
        }));
    }
    Ok(())
}

/// Probable duplicates: same folded name and birth date (found in SQL), then same folded hometown.
async fn duplicates(db: &Db, out: &mut Vec<Found>) -> Result<(), AppError> {
    let rows = sqlx::query(
        "SELECT p.personal_id, p.current_commune, p.name_folded, p.birth_date, p.hometown FROM persons p \
         JOIN (SELECT name_folded, birth_date FROM persons WHERE birth_date IS NOT NULL \
               GROUP BY name_folded, birth_date HAVING COUNT(*) > 1) d \
         ON d.name_folded = p.name_folded AND d.birth_date = p.birth_date",
    )
    .fetch_all(db.read())
    .await?;
    // (folded name, birth date, folded hometown) → [(personal id, commune)]
    type Key = (String, String, String);
    let mut groups: HashMap<Key, Vec<(String, Option<String>)>> = HashMap::new();
    for r in &rows {
        let hometown: Option<String> = r.get(4);
        let key = (r.get(2), r.get(3), kernel::text::fold(hometown.as_deref().unwrap_or("")));
        groups.entry(key).or_default().push((r.get(0), r.get(1)));
    }
    for members in groups.into_values().filter(|m| m.len() > 1) {
        let ids: Vec<String> = members.iter().map(|(id, _)| id.clone()).collect();
        for (id, commune) in &members {
            let others: Vec<&str> = ids.iter().filter(|o| *o != id).map(String::as_str).collect();
            out.push(Found {
                rule: "probable_duplicate",
                personal_id: id.clone(),
                commune: commune.clone(),
                detail: others.join(", "),
            });
        }
    }
    Ok(())
}

async fn store(
    db: &Db,
    run_id: &str,
    started_at: i64,
    finished_at: i64,
    checked: i64,
    found: &[Found],
) -> Result<(), AppError> {
    sqlx::query("INSERT INTO quality_runs (id, started_at, finished_at, persons_checked) VALUES ($1, $2, $3, $4)")
        .bind(run_id)
        .bind(started_at)
        .bind(finished_at)
        .bind(checked)
        .execute(db.write())
        .await?;
    let rows = found
        .iter()
        .map(|f| {
            vec![
                Arg::Text(run_id.to_string()),
                Arg::Text(f.rule.to_string()),
                Arg::Text(f.personal_id.clone()),
                Arg::opt(f.commune.clone()),
                Arg::Text(f.detail.clone()),
            ]
        })
        .collect();
    crate::load::insert_rows(
        db,
        "quality_findings",
        &["run_id", "rule", "personal_id", "commune_code", "detail"],
        rows,
    )
    .await?;
    // Keep only the newest run.
    for sql in ["DELETE FROM quality_findings WHERE run_id <> $1", "DELETE FROM quality_runs WHERE id <> $1"] {
        sqlx::query(sql).bind(run_id).execute(db.write()).await?;
    }
    Ok(())
}
