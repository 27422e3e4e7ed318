//! A unit's periodic report: draft → submitted → approved, or returned → resubmitted.

use chrono::NaiveDate;
use db::sqlx::{self, Row};
use db::{Arg, Db, Filter};
use kernel::{AppError, ErrorCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::calendar::{Frequency, Period};
use crate::units::Unit;

/// Where a report is in its workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    Draft,
    Submitted,
    Returned,
    Approved,
}

impl ReportStatus {
    pub fn code(self) -> &'static str {
        match self {
            ReportStatus::Draft => "draft",
            ReportStatus::Submitted => "submitted",
            ReportStatus::Returned => "returned",
            ReportStatus::Approved => "approved",
        }
    }

    fn parse(s: &str) -> ReportStatus {
        match s {
            "submitted" => ReportStatus::Submitted,
            "returned" => ReportStatus::Returned,
            "approved" => ReportStatus::Approved,
            _ => ReportStatus::Draft,
        }
    }

    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            ReportStatus::Draft => ("Đang soạn", "Draft"),
            ReportStatus::Submitted => ("Đã gửi", "Submitted"),
            ReportStatus::Returned => ("Trả lại", "Returned"),
            ReportStatus::Approved => ("Đã duyệt", "Approved"),
        }
    }
}

/// One KPI line of a report.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ReportItem {
    pub registration_id: String,
    pub kpi_id: String,
    /// `None`: not reported, or a computed KPI without data source.
    pub value: Option<f64>,
    pub target: Option<f64>,
    /// Filled from platform data (not editable by the unit).
    pub computed: bool,
    pub note: String,
}

/// A periodic report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Report {
    pub id: String,
    pub unit_id: String,
    pub frequency: Frequency,
    pub period: String,
    #[schema(value_type = String, format = Date)]
    pub due_date: NaiveDate,
    pub status: ReportStatus,
    pub summary: String,
    pub difficulties: String,
    pub created_by: String,
    pub created_at: i64,
    pub submitted_at: Option<i64>,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub decision_note: Option<String>,
    pub version: i64,
    pub items: Vec<ReportItem>,
}

impl Report {
    /// The human label of the report's period ("Tháng 06/2025"); the stored label itself should
    /// it not parse (every stored label was parsed when its report was created).
    pub fn period_title(&self, lang: kernel::Lang) -> String {
        Period::parse(self.frequency, &self.period).map_or_else(|_| self.period.clone(), |p| p.title(lang))
    }
}

const COLUMNS: &str = "id, unit_id, frequency, period, due_date, status, summary, difficulties, created_by, \
     created_at, submitted_at, decided_by, decided_at, decision_note, version";

async fn load(db: &Db, rows: Vec<db::Row>) -> Result<Vec<Report>, AppError> {
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id: String = r.get(0);
        let items = sqlx::query(
            "SELECT registration_id, kpi_id, value, target, computed, note FROM program_report_items \
             WHERE report_id = $1 ORDER BY registration_id, kpi_id",
        )
        .bind(&id)
        .fetch_all(db.read())
        .await?
        .iter()
        .map(|i| ReportItem {
            registration_id: i.get(0),
            kpi_id: i.get(1),
            value: i.get(2),
            target: i.get(3),
            computed: i.get::<i64, _>(4) != 0,
            note: i.get(5),
        })
        .collect();
        out.push(Report {
            id,
            unit_id: r.get(1),
            frequency: Frequency::parse(&r.get::<String, _>(2)).unwrap_or(Frequency::Monthly),
            period: r.get(3),
            due_date: NaiveDate::parse_from_str(&r.get::<String, _>(4), "%Y-%m-%d").unwrap_or_default(),
            status: ReportStatus::parse(&r.get::<String, _>(5)),
            summary: r.get(6),
            difficulties: r.get(7),
            created_by: r.get(8),
            created_at: r.get(9),
            submitted_at: r.get(10),
            decided_by: r.get(11),
            decided_at: r.get(12),
            decision_note: r.get(13),
            version: r.get(14),
            items,
        });
    }
    Ok(out)
}

/// One report, or `not_found`.
pub async fn get(db: &Db, id: &str) -> Result<Report, AppError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM program_reports WHERE id = $1"))
        .bind(id)
        .fetch_optional(db.read())
        .await?
        .ok_or_else(|| AppError::not_found(format!("report {id}")))?;
    Ok(load(db, vec![row]).await?.remove(0))
}

