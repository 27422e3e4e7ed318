//! A citizen's own declaration of a stay at a private home (like VNeID's "khai báo lưu trú"): the
//! citizen, identified by their account, declares the host's address and name; the declaration
//! goes to the police of the host's commune with the citizen's legal deadline and the late flag,
//! and appears on the live feed; a citizen on the watchlist raises an alert as at a check-in.

use chrono::{DateTime, FixedOffset};
use db::sqlx::{self, Row};
use db::{Arg, Db, Filter};
use kernel::Jurisdiction;
use kernel::{AppError, ErrorCode, Page, PageRequest, PersonalId};
use registry::admin_units::AdminUnits;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::alerts::{self, Sighting};
use crate::deadline::{deadline_ms, is_late, GuestKind};
use crate::feed::FeedEvent;
use crate::scope::restrict;
use crate::Service;

/// How far back a stay may still be declared.
const MAX_AGE_MS: i64 = 30 * 86_400_000;
/// Clock skew tolerated for an arrival "now".
const FUTURE_SLACK_MS: i64 = 10 * 60_000;

/// What the citizen enters.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewDeclaration {
    /// 2025 commune code of the host's home.
    pub commune_code: String,
    pub address: String,
    pub host_name: String,
    /// The host's personal id, when known.
    pub host_personal_id: Option<String>,
    pub reason: String,
    /// RFC 3339; now when absent.
    #[schema(value_type = Option<String>)]
    pub arrival_at: Option<DateTime<FixedOffset>>,
    /// RFC 3339.
    #[schema(value_type = Option<String>)]
    pub expected_departure_at: Option<DateTime<FixedOffset>>,
}

/// A declaration as stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Declaration {
    pub id: String,
    pub personal_id: String,
    pub full_name: String,
    pub commune_code: String,
    pub address: String,
    pub host_name: String,
    pub host_personal_id: Option<String>,
    pub reason: String,
    pub arrival_at: i64,
    pub expected_departure_at: Option<i64>,
    pub deadline_at: i64,
    pub submitted_at: i64,
    pub late: bool,
}

const COLUMNS: &str = "f.id, f.personal_id, f.full_name, f.commune_code, f.address, f.host_name, \
    f.host_personal_id, f.reason, f.arrival_at, f.expected_departure_at, f.deadline_at, f.submitted_at, f.late";

fn from_row(r: &db::Row) -> Declaration {
    Declaration {
        id: r.get(0),
        personal_id: r.get(1),
        full_name: r.get(2),
        commune_code: r.get(3),
        address: r.get(4),
        host_name: r.get(5),
        host_personal_id: r.get(6),
        reason: r.get(7),
        arrival_at: r.get(8),
        expected_departure_at: r.get(9),
        deadline_at: r.get(10),
        submitted_at: r.get(11),
        late: r.get::<i64, _>(12) != 0,
    }
}

