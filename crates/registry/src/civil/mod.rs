//! Civil-status and residence effects that public-service procedures have on the registry: birth
//! registration, temporary residence (registration and extension), removal of a permanent
//! residence, temporary absence declarations and marriage. Moves and deaths live in
//! [`crate::moves`] and [`crate::write`].
//!
//! Every function takes an open transaction, so the caller (the services module approving an
//! application) commits the registry change and its own status change together or not at all,
//! and `now` (UTC milliseconds, passed so tests can fix time): the time of the change, whose day
//! in Vietnam is the "today" dates are checked against.
//! Each change appends a person event with previous and new values, as every registry write does.

mod absence;
mod birth;
mod marriage;
mod residence;

pub use absence::{declare_absence_in, Absence};
pub use birth::{has_child, register_birth_in, Born, NewBirth, ParentOnRecord};
pub use marriage::record_marriage_in;
pub use residence::{extend_temporary_in, register_temporary_in, remove_permanent_in, TemporaryStay};

use db::sqlx::{self, AnyConnection, Row};
use db::{Arg, Filter};
use kernel::Jurisdiction;
use kernel::{AppError, ErrorCode, PersonalId};

use crate::queries::scope::restrict;

/// The fields of a person the effects check before changing them.
#[derive(Debug, Clone)]
pub(crate) struct Subject {
    pub gender: Option<String>,
    pub birth_date: Option<String>,
    pub spouse_id: Option<String>,
    pub current_commune: Option<String>,
}

/// Reads a living person, inside `jurisdiction` when one is given; a person outside it is reported
/// as not found.
pub(crate) async fn living_subject(
    tx: &mut AnyConnection,
    id: &PersonalId,
    jurisdiction: Option<&Jurisdiction>,
) -> Result<Subject, AppError> {
    let mut f = Filter::new();
    f.and("p.personal_id = ?", Arg::Text(id.to_string()));
    if let Some(j) = jurisdiction {
        restrict(&mut f, j);
    }
    let sql = format!(
        "SELECT p.status, p.gender, p.birth_date, p.spouse_id, p.current_commune FROM persons p WHERE {}",
        f.sql()
    );
    let row = f.bind(sqlx::query(&sql)).fetch_optional(&mut *tx).await?;
    let Some(row) = row else {
        return Err(AppError::not_found(format!("no person {id} in your jurisdiction")));
    };
    if row.get::<String, _>(0) != "living" {
        return Err(AppError::new(ErrorCode::Conflict, format!("{id} is not recorded as living"))
            .with_message("Người này không còn được ghi là đang sống.", "The person is not recorded as living."));
    }
    Ok(Subject { gender: row.get(1), birth_date: row.get(2), spouse_id: row.get(3), current_commune: row.get(4) })
}

/// A trimmed, NFC address of 1–300 characters.
pub(crate) fn address(text: &str) -> Result<String, AppError> {
    let a = kernel::text::normalize_name(text);
    if a.is_empty() || a.chars().count() > 300 {
        return Err(AppError::invalid("address: 1–300 characters")
            .with_message("Địa chỉ phải có từ 1 đến 300 ký tự.", "The address must have 1 to 300 characters."));
    }
    Ok(a)
}

/// A JSON text value or null.
pub(crate) fn text(s: Option<String>) -> serde_json::Value {
    s.map(serde_json::Value::String).unwrap_or(serde_json::Value::Null)
}

/// A new open residence of `kind` (`permanent` or `temporary`), created at `now`; returns its id.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn open_residence(
    tx: &mut AnyConnection,
    id: &PersonalId,
    kind: &str,
    commune: &str,
    address: &str,
    start: &str,
    expiry: Option<&str>,
    now: i64,
) -> Result<String, AppError> {
    let residence_id = kernel::ids::new_id();
    sqlx::query(
        "INSERT INTO residences (id, personal_id, kind, commune_code, address, start_date, end_date, expiry_date, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, NULL, $7, $8)",
    )
    .bind(&residence_id)
    .bind(id.as_str())
    .bind(kind)
    .bind(commune)
    .bind(address)
    .bind(start)
    .bind(expiry)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(residence_id)
}

/// Makes a place the person's current residence (the denormalized jurisdiction column) at `now`.
pub(crate) async fn set_current(
    tx: &mut AnyConnection,
    id: &PersonalId,
    commune: &str,
    address: &str,
    now: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE persons SET current_commune = $1, current_address = $2, updated_at = $3, version = version + 1 \
         WHERE personal_id = $4",
    )
    .bind(commune)
    .bind(address)
    .bind(now)
    .bind(id.as_str())
    .execute(&mut *tx)
    .await?;
    Ok(())
}
