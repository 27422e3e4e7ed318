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
    /// Ethnic group code as declared; the father's (else the mother's) when empty.
    pub ethnicity: Option<String>,
    /// Religion code as declared (`00`: none); the father's (else the mother's) when empty.
    pub religion: Option<String>,
    /// ISO 3166 alpha-2 nationality as declared; the father's (else the mother's) when empty.
    pub nationality: Option<String>,
    pub father_id: Option<PersonalId>,
    pub mother_id: Option<PersonalId>,
    /// The household the child is registered in; its address becomes the permanent residence.
    pub household_id: String,
}

/// The registered child, with what its birth certificate states.
#[derive(Debug, Clone, PartialEq)]
pub struct Born {
    pub personal_id: PersonalId,
    pub household_id: String,
    pub residence_id: String,
    /// The permanent residence: the household's address and commune.
    pub address: String,
    pub commune_code: String,
    /// Codes as registered (ethnic group, religion, nationality) and the hometown (quê quán).
    pub ethnicity: Option<String>,
    pub religion: Option<String>,
    pub nationality: Option<String>,
    pub hometown: Option<String>,
    /// Relationship to the household head (`child`, `grandchild`, `other`).
    pub relationship: String,
    pub father: Option<ParentOnRecord>,
    pub mother: Option<ParentOnRecord>,
}

/// A parent as the birth certificate names them.
#[derive(Debug, Clone, PartialEq)]
pub struct ParentOnRecord {
    pub personal_id: String,
    pub full_name: String,
    pub birth_year: Option<i64>,
    pub ethnicity: Option<String>,
    pub nationality: Option<String>,
    /// Current address (street part) and commune.
    pub address: Option<String>,
    pub commune_code: Option<String>,
}

struct Parent {
    id: String,
    record: ParentOnRecord,
    gender: Option<String>,
    ethnicity: Option<String>,
    religion: Option<String>,
    nationality: Option<String>,
    hometown: Option<String>,
    links: Kin,
}

/// A parent's own family links, which decide the child's relationship to the household head.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Kin {
    pub id: String,
    pub spouse_id: Option<String>,
    pub father_id: Option<String>,
    pub mother_id: Option<String>,
}

/// The newborn's relationship to the head of the household it joins (quan hệ với chủ hộ): a child
/// of the head or of the head's spouse is the head's child (`Con`, whichever parent is the
/// applicant), a child of the head's (or the spouse's) child is a grandchild (`Cháu`), anyone
/// else is `other`.
pub(crate) fn relation_to_head(head: &Kin, parents: &[&Kin]) -> &'static str {
    let couple: Vec<&str> = std::iter::once(head.id.as_str()).chain(head.spouse_id.as_deref()).collect();
    let is_couple = |id: Option<&str>| id.is_some_and(|id| couple.contains(&id));
    if parents.iter().any(|p| is_couple(Some(&p.id)) || is_couple(p.spouse_id.as_deref())) {
        "child"
    } else if parents.iter().any(|p| is_couple(p.father_id.as_deref()) || is_couple(p.mother_id.as_deref())) {
        "grandchild"
    } else {
        "other"
    }
}

async fn kin(tx: &mut AnyConnection, id: &str) -> Result<Kin, AppError> {
    let row = sqlx::query("SELECT spouse_id, father_id, mother_id FROM persons WHERE personal_id = $1")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AppError::internal("the household head is not in the registry"))?;
    Ok(Kin { id: id.to_string(), spouse_id: row.get(0), father_id: row.get(1), mother_id: row.get(2) })
}

