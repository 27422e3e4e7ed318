//! Which reports each registered unit owes: reminders before the deadline, and late or missing
//! reports after it.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate, NaiveTime};
use db::Db;
use kernel::AppError;
use serde::Serialize;
use utoipa::ToSchema;

use super::workflow::{list, ReportStatus};
use crate::calendar::{periods_due, Frequency};
use crate::registrations::RegStatus;

/// Days before the deadline from which a report is listed as a reminder.
pub(super) const REMIND_DAYS: i64 = 7;

/// Where one owed report stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ObligationState {
    /// Due within [`REMIND_DAYS`] and not submitted yet.
    DueSoon,
    /// Past its due date and not submitted.
    Missing,
    /// Submitted after its due date.
    Late,
    /// Submitted on time.
    OnTime,
}

impl ObligationState {
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            ObligationState::DueSoon => ("Sắp đến hạn", "Due soon"),
            ObligationState::Missing => ("Chưa nộp, quá hạn", "Missing, overdue"),
            ObligationState::Late => ("Nộp muộn", "Submitted late"),
            ObligationState::OnTime => ("Đúng hạn", "On time"),
        }
    }
}

/// One report a unit owes.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Obligation {
    pub unit_id: String,
    pub frequency: Frequency,
    pub period: String,
    #[schema(value_type = String, format = Date)]
    pub due_date: NaiveDate,
    pub report_id: Option<String>,
    pub report_status: Option<ReportStatus>,
    pub state: ObligationState,
}

/// End of a due date in Vietnam time, as UTC milliseconds.
fn due_end_ms(due: NaiveDate) -> i64 {
    let next = (due + Duration::days(1)).and_time(NaiveTime::MIN);
    next.and_local_timezone(kernel::clock::vietnam_offset()).single().map(|t| t.timestamp_millis()).unwrap_or(0)
}

/// Every report owed up to `today` + [`REMIND_DAYS`] by units with a live registration, counted
/// from the unit's first registration.
pub async fn obligations(db: &Db, today: NaiveDate) -> Result<Vec<Obligation>, AppError> {
    let mut first: HashMap<String, i64> = HashMap::new();
    for r in crate::registrations::list(db, None, None).await? {
        if r.status != RegStatus::Returned {
            let e = first.entry(r.unit_id).or_insert(r.registered_at);
            *e = (*e).min(r.registered_at);
        }
    }
    let reports = list(db, None, None, None, None).await?;
    let until = today + Duration::days(REMIND_DAYS);
    let mut out = Vec::new();
    for s in super::schedules(db, None).await? {
        let Some(&since) = first.get(&s.unit_id) else { continue };
        let from = kernel::clock::ms_to_vn(since).date_naive();
        for p in periods_due(s.frequency, s.due_day, from, until) {
            let due = p.due_date(s.due_day);
            let report =
                reports.iter().find(|r| r.unit_id == s.unit_id && r.frequency == s.frequency && r.period == p.label);
            let submitted = report.and_then(|r| match r.status {
                ReportStatus::Submitted | ReportStatus::Approved => r.submitted_at,
                _ => None,
            });
            let state = match submitted {
                Some(at) if at <= due_end_ms(due) => ObligationState::OnTime,
                Some(_) => ObligationState::Late,
                None if due < today => ObligationState::Missing,
                None => ObligationState::DueSoon,
            };
            out.push(Obligation {
                unit_id: s.unit_id.clone(),
                frequency: s.frequency,
                period: p.label,
                due_date: due,
                report_id: report.map(|r| r.id.clone()),
                report_status: report.map(|r| r.status),
                state,
            });
        }
    }
    out.sort_by(|a, b| a.due_date.cmp(&b.due_date).then_with(|| a.unit_id.cmp(&b.unit_id)));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_date_ends_at_midnight_vietnam_time() {
        let due = NaiveDate::from_ymd_opt(2025, 7, 15).unwrap();
        // 2025-07-15T17:00Z is midnight 16 July in Vietnam.
        assert_eq!(due_end_ms(due), 1_752_598_800_000);
    }
}
