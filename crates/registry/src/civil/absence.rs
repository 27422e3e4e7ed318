//! Temporary absence declarations (khai báo tạm vắng, Law on Residence 2020 Art. 31), made at the
//! police of the commune where the person lives.

use chrono::NaiveDate;
use db::sqlx::{self, AnyConnection};
use kernel::Jurisdiction;
use kernel::{AppError, ErrorCode, PersonalId};
use serde_json::{Map, Value};

use super::{address, living_subject};

/// A declared absence.
#[derive(Debug, Clone)]
pub struct Absence {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Where the person goes (free text: address, province or country).
    pub destination: String,
}

/// Records the absence of a living resident of `jurisdiction`; returns its id.
pub async fn declare_absence_in(
    tx: &mut AnyConnection,
    actor: &str,
    jurisdiction: &Jurisdiction,
    id: &PersonalId,
    a: &Absence,
    reason: &str,
    now: i64,
) -> Result<String, AppError> {
    if a.to <= a.from {
        return Err(AppError::new(ErrorCode::InvalidDate, "the absence must end after it starts")
            .with_message("Ngày kết thúc tạm vắng phải sau ngày bắt đầu.", "The absence must end after it starts."));
    }
    if (a.to - a.from).num_days() > 5 * 366 {
        return Err(AppError::new(ErrorCode::InvalidDate, "an absence is declared for at most 5 years")
            .with_message("Tạm vắng được khai báo tối đa 5 năm.", "An absence is declared for at most 5 years."));
    }
    if a.from < kernel::clock::date_vn(now) - chrono::Duration::days(30) {
        return Err(AppError::new(ErrorCode::InvalidDate, "an absence cannot start more than 30 days ago")
            .with_message(
                "Ngày bắt đầu tạm vắng không được trước hôm nay quá 30 ngày.",
                "An absence cannot start more than 30 days ago.",
            ));
    }
    let destination = address(&a.destination)?;
    living_subject(tx, id, Some(jurisdiction)).await?;
    let absence_id = kernel::ids::new_id();
    let (from, to) = (a.from.format("%Y-%m-%d").to_string(), a.to.format("%Y-%m-%d").to_string());
    sqlx::query(
        "INSERT INTO temporary_absences (id, personal_id, from_date, to_date, destination, reason, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&absence_id)
    .bind(id.as_str())
    .bind(&from)
    .bind(&to)
    .bind(&destination)
    .bind(reason)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let mut current = Map::new();
    current.insert("absence".into(), Value::String(absence_id.clone()));
    current.insert("absence_from".into(), Value::String(from));
    current.insert("absence_to".into(), Value::String(to));
    crate::history::record(tx, id.as_str(), "absence_declared", actor, reason, &Map::new(), &current, now).await?;
    Ok(absence_id)
}