/// Reports, optionally of one unit, frequency, period and status, newest period first.
pub async fn list(
    db: &Db,
    unit_id: Option<&str>,
    frequency: Option<Frequency>,
    period: Option<&str>,
    status: Option<ReportStatus>,
) -> Result<Vec<Report>, AppError> {
    let mut f = Filter::new();
    if let Some(u) = unit_id {
        f.and("unit_id = ?", Arg::Text(u.into()));
    }
    if let Some(fr) = frequency {
        f.and("frequency = ?", Arg::Text(fr.code().into()));
    }
    if let Some(p) = period {
        f.and("period = ?", Arg::Text(p.into()));
    }
    if let Some(s) = status {
        f.and("status = ?", Arg::Text(s.code().into()));
    }
    let sql = format!("SELECT {COLUMNS} FROM program_reports WHERE {} ORDER BY due_date DESC, unit_id", f.sql());
    let rows = f.bind(sqlx::query(&sql)).fetch_all(db.read()).await?;
    load(db, rows).await
}

/// The current KPI lines (at `now`, UTC milliseconds) of every live registration of a unit, as
/// report items.
async fn prefill(db: &Db, unit: &Unit, now: i64) -> Result<Vec<ReportItem>, AppError> {
    let province = crate::settings::require_province(db).await?;
    let current = crate::kpi::current(db, &province, now).await?;
    let kpis = crate::catalogue::model_kpis(db, None).await?;
    let mut items = Vec::new();
    for reg in crate::registrations::list(db, Some(&unit.id), None).await? {
        if reg.status == crate::registrations::RegStatus::Returned {
            continue;
        }
        for line in crate::progress::lines(db, &reg, unit, &kpis, &current).await? {
            items.push(ReportItem {
                registration_id: reg.id.clone(),
                kpi_id: line.kpi.id.clone(),
                value: line.current,
                target: line.target.as_ref().map(|t| t.target_value),
                computed: line.kpi.formula.is_some(),
                note: String::new(),
            });
        }
    }
    Ok(items)
}

/// Opens the report of a period for a unit, pre-filled with its computed KPIs and the latest
/// manual values. The unit must report at that frequency. `now` is UTC milliseconds, passed so
/// tests can fix time.
pub async fn create_draft(
    db: &Db,
    unit: &Unit,
    frequency: Frequency,
    period: &str,
    actor: &str,
    now: i64,
) -> Result<Report, AppError> {
    let period = Period::parse(frequency, period)?;
    let schedule =
        super::schedules(db, Some(&unit.id)).await?.into_iter().find(|s| s.frequency == frequency).ok_or_else(
            || AppError::invalid(format!("the unit has no {} reports in its calendar", frequency.code())),
        )?;
    let items = prefill(db, unit, now).await?;
    let id = kernel::ids::new_id();
    let mut tx = db.begin().await?;
    let res = sqlx::query(
        "INSERT INTO program_reports (id, unit_id, frequency, period, due_date, status, summary, difficulties, \
         created_by, created_at, version) VALUES ($1, $2, $3, $4, $5, 'draft', '', '', $6, $7, 1)",
    )
    .bind(&id)
    .bind(&unit.id)
    .bind(frequency.code())
    .bind(&period.label)
    .bind(period.due_date(schedule.due_day).format("%Y-%m-%d").to_string())
    .bind(actor)
    .bind(now)
    .execute(&mut *tx)
    .await;
    match res {
        Ok(_) => {}
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            return Err(AppError::new(ErrorCode::Conflict, format!("the {} report exists already", period.label)))
        }
        Err(e) => return Err(kernel::AppError::from(e)),
    }
    for it in &items {
        let q = sqlx::query(
            "INSERT INTO program_report_items (report_id, registration_id, kpi_id, computed, note, value, target) \
             VALUES ($1, $2, $3, $4, '', $5, $6)",
        )
        .bind(&id)
        .bind(&it.registration_id)
        .bind(&it.kpi_id)
        .bind(i64::from(it.computed));
        crate::bind_f64(crate::bind_f64(q, it.value), it.target).execute(&mut *tx).await?;
    }
    db::idempotency::bind(&mut tx).await?;
    tx.commit().await?;
    get(db, &id).await
}

/// A change to one line of a report.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ItemEdit {
    pub registration_id: String,
    pub kpi_id: String,
    /// New value of a manual KPI (computed values cannot be changed).
    pub value: Option<f64>,
    pub note: Option<String>,
}

/// The unit's edit of a draft or returned report.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ReportEdit {
    pub version: i64,
    pub summary: Option<String>,
    pub difficulties: Option<String>,
    #[serde(default)]
    pub items: Vec<ItemEdit>,
}

fn editable(r: &Report) -> Result<(), AppError> {
    match r.status {
        ReportStatus::Draft | ReportStatus::Returned => Ok(()),
        s => Err(AppError::new(ErrorCode::Conflict, format!("a {} report cannot be changed", s.code()))),
    }
}