/// Checks and stores the declaration of citizen `personal_id` with any watchlist alert, then feeds
/// the host commune's police. `now` is UTC milliseconds, the time of the declaration, passed so
/// tests can fix time.
pub async fn declare(svc: &Service, personal_id: &str, new: NewDeclaration, now: i64) -> Result<Declaration, AppError> {
    let address = kernel::text::normalize_name(&new.address);
    let host_name = kernel::text::normalize_name(&new.host_name);
    let reason = kernel::text::normalize_name(&new.reason);
    if address.is_empty() || host_name.is_empty() || reason.is_empty() {
        return Err(AppError::invalid("address, host_name and reason are required"));
    }
    let commune = AdminUnits::get().commune(&new.commune_code).ok_or_else(|| {
        AppError::new(ErrorCode::UnknownCommune, format!("unknown commune code {}", new.commune_code))
    })?;
    let host_personal_id = new.host_personal_id.as_deref().map(str::trim).filter(|h| !h.is_empty());
    let host_personal_id =
        host_personal_id.map(|h| PersonalId::parse(h).map(|p| p.as_str().to_string())).transpose()?;
    if host_personal_id.as_deref() == Some(personal_id) {
        return Err(AppError::invalid("the host is another person"));
    }
    let arrival = new.arrival_at.map(|a| a.timestamp_millis()).unwrap_or(now);
    if arrival > now + FUTURE_SLACK_MS || arrival < now - MAX_AGE_MS {
        return Err(AppError::invalid("arrival_at must lie within the last 30 days"));
    }
    let departure = new.expected_departure_at.map(|d| d.timestamp_millis());
    if departure.is_some_and(|d| d <= arrival) {
        return Err(AppError::invalid("expected_departure_at must be after arrival_at"));
    }
    let citizen = crate::guests::citizen(&svc.persons, personal_id).await?;
    let deadline = deadline_ms(GuestKind::Citizen, arrival);
    let d = Declaration {
        id: kernel::ids::new_id(),
        personal_id: personal_id.to_string(),
        full_name: citizen.full_name,
        commune_code: commune.code.clone(),
        address,
        host_name,
        host_personal_id,
        reason,
        arrival_at: arrival,
        expected_departure_at: departure,
        deadline_at: deadline,
        submitted_at: now,
        late: is_late(deadline, now),
    };
    let mut tx = svc.stores.db.begin().await?;
    sqlx::query(
        "INSERT INTO lodging_declarations (id, personal_id, full_name, commune_code, province_code, address, \
         host_name, host_personal_id, reason, arrival_at, expected_departure_at, deadline_at, submitted_at, late, \
         name_folded) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(&d.id)
    .bind(&d.personal_id)
    .bind(&d.full_name)
    .bind(&d.commune_code)
    .bind(&commune.province_code)
    .bind(&d.address)
    .bind(&d.host_name)
    .bind(&d.host_personal_id)
    .bind(&d.reason)
    .bind(d.arrival_at)
    .bind(d.expected_departure_at)
    .bind(d.deadline_at)
    .bind(d.submitted_at)
    .bind(i64::from(d.late))
    .bind(kernel::text::fold(&d.full_name))
    .execute(&mut *tx)
    .await?;
    let sighting = Sighting {
        source: "declaration",
        source_id: &d.id,
        place_id: &d.id,
        place_name: &d.address,
        commune_code: &d.commune_code,
        province_code: &commune.province_code,
        full_name: &d.full_name,
        at: now,
    };
    let raised = alerts::raise_for(&mut tx, personal_id, &sighting).await?;
    let declared = FeedEvent {
        kind: "declaration",
        communes: vec![d.commune_code.clone()],
        province_code: commune.province_code.clone(),
        data: serde_json::json!({"declaration_id": d.id, "full_name": d.full_name, "commune_code": d.commune_code,
            "address": d.address, "arrival_at": d.arrival_at, "deadline_at": d.deadline_at, "late": d.late}),
    };
    let events: Vec<FeedEvent> =
        std::iter::once(declared).chain(raised.iter().map(|(a, reason)| alerts::feed_event(a, reason))).collect();
    svc.outbox.record(&mut tx, &events, now).await?;
    db::idempotency::bind(&mut tx).await?;
    tx.commit().await?;
    svc.committed(events);
    Ok(d)
}

/// Whose declarations a list shows.
pub enum Whose<'a> {
    /// The citizen's own.
    Citizen(&'a str),
    /// Those of the officer's commune or province.
    Police(&'a Jurisdiction),
}

/// Declarations, newest arrival first.
pub async fn list(db: &Db, whose: Whose<'_>, page: PageRequest) -> Result<Page<Declaration>, AppError> {
    let mut f = Filter::new();
    match whose {
        Whose::Citizen(id) => {
            f.and("f.personal_id = ?", Arg::Text(id.to_string()));
        }
        Whose::Police(j) => restrict(&mut f, j, "f", false),
    }
    let select = format!("SELECT {COLUMNS} FROM lodging_declarations f");
    let rows = f.fetch_page(db.read(), &select, "f.arrival_at DESC, f.id", page).await?;
    Ok(Page::from_probe(rows.iter().map(from_row).collect(), page))
}
