//! Venues with entry/exit control (relic sites, tourist areas, stations, industrial zones) and
//! their gates: registered by the operating organization, approved or suspended by the police of
//! the venue's commune like a lodging facility.

use db::sqlx::{self, Row};
use db::{Arg, Db, Filter};
use kernel::Jurisdiction;
use kernel::{AppError, ErrorCode, Page, PageRequest};
use registry::admin_units::AdminUnits;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::scope::restrict;

/// The kinds of venue the pilot models 13 and 14 cover.
pub const KINDS: &[&str] = &["relic_site", "tourist_area", "station", "industrial_zone"];
/// Most gates one venue declares.
const MAX_GATES: usize = 20;

/// A venue as stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Venue {
    pub id: String,
    /// One of `relic_site`, `tourist_area`, `station`, `industrial_zone`.
    pub kind: String,
    pub name: String,
    pub commune_code: String,
    pub province_code: String,
    pub address: String,
    /// Names of the gates where scans happen.
    pub gates: Vec<String>,
    pub organization_id: String,
    /// `pending`, `approved` or `suspended`.
    pub status: String,
    pub created_at: i64,
}

/// What an organization enters to register a venue.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewVenue {
    pub kind: String,
    pub name: String,
    /// 2025 commune code.
    pub commune_code: String,
    pub address: String,
    /// 1 to 20 distinct gate names.
    pub gates: Vec<String>,
}

const COLUMNS: &str = "f.id, f.kind, f.name, f.commune_code, f.province_code, f.address, f.gates, \
    f.organization_id, f.status, f.created_at";

fn from_row(r: &db::Row) -> Venue {
    Venue {
        id: r.get(0),
        kind: r.get(1),
        name: r.get(2),
        commune_code: r.get(3),
        province_code: r.get(4),
        address: r.get(5),
        gates: serde_json::from_str(&r.get::<String, _>(6)).unwrap_or_default(),
        organization_id: r.get(7),
        status: r.get(8),
        created_at: r.get(9),
    }
}

/// Distinct, trimmed gate names.
fn gates(input: &[String]) -> Result<Vec<String>, AppError> {
    let mut out: Vec<String> = Vec::new();
    for g in input {
        let g = kernel::text::normalize_name(g);
        if g.is_empty() || g.chars().count() > 100 {
            return Err(AppError::invalid("gate names are 1 to 100 characters"));
        }
        if !out.contains(&g) {
            out.push(g);
        }
    }
    if out.is_empty() || out.len() > MAX_GATES {
        return Err(AppError::invalid(format!("a venue has 1 to {MAX_GATES} gates")));
    }
    Ok(out)
}

/// Registers a venue of `organization_id` as `pending`, after checking kind, commune and gates.
pub async fn create(db: &Db, organization_id: &str, new: NewVenue, now: i64) -> Result<Venue, AppError> {
    if !KINDS.contains(&new.kind.as_str()) {
        return Err(AppError::invalid(format!("kind must be one of {}", KINDS.join(", "))));
    }
    let name = kernel::text::normalize_name(&new.name);
    let address = kernel::text::normalize_name(&new.address);
    if name.is_empty() || address.is_empty() {
        return Err(AppError::invalid("name and address are required"));
    }
    let gates = gates(&new.gates)?;
    let commune = AdminUnits::get().commune(&new.commune_code).ok_or_else(|| {
        AppError::new(ErrorCode::UnknownCommune, format!("unknown commune code {}", new.commune_code))
    })?;
    if identity::organizations::get_organization(db, organization_id).await?.is_none() {
        return Err(AppError::not_found("organization"));
    }
    let v = Venue {
        id: kernel::ids::new_id(),
        kind: new.kind,
        name,
        commune_code: commune.code.clone(),
        province_code: commune.province_code.clone(),
        address,
        gates,
        organization_id: organization_id.to_string(),
        status: "pending".into(),
        created_at: now,
    };
    sqlx::query(
        "INSERT INTO lodging_venues (id, kind, name, name_folded, commune_code, province_code, address, gates, \
         organization_id, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&v.id)
    .bind(&v.kind)
    .bind(&v.name)
    .bind(kernel::text::fold(&v.name))
    .bind(&v.commune_code)
    .bind(&v.province_code)
    .bind(&v.address)
    .bind(serde_json::to_string(&v.gates)?)
    .bind(&v.organization_id)
    .bind(&v.status)
    .bind(v.created_at)
    .execute(db.write())
    .await?;
    Ok(v)
}

/// One venue inside the caller's jurisdiction (staff: their organization's); `None` otherwise.
pub async fn get(db: &Db, id: &str, j: &Jurisdiction) -> Result<Option<Venue>, AppError> {
    let mut f = Filter::new();
    f.and("f.id = ?", Arg::Text(id.to_string()));
    restrict(&mut f, j, "f", true);
    let sql = format!("SELECT {COLUMNS} FROM lodging_venues f WHERE {}", f.sql());
    let row = f.bind(sqlx::query(&sql)).fetch_optional(db.read()).await?;
    Ok(row.as_ref().map(from_row))
}

/// Venues inside the caller's jurisdiction, optionally of one status.
pub async fn list(db: &Db, j: &Jurisdiction, status: Option<&str>, page: PageRequest) -> Result<Page<Venue>, AppError> {
    let mut f = Filter::new();
    restrict(&mut f, j, "f", true);
    if let Some(s) = status {
        f.and("f.status = ?", Arg::Text(s.to_string()));
    }
    let rows =
        f.fetch_page(db.read(), &format!("SELECT {COLUMNS} FROM lodging_venues f"), "f.created_at, f.id", page).await?;
    Ok(Page::from_probe(rows.iter().map(from_row).collect(), page))
}

/// Approves or suspends a venue of the officer's jurisdiction.
pub async fn decide(
    db: &Db,
    id: &str,
    status: &str,
    j: &Jurisdiction,
    actor: &str,
    now: i64,
) -> Result<Venue, AppError> {
    crate::facilities::set_status(db, "lodging_venues", id, status, j, actor, now).await?;
    get(db, id, j).await?.ok_or_else(|| AppError::not_found("venue"))
}
