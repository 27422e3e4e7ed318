//! Birth registration (đăng ký khai sinh): the child gets a new personal id, joins a household and
//! is registered permanently at the household's address, all in the caller's transaction.

use chrono::NaiveDate;
use db::sqlx::{self, AnyConnection, Row};
use kernel::Jurisdiction;
use kernel::{AppError, ErrorCode, Gender, PersonalId};
use rand::Rng;
use serde_json::{Map, Value};

use crate::admin_units::AdminUnits;
use crate::queries::scope::covers;

/// What the birth certificate records, plus the household the child joins.
#[derive(Debug, Clone)]
pub struct NewBirth {
    pub full_name: String,
    pub gender: Gender,
    pub birth_date: NaiveDate,
    /// 2025 commune where the child was born (its province gives the id's place code).
    pub birth_commune: String,
    /// Ethnic group code; the father's (else the mother's) when empty.
    pub ethnicity: Option<String>,
    pub father_id: Option<PersonalId>,
    pub mother_id: Option<PersonalId>,
    /// The household the child is registered in; its address becomes the permanent residence.
    pub household_id: String,
}

/// The registered child.
#[derive(Debug, Clone, PartialEq)]
pub struct Born {
    pub personal_id: PersonalId,
    pub household_id: String,
    pub residence_id: String,
}

struct Parent {
    id: String,
    gender: Option<String>,
    ethnicity: Option<String>,
    hometown: Option<String>,
}

async fn parent(tx: &mut AnyConnection, id: &PersonalId, gender: &str) -> Result<Parent, AppError> {
    let row = sqlx::query("SELECT gender, ethnicity, hometown, status FROM persons WHERE personal_id = $1")
        .bind(id.as_str())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AppError::not_found(format!("no parent with id {id}")))?;
    let p = Parent { id: id.to_string(), gender: row.get(0), ethnicity: row.get(1), hometown: row.get(2) };
    if p.gender.as_deref().is_some_and(|g| g != gender) {
        let role = if gender == "M" { "father" } else { "mother" };
        return Err(AppError::invalid(format!("{role}: the registry records {id} with another gender")));
    }
    Ok(p)
}

/// Registers a birth inside `jurisdiction` (the household must lie in it). The person event is
/// `born` with the started residence, so readers of the change feed can undo it.
pub async fn register_birth_in(
    tx: &mut AnyConnection,
    actor: &str,
    jurisdiction: &Jurisdiction,
    b: &NewBirth,
    reason: &str,
    now: i64,
) -> Result<Born, AppError> {
    let name = kernel::text::normalize_name(&b.full_name);
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(|c| c.is_ascii_digit()) {
        return Err(AppError::invalid("full_name: 1–100 letters"));
    }
    let today = kernel::clock::date_vn(now);
    if b.birth_date > today {
        return Err(AppError::new(ErrorCode::InvalidDate, "birth_date is in the future"));
    }
    if b.birth_date < today - chrono::Duration::days(366 * 100) {
        return Err(AppError::new(ErrorCode::InvalidDate, "birth_date is more than 100 years ago"));
    }
    let units = AdminUnits::get();
    if units.commune(&b.birth_commune).is_none() {
        return Err(AppError::new(ErrorCode::UnknownCommune, b.birth_commune.clone()));
    }
    let household = sqlx::query("SELECT head_id, commune_code, address FROM households WHERE id = $1")
        .bind(&b.household_id)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(household) = household.filter(|h| covers(jurisdiction, &h.get::<String, _>(1))) else {
        return Err(AppError::not_found("no household with this id in your jurisdiction"));
    };
    let (head, commune, address): (String, String, String) = (household.get(0), household.get(1), household.get(2));
    let father = match &b.father_id {
        Some(id) => Some(parent(tx, id, "M").await?),
        None => None,
    };
    let mother = match &b.mother_id {
        Some(id) => Some(parent(tx, id, "F").await?),
        None => None,
    };
    if father.is_none() && mother.is_none() {
        return Err(AppError::invalid("father_id or mother_id: at least one parent is required"));
    }
    let ethnicity = match b.ethnicity.as_deref().filter(|e| !e.is_empty()) {
        Some(e) if kernel::vocab::ethnicity_name(e).is_none() => {
            return Err(AppError::invalid("ethnicity: unknown code"))
        }
        Some(e) => Some(e.to_string()),
        None => father.iter().chain(mother.iter()).find_map(|p| p.ethnicity.clone()),
    };
    let hometown = father.iter().chain(mother.iter()).find_map(|p| p.hometown.clone());
    let relationship = if father.iter().chain(mother.iter()).any(|p| p.id == head) { "child" } else { "grandchild" };
    let place_code = units
        .legacy_province_code(&b.birth_commune)
        .ok_or_else(|| AppError::internal("birth commune has no legacy province"))?;
    let year = chrono::Datelike::year(&b.birth_date);
    let id = free_id(tx, &place_code, b.gender, year).await?;
    let day = b.birth_date.format("%Y-%m-%d").to_string();
    let birth_place = units.commune(&b.birth_commune).map(|c| c.name.clone()).unwrap_or_default();
    sqlx::query(
        "INSERT INTO persons (personal_id, full_name, name_folded, gender, birth_date, birth_year, birth_place, \
         hometown, ethnicity, religion, nationality, old_id, status, death_date, father_id, mother_id, spouse_id, \
         household_id, relationship, current_commune, current_address, created_at, updated_at, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, '00', 'VNM', NULL, 'living', NULL, $10, $11, NULL, $12, $13, \
         $14, $15, $16, $16, 1)",
    )
    .bind(id.as_str())
    .bind(&name)
    .bind(kernel::text::fold(&name))
    .bind(b.gender.code())
    .bind(&day)
    .bind(i64::from(year))
    .bind(&birth_place)
    .bind(&hometown)
    .bind(&ethnicity)
    .bind(father.as_ref().map(|p| p.id.clone()))
    .bind(mother.as_ref().map(|p| p.id.clone()))
    .bind(&b.household_id)
    .bind(relationship)
    .bind(&commune)
    .bind(&address)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let residence_id = super::open_residence(tx, &id, "permanent", &commune, &address, &day, None, now).await?;
    let mut current = Map::new();
    current.insert("full_name".into(), Value::String(name));
    current.insert("birth_date".into(), Value::String(day));
    current.insert("household_id".into(), Value::String(b.household_id.clone()));
    current.insert("current_commune".into(), Value::String(commune));
    current.insert("residence_started".into(), Value::String(residence_id.clone()));
    crate::history::record(tx, id.as_str(), crate::feed::BORN, actor, reason, &Map::new(), &current, now).await?;
    Ok(Born { personal_id: id, household_id: b.household_id.clone(), residence_id })
}

/// A personal id with a random serial that no one holds yet.
async fn free_id(tx: &mut AnyConnection, place: &str, gender: Gender, year: i32) -> Result<PersonalId, AppError> {
    for _ in 0..20 {
        let serial = rand::thread_rng().gen_range(0..1_000_000);
        let id = PersonalId::compose(place, gender, year, serial);
        let taken = sqlx::query("SELECT 1 FROM persons WHERE personal_id = $1")
            .bind(id.as_str())
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if !taken {
            return Ok(id);
        }
    }
    Err(AppError::new(ErrorCode::Conflict, "no free personal id serial; try again"))
}
