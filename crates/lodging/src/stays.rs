//! Stays after check-in: the staff's list of their facility's guests, stay extension and room
//! change (the notification follows), and the temporary-residence prompt for long stays in rental
//! houses and dormitories.

use db::sqlx::{self, Row};
use db::{Arg, Db, Filter};
use kernel::Jurisdiction;
use kernel::{AppError, ErrorCode, Page, PageRequest};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::feed::FeedEvent;
use crate::scope::restrict;
use crate::Service;

/// Facility kinds where a stay longer than [`RESIDENCE_PROMPT_DAYS`] calls for temporary-residence
/// registration (Law on Residence 2020: tạm trú after 30 days).
pub const LONG_STAY_KINDS: &[&str] = &["rental_house", "dormitory"];
/// Days after which the prompt appears.
pub const RESIDENCE_PROMPT_DAYS: i64 = 30;
const DAY_MS: i64 = 86_400_000;

/// One guest's stay, as the facility staff (and the police, for prompts) see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Stay {
    pub id: String,
    pub group_id: String,
    pub facility_id: String,
    pub facility_name: String,
    pub facility_kind: String,
    pub commune_code: String,
    pub guest_kind: String,
    pub full_name: String,
    pub personal_id: Option<String>,
    pub passport_number: Option<String>,
    pub nationality: String,
    pub birth_date: Option<String>,
    pub room: String,
    pub reason: String,
    pub arrival_at: i64,
    pub expected_departure_at: Option<i64>,
    pub checked_out_at: Option<i64>,
    /// Whole days since arrival (until check-out, or now).
    pub days: i64,
    /// A citizen staying in a rental house or dormitory for 30 days or more: temporary residence
    /// should be registered.
    pub residence_prompt: bool,
}

const COLUMNS: &str = "c.id, c.group_id, c.facility_id, f.name, f.kind, f.commune_code, c.guest_kind, c.full_name, \
    c.personal_id, c.passport_number, c.nationality, c.birth_date, c.room, c.reason, c.arrival_at, \
    c.expected_departure_at, c.checked_out_at";
const FROM: &str = "lodging_checkins c JOIN lodging_facilities f ON f.id = c.facility_id";

fn from_row(r: &db::Row, now: i64) -> Stay {
    let arrival: i64 = r.get(14);
    let out: Option<i64> = r.get(16);
    let kind: String = r.get(4);
    let guest_kind: String = r.get(6);
    let days = (out.unwrap_or(now) - arrival).max(0) / DAY_MS;
    Stay {
        id: r.get(0),
        group_id: r.get(1),
        facility_id: r.get(2),
        facility_name: r.get(3),
        residence_prompt: out.is_none()
            && guest_kind == "citizen"
            && LONG_STAY_KINDS.contains(&kind.as_str())
            && days >= RESIDENCE_PROMPT_DAYS,
        facility_kind: kind,
        commune_code: r.get(5),
        guest_kind,
        full_name: r.get(7),
        personal_id: r.get(8),
        passport_number: r.get(9),
        nationality: r.get(10),
        birth_date: r.get(11),
        room: r.get(12),
        reason: r.get(13),
        arrival_at: arrival,
        expected_departure_at: r.get(15),
        checked_out_at: out,
        days,
    }
}

/// Adds a search on a table with `name_folded`, `personal_id` and `passport_number` columns: a
/// 12-digit id or a passport number matches exactly, anything else is a name fragment compared
/// without diacritics.
pub fn search(f: &mut Filter, alias: &str, text: &str) {
    let upper = text.to_uppercase();
    if text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()) {
        f.and(&format!("{alias}.personal_id = ?"), Arg::Text(text.to_string()));
    } else if upper.bytes().all(|b| b.is_ascii_alphanumeric()) && upper.bytes().any(|b| b.is_ascii_digit()) {
        f.and(&format!("{alias}.passport_number = ?"), Arg::Text(upper));
    } else {
        f.and(&format!("{alias}.name_folded LIKE ?"), Arg::Text(format!("%{}%", kernel::text::fold(text))));
    }
}

/// Which stays a staff list shows.
#[derive(Debug, Clone, Default)]
pub struct StayQuery {
    pub facility_id: Option<String>,
    /// Only guests not checked out yet.
    pub current: bool,
    /// Name (without diacritics), personal id or passport number prefix.
    pub q: Option<String>,
    /// Only passengers of this coach trip (its manifest).
    pub trip_id: Option<String>,
}

/// Stays of the staff member's organization, newest arrival first.
pub async fn list(
    db: &Db,
    organization_id: &str,
    q: &StayQuery,
    page: PageRequest,
    now: i64,
) -> Result<Page<Stay>, AppError> {
    let mut f = Filter::new();
    f.and("c.organization_id = ?", Arg::Text(organization_id.to_string()));
    if let Some(id) = &q.facility_id {
        f.and("c.facility_id = ?", Arg::Text(id.clone()));
    }
    if let Some(id) = &q.trip_id {
        f.and("c.trip_id = ?", Arg::Text(id.clone()));
    }
    if q.current {
        f.and("c.checked_out_at IS NULL AND ? = 1", Arg::Int(1));
    }
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        search(&mut f, "c", text);
    }
    page_of(db, &f, NEWEST, page, now).await
}

/// Newest arrival first.
const NEWEST: &str = "c.arrival_at DESC, c.id";

