//! Accommodation facilities: registration by the operating organization, approval or suspension
//! by the police of the facility's commune.

use db::coalesce::Coalescer;
use db::sqlx::{self, Row};
use db::{Arg, Db, Filter};
use kernel::Jurisdiction;
use kernel::{AppError, ErrorCode, Page, PageRequest};
use registry::admin_units::AdminUnits;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::scope::{admits, restrict};

/// The kinds of accommodation the pilot models cover.
pub const KINDS: &[&str] = &[
    "hotel",
    "motel",
    "homestay",
    "rental_house",
    "dormitory",
    "hospital_ward",
    "official_guest_house",
    "coach_operator",
];

/// A facility as stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Facility {
    pub id: String,
    /// One of `hotel`, `motel`, `homestay`, `rental_house`, `dormitory`, `hospital_ward`,
    /// `official_guest_house`, `coach_operator`.
    pub kind: String,
    pub name: String,
    /// Business licence number or tax code.
    pub licence_code: String,
    pub commune_code: String,
    pub province_code: String,
    pub address: String,
    /// Rooms (or vehicles for a coach operator).
    pub rooms: i64,
    /// Beds (or seats).
    pub beds: i64,
    pub organization_id: String,
    /// `pending`, `approved` or `suspended`.
    pub status: String,
    pub created_at: i64,
}

/// What an organization enters to register a facility.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewFacility {
    pub kind: String,
    pub name: String,
    pub licence_code: String,
    /// 2025 commune code.
    pub commune_code: String,
    pub address: String,
    pub rooms: i64,
    pub beds: i64,
}

const COLUMNS: &str = "f.id, f.kind, f.name, f.licence_code, f.commune_code, f.province_code, f.address, f.rooms, \
    f.beds, f.organization_id, f.status, f.created_at";

fn from_row(r: &db::Row) -> Facility {
    Facility {
        id: r.get(0),
        kind: r.get(1),
        name: r.get(2),
        licence_code: r.get(3),
        commune_code: r.get(4),
        province_code: r.get(5),
        address: r.get(6),
        rooms: r.get(7),
        beds: r.get(8),
        organization_id: r.get(9),
        status: r.get(10),
        created_at: r.get(11),
    }
}

