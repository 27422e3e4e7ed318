//! Monthly history of computed KPIs (`kpi_snapshots`): one row per formula, scope and month,
//! refreshed by `dancu programs snapshot`, on report submission, and when a page finds the current
//! month missing. Pages read these rows instead of recomputing over the registry.

use std::collections::HashMap;

use chrono::NaiveDate;
use db::sqlx::{self, Row};
use db::Db;
use kernel::AppError;
use serde::Serialize;
use utoipa::ToSchema;

use super::{compute, Formula, Reading, Scope, FORMULAS};

/// One stored value.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Snapshot {
    pub formula: String,
    pub scope: String,
    /// `YYYY-MM`.
    pub month: String,
    pub numerator: f64,
    pub denominator: f64,
    pub value: Option<f64>,
    pub computed_at: i64,
}

fn month_of(d: NaiveDate) -> String {
    d.format("%Y-%m").to_string()
}

/// Computes every formula that has a source and stores this month's values (replacing earlier
/// values of the same month); returns how many rows were written. `now` is UTC milliseconds (its
/// day in Vietnam gives the month), passed so tests can fix time.
pub async fn refresh(db: &Db, province: &str, now: i64) -> Result<usize, AppError> {
    let month = month_of(kernel::clock::date_vn(now));
    let mut rows = Vec::new();
    for f in FORMULAS.iter().filter(|f| f.source.available()) {
        let Some(c) = compute(f, db, now).await? else { continue };
        rows.push((f.code, Scope::Province(province.to_string()).key(), c.province));
        rows.extend(c.communes.into_iter().map(|(code, m)| (f.code, Scope::Commune(code).key(), m)));
    }
    let mut tx = db.begin().await?;
    for (code, scope, m) in &rows {
        let q = sqlx::query(
            "INSERT INTO kpi_snapshots (formula, scope, month, numerator, denominator, value, computed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (formula, scope, month) DO UPDATE SET \
             numerator = excluded.numerator, denominator = excluded.denominator, value = excluded.value, \
             computed_at = excluded.computed_at",
        )
        .bind(*code)
        .bind(scope)
        .bind(&month)
        .bind(m.numerator)
        .bind(m.denominator);
        crate::bind_f64(q, m.value).bind(now).execute(&mut *tx).await?;
    }
    db::idempotency::bind(&mut tx).await?;
    tx.commit().await?;
    Ok(rows.len())
}

/// The newest snapshot of every formula and scope, for reading many KPIs at once.
pub struct Current {
    latest: HashMap<(String, String), Snapshot>,
}

impl Current {
    /// What to show for a formula in a scope.
    pub fn reading(&self, f: &Formula, scope: &Scope) -> Reading {
        if !f.source.available() {
            return Reading::NoSource { awaiting_vi: f.awaiting.0.to_string(), awaiting_en: f.awaiting.1.to_string() };
        }
        match self.latest.get(&(f.code.to_string(), scope.key())) {
            Some(s) => Reading::Value {
                value: s.value,
                numerator: s.numerator,
                denominator: s.denominator,
                month: s.month.clone(),
                computed_at: s.computed_at,
            },
            None => Reading::NoData,
        }
    }
}

/// Loads the newest values, first refreshing the month of `now` (UTC milliseconds) when it has
/// none yet.
pub async fn current(db: &Db, province: &str, now: i64) -> Result<Current, AppError> {
    let month = month_of(kernel::clock::date_vn(now));
    let have: i64 = sqlx::query("SELECT COUNT(*) FROM kpi_snapshots WHERE month = $1")
        .bind(&month)
        .fetch_one(db.read())
        .await?
        .get(0);
    if have == 0 {
        refresh(db, province, now).await?;
    }
    let rows = sqlx::query(
        "SELECT s.formula, s.scope, s.month, s.numerator, s.denominator, s.value, s.computed_at FROM kpi_snapshots s \
         JOIN (SELECT formula, scope, MAX(month) AS month FROM kpi_snapshots GROUP BY formula, scope) m \
         ON m.formula = s.formula AND m.scope = s.scope AND m.month = s.month",
    )
    .fetch_all(db.read())
    .await?;
    let latest = rows.iter().map(snapshot_from).map(|s| ((s.formula.clone(), s.scope.clone()), s)).collect();
    Ok(Current { latest })
}

fn snapshot_from(r: &db::Row) -> Snapshot {
    Snapshot {
        formula: r.get(0),
        scope: r.get(1),
        month: r.get(2),
        numerator: r.get(3),
        denominator: r.get(4),
        value: r.get(5),
        computed_at: r.get(6),
    }
}

/// Month-by-month values of one formula in one scope, oldest first.
pub async fn history(db: &Db, formula: &str, scope: &Scope) -> Result<Vec<Snapshot>, AppError> {
    let rows = sqlx::query(
        "SELECT formula, scope, month, numerator, denominator, value, computed_at FROM kpi_snapshots \
         WHERE formula = $1 AND scope = $2 ORDER BY month",
    )
    .bind(formula)
    .bind(scope.key())
    .fetch_all(db.read())
    .await?;
    Ok(rows.iter().map(snapshot_from).collect())
}