/// Saves the unit's changes to a draft or returned report.
pub async fn edit(db: &Db, id: &str, e: &ReportEdit) -> Result<Report, AppError> {
    let mut r = get(db, id).await?;
    editable(&r)?;
    if let Some(s) = &e.summary {
        r.summary = crate::text::limited(crate::text::nfc(s), "summary", 20_000)?;
    }
    if let Some(d) = &e.difficulties {
        r.difficulties = crate::text::limited(crate::text::nfc(d), "difficulties", 20_000)?;
    }
    for (i, ie) in e.items.iter().enumerate() {
        let item = r
            .items
            .iter_mut()
            .find(|it| it.registration_id == ie.registration_id && it.kpi_id == ie.kpi_id)
            .ok_or_else(|| AppError::invalid(format!("items[{i}]: {} is not a line of this report", ie.kpi_id)))?;
        if let Some(v) = ie.value {
            if item.computed {
                return Err(AppError::invalid(format!("items[{i}]: {} is computed from platform data", ie.kpi_id)));
            }
            if !v.is_finite() || v < 0.0 {
                return Err(AppError::invalid(format!("items[{i}]: value must be 0 or more")));
            }
            item.value = Some(v);
        }
        if let Some(n) = &ie.note {
            item.note = crate::text::limited(crate::text::nfc(n), "note", 2000)?;
        }
    }
    let mut tx = db.begin().await?;
    let res = sqlx::query(
        "UPDATE program_reports SET summary = $1, difficulties = $2, version = version + 1 \
         WHERE id = $3 AND version = $4 AND status IN ('draft', 'returned')",
    )
    .bind(&r.summary)
    .bind(&r.difficulties)
    .bind(id)
    .bind(e.version)
    .execute(&mut *tx)
    .await?;
    if res.rows_affected() != 1 {
        return Err(AppError::new(ErrorCode::Conflict, "the report changed meanwhile"));
    }
    write_items(&mut tx, id, &r.items).await?;
    db::idempotency::bind(&mut tx).await?;
    tx.commit().await?;
    get(db, id).await
}

async fn write_items(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    id: &str,
    items: &[ReportItem],
) -> Result<(), AppError> {
    for it in items {
        let q = sqlx::query(
            "UPDATE program_report_items SET value = $1, note = $2 WHERE report_id = $3 AND registration_id = $4 \
             AND kpi_id = $5",
        );
        crate::bind_f64(q, it.value)
            .bind(&it.note)
            .bind(id)
            .bind(&it.registration_id)
            .bind(&it.kpi_id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Submits a draft or returned report: computed values are refreshed from live data and stored
/// in the monthly history, then frozen in the report. `now` is UTC milliseconds, the time of the
/// submission.
pub async fn submit(db: &Db, id: &str, unit: &Unit, version: i64, now: i64) -> Result<Report, AppError> {
    let mut r = get(db, id).await?;
    editable(&r)?;
    if r.summary.trim().is_empty() {
        return Err(AppError::invalid("summary: describe the results of the period before submitting"));
    }
    let province = crate::settings::require_province(db).await?;
    crate::kpi::refresh(db, &province, now).await?;
    let fresh = prefill(db, unit, now).await?;
    for it in r.items.iter_mut().filter(|it| it.computed) {
        it.value = fresh
            .iter()
            .find(|f| f.registration_id == it.registration_id && f.kpi_id == it.kpi_id)
            .and_then(|f| f.value);
    }
    let mut tx = db.begin().await?;
    let res = sqlx::query(
        "UPDATE program_reports SET status = 'submitted', submitted_at = $1, version = version + 1 \
         WHERE id = $2 AND version = $3 AND status IN ('draft', 'returned')",
    )
    .bind(now)
    .bind(id)
    .bind(version)
    .execute(&mut *tx)
    .await?;
    if res.rows_affected() != 1 {
        return Err(AppError::new(ErrorCode::Conflict, "the report changed meanwhile"));
    }
    write_items(&mut tx, id, &r.items).await?;
    db::idempotency::bind(&mut tx).await?;
    tx.commit().await?;
    get(db, id).await
}

/// The working group approves a submitted report, or returns it with a note saying what to revise,
/// at `now` (UTC milliseconds).
pub async fn decide(
    db: &Db,
    id: &str,
    approve: bool,
    note: &str,
    actor: &str,
    version: i64,
    now: i64,
) -> Result<Report, AppError> {
    let note = crate::text::limited(crate::text::nfc(note), "note", 2000)?;
    if !approve && note.is_empty() {
        return Err(AppError::invalid("note: say what the unit must revise"));
    }
    let r = get(db, id).await?;
    if r.status != ReportStatus::Submitted {
        return Err(AppError::new(ErrorCode::Conflict, format!("a {} report cannot be decided", r.status.code())));
    }
    let res = sqlx::query(
        "UPDATE program_reports SET status = $1, decided_by = $2, decided_at = $3, decision_note = $4, \
         version = version + 1 WHERE id = $5 AND version = $6 AND status = 'submitted'",
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
        return Err(AppError::new(ErrorCode::Conflict, "the report changed meanwhile"));
    }
    get(db, id).await
}
