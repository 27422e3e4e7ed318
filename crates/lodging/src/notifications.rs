//! The police side: lodging notifications of the officer's jurisdiction, searched and filtered.

use chrono::{NaiveDate, NaiveTime};
use db::sqlx::{self, Row};
use db::{Arg, Db, Filter};
use kernel::{AppError, ErrorCode, Page, PageRequest};
use serde::Serialize;
use utoipa::ToSchema;
use web::Jurisdiction;

use crate::scope::restrict;

/// A notification as the police see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Notification {
    pub id: String,
    pub checkin_id: String,
    pub facility_id: String,
    pub facility_name: String,
    pub commune_code: String,
    pub guest_kind: String,
    pub personal_id: Option<String>,
    pub passport_number: Option<String>,
    pub nationality: String,
    pub full_name: String,
    pub reason: String,
    pub arrival_at: i64,
    pub expected_departure_at: Option<i64>,
    pub deadline_at: i64,
    pub submitted_at: i64,
    pub late: bool,
}

/// Search conditions of the police list.
#[derive(Debug, Clone, Default)]
pub struct NotificationQuery {
    pub facility_id: Option<String>,
    /// Arrival day in Vietnam time.
    pub date: Option<NaiveDate>,
    /// ISO alpha-3 (`VNM` for citizens).
    pub nationality: Option<String>,
    pub late: Option<bool>,
    /// Arrival day range (inclusive, Vietnam time), for exports.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Name without diacritics, personal id or passport number.
    pub q: Option<String>,
}

const COLUMNS: &str = "n.id, n.checkin_id, n.facility_id, n.facility_name, n.commune_code, n.guest_kind, \
    n.personal_id, n.passport_number, n.nationality, n.full_name, n.reason, n.arrival_at, n.expected_departure_at, \
    n.deadline_at, n.submitted_at, n.late";

fn from_row(r: &db::Row) -> Notification {
    Notification {
        id: r.get(0),
        checkin_id: r.get(1),
        facility_id: r.get(2),
        facility_name: r.get(3),
        commune_code: r.get(4),
        guest_kind: r.get(5),
        personal_id: r.get(6),
        passport_number: r.get(7),
        nationality: r.get(8),
        full_name: r.get(9),
        reason: r.get(10),
        arrival_at: r.get(11),
        expected_departure_at: r.get(12),
        deadline_at: r.get(13),
        submitted_at: r.get(14),
        late: r.get::<i64, _>(15) != 0,
    }
}

/// UTC milliseconds of the start of a Vietnam day.
fn day_start(d: NaiveDate) -> Result<i64, AppError> {
    d.and_time(NaiveTime::MIN)
        .and_local_timezone(kernel::clock::vietnam_offset())
        .single()
        .map(|t| t.timestamp_millis())
        .ok_or_else(|| AppError::new(ErrorCode::InvalidDate, "date out of range"))
}

/// The `WHERE` conditions of a search inside the jurisdiction.
fn conditions(j: &Jurisdiction, q: &NotificationQuery) -> Result<Filter, AppError> {
    let mut f = Filter::new();
    restrict(&mut f, j, "n", false);
    if let Some(id) = &q.facility_id {
        f.and("n.facility_id = ?", Arg::Text(id.clone()));
    }
    if let Some(d) = q.date {
        let start = day_start(d)?;
        f.and("n.arrival_at >= ?", Arg::Int(start)).and("n.arrival_at < ?", Arg::Int(start + 86_400_000));
    }
    if let Some(d) = q.from {
        f.and("n.arrival_at >= ?", Arg::Int(day_start(d)?));
    }
    if let Some(d) = q.to {
        f.and("n.arrival_at < ?", Arg::Int(day_start(d)? + 86_400_000));
    }
    if let Some(n) = &q.nationality {
        f.and("n.nationality = ?", Arg::Text(n.trim().to_uppercase()));
    }
    if let Some(late) = q.late {
        f.and("n.late = ?", Arg::Int(i64::from(late)));
    }
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        crate::stays::search(&mut f, "n", text);
    }
    Ok(f)
}

const ORDER: &str = "n.arrival_at DESC, n.id";

/// Notifications inside the jurisdiction, newest arrival first.
pub async fn list(
    db: &Db,
    j: &Jurisdiction,
    q: &NotificationQuery,
    page: PageRequest,
) -> Result<Page<Notification>, AppError> {
    let f = conditions(j, q)?;
    let rows = f
        .fetch_page(db.read(), &format!("SELECT {COLUMNS} FROM lodging_notifications n"), ORDER, page)
        .await
        .map_err(db::internal)?;
    Ok(Page::from_probe(rows.iter().map(from_row).collect(), page))
}

/// Up to `limit` notifications of a search, newest first, plus whether more exist (exports).
pub async fn all(
    db: &Db,
    j: &Jurisdiction,
    q: &NotificationQuery,
    limit: usize,
) -> Result<(Vec<Notification>, bool), AppError> {
    let f = conditions(j, q)?;
    let n = f.next_placeholder();
    let sql = format!("SELECT {COLUMNS} FROM lodging_notifications n WHERE {} ORDER BY {ORDER} LIMIT ${n}", f.sql());
    let rows = f.bind(sqlx::query(&sql)).bind(limit as i64 + 1).fetch_all(db.read()).await.map_err(db::internal)?;
    let more = rows.len() > limit;
    Ok((rows.iter().take(limit).map(from_row).collect(), more))
}

/// The access-log subject of a notification's guest: personal id or passport key.
pub fn subject(n: &Notification) -> Option<String> {
    match (&n.personal_id, &n.passport_number) {
        (Some(id), _) => Some(id.clone()),
        (None, Some(pp)) => Some(crate::watchlist::passport_key(&n.nationality, pp)),
        (None, None) => None,
    }
}
