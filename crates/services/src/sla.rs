//! Statutory processing deadlines in working days. Weekends never count; public holidays come from
//! `svc_holidays` (seeded with the 2026 national holidays, editable by administrators). As Decree
//! 61/2018/NĐ-CP counts it, the period starts on the working day after the application is
//! received (an application received on a day off counts as received on the next working day);
//! the deadline is the end of office hours (17:00, Vietnam time) of the last day.

use std::collections::BTreeSet;

use chrono::{Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Weekday};
use db::sqlx::{self, Row};
use db::Db;
use kernel::AppError;

/// Public holidays of 2026 (Labour Code 2019 Art. 112 and the government's Tết schedule).
pub const HOLIDAYS_2026: &[(&str, &str)] = &[
    ("2026-01-01", "Tết Dương lịch"),
    ("2026-02-16", "Tết Nguyên đán"),
    ("2026-02-17", "Tết Nguyên đán"),
    ("2026-02-18", "Tết Nguyên đán"),
    ("2026-02-19", "Tết Nguyên đán"),
    ("2026-02-20", "Tết Nguyên đán"),
    ("2026-04-27", "Giỗ Tổ Hùng Vương (nghỉ bù)"),
    ("2026-04-30", "Ngày Chiến thắng"),
    ("2026-05-01", "Quốc tế Lao động"),
    ("2026-09-01", "Quốc khánh"),
    ("2026-09-02", "Quốc khánh"),
];

/// Offices close at 17:00: a deadline falls then on its day.
const CLOSE_OF_BUSINESS: NaiveTime = match NaiveTime::from_hms_opt(17, 0, 0) {
    Some(t) => t,
    None => panic!("17:00 is a time of day"),
};

/// Which days are working days.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    holidays: BTreeSet<NaiveDate>,
}

impl Calendar {
    pub fn new(holidays: impl IntoIterator<Item = NaiveDate>) -> Calendar {
        Calendar { holidays: holidays.into_iter().collect() }
    }

    /// The holidays stored in the database.
    pub async fn load(db: &Db) -> Result<Calendar, AppError> {
        let rows = sqlx::query("SELECT day FROM svc_holidays").fetch_all(db.read()).await?;
        Ok(Calendar::new(
            rows.iter().filter_map(|r| NaiveDate::parse_from_str(&r.get::<String, _>(0), "%Y-%m-%d").ok()),
        ))
    }

    pub fn is_working(&self, d: NaiveDate) -> bool {
        !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !self.holidays.contains(&d)
    }

    fn next_working(&self, mut d: NaiveDate) -> NaiveDate {
        loop {
            d += Duration::days(1);
            if self.is_working(d) {
                return d;
            }
        }
    }

    /// The last day of a period of `days` working days for an application received on `received`.
    pub fn due_date(&self, received: NaiveDate, days: i64) -> NaiveDate {
        let mut d = if self.is_working(received) { received } else { self.next_working(received) };
        for _ in 0..days {
            d = self.next_working(d);
        }
        d
    }

    /// The deadline (UTC ms) of an application received at `received_ms`.
    pub fn due_ms(&self, received_ms: i64, days: i64) -> i64 {
        let received = kernel::clock::ms_to_vn(received_ms).date_naive();
        let day = self.due_date(received, days);
        let end = day.and_time(CLOSE_OF_BUSINESS);
        kernel::clock::vietnam_offset()
            .from_local_datetime(&end)
            .single()
            .map(|t| t.timestamp_millis())
            .unwrap_or(received_ms)
    }
}

/// Stores the 2026 holidays unless already present.
pub async fn seed_holidays(db: &Db) -> Result<(), AppError> {
    for (day, name) in HOLIDAYS_2026 {
        sqlx::query("INSERT INTO svc_holidays (day, name) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(*day)
            .bind(*name)
            .execute(db.write())
            .await?;
    }
    Ok(())
}

/// A public holiday.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Holiday {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub name: String,
}

/// The holidays, in date order.
pub async fn holidays(db: &Db) -> Result<Vec<Holiday>, AppError> {
    let rows = sqlx::query("SELECT day, name FROM svc_holidays ORDER BY day").fetch_all(db.read()).await?;
    Ok(rows.iter().map(|r| Holiday { day: r.get(0), name: r.get(1) }).collect())
}

/// Adds or renames a holiday (administrators); deadlines already fixed do not move.
pub async fn set_holiday(db: &Db, h: &Holiday) -> Result<(), AppError> {
    NaiveDate::parse_from_str(&h.day, "%Y-%m-%d").map_err(|_| AppError::invalid("day: use YYYY-MM-DD"))?;
    let name = kernel::text::normalize_name(&h.name);
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::invalid("name: 1–100 characters"));
    }
    sqlx::query(
        "INSERT INTO svc_holidays (day, name) VALUES ($1, $2) ON CONFLICT (day) DO UPDATE SET name = excluded.name",
    )
    .bind(&h.day)
    .bind(&name)
    .execute(db.write())
    .await?;
    Ok(())
}

/// Removes a holiday; `false` when there was none that day.
pub async fn remove_holiday(db: &Db, day: &str) -> Result<bool, AppError> {
    let n = sqlx::query("DELETE FROM svc_holidays WHERE day = $1").bind(day).execute(db.write()).await?.rows_affected();
    Ok(n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn counts_working_days_after_receipt_skipping_weekends_and_holidays() {
        let cal = Calendar::new(HOLIDAYS_2026.iter().map(|(s, _)| d(s)));
        // Thursday 3 Dec 2026 + 3 working days: Fri, Mon, Tue.
        assert_eq!(cal.due_date(d("2026-12-03"), 3), d("2026-12-08"));
        // Received on Saturday: counts from Monday, so 1 day ends on Tuesday.
        assert_eq!(cal.due_date(d("2026-12-05"), 1), d("2026-12-08"));
        // Across 30/4 and 1/5 (Thursday, Friday): Wednesday 29/4 + 2 days = Monday 4/5, Tuesday 5/5.
        assert_eq!(cal.due_date(d("2026-04-29"), 2), d("2026-05-05"));
        // Zero days: the receipt's working day.
        assert_eq!(cal.due_date(d("2026-12-03"), 0), d("2026-12-03"));
        // Without the holiday list the same period is shorter.
        assert_eq!(Calendar::default().due_date(d("2026-04-29"), 2), d("2026-05-01"));
    }

    #[test]
    fn the_deadline_is_17_00_vietnam_time() {
        let cal = Calendar::default();
        // 2026-12-03 09:00 +07:00.
        let received = chrono::DateTime::parse_from_rfc3339("2026-12-03T09:00:00+07:00").unwrap().timestamp_millis();
        let due = cal.due_ms(received, 1);
        assert_eq!(kernel::clock::ms_to_vn(due).to_rfc3339(), "2026-12-04T17:00:00+07:00");
    }
}