async fn parent(tx: &mut AnyConnection, id: &PersonalId, gender: &str) -> Result<Parent, AppError> {
    let row = sqlx::query(
        "SELECT gender, ethnicity, hometown, religion, nationality, spouse_id, father_id, mother_id, full_name, \
         birth_year, current_address, current_commune FROM persons WHERE personal_id = $1",
    )
    .bind(id.as_str())
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::not_found(format!("no parent with id {id}")))?;
    let p = Parent {
        id: id.to_string(),
        record: ParentOnRecord {
            personal_id: id.to_string(),
            full_name: row.get(8),
            birth_year: row.get(9),
            ethnicity: row.get(1),
            nationality: row.get(4),
            address: row.get(10),
            commune_code: row.get(11),
        },
        gender: row.get(0),
        ethnicity: row.get(1),
        hometown: row.get(2),
        religion: row.get(3),
        nationality: row.get(4),
        links: Kin { id: id.to_string(), spouse_id: row.get(5), father_id: row.get(6), mother_id: row.get(7) },
    };
    if p.gender.as_deref().is_some_and(|g| g != gender) {
        let role = if gender == "M" { "father" } else { "mother" };
        return Err(AppError::invalid(format!("{role}: the registry records {id} with another gender")).with_message(
            if gender == "M" {
                "Người được khai là cha có giới tính khác trong cơ sở dữ liệu."
            } else {
                "Người được khai là mẹ có giới tính khác trong cơ sở dữ liệu."
            },
            if gender == "M" {
                "The person named as father has another gender in the registry."
            } else {
                "The person named as mother has another gender in the registry."
            },
        ));
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
        return Err(AppError::invalid("full_name: 1–100 letters").with_message(
            "Họ tên của trẻ phải có từ 1 đến 100 chữ cái.",
            "The child's name must have 1 to 100 letters.",
        ));
    }
    let today = kernel::clock::date_vn(now);
    if b.birth_date > today {
        return Err(AppError::new(ErrorCode::InvalidDate, "birth_date is in the future")
            .with_message("Ngày sinh không được sau hôm nay.", "The birth date cannot be after today."));
    }
    if b.birth_date < today - chrono::Duration::days(366 * 100) {
        return Err(AppError::new(ErrorCode::InvalidDate, "birth_date is more than 100 years ago").with_message(
            "Ngày sinh không được trước hôm nay quá 100 năm.",
            "The birth date cannot be more than 100 years ago.",
        ));
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
        return Err(AppError::invalid("father_id or mother_id: at least one parent is required")
            .with_message("Cần khai ít nhất cha hoặc mẹ.", "At least one parent is required."));
    }
    let ethnicity = match b.ethnicity.as_deref().filter(|e| !e.is_empty()) {
        Some(e) if kernel::vocab::ethnicity_name(e).is_none() => {
            return Err(AppError::invalid("ethnicity: unknown code")
                .with_message("Dân tộc không có trong danh mục.", "The ethnic group is not in the list."))
        }
        Some(e) => Some(e.to_string()),
        None => father.iter().chain(mother.iter()).find_map(|p| p.ethnicity.clone()),
    };
    let religion = match b.religion.as_deref().filter(|r| !r.is_empty()) {
        Some(r) if kernel::vocab::religion_name(r).is_none() => {
            return Err(AppError::invalid("religion: unknown code")
                .with_message("Tôn giáo không có trong danh mục.", "The religion is not in the list."))
        }
        Some(r) => Some(r.to_string()),
        None => father.iter().chain(mother.iter()).find_map(|p| p.religion.clone()),
    };
    let nationality = match b.nationality.as_deref().filter(|n| !n.is_empty()) {
        Some(n) if n.len() != 2 || !n.bytes().all(|c| c.is_ascii_uppercase()) => {
            return Err(AppError::invalid("nationality: an ISO 3166 alpha-2 code")
                .with_message("Quốc tịch không có trong danh mục.", "The nationality is not in the list."))
        }
        Some(n) => Some(n.to_string()),
        None => father.iter().chain(mother.iter()).find_map(|p| p.nationality.clone()),
    };
    let hometown = father.iter().chain(mother.iter()).find_map(|p| p.hometown.clone());
    let head_kin = kin(tx, &head).await?;
    let parent_kin: Vec<&Kin> = father.iter().chain(mother.iter()).map(|p| &p.links).collect();
    let relationship = relation_to_head(&head_kin, &parent_kin);
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
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $17, $18, NULL, 'living', NULL, $10, $11, NULL, $12, $13, \
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
    .bind(&religion)
    .bind(&nationality)
    .execute(&mut *tx)
    .await?;
    let residence_id = super::open_residence(tx, &id, "permanent", &commune, &address, &day, None, now).await?;
    let mut current = Map::new();
    current.insert("full_name".into(), Value::String(name));
    current.insert("birth_date".into(), Value::String(day));
    current.insert("household_id".into(), Value::String(b.household_id.clone()));
    current.insert("current_commune".into(), Value::String(commune.clone()));
    let commune_of_household = commune;
    current.insert("residence_started".into(), Value::String(residence_id.clone()));
    crate::history::record(tx, id.as_str(), crate::feed::BORN, actor, reason, &Map::new(), &current, now).await?;
    Ok(Born {
        personal_id: id,
        household_id: b.household_id.clone(),
        residence_id,
        address,
        commune_code: commune_of_household,
        ethnicity,
        religion,
        nationality,
        hometown,
        relationship: relationship.to_string(),
        father: father.map(|p| p.record),
        mother: mother.map(|p| p.record),
    })
}

