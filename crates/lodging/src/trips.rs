//! Long-distance coach trips (pilot model 12): the operator opens a trip (route, plate,
//! departure) and scans passengers at boarding. Each boarding is a check-in to the operator
//! facility, so every passenger is a lodging notification to the police of the operator's commune
//! (with deadline, watchlist matching and the live feed), and the trip's check-ins are its manifest.

use chrono::{DateTime, FixedOffset};
use db::sqlx::{self, Row};
use db::{Arg, Db, Filter};
use kernel::{Actor, Jurisdiction};
use kernel::{AppError, ErrorCode, Page, PageRequest};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::checkins::{self, CheckinRequest, CheckinResult};
use crate::guests::GuestInput;
use crate::scope::restrict;
use crate::Service;

/// How long before departure boarding may start, and after it may still go on.
const BOARDING_WINDOW_MS: i64 = 12 * 3_600_000;

/// A trip as stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Trip {
    pub id: String,
    pub facility_id: String,
    pub commune_code: String,
    /// E.g. `Tuyên Quang – Hà Nội`.
    pub route: String,
    /// Vehicle registration plate, upper case.
    pub plate: String,
    pub departure_at: i64,
    pub created_at: i64,
}

/// What the operator enters to open a trip.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewTrip {
    /// An approved `coach_operator` facility of the caller's organization.
    pub facility_id: String,
    pub route: String,
    pub plate: String,
    /// RFC 3339.
    #[schema(value_type = String)]
    pub departure_at: DateTime<FixedOffset>,
}

/// Passengers boarding together (one scan each, or a family in one call).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct Boarding {
    /// Seat number(s); the plate when absent.
    pub seat: Option<String>,
    pub passengers: Vec<GuestInput>,
}

const COLUMNS: &str =
    "f.id, f.facility_id, f.commune_code, f.route, f.plate, f.departure_at, f.created_at FROM lodging_trips f";

fn from_row(r: &db::Row) -> Trip {
    Trip {
        id: r.get(0),
        facility_id: r.get(1),
        commune_code: r.get(2),
        route: r.get(3),
        plate: r.get(4),
        departure_at: r.get(5),
        created_at: r.get(6),
    }
}

/// A registration plate: letters, digits, `-` and `.`, 5 to 15 characters.
fn plate(s: &str) -> Result<String, AppError> {
    let p: String = s.trim().to_uppercase().chars().filter(|c| !c.is_whitespace()).collect();
    let ok = (5..=15).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    if !ok {
        return Err(AppError::invalid("plate must be 5 to 15 letters, digits, '-' or '.'"));
    }
    Ok(p)
}

/// Opens a trip of an approved coach-operator facility of the caller's organization.
pub async fn create(db: &Db, user: &Actor, new: NewTrip, now: i64) -> Result<Trip, AppError> {
    let route = kernel::text::normalize_name(&new.route);
    if route.is_empty() || route.chars().count() > 200 {
        return Err(AppError::invalid("route is required (at most 200 characters)"));
    }
    let plate = plate(&new.plate)?;
    let f = crate::facilities::get(db, &new.facility_id, &user.jurisdiction)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound, "no facility with this id in your organization"))?;
    if f.kind != "coach_operator" {
        return Err(AppError::invalid("trips belong to a coach_operator facility"));
    }
    if f.status != "approved" {
        return Err(AppError::new(
            ErrorCode::Conflict,
            format!("facility is {}: only approved operators run trips", f.status),
        ));
    }
    let t = Trip {
        id: kernel::ids::new_id(),
        facility_id: f.id,
        commune_code: f.commune_code,
        route,
        plate,
        departure_at: new.departure_at.timestamp_millis(),
        created_at: now,
    };
    sqlx::query(
        "INSERT INTO lodging_trips (id, facility_id, organization_id, commune_code, province_code, route, plate, \
         departure_at, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&t.id)
    .bind(&t.facility_id)
    .bind(&f.organization_id)
    .bind(&t.commune_code)
    .bind(&f.province_code)
    .bind(&t.route)
    .bind(&t.plate)
    .bind(t.departure_at)
    .bind(&user.account_id)
    .bind(t.created_at)
    .execute(db.write())
    .await?;
    Ok(t)
}

/// One trip inside the caller's jurisdiction (staff: their organization's).
pub async fn get(db: &Db, id: &str, j: &Jurisdiction) -> Result<Option<Trip>, AppError> {
    let mut f = Filter::new();
    f.and("f.id = ?", Arg::Text(id.to_string()));
    restrict(&mut f, j, "f", true);
    let sql = format!("SELECT {COLUMNS} WHERE {}", f.sql());
    Ok(f.bind(sqlx::query(&sql)).fetch_optional(db.read()).await?.as_ref().map(from_row))
}

/// Trips inside the caller's jurisdiction, latest departure first.
pub async fn list(db: &Db, j: &Jurisdiction, page: PageRequest) -> Result<Page<Trip>, AppError> {
    let mut f = Filter::new();
    restrict(&mut f, j, "f", true);
    let rows = f.fetch_page(db.read(), &format!("SELECT {COLUMNS}"), "f.departure_at DESC, f.id", page).await?;
    Ok(Page::from_probe(rows.iter().map(from_row).collect(), page))
}

/// Boards passengers: one check-in to the operator facility (room: seat or plate) carrying the
/// trip, within 12 hours of departure (at `now`, UTC milliseconds).
pub async fn board(
    svc: &Service,
    user: &Actor,
    key: Option<&str>,
    trip_id: &str,
    b: Boarding,
    now: i64,
) -> Result<CheckinResult, AppError> {
    let trip = get(&svc.stores.db, trip_id, &user.jurisdiction)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound, "no trip with this id in your organization"))?;
    if (now - trip.departure_at).abs() > BOARDING_WINDOW_MS {
        return Err(AppError::new(
            ErrorCode::Conflict,
            "boarding is open from 12 hours before to 12 hours after departure",
        ));
    }
    let seat = b.seat.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let req = CheckinRequest {
        facility_id: trip.facility_id.clone(),
        room: seat.map(|s| format!("{} — ghế {s}", trip.plate)).unwrap_or_else(|| trip.plate.clone()),
        arrival_at: None,
        expected_departure_at: None,
        reason: format!("Hành khách tuyến {}", trip.route),
        guests: b.passengers,
    };
    let attach = checkins::Attach { trip_id: Some(trip.id), ..Default::default() };
    checkins::check_in_to(svc, user, key, req, attach, now).await
}
