//! Grouped counts over the whole registry, one table scan each, for a full recompute of derived
//! figures. Keys are storage forms cut to the grain figures need (year or month of a date).

use db::sqlx::{self, AnyConnection, Row};
use kernel::AppError;

/// Living persons with a current commune, by commune, birth year, gender, ethnicity and religion
/// (`""` where the field is empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileCount {
    pub commune: String,
    pub birth_year: String,
    pub gender: String,
    pub ethnicity: String,
    pub religion: String,
    pub count: i64,
}

pub async fn living_by_profile(conn: &mut AnyConnection) -> Result<Vec<ProfileCount>, AppError> {
    let rows = sqlx::query(
        "SELECT current_commune, COALESCE(substr(birth_date, 1, 4), ''), COALESCE(gender, ''), \
         COALESCE(ethnicity, ''), COALESCE(religion, ''), COUNT(*) FROM persons \
         WHERE status = 'living' AND current_commune IS NOT NULL GROUP BY 1, 2, 3, 4, 5",
    )
    .fetch_all(conn)
    .await
    .map_err(db::internal)?;
    Ok(rows
        .iter()
        .map(|r| ProfileCount {
            commune: r.get(0),
            birth_year: r.get(1),
            gender: r.get(2),
            ethnicity: r.get(3),
            religion: r.get(4),
            count: r.get(5),
        })
        .collect())
}

/// Persons with a current commune by month of birth (when the birth date holds a month) and, for
/// the deceased, month of death; `""` where there is no such month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifeEventCount {
    pub commune: String,
    pub birth_month: String,
    pub death_month: String,
    pub count: i64,
}

pub async fn births_and_deaths(conn: &mut AnyConnection) -> Result<Vec<LifeEventCount>, AppError> {
    let rows = sqlx::query(
        "SELECT current_commune, \
         CASE WHEN length(birth_date) >= 7 THEN substr(birth_date, 1, 7) ELSE '' END AS bm, \
         CASE WHEN status = 'deceased' AND length(death_date) >= 7 THEN substr(death_date, 1, 7) ELSE '' END AS dm, \
         COUNT(*) FROM persons WHERE current_commune IS NOT NULL \
         AND (length(birth_date) >= 7 OR (status = 'deceased' AND length(death_date) >= 7)) GROUP BY 1, 2, 3",
    )
    .fetch_all(conn)
    .await
    .map_err(db::internal)?;
    Ok(rows
        .iter()
        .map(|r| LifeEventCount { commune: r.get(0), birth_month: r.get(1), death_month: r.get(2), count: r.get(3) })
        .collect())
}

/// Households by commune and number of living registered members: `(commune, size, households)`.
/// Households without living members are left out.
pub async fn household_sizes(conn: &mut AnyConnection) -> Result<Vec<(String, i64, i64)>, AppError> {
    let rows = sqlx::query(
        "SELECT h.commune_code, s.n, COUNT(*) FROM (SELECT household_id, COUNT(*) AS n FROM persons \
         WHERE status = 'living' AND household_id IS NOT NULL GROUP BY household_id) s \
         JOIN households h ON h.id = s.household_id GROUP BY 1, 2",
    )
    .fetch_all(conn)
    .await
    .map_err(db::internal)?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect())
}

/// Changes of permanent residence between communes: a permanent registration that ended on the
/// day the same person's next permanent registration began, in another commune.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoveCount {
    pub from: String,
    pub to: String,
    /// `YYYY-MM` of the move.
    pub month: String,
    pub count: i64,
}

pub async fn moves(conn: &mut AnyConnection) -> Result<Vec<MoveCount>, AppError> {
    let rows = sqlx::query(
        "SELECT p.commune_code, n.commune_code, substr(n.start_date, 1, 7), COUNT(*) FROM residences p \
         JOIN residences n ON n.personal_id = p.personal_id AND n.start_date = p.end_date \
         WHERE p.kind = 'permanent' AND n.kind = 'permanent' AND p.end_date IS NOT NULL \
         AND p.commune_code <> n.commune_code GROUP BY 1, 2, 3",
    )
    .fetch_all(conn)
    .await
    .map_err(db::internal)?;
    Ok(rows.iter().map(|r| MoveCount { from: r.get(0), to: r.get(1), month: r.get(2), count: r.get(3) }).collect())
}

/// Open temporary registrations of living persons, paired with each open permanent registration
/// of the same person (`None` when there is none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemporaryCount {
    pub temporary_commune: String,
    pub permanent_commune: Option<String>,
    pub count: i64,
}

pub async fn open_temporary(conn: &mut AnyConnection) -> Result<Vec<TemporaryCount>, AppError> {
    let rows = sqlx::query(
        "SELECT t.commune_code, p.commune_code, COUNT(*) FROM residences t \
         JOIN persons x ON x.personal_id = t.personal_id AND x.status = 'living' \
         LEFT JOIN residences p ON p.personal_id = t.personal_id AND p.kind = 'permanent' AND p.end_date IS NULL \
         WHERE t.kind = 'temporary' AND t.end_date IS NULL GROUP BY 1, 2",
    )
    .fetch_all(conn)
    .await
    .map_err(db::internal)?;
    Ok(rows
        .iter()
        .map(|r| TemporaryCount { temporary_commune: r.get(0), permanent_commune: r.get(1), count: r.get(2) })
        .collect())
}
