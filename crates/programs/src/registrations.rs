//! Registrations: a unit registers a pilot model (as lead or coordinating unit) with a target per
//! KPI and a plan of steps; the working group approves it or returns it for revision.

use chrono::NaiveDate;
use db::sqlx::{self, Row};
use db::{Arg, Db, Filter};
use kernel::{AppError, ErrorCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::catalogue::{self, KpiUnit};

/// The unit's part in the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RegRole {
    Lead,
    Coordinating,
}

impl RegRole {
    pub fn code(self) -> &'static str {
        match self {
            RegRole::Lead => "lead",
            RegRole::Coordinating => "coordinating",
        }
    }

    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            RegRole::Lead => ("Chủ trì", "Lead"),
            RegRole::Coordinating => ("Phối hợp", "Coordinating"),
        }
    }
}

/// Where a registration stands with the working group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RegStatus {
    Pending,
    Approved,
    Returned,
}

impl RegStatus {
    pub fn code(self) -> &'static str {
        match self {
            RegStatus::Pending => "pending",
            RegStatus::Approved => "approved",
            RegStatus::Returned => "returned",
        }
    }

    fn parse(s: &str) -> RegStatus {
        match s {
            "approved" => RegStatus::Approved,
            "returned" => RegStatus::Returned,
            _ => RegStatus::Pending,
        }
    }
}

/// A target: reach `target_value` of a KPI by `deadline`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Target {
    pub kpi_id: String,
    pub target_value: f64,
    /// `YYYY-MM-DD`.
    #[schema(value_type = String, format = Date)]
    pub deadline: NaiveDate,
}

/// A step of the plan ("Bước 1 … Bước 5").
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Step {
    pub seq: i64,
    pub title: String,
    #[schema(value_type = String, format = Date)]
    pub due_date: NaiveDate,
    pub done_at: Option<i64>,
}

/// A plan step as submitted.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewStep {
    pub title: String,
    #[schema(value_type = String, format = Date)]
    pub due_date: NaiveDate,
}

/// A unit's registration of a model.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Registration {
    pub id: String,
    pub unit_id: String,
    pub model_id: String,
    pub role: RegRole,
    pub status: RegStatus,
    pub note: String,
    pub registered_by: String,
    pub registered_at: i64,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub decision_note: Option<String>,
    pub version: i64,
    pub targets: Vec<Target>,
    pub steps: Vec<Step>,
}

/// What a unit submits.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewRegistration {
    pub model_id: String,
    pub role: RegRole,
    #[serde(default)]
    pub note: String,
    pub targets: Vec<Target>,
    #[serde(default)]
    pub steps: Vec<NewStep>,
}

async fn validate(db: &Db, new: &NewRegistration) -> Result<(), AppError> {
    let model = catalogue::get_model(db, &new.model_id).await?;
    if !model.active {
        return Err(AppError::invalid(format!("model {} is no longer in the catalogue", model.id)));
    }
    if new.targets.is_empty() {
        return Err(AppError::invalid("targets: give at least one target (value and deadline per KPI)"));
    }
    let kpis = catalogue::model_kpis(db, Some(&new.model_id)).await?;
    for (i, t) in new.targets.iter().enumerate() {
        let k = kpis.iter().find(|k| k.id == t.kpi_id && k.active).ok_or_else(|| {
            AppError::invalid(format!("targets[{i}]: {} is not a KPI of model {}", t.kpi_id, model.id))
        })?;
        if !t.target_value.is_finite() || t.target_value < 0.0 {
            return Err(AppError::invalid(format!("targets[{i}]: target_value must be 0 or more")));
        }
        if k.unit == KpiUnit::Percent && t.target_value > 100.0 {
            return Err(AppError::invalid(format!("targets[{i}]: a share cannot exceed 100")));
        }
        if new.targets.iter().take(i).any(|o| o.kpi_id == t.kpi_id) {
            return Err(AppError::invalid(format!("targets[{i}]: {} twice", t.kpi_id)));
        }
    }
    for (i, s) in new.steps.iter().enumerate() {
        crate::text::required(&s.title, &format!("steps[{i}].title"), 500)?;
    }
    crate::text::limited(crate::text::nfc(&new.note), "note", 2000)?;
    Ok(())
}

