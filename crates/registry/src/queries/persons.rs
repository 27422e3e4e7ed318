//! Person detail and search.

use db::sqlx::{self, Row};
use db::Db;
use kernel::personal_id::IdWarning;
use kernel::Jurisdiction;
use kernel::{AppError, ErrorCode, Page, PageRequest, PartialDate, PersonalId};
use serde::Serialize;
use utoipa::ToSchema;

use db::fast::Columns;
use db::{Arg, Filter};

use super::scope::{check_commune, restrict};
use crate::admin_units::AdminUnits;

/// A coded value with its Vietnamese name.
#[derive(Debug, Clone, Serialize, PartialEq, ToSchema)]
pub struct Coded {
    pub code: String,
    pub name: String,
}

/// Where a person lives now.
#[derive(Debug, Clone, Serialize, PartialEq, ToSchema)]
pub struct Place {
    pub commune_code: String,
    pub commune_name: String,
    pub province_name: String,
    pub address: String,
}

/// A person as the API and pages show them.
#[derive(Debug, Clone, Serialize, PartialEq, ToSchema)]
pub struct PersonView {
    pub personal_id: String,
    pub full_name: String,
    /// `M` or `F`.
    pub gender: Option<String>,
    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`: the precision is part of the record.
    pub birth_date: Option<String>,
    /// `year`, `month` or `day`.
    pub birth_date_precision: Option<String>,
    /// The date as Vietnamese documents print it (`dd/mm/yyyy`, `mm/yyyy` or `yyyy`).
    pub birth_date_vn: Option<String>,
    pub birth_place: Option<String>,
    pub hometown: Option<String>,
    pub ethnicity: Option<Coded>,
    pub religion: Option<Coded>,
    pub nationality: String,
    pub old_id: Option<String>,
    /// `living`, `deceased` or `missing`.
    pub status: String,
    pub death_date: Option<String>,
    pub father_id: Option<String>,
    pub mother_id: Option<String>,
    pub spouse_id: Option<String>,
    pub household_id: Option<String>,
    pub relationship: Option<String>,
    pub current_residence: Option<Place>,
    /// Soft inconsistencies of the personal id with gender and birth year.
    #[schema(value_type = Vec<String>)]
    pub id_warnings: Vec<IdWarning>,
    pub version: i64,
}

/// One search hit: only what is needed to pick the right person.
#[derive(Debug, Clone, Serialize, PartialEq, ToSchema)]
pub struct PersonSummary {
    pub personal_id: String,
    pub full_name: String,
    pub gender: Option<String>,
    pub birth_date: Option<String>,
    pub birth_date_vn: Option<String>,
    pub status: String,
    pub commune_code: Option<String>,
    pub commune_name: Option<String>,
}

pub(super) const PERSON_COLUMNS: &str = "p.personal_id, p.full_name, p.gender, p.birth_date, p.birth_place, \
    p.hometown, p.ethnicity, p.religion, p.nationality, p.old_id, p.status, p.death_date, p.father_id, \
    p.mother_id, p.spouse_id, p.household_id, p.relationship, p.current_commune, p.current_address, p.version";

fn coded(code: Option<String>, name: fn(&str) -> Option<&'static str>) -> Option<Coded> {
    code.map(|c| Coded { name: name(&c).unwrap_or("?").to_string(), code: c })
}

pub(crate) fn place(commune: Option<String>, address: Option<String>) -> Option<Place> {
    let code = commune?;
    let units = AdminUnits::get();
    let c = units.commune(&code);
    Some(Place {
        commune_name: c.map(|c| c.name.clone()).unwrap_or_default(),
        province_name: c.and_then(|c| units.province(&c.province_code)).map(|p| p.name.clone()).unwrap_or_default(),
        commune_code: code,
        address: address.unwrap_or_default(),
    })
}

/// `year`, `month` or `day`.
pub fn precision_code(d: &PartialDate) -> &'static str {
    match d.precision() {
        kernel::partial_date::Precision::Year => "year",
        kernel::partial_date::Precision::Month => "month",
        kernel::partial_date::Precision::Day => "day",
    }
}

pub(super) fn person_from_row(r: &impl Columns) -> Result<PersonView, db::DbError> {
    let birth: Option<PartialDate> = r.text(3)?.and_then(|s| PartialDate::parse(&s).ok());
    let gender = r.text(2)?;
    let id = r.required(0)?;
    let id_warnings = PersonalId::parse(&id)
        .map(|p| p.soft_checks(gender.as_deref().and_then(kernel::Gender::parse), birth.map(|b| b.year_value())))
        .unwrap_or_default();
    Ok(PersonView {
        personal_id: id,
        full_name: r.required(1)?,
        gender,
        birth_date: birth.map(|b| b.to_storage()),
        birth_date_precision: birth.map(|b| precision_code(&b).to_string()),
        birth_date_vn: birth.map(|b| b.to_vn()),
        birth_place: r.text(4)?,
        hometown: r.text(5)?,
        ethnicity: coded(r.text(6)?, kernel::vocab::ethnicity_name),
        religion: coded(r.text(7)?, kernel::vocab::religion_name),
        nationality: r.required(8)?,
        old_id: r.text(9)?,
        status: r.required(10)?,
        death_date: r.text(11)?,
        father_id: r.text(12)?,
        mother_id: r.text(13)?,
        spouse_id: r.text(14)?,
        household_id: r.text(15)?,
        relationship: r.text(16)?,
        current_residence: place(r.text(17)?, r.text(18)?),
        id_warnings,
        version: r.int(19)?,
    })
}

/// A person by personal id, if they live within `jurisdiction`.
pub async fn get(db: &Db, id: &PersonalId, jurisdiction: &Jurisdiction) -> Result<Option<PersonView>, AppError> {
    let mut f = Filter::new();
    f.and("p.personal_id = ?", Arg::Text(id.to_string()));
    restrict(&mut f, jurisdiction);
    fetch_one(db, &f).await
}

/// A person's own record, wherever they live: for data the person themself releases or reads
/// (single sign-on claims, their account page), never for officer reads, which go through
/// [`get`] with a jurisdiction.
pub async fn get_self(db: &Db, id: &PersonalId) -> Result<Option<PersonView>, AppError> {
    let mut f = Filter::new();
    f.and("p.personal_id = ?", Arg::Text(id.to_string()));
    fetch_one(db, &f).await
}

async fn fetch_one(db: &Db, f: &Filter) -> Result<Option<PersonView>, AppError> {
    let sql = format!("SELECT {PERSON_COLUMNS} FROM persons p WHERE {}", f.sql());
    if let Some(fast) = db.fast() {
        return Ok(fast.query_one(&sql, f, |r| person_from_row(r))?);
    }
    let row = f.bind(sqlx::query(&sql)).fetch_optional(db.read()).await?;
    Ok(row.as_ref().map(person_from_row).transpose()?)
}

/// Search criteria. At least one of `q` or `commune` is required.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    /// A 12-digit personal id, a 9-digit old id, or the start of a name (diacritics optional).
    pub q: Option<String>,
    pub birth_year: Option<i32>,
    pub birth_date: Option<PartialDate>,
    /// Restrict to one commune (must lie in the caller's jurisdiction).
    pub commune: Option<String>,
}

fn is_digits(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_digit())
}

/// Searches persons within a jurisdiction, ordered by folded name.
pub async fn search(
    db: &Db,
    query: &SearchQuery,
    jurisdiction: &Jurisdiction,
    page: PageRequest,
) -> Result<Page<PersonSummary>, AppError> {
    let q = query.q.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if q.is_none() && query.commune.is_none() {
        return Err(AppError::invalid("give a name or id (q) or a commune").with_message(
            "Nhập họ tên hoặc số định danh, hoặc chọn xã, phường để tìm.",
            "Type a name or an id, or pick a commune, to search.",
        ));
    }
    let mut f = Filter::new();
    match q {
        Some(q) if is_digits(q, 12) => {
            f.and("p.personal_id = ?", Arg::Text(q.to_string()));
        }
        Some(q) if is_digits(q, 9) => {
            f.and("p.old_id = ?", Arg::Text(q.to_string()));
        }
        Some(q) if q.bytes().any(|b| b.is_ascii_digit()) => {
            return Err(AppError::new(
                ErrorCode::InvalidPersonalId,
                "a number must be a 12-digit personal id or a 9-digit old id",
            )
            .with_message(
                "Số nhập vào phải là số định danh 12 chữ số hoặc số CMND cũ 9 chữ số.",
                "A number must be a 12-digit personal id or a 9-digit old identity card number.",
            ));
        }
        Some(q) => {
            let folded = kernel::text::fold(q);
            // A range on the folded name is an index prefix scan on both backends.
            f.and("p.name_folded >= ?", Arg::Text(folded.clone()));
            f.and("p.name_folded < ?", Arg::Text(format!("{folded}\u{10FFFF}")));
        }
        None => {}
    }
    if let Some(c) = &query.commune {
        check_commune(jurisdiction, c)?;
        f.and("p.current_commune = ?", Arg::Text(c.clone()));
    }
    if let Some(d) = &query.birth_date {
        f.and("p.birth_date = ?", Arg::Text(d.to_storage()));
    } else if let Some(y) = query.birth_year {
        f.and("p.birth_year = ?", Arg::Int(y as i64));
    }
    restrict(&mut f, jurisdiction);
    let rows = f
        .fetch_page(
            db.read(),
            "SELECT p.personal_id, p.full_name, p.gender, p.birth_date, p.status, p.current_commune FROM persons p",
            "p.name_folded, p.personal_id",
            page,
        )
        .await?;
    let units = AdminUnits::get();
    let items = rows
        .iter()
        .map(|r| {
            let birth: Option<String> = r.get(3);
            let commune: Option<String> = r.get(5);
            PersonSummary {
                personal_id: r.get(0),
                full_name: r.get(1),
                gender: r.get(2),
                birth_date_vn: birth.as_deref().and_then(|b| PartialDate::parse(b).ok()).map(|b| b.to_vn()),
                birth_date: birth,
                status: r.get(4),
                commune_name: commune.as_deref().and_then(|c| units.commune(c)).map(|c| c.name.clone()),
                commune_code: commune,
            }
        })
        .collect();
    Ok(Page::from_probe(items, page))
}
