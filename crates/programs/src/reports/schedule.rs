//! The reporting calendar of each unit: which frequencies it reports at and on which due day.

use db::sqlx::{self, Row};
use db::Db;
use kernel::AppError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::calendar::Frequency;

/// One line of a unit's calendar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Schedule {
    pub unit_id: String,
    pub frequency: Frequency,
    /// Day of the month after the period (1–28), or weekday 1–7 of the week for weekly reports.
    pub due_day: i64,
}

/// Calendars of every unit (or of one unit).
pub async fn schedules(db: &Db, unit_id: Option<&str>) -> Result<Vec<Schedule>, AppError> {
    let rows = match unit_id {
        Some(u) => {
            sqlx::query(
                "SELECT unit_id, frequency, due_day FROM program_schedules WHERE unit_id = $1 ORDER BY frequency",
            )
            .bind(u)
            .fetch_all(db.read())
            .await
        }
        None => {
            sqlx::query("SELECT unit_id, frequency, due_day FROM program_schedules ORDER BY unit_id, frequency")
                .fetch_all(db.read())
                .await
        }
    }?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            Some(Schedule {
                unit_id: r.get(0),
                frequency: Frequency::parse(&r.get::<String, _>(1))?,
                due_day: r.get(2),
            })
        })
        .collect())
}

/// Adds, changes (`due_day`) or removes (`None`) one frequency of a unit's calendar.
pub async fn set_schedule(db: &Db, unit_id: &str, frequency: Frequency, due_day: Option<i64>) -> Result<(), AppError> {
    crate::units::get(db, unit_id).await?;
    match due_day {
        Some(day) => {
            frequency.check_due_day(day)?;
            sqlx::query(
                "INSERT INTO program_schedules (unit_id, frequency, due_day) VALUES ($1, $2, $3) \
                 ON CONFLICT (unit_id, frequency) DO UPDATE SET due_day = excluded.due_day",
            )
            .bind(unit_id)
            .bind(frequency.code())
            .bind(day)
            .execute(db.write())
            .await
        }
        None => {
            sqlx::query("DELETE FROM program_schedules WHERE unit_id = $1 AND frequency = $2")
                .bind(unit_id)
                .bind(frequency.code())
                .execute(db.write())
                .await
        }
    }?;
    Ok(())
}