/// Registers a facility of `organization_id` as `pending`, after checking kind, commune and sizes.
pub async fn create(db: &Db, organization_id: &str, new: NewFacility, now: i64) -> Result<Facility, AppError> {
    if !KINDS.contains(&new.kind.as_str()) {
        return Err(AppError::invalid(format!("kind must be one of {}", KINDS.join(", "))));
    }
    let name = kernel::text::normalize_name(&new.name);
    let address = kernel::text::normalize_name(&new.address);
    let licence_code = new.licence_code.trim().to_string();
    if name.is_empty() || address.is_empty() || licence_code.is_empty() {
        return Err(AppError::invalid("name, address and licence_code are required"));
    }
    if new.rooms < 0 || new.beds < 0 {
        return Err(AppError::invalid("rooms and beds cannot be negative"));
    }
    let commune = AdminUnits::get().commune(&new.commune_code).ok_or_else(|| {
        AppError::new(ErrorCode::UnknownCommune, format!("unknown commune code {}", new.commune_code))
    })?;
    if identity::organizations::get_organization(db, organization_id).await?.is_none() {
        return Err(AppError::not_found("organization"));
    }
    let f = Facility {
        id: kernel::ids::new_id(),
        kind: new.kind,
        name,
        licence_code,
        commune_code: commune.code.clone(),
        province_code: commune.province_code.clone(),
        address,
        rooms: new.rooms,
        beds: new.beds,
        organization_id: organization_id.to_string(),
        status: "pending".into(),
        created_at: now,
    };
    sqlx::query(
        "INSERT INTO lodging_facilities (id, kind, name, name_folded, licence_code, commune_code, province_code, \
         address, rooms, beds, organization_id, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(&f.id)
    .bind(&f.kind)
    .bind(&f.name)
    .bind(kernel::text::fold(&f.name))
    .bind(&f.licence_code)
    .bind(&f.commune_code)
    .bind(&f.province_code)
    .bind(&f.address)
    .bind(f.rooms)
    .bind(f.beds)
    .bind(&f.organization_id)
    .bind(&f.status)
    .bind(f.created_at)
    .execute(db.write())
    .await?;
    Ok(f)
}

/// One facility inside the caller's jurisdiction (staff: their organization's); `None` otherwise.
pub async fn get(db: &Db, id: &str, j: &Jurisdiction) -> Result<Option<Facility>, AppError> {
    let mut f = Filter::new();
    f.and("f.id = ?", Arg::Text(id.to_string()));
    restrict(&mut f, j, "f", true);
    let sql = format!("SELECT {COLUMNS} FROM lodging_facilities f WHERE {}", f.sql());
    let row = f.bind(sqlx::query(&sql)).fetch_optional(db.read()).await?;
    Ok(row.as_ref().map(from_row))
}

/// Facilities by id for the check-ins of concurrent requests: one query serves all the lookups
/// that arrive while earlier ones run (see [`db::coalesce`]). Cheap to clone.
#[derive(Clone)]
pub struct FacilityLookup(Coalescer<String, Facility>);

impl FacilityLookup {
    pub fn start(db: &Db) -> FacilityLookup {
        let select = format!("SELECT {COLUMNS} FROM lodging_facilities f WHERE f.id");
        FacilityLookup(Coalescer::on_db(db, 64, select, |r| {
            let f = from_row(r);
            Ok((f.id.clone(), f))
        }))
    }

    /// As [`get`]: the facility when it lies inside the caller's jurisdiction.
    pub async fn get(&self, id: &str, j: &Jurisdiction) -> Result<Option<Facility>, AppError> {
        let f = self.0.get(id.to_string()).await?;
        Ok(f.filter(|f| admits(j, &f.commune_code, &f.province_code, &f.organization_id)))
    }
}

/// Facilities inside the caller's jurisdiction, optionally of one status.
pub async fn list(
    db: &Db,
    j: &Jurisdiction,
    status: Option<&str>,
    page: PageRequest,
) -> Result<Page<Facility>, AppError> {
    let mut f = Filter::new();
    restrict(&mut f, j, "f", true);
    if let Some(s) = status {
        f.and("f.status = ?", Arg::Text(s.to_string()));
    }
    let rows = f
        .fetch_page(db.read(), &format!("SELECT {COLUMNS} FROM lodging_facilities f"), "f.created_at, f.id", page)
        .await?;
    Ok(Page::from_probe(rows.iter().map(from_row).collect(), page))
}

/// Sets a facility's status (`approved` or `suspended`) when it lies in the officer's jurisdiction.
pub async fn decide(
    db: &Db,
    id: &str,
    status: &str,
    j: &Jurisdiction,
    actor: &str,
    now: i64,
) -> Result<Facility, AppError> {
    set_status(db, "lodging_facilities", id, status, j, actor, now).await?;
    get(db, id, j).await?.ok_or_else(|| AppError::not_found("facility"))
}

/// The police decision on a registered place of `table` (facilities and venues share the
/// `status`, `decided_by`, `decided_at` and jurisdiction columns), decided at `now`.
pub(crate) async fn set_status(
    db: &Db,
    table: &str,
    id: &str,
    status: &str,
    j: &Jurisdiction,
    actor: &str,
    now: i64,
) -> Result<(), AppError> {
    if !matches!(status, "approved" | "suspended") {
        return Err(AppError::invalid("status must be approved or suspended"));
    }
    let mut w = Filter::new();
    w.and("f.id = ?", Arg::Text(id.to_string()));
    restrict(&mut w, j, "f", true);
    let n = w.next_placeholder();
    let sql = format!(
        "UPDATE {table} SET status = ${n}, decided_by = ${}, decided_at = ${} \
         WHERE id IN (SELECT f.id FROM {table} f WHERE {})",
        n + 1,
        n + 2,
        w.sql()
    );
    let q = w.bind(sqlx::query(&sql)).bind(status.to_string()).bind(actor.to_string()).bind(now);
    let done = q.execute(db.write()).await?;
    if done.rows_affected() == 0 {
        return Err(AppError::new(ErrorCode::NotFound, "nothing with this id in your jurisdiction"));
    }
    Ok(())
}