/// Registers a model for a unit, or resubmits a registration the working group returned, at `now`
/// (UTC milliseconds).
pub async fn register(
    db: &Db,
    unit_id: &str,
    actor: &str,
    new: &NewRegistration,
    now: i64,
) -> Result<Registration, AppError> {
    crate::units::get(db, unit_id).await?;
    validate(db, new).await?;
    let existing =
        sqlx::query("SELECT id, status, version FROM program_registrations WHERE unit_id = $1 AND model_id = $2")
            .bind(unit_id)
            .bind(&new.model_id)
            .fetch_optional(db.read())
            .await?;
    let mut tx = db.begin().await?;
    let id = match existing {
        Some(r) if r.get::<String, _>(1) == "returned" => {
            let id: String = r.get(0);
            let res = sqlx::query(
                "UPDATE program_registrations SET role = $1, status = 'pending', note = $2, registered_by = $3, \
                 registered_at = $4, version = version + 1 WHERE id = $5 AND version = $6",
            )
            .bind(new.role.code())
            .bind(crate::text::nfc(&new.note))
            .bind(actor)
            .bind(now)
            .bind(&id)
            .bind(r.get::<i64, _>(2))
            .execute(&mut *tx)
            .await?;
            if res.rows_affected() != 1 {
                return Err(AppError::new(ErrorCode::Conflict, "the registration changed meanwhile"));
            }
            for sql in [
                "DELETE FROM program_targets WHERE registration_id = $1",
                "DELETE FROM program_steps WHERE registration_id = $1",
            ] {
                sqlx::query(sql).bind(&id).execute(&mut *tx).await?;
            }
            id
        }
        Some(_) => {
            return Err(AppError::new(
                ErrorCode::Conflict,
                format!("the unit has already registered model {}", new.model_id),
            ))
        }
        None => {
            let id = kernel::ids::new_id();
            sqlx::query(
                "INSERT INTO program_registrations (id, unit_id, model_id, role, status, note, registered_by, \
                 registered_at, version) VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7, 1)",
            )
            .bind(&id)
            .bind(unit_id)
            .bind(&new.model_id)
            .bind(new.role.code())
            .bind(crate::text::nfc(&new.note))
            .bind(actor)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            id
        }
    };
    for t in &new.targets {
        sqlx::query(
            "INSERT INTO program_targets (registration_id, kpi_id, target_value, deadline) VALUES ($1, $2, $3, $4)",
        )
        .bind(&id)
        .bind(&t.kpi_id)
        .bind(t.target_value)
        .bind(t.deadline.format("%Y-%m-%d").to_string())
        .execute(&mut *tx)
        .await?;
    }
    for (i, s) in new.steps.iter().enumerate() {
        sqlx::query("INSERT INTO program_steps (registration_id, seq, title, due_date) VALUES ($1, $2, $3, $4)")
            .bind(&id)
            .bind(i as i64 + 1)
            .bind(crate::text::nfc(&s.title))
            .bind(s.due_date.format("%Y-%m-%d").to_string())
            .execute(&mut *tx)
            .await?;
    }
    db::idempotency::bind(&mut tx).await?;
    tx.commit().await?;
    get(db, &id).await
}

/// The working group's decision on a pending registration, at `now` (UTC milliseconds).
pub async fn decide(
    db: &Db,
    id: &str,
    approve: bool,
    note: &str,
    actor: &str,
    version: i64,
    now: i64,
) -> Result<Registration, AppError> {
    let note = crate::text::limited(crate::text::nfc(note), "note", 2000)?;
    if !approve && note.is_empty() {
        return Err(AppError::invalid("note: say what the unit must revise"));
    }
    let current = get(db, id).await?;
    if current.status != RegStatus::Pending {
        return Err(AppError::new(ErrorCode::Conflict, format!("registration is {}", current.status.code())));
    }
    let res = sqlx::query(
        "UPDATE program_registrations SET status = $1, decided_by = $2, decided_at = $3, decision_note = $4, \
         version = version + 1 WHERE id = $5 AND version = $6 AND status = 'pending'",
    )
    .bind(if approve { "approved" } else { "returned" })
    .bind(actor)
    .bind(now)
    .bind(note)
    .bind(id)
    .bind(version)
    .execute(db.write())
    .await?;
    if res.rows_affected() != 1 {
        return Err(AppError::new(ErrorCode::Conflict, "the registration changed meanwhile"));
    }
    get(db, id).await
}

