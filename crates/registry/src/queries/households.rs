//! A household and its members.

use db::sqlx::{self, Row};
use db::{Arg, Db, Filter};
use kernel::Jurisdiction;
use kernel::{AppError, PartialDate};
use serde::Serialize;
use utoipa::ToSchema;

use super::persons::{place, Place};
use super::scope::restrict;

/// One member of a household.
#[derive(Debug, Clone, Serialize, PartialEq, ToSchema)]
pub struct Member {
    pub personal_id: String,
    pub full_name: String,
    pub gender: Option<String>,
    pub birth_date: Option<String>,
    pub birth_date_vn: Option<String>,
    /// Relationship to the head (`head`, `spouse`, `child`, …).
    pub relationship: Option<String>,
    pub relationship_vi: String,
    pub status: String,
}

/// A household with its address and members, head first.
#[derive(Debug, Clone, Serialize, PartialEq, ToSchema)]
pub struct HouseholdView {
    pub id: String,
    pub head_id: String,
    pub address: Option<Place>,
    pub members: Vec<Member>,
}

/// A household, with only the members inside the caller's jurisdiction; `None` when no member is.
pub async fn get(db: &Db, id: &str, jurisdiction: &Jurisdiction) -> Result<Option<HouseholdView>, AppError> {
    let head = sqlx::query("SELECT head_id, commune_code, address FROM households WHERE id = $1")
        .bind(id)
        .fetch_optional(db.read())
        .await?;
    let Some(head) = head else { return Ok(None) };
    let mut f = Filter::new();
    f.and("p.household_id = ?", Arg::Text(id.to_string()));
    restrict(&mut f, jurisdiction);
    let sql = format!(
        "SELECT p.personal_id, p.full_name, p.gender, p.birth_date, p.relationship, p.status \
         FROM persons p WHERE {} ORDER BY CASE WHEN p.relationship = 'head' THEN 0 ELSE 1 END, p.birth_date",
        f.sql()
    );
    let rows = f.bind(sqlx::query(&sql)).fetch_all(db.read()).await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let members = rows
        .iter()
        .map(|r| {
            let birth: Option<String> = r.get(3);
            let rel: Option<String> = r.get(4);
            Member {
                personal_id: r.get(0),
                full_name: r.get(1),
                gender: r.get(2),
                birth_date_vn: birth.as_deref().and_then(|b| PartialDate::parse(b).ok()).map(|b| b.to_vn()),
                birth_date: birth,
                relationship_vi: kernel::vocab::relationship_vi(rel.as_deref().unwrap_or("other")).to_string(),
                relationship: rel,
                status: r.get(5),
            }
        })
        .collect();
    Ok(Some(HouseholdView {
        id: id.to_string(),
        head_id: head.get(0),
        address: place(head.get(1), head.get(2)),
        members,
    }))
}
