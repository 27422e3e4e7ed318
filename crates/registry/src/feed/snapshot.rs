//! The current stored state of chosen persons: the coded attributes figures count, and their
//! residence registrations.

use std::collections::HashMap;

use db::sqlx::{self, AnyConnection, Row};
use kernel::AppError;

use super::{placeholders, CHUNK};

/// A residence registration without its address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResidenceState {
    pub id: String,
    /// `permanent`, `temporary`, `current`.
    pub kind: String,
    pub commune_code: String,
    /// `YYYY-MM-DD`.
    pub start_date: String,
    pub end_date: Option<String>,
}

/// A person's coded attributes (storage forms) and residences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonState {
    pub personal_id: String,
    pub gender: Option<String>,
    pub birth_date: Option<String>,
    pub ethnicity: Option<String>,
    pub religion: Option<String>,
    pub status: String,
    pub death_date: Option<String>,
    pub current_commune: Option<String>,
    pub household_id: Option<String>,
    /// Commune of the household the person is registered in.
    pub household_commune: Option<String>,
    pub residences: Vec<ResidenceState>,
}

/// The persons with these ids that exist, with their residences, in no particular order.
pub async fn snapshots(conn: &mut AnyConnection, personal_ids: &[String]) -> Result<Vec<PersonState>, AppError> {
    let mut out = Vec::with_capacity(personal_ids.len());
    for chunk in personal_ids.chunks(CHUNK) {
        let list = placeholders(1, chunk.len());
        let sql = format!(
            "SELECT p.personal_id, p.gender, p.birth_date, p.ethnicity, p.religion, p.status, p.death_date, \
             p.current_commune, p.household_id, h.commune_code FROM persons p \
             LEFT JOIN households h ON h.id = p.household_id WHERE p.personal_id IN ({list})"
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(id);
        }
        let persons = q.fetch_all(&mut *conn).await?;
        let sql = format!(
            "SELECT personal_id, id, kind, commune_code, start_date, end_date FROM residences \
             WHERE personal_id IN ({list}) ORDER BY personal_id, start_date, id"
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(id);
        }
        let mut residences: HashMap<String, Vec<ResidenceState>> = HashMap::new();
        for r in q.fetch_all(&mut *conn).await? {
            residences.entry(r.get(0)).or_default().push(ResidenceState {
                id: r.get(1),
                kind: r.get(2),
                commune_code: r.get(3),
                start_date: r.get(4),
                end_date: r.get(5),
            });
        }
        out.extend(persons.iter().map(|r| {
            let id: String = r.get(0);
            PersonState {
                gender: r.get(1),
                birth_date: r.get(2),
                ethnicity: r.get(3),
                religion: r.get(4),
                status: r.get(5),
                death_date: r.get(6),
                current_commune: r.get(7),
                household_id: r.get(8),
                household_commune: r.get(9),
                residences: residences.remove(&id).unwrap_or_default(),
                personal_id: id,
            }
        }));
    }
    Ok(out)
}

/// Every person registered in these households, with only what household sizes depend on: id,
/// status, household and its commune (no other attributes, no residences).
pub async fn household_members(
    conn: &mut AnyConnection,
    household_ids: &[String],
) -> Result<Vec<PersonState>, AppError> {
    let mut out = Vec::new();
    for chunk in household_ids.chunks(CHUNK) {
        let sql = format!(
            "SELECT p.personal_id, p.status, p.household_id, h.commune_code FROM persons p \
             LEFT JOIN households h ON h.id = p.household_id WHERE p.household_id IN ({})",
            placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(id);
        }
        out.extend(q.fetch_all(&mut *conn).await?.iter().map(|r| PersonState {
            personal_id: r.get(0),
            gender: None,
            birth_date: None,
            ethnicity: None,
            religion: None,
            status: r.get(1),
            death_date: None,
            current_commune: None,
            household_id: r.get(2),
            household_commune: r.get(3),
            residences: Vec::new(),
        }));
    }
    Ok(out)
}