/// One page of the stays matching `f` (conditions on `c` = check-ins and `f` = facilities), as
/// they are at `now` (UTC milliseconds).
async fn page_of(db: &Db, f: &Filter, order: &str, page: PageRequest, now: i64) -> Result<Page<Stay>, AppError> {
    let rows = f.fetch_page(db.read(), &format!("SELECT {COLUMNS} FROM {FROM}"), order, page).await?;
    Ok(Page::from_probe(rows.iter().map(|r| from_row(r, now)).collect(), page))
}

/// One page of the stays matching `f`, newest arrival first (for the guest history), as they are
/// at `now` (UTC milliseconds).
pub async fn page(db: &Db, f: Filter, page: PageRequest, now: i64) -> Result<Page<Stay>, AppError> {
    page_of(db, &f, NEWEST, page, now).await
}

/// What staff may change in a stay.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct StayChange {
    /// New room (room change).
    pub room: Option<String>,
    /// New expected departure, RFC 3339 (stay extension).
    #[schema(value_type = Option<String>)]
    pub expected_departure_at: Option<chrono::DateTime<chrono::FixedOffset>>,
}

/// Changes the room or expected departure of a current stay of the organization; the lodging
/// notification is updated and the `stay` event written to the NATS outbox in the same
/// transaction, and the police feed gets the event once it is committed. Returns the updated stay as it is at `now` (UTC milliseconds).
pub async fn change(
    svc: &Service,
    organization_id: &str,
    id: &str,
    ch: StayChange,
    now: i64,
) -> Result<Stay, AppError> {
    let (stay, event) = update(svc, organization_id, id, ch, now).await?;
    svc.committed(vec![event]);
    Ok(stay)
}

/// The police feed's event for a changed stay, routed to the facility's commune and province.
fn feed_event(stay: &Stay) -> FeedEvent {
    let province = registry::admin_units::AdminUnits::get()
        .commune(&stay.commune_code)
        .map(|c| c.province_code.clone())
        .unwrap_or_default();
    FeedEvent {
        kind: "stay",
        communes: vec![stay.commune_code.clone()],
        province_code: province,
        data: serde_json::json!({"checkin_id": stay.id, "facility_id": stay.facility_id, "room": stay.room,
            "expected_departure_at": stay.expected_departure_at}),
    }
}

/// Writes the change and its outbox row; returns the stay as changed and its feed event.
async fn update(
    svc: &Service,
    organization_id: &str,
    id: &str,
    ch: StayChange,
    now: i64,
) -> Result<(Stay, FeedEvent), AppError> {
    let db = &svc.stores.db;
    let room = ch.room.map(|r| r.trim().to_string());
    if room.as_deref().is_some_and(|r| r.is_empty() || r.chars().count() > 50) {
        return Err(AppError::invalid("room must be 1 to 50 characters"));
    }
    let departure = ch.expected_departure_at.map(|d| d.timestamp_millis());
    if room.is_none() && departure.is_none() {
        return Err(AppError::invalid("give room or expected_departure_at"));
    }
    let stay = get(db, organization_id, id, now).await?;
    if stay.checked_out_at.is_some() {
        return Err(AppError::new(ErrorCode::LodgingAlreadyCheckedOut, "guest already checked out"));
    }
    if departure.is_some_and(|d| d <= stay.arrival_at) {
        return Err(AppError::invalid("expected_departure_at must be after the arrival"));
    }
    let room = room.unwrap_or(stay.room.clone());
    let departure = departure.or(stay.expected_departure_at);
    let event = feed_event(&Stay { room: room.clone(), expected_departure_at: departure, ..stay });
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE lodging_checkins SET room = $1, expected_departure_at = $2 \
         WHERE id = $3 AND organization_id = $4 AND checked_out_at IS NULL",
    )
    .bind(&room)
    .bind(departure)
    .bind(id)
    .bind(organization_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE lodging_notifications SET expected_departure_at = $1 WHERE checkin_id = $2")
        .bind(departure)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    svc.outbox.record(&mut tx, std::slice::from_ref(&event), now).await?;
    db::idempotency::bind(&mut tx).await?;
    tx.commit().await?;
    Ok((get(db, organization_id, id, now).await?, event))
}

/// One stay of the organization (404 for any other), as it is at `now` (UTC milliseconds).
pub async fn get(db: &Db, organization_id: &str, id: &str, now: i64) -> Result<Stay, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE c.id = $1 AND c.organization_id = $2");
    let row = sqlx::query(&sql)
        .bind(id)
        .bind(organization_id)
        .fetch_optional(db.read())
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound, "no check-in with this id in your organization"))?;
    Ok(from_row(&row, now))
}

/// Current long stays (30 days or more) of citizens in rental houses and dormitories, in the
/// caller's area (police) or organization (staff), longest first, at `now` (UTC milliseconds).
pub async fn residence_prompts(db: &Db, j: &Jurisdiction, page: PageRequest, now: i64) -> Result<Page<Stay>, AppError> {
    let mut f = Filter::new();
    restrict(&mut f, j, "f", true);
    f.and("c.checked_out_at IS NULL AND c.guest_kind = ?", Arg::Text("citizen".into()));
    f.and(
        "f.kind IN ('rental_house', 'dormitory') AND c.arrival_at <= ?",
        Arg::Int(now - RESIDENCE_PROMPT_DAYS * DAY_MS),
    );
    page_of(db, &f, "c.arrival_at, c.id", page, now).await
}