/// True when the registry already holds a child of `parent` with this name (compared without
/// diacritics or case) and date of birth (`YYYY-MM-DD`): registering it again would create a
/// duplicate person. Answers only yes or no, so it releases nothing about the child.
pub async fn has_child(db: &db::Db, parent: &PersonalId, full_name: &str, birth_date: &str) -> Result<bool, AppError> {
    let row = sqlx::query(
        "SELECT 1 FROM persons WHERE (father_id = $1 OR mother_id = $1) AND name_folded = $2 AND birth_date = $3 \
         AND status <> 'deceased' LIMIT 1",
    )
    .bind(parent.as_str())
    .bind(kernel::text::fold(&kernel::text::normalize_name(full_name)))
    .bind(birth_date)
    .fetch_optional(db.read())
    .await?;
    Ok(row.is_some())
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

#[cfg(test)]
mod tests {
    use super::{relation_to_head, Kin};

    fn kin(id: &str, spouse: Option<&str>, father: Option<&str>, mother: Option<&str>) -> Kin {
        Kin {
            id: id.into(),
            spouse_id: spouse.map(Into::into),
            father_id: father.map(Into::into),
            mother_id: mother.map(Into::into),
        }
    }

    #[test]
    fn the_child_of_the_head_or_of_the_heads_spouse_is_a_child() {
        let head = kin("H", Some("W"), None, None);
        let wife = kin("W", Some("H"), None, None);
        assert_eq!(relation_to_head(&head, &[&wife]), "child", "the spouse files alone");
        assert_eq!(relation_to_head(&head, &[&kin("H", Some("W"), None, None)]), "child");
        // The registry may hold the marriage on the parent's side only.
        let unlinked_head = kin("H", None, None, None);
        assert_eq!(relation_to_head(&unlinked_head, &[&wife]), "child");
    }

    #[test]
    fn the_child_of_the_heads_child_is_a_grandchild_and_others_are_other() {
        let head = kin("H", Some("W"), None, None);
        let son = kin("S", Some("D"), Some("H"), Some("W"));
        let daughter_in_law = kin("D", Some("S"), None, None);
        assert_eq!(relation_to_head(&head, &[&son, &daughter_in_law]), "grandchild");
        let step_grandchild_parent = kin("S2", None, None, Some("W"));
        assert_eq!(relation_to_head(&head, &[&step_grandchild_parent]), "grandchild");
        let lodger = kin("L", None, Some("X"), Some("Y"));
        assert_eq!(relation_to_head(&head, &[&lodger]), "other");
    }
}
