//! The police side: lodging notifications of the officer's jurisdiction — facilities' guests and
//! citizens' declarations of stays at private homes — searched and filtered.

use chrono::{NaiveDate, NaiveTime};
use db::sqlx::{self, Row};
use db::{Arg, Db, Filter};
use kernel::Jurisdiction;
use kernel::{AppError, ErrorCode, Page, PageRequest};
use serde::Serialize;
use utoipa::ToSchema;

use crate::scope::restrict;

/// Where a notification comes from: a facility's check-in, or a citizen's own declaration of a
/// stay at a private home.
pub const SOURCES: &[&str] = &["facility", "declaration"];

/// A notification as the police see it: a facility's guest or a citizen's declaration.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Notification {
    /// `facility` or `declaration`.
    pub source: String,
    pub id: String,
    /// The stay at the facility (none for a declaration).
    pub checkin_id: Option<String>,
    pub facility_id: Option<String>,
    pub facility_name: Option<String>,
    /// A declaration's host.
    pub host_name: Option<String>,
    /// A declaration's address (the host's home).
    pub address: Option<String>,
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
    /// `facility` or `declaration` (both when absent).
    pub source: Option<String>,
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

/// Facilities' notifications and citizens' declarations as one relation `n`, so one filtered,
/// jurisdiction-restricted query pages through both (the conditions are pushed into each branch).
const FROM: &str = "(SELECT 'facility' AS source, id, checkin_id, facility_id, facility_name, \
    CAST(NULL AS TEXT) AS host_name, CAST(NULL AS TEXT) AS address, commune_code, province_code, guest_kind, \
    personal_id, passport_number, nationality, full_name, name_folded, reason, arrival_at, expected_departure_at, \
    deadline_at, submitted_at, late FROM lodging_notifications \
    UNION ALL SELECT 'declaration', id, CAST(NULL AS TEXT), CAST(NULL AS TEXT), CAST(NULL AS TEXT), host_name, \
    address, commune_code, province_code, 'citizen', personal_id, CAST(NULL AS TEXT), 'VNM', full_name, name_folded, \
    reason, arrival_at, expected_departure_at, deadline_at, submitted_at, late FROM lodging_declarations) n";

const COLUMNS: &str = "n.source, n.id, n.checkin_id, n.facility_id, n.facility_name, n.host_name, n.address, \
    n.commune_code, n.guest_kind, n.personal_id, n.passport_number, n.nationality, n.full_name, n.reason, \
    n.arrival_at, n.expected_departure_at, n.deadline_at, n.submitted_at, n.late";

fn from_row(r: &db::Row) -> Notification {
    Notification {
        source: r.get(0),
        id: r.get(1),
        checkin_id: r.get(2),
        facility_id: r.get(3),
        facility_name: r.get(4),
        host_name: r.get(5),
        address: r.get(6),
        commune_code: r.get(7),
        guest_kind: r.get(8),
        personal_id: r.get(9),
        passport_number: r.get(10),
        nationality: r.get(11),
        full_name: r.get(12),
        reason: r.get(13),
        arrival_at: r.get(14),
        expected_departure_at: r.get(15),
        deadline_at: r.get(16),
        submitted_at: r.get(17),
        late: r.get::<i64, _>(18) != 0,
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
    if let Some(src) = &q.source {
        f.and("n.source = ?", Arg::Text(src.clone()));
    }
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
    let rows = f.fetch_page(db.read(), &format!("SELECT {COLUMNS} FROM {FROM}"), ORDER, page).await?;
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
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE {} ORDER BY {ORDER} LIMIT ${n}", f.sql());
    let rows = f.bind(sqlx::query(&sql)).bind(limit as i64 + 1).fetch_all(db.read()).await?;
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
