//! Reading the stored findings: counts per rule and commune, and the offending records.

use db::sqlx::{self, Row};
use db::{Arg, Db, Filter};
use kernel::Jurisdiction;
use kernel::{AppError, Page, PageRequest};
use serde::Serialize;
use utoipa::ToSchema;

use super::rules::{self, Group, RULES};
use crate::admin_units::AdminUnits;
use crate::queries::scope::{check_commune, restrict_column};

/// Findings of one rule.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RuleCount {
    pub rule: String,
    #[schema(value_type = String)]
    pub group: Group,
    pub vi: String,
    pub en: String,
    pub count: i64,
}

/// Findings in one commune.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommuneCount {
    pub commune_code: String,
    pub commune_name: String,
    pub findings: i64,
}

/// The latest run's counts within a jurisdiction (optionally one commune).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QualityReport {
    pub run_id: String,
    pub finished_at: i64,
    /// Persons checked by the run (whole registry).
    pub persons_checked: i64,
    pub commune: Option<String>,
    pub rules: Vec<RuleCount>,
    /// Communes with the most findings first.
    pub by_commune: Vec<CommuneCount>,
}

/// One offending record.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Finding {
    pub rule: String,
    pub personal_id: String,
    pub full_name: String,
    pub commune_code: Option<String>,
    pub detail: String,
}

fn scope(f: &mut Filter, j: &Jurisdiction, commune: Option<&str>) -> Result<(), AppError> {
    if let Some(c) = commune {
        check_commune(j, c)?;
        f.and("q.commune_code = ?", Arg::Text(c.to_string()));
    }
    restrict_column(f, j, "q.commune_code");
    Ok(())
}

async fn latest_run(db: &Db) -> Result<Option<(String, i64, i64)>, AppError> {
    let row =
        sqlx::query("SELECT id, finished_at, persons_checked FROM quality_runs ORDER BY finished_at DESC LIMIT 1")
            .fetch_optional(db.read())
            .await?;
    Ok(row.map(|r| (r.get(0), r.get(1), r.get(2))))
}

/// Counts of the latest run; `None` when no run has happened yet.
pub async fn report(db: &Db, j: &Jurisdiction, commune: Option<&str>) -> Result<Option<QualityReport>, AppError> {
    let Some((run_id, finished_at, persons_checked)) = latest_run(db).await? else {
        return Ok(None);
    };
    let mut f = Filter::new();
    f.and("q.run_id = ?", Arg::Text(run_id.clone()));
    scope(&mut f, j, commune)?;
    let per_rule = f
        .bind(sqlx::query(&format!(
            "SELECT q.rule, COUNT(*) FROM quality_findings q WHERE {} GROUP BY q.rule",
            f.sql()
        )))
        .fetch_all(db.read())
        .await?;
    let counts: Vec<(String, i64)> = per_rule.iter().map(|r| (r.get(0), r.get(1))).collect();
    let rules = RULES
        .iter()
        .map(|r| RuleCount {
            rule: r.code.to_string(),
            group: r.group,
            vi: r.vi.to_string(),
            en: r.en.to_string(),
            count: counts.iter().find(|(c, _)| c == r.code).map(|(_, n)| *n).unwrap_or(0),
        })
        .collect();
    let per_commune = f
        .bind(sqlx::query(&format!(
            "SELECT q.commune_code, COUNT(*) AS n FROM quality_findings q WHERE {} AND q.commune_code IS NOT NULL \
             GROUP BY q.commune_code ORDER BY n DESC, q.commune_code LIMIT 200",
            f.sql()
        )))
        .fetch_all(db.read())
        .await?;
    let units = AdminUnits::get();
    let by_commune = per_commune
        .iter()
        .map(|r| {
            let code: String = r.get(0);
            CommuneCount {
                commune_name: units.commune(&code).map(|c| c.name.clone()).unwrap_or_default(),
                commune_code: code,
                findings: r.get(1),
            }
        })
        .collect();
    Ok(Some(QualityReport {
        run_id,
        finished_at,
        persons_checked,
        commune: commune.map(str::to_owned),
        rules,
        by_commune,
    }))
}

/// Offending records of one rule, within a jurisdiction (optionally one commune).
pub async fn findings(
    db: &Db,
    j: &Jurisdiction,
    rule: &str,
    commune: Option<&str>,
    page: PageRequest,
) -> Result<Page<Finding>, AppError> {
    if rules::find(rule).is_none() {
        return Err(AppError::invalid(format!("unknown rule {rule:?}")));
    }
    let Some((run_id, _, _)) = latest_run(db).await? else {
        return Ok(Page::from_probe(Vec::new(), page));
    };
    let mut f = Filter::new();
    f.and("q.run_id = ?", Arg::Text(run_id));
    f.and("q.rule = ?", Arg::Text(rule.to_string()));
    scope(&mut f, j, commune)?;
    let rows = f
        .fetch_page(
            db.read(),
            "SELECT q.rule, q.personal_id, p.full_name, q.commune_code, q.detail FROM quality_findings q \
             JOIN persons p ON p.personal_id = q.personal_id",
            "q.personal_id",
            page,
        )
        .await?;
    let items = rows
        .iter()
        .map(|r| Finding {
            rule: r.get(0),
            personal_id: r.get(1),
            full_name: r.get(2),
            commune_code: r.get(3),
            detail: r.get(4),
        })
        .collect();
    Ok(Page::from_probe(items, page))
}
