//! Residents picked for demos, benchmarks and synthetic data (the binary's `demo` and `bench`
//! commands, `services::synthetic`). Other crates never read the registry's tables; these reads
//! serve no officer's or citizen's request, so they apply no jurisdiction and write no access log.

use chrono::NaiveDate;
use db::sqlx::{self, Row};
use db::{Arg, Db, Filter};
use kernel::AppError;

/// Which residents to pick. The default picks anyone, in personal-id order, without a limit.
#[derive(Debug, Clone, Default)]
pub struct Criteria<'a> {
    /// Only living persons.
    pub living: bool,
    /// Only persons with a current residence in the province.
    pub housed: bool,
    /// Only residents of this commune (2025 code).
    pub commune: Option<&'a str>,
    /// Only residents of a commune of this province (2025 code).
    pub province: Option<&'a str>,
    /// Only persons whose full birth date (day precision) is before this day.
    pub born_before: Option<NaiveDate>,
    /// Only persons with a card recorded valid.
    pub valid_card: bool,
    pub order: Order,
    pub limit: Option<i64>,
}

/// Order of the picked residents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Order {
    #[default]
    PersonalId,
    PersonalIdDescending,
    Random,
}

/// A picked resident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resident {
    pub personal_id: String,
    pub full_name: String,
    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`: what a guest presents beside a typed id.
    pub birth_date: Option<String>,
    pub current_commune: Option<String>,
    /// The record's version, for a correction made through `registry::write`.
    pub version: i64,
}

/// Residents matching `c`.
pub async fn residents(db: &Db, c: &Criteria<'_>) -> Result<Vec<Resident>, AppError> {
    let mut f = Filter::new();
    if c.living {
        f.and("p.status = ?", Arg::Text("living".into()));
    }
    if let Some(commune) = c.commune {
        f.and("p.current_commune = ?", Arg::Text(commune.into()));
    }
    if let Some(province) = c.province {
        f.and(
            "p.current_commune IN (SELECT code FROM admin_communes WHERE province_code = ?)",
            Arg::Text(province.into()),
        );
    }
    if let Some(day) = c.born_before {
        f.and("LENGTH(p.birth_date) = 10 AND p.birth_date < ?", Arg::Text(day.format("%Y-%m-%d").to_string()));
    }
    if c.valid_card {
        f.and(
            "EXISTS (SELECT 1 FROM identity_cards k WHERE k.personal_id = p.personal_id AND k.status = ?)",
            Arg::Text("valid".into()),
        );
    }
    let order = match c.order {
        Order::PersonalId => "p.personal_id",
        Order::PersonalIdDescending => "p.personal_id DESC",
        Order::Random => "random()",
    };
    let housed = if c.housed { " AND p.current_commune IS NOT NULL" } else { "" };
    let mut sql = format!(
        "SELECT p.personal_id, p.full_name, p.current_commune, p.version, p.birth_date FROM persons p WHERE {}{housed} ORDER BY {order}",
        f.sql()
    );
    if c.limit.is_some() {
        sql.push_str(&format!(" LIMIT ${}", f.next_placeholder()));
    }
    let mut q = f.bind(sqlx::query(&sql));
    if let Some(limit) = c.limit {
        q = q.bind(limit);
    }
    let rows = q.fetch_all(db.read()).await?;
    Ok(rows
        .iter()
        .map(|r| Resident {
            personal_id: r.get(0),
            full_name: r.get(1),
            current_commune: r.get(2),
            version: r.get(3),
            birth_date: r.get(4),
        })
        .collect())
}

/// The commune with the most residents, of `province` or of the whole registry; ties go to the
/// lowest code. `None` when nobody lives there.
pub async fn busiest_commune(db: &Db, province: Option<&str>) -> Result<Option<String>, AppError> {
    let row = sqlx::query(
        "SELECT p.current_commune, COUNT(*) AS n FROM persons p JOIN admin_communes c ON c.code = p.current_commune \
         WHERE $1 IS NULL OR c.province_code = $1 GROUP BY p.current_commune ORDER BY n DESC, p.current_commune LIMIT 1",
    )
    .bind(province)
    .fetch_optional(db.read())
    .await?;
    Ok(row.map(|r| r.get(0)))
}

/// Up to `limit` communes where someone lives, in code order.
pub async fn inhabited_communes(db: &Db, limit: i64) -> Result<Vec<String>, AppError> {
    let rows = sqlx::query(
        "SELECT DISTINCT current_commune FROM persons WHERE current_commune IS NOT NULL ORDER BY current_commune LIMIT $1",
    )
    .bind(limit)
    .fetch_all(db.read())
    .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}