/// Marks a plan step done at `now` (UTC milliseconds), or not done.
pub async fn set_step_done(db: &Db, id: &str, seq: i64, done: bool, now: i64) -> Result<Registration, AppError> {
    let res = sqlx::query("UPDATE program_steps SET done_at = $1 WHERE registration_id = $2 AND seq = $3")
        .bind(done.then_some(now))
        .bind(id)
        .bind(seq)
        .execute(db.write())
        .await?;
    if res.rows_affected() != 1 {
        return Err(AppError::not_found(format!("step {seq} of registration {id}")));
    }
    get(db, id).await
}

const REG_COLUMNS: &str = "id, unit_id, model_id, role, status, note, registered_by, registered_at, decided_by, \
     decided_at, decision_note, version";

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
}

async fn load(db: &Db, rows: Vec<db::Row>) -> Result<Vec<Registration>, AppError> {
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id: String = r.get(0);
        let targets = sqlx::query(
            "SELECT kpi_id, target_value, deadline FROM program_targets WHERE registration_id = $1 ORDER BY kpi_id",
        )
        .bind(&id)
        .fetch_all(db.read())
        .await?
        .iter()
        .map(|t| Target { kpi_id: t.get(0), target_value: t.get(1), deadline: date(&t.get::<String, _>(2)) })
        .collect();
        let steps = sqlx::query(
            "SELECT seq, title, due_date, done_at FROM program_steps WHERE registration_id = $1 ORDER BY seq",
        )
        .bind(&id)
        .fetch_all(db.read())
        .await?
        .iter()
        .map(|s| Step { seq: s.get(0), title: s.get(1), due_date: date(&s.get::<String, _>(2)), done_at: s.get(3) })
        .collect();
        out.push(Registration {
            id,
            unit_id: r.get(1),
            model_id: r.get(2),
            role: if r.get::<String, _>(3) == "lead" { RegRole::Lead } else { RegRole::Coordinating },
            status: RegStatus::parse(&r.get::<String, _>(4)),
            note: r.get(5),
            registered_by: r.get(6),
            registered_at: r.get(7),
            decided_by: r.get(8),
            decided_at: r.get(9),
            decision_note: r.get(10),
            version: r.get(11),
            targets,
            steps,
        });
    }
    Ok(out)
}

/// One registration, or `not_found`.
pub async fn get(db: &Db, id: &str) -> Result<Registration, AppError> {
    let row = sqlx::query(&format!("SELECT {REG_COLUMNS} FROM program_registrations WHERE id = $1"))
        .bind(id)
        .fetch_optional(db.read())
        .await?
        .ok_or_else(|| AppError::not_found(format!("registration {id}")))?;
    Ok(load(db, vec![row]).await?.remove(0))
}

/// Registrations, optionally of one unit and/or one model.
pub async fn list(db: &Db, unit_id: Option<&str>, model_id: Option<&str>) -> Result<Vec<Registration>, AppError> {
    let mut f = Filter::new();
    if let Some(u) = unit_id {
        f.and("unit_id = ?", Arg::Text(u.into()));
    }
    if let Some(m) = model_id {
        f.and("model_id = ?", Arg::Text(m.into()));
    }
    let sql = format!("SELECT {REG_COLUMNS} FROM program_registrations WHERE {} ORDER BY registered_at", f.sql());
    let rows = f.bind(sqlx::query(&sql)).fetch_all(db.read()).await?;
    load(db, rows).await
}

/// Active units that have not registered any model (a returned registration does not count).
pub async fn units_not_registered(db: &Db) -> Result<Vec<crate::units::Unit>, AppError> {
    let all = crate::units::list(db, None, None).await?;
    let registered: Vec<String> =
        sqlx::query("SELECT DISTINCT unit_id FROM program_registrations WHERE status IN ('pending', 'approved')")
            .fetch_all(db.read())
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
    Ok(all.into_iter().filter(|u| u.active && !registered.contains(&u.id)).collect())
}
