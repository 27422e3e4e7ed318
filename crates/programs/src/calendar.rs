//! The reporting calendar: periods (week, month, half-year, year) and their due dates.
//!
//! A weekly report is due on the configured weekday of its own week (default Friday); monthly,
//! six-monthly and annual reports are due on the configured day of the month after the period
//! (default the 15th: "báo cáo tháng trước ngày 15").

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use kernel::AppError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How often a unit reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    Weekly,
    Monthly,
    SemiAnnual,
    Annual,
}

/// The calendar every unit starts with: (frequency, due day).
pub const DEFAULT_SCHEDULE: &[(Frequency, i64)] =
    &[(Frequency::Monthly, 15), (Frequency::SemiAnnual, 15), (Frequency::Annual, 15)];

impl Frequency {
    pub const ALL: [Frequency; 4] = [Frequency::Weekly, Frequency::Monthly, Frequency::SemiAnnual, Frequency::Annual];

    pub fn code(self) -> &'static str {
        match self {
            Frequency::Weekly => "weekly",
            Frequency::Monthly => "monthly",
            Frequency::SemiAnnual => "semiannual",
            Frequency::Annual => "annual",
        }
    }

    pub fn parse(s: &str) -> Option<Frequency> {
        Frequency::ALL.into_iter().find(|f| f.code() == s)
    }

    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            Frequency::Weekly => ("Báo cáo tuần", "Weekly report"),
            Frequency::Monthly => ("Báo cáo tháng", "Monthly report"),
            Frequency::SemiAnnual => ("Báo cáo 6 tháng", "Six-monthly report"),
            Frequency::Annual => ("Báo cáo năm", "Annual report"),
        }
    }

    /// Checks a due day: a weekday 1 (Monday) – 7 for weekly reports, a day 1–28 otherwise.
    pub fn check_due_day(self, day: i64) -> Result<(), AppError> {
        let max = if self == Frequency::Weekly { 7 } else { 28 };
        if (1..=max).contains(&day) {
            Ok(())
        } else {
            Err(AppError::invalid(format!("due_day for {} reports must be 1..{max}", self.code())))
        }
    }
}

/// One reporting period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Period {
    pub frequency: Frequency,
    /// `2025-W23`, `2025-06`, `2025-H1` or `2025`.
    pub label: String,
    #[schema(value_type = String, format = Date)]
    pub start: NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub end: NaiveDate,
}

fn ymd(y: i32, m: u32, d: u32) -> Result<NaiveDate, AppError> {
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| AppError::invalid("date out of range"))
}

/// The first day of month `m` of year `y`, taken from a date the calendar holds (so the day
/// exists; the calendar's first day stands in for any other).
fn first_of(y: i32, m: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(NaiveDate::MIN)
}

/// The last day of month `m` of year `y`.
fn month_end(y: i32, m: u32) -> NaiveDate {
    let first = first_of(y, m);
    first + Duration::days(i64::from(first.num_days_in_month()) - 1)
}

impl Period {
    /// The period of `freq` that contains `date`.
    pub fn containing(freq: Frequency, date: NaiveDate) -> Period {
        let y = date.year();
        let (label, start, end) = match freq {
            Frequency::Weekly => {
                let w = date.iso_week();
                // ISO weeks begin on Monday.
                let start = date - Duration::days(i64::from(date.weekday().num_days_from_monday()));
                (format!("{}-W{:02}", w.year(), w.week()), start, start + Duration::days(6))
            }
            Frequency::Monthly => {
                (format!("{y}-{:02}", date.month()), first_of(y, date.month()), month_end(y, date.month()))
            }
            Frequency::SemiAnnual if date.month() <= 6 => (format!("{y}-H1"), first_of(y, 1), month_end(y, 6)),
            Frequency::SemiAnnual => (format!("{y}-H2"), first_of(y, 7), month_end(y, 12)),
            Frequency::Annual => (format!("{y}"), first_of(y, 1), month_end(y, 12)),
        };
        Period { frequency: freq, label, start, end }
    }

    /// Parses a period label of the given frequency.
    pub fn parse(freq: Frequency, label: &str) -> Result<Period, AppError> {
        let bad = || AppError::invalid(format!("period {label:?} is not a {} period", freq.code()));
        let num = |s: &str| s.parse::<u32>().map_err(|_| bad());
        let date = match freq {
            Frequency::Weekly => {
                let (y, w) = label.split_once("-W").ok_or_else(bad)?;
                NaiveDate::from_isoywd_opt(num(y)? as i32, num(w)?, Weekday::Mon).ok_or_else(bad)?
            }
            Frequency::Monthly => {
                let (y, m) = label.split_once('-').ok_or_else(bad)?;
                ymd(num(y)? as i32, num(m)?, 1).map_err(|_| bad())?
            }
            Frequency::SemiAnnual => {
                let (y, h) = label.split_once("-H").ok_or_else(bad)?;
                let month = match h {
                    "1" => 1,
                    "2" => 7,
                    _ => return Err(bad()),
                };
                ymd(num(y)? as i32, month, 1).map_err(|_| bad())?
            }
            Frequency::Annual => ymd(num(label)? as i32, 1, 1).map_err(|_| bad())?,
        };
        let p = Period::containing(freq, date);
        if p.label != label {
            return Err(bad());
        }
        Ok(p)
    }

    /// The following period.
    pub fn next(&self) -> Period {
        Period::containing(self.frequency, self.end + Duration::days(1))
    }

    /// When the report of this period is due, for a unit's due day.
    pub fn due_date(&self, due_day: i64) -> NaiveDate {
        match self.frequency {
            Frequency::Weekly => self.start + Duration::days(due_day.clamp(1, 7) - 1),
            _ => {
                let after = self.end + Duration::days(1);
                let first = first_of(after.year(), after.month());
                first + Duration::days(due_day.clamp(1, i64::from(first.num_days_in_month())) - 1)
            }
        }
    }

    /// Human label: "Tháng 06/2025", "Tuần 23/2025", "6 tháng đầu năm 2025", "Năm 2025".
    pub fn title(&self, lang: kernel::Lang) -> String {
        let y = self.start.year();
        match (self.frequency, lang) {
            (Frequency::Weekly, kernel::Lang::Vi) => format!("Tuần {:02}/{}", self.start.iso_week().week(), y),
            (Frequency::Weekly, kernel::Lang::En) => format!("Week {:02}/{}", self.start.iso_week().week(), y),
            (Frequency::Monthly, kernel::Lang::Vi) => format!("Tháng {:02}/{y}", self.start.month()),
            (Frequency::Monthly, kernel::Lang::En) => format!("Month {:02}/{y}", self.start.month()),
            (Frequency::SemiAnnual, kernel::Lang::Vi) if self.start.month() == 1 => format!("6 tháng đầu năm {y}"),
            (Frequency::SemiAnnual, kernel::Lang::Vi) => format!("6 tháng cuối năm {y}"),
            (Frequency::SemiAnnual, kernel::Lang::En) => {
                format!("{} half of {y}", if self.start.month() == 1 { "First" } else { "Second" })
            }
            (Frequency::Annual, kernel::Lang::Vi) => format!("Năm {y}"),
            (Frequency::Annual, kernel::Lang::En) => format!("Year {y}"),
        }
    }
}

/// Periods of `freq` that end on or after `from` and are due on or before `until`.
pub fn periods_due(freq: Frequency, due_day: i64, from: NaiveDate, until: NaiveDate) -> Vec<Period> {
    let mut out = Vec::new();
    let mut p = Period::containing(freq, from);
    while p.due_date(due_day) <= until {
        out.push(p.clone());
        p = p.next();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn monthly_reports_are_due_on_the_15th_of_the_next_month() {
        let p = Period::containing(Frequency::Monthly, d(2025, 12, 31));
        assert_eq!((p.label.as_str(), p.start, p.end), ("2025-12", d(2025, 12, 1), d(2025, 12, 31)));
        assert_eq!(p.due_date(15), d(2026, 1, 15));
        // A due day past the month's end is clamped (February).
        assert_eq!(Period::parse(Frequency::Monthly, "2025-01").unwrap().due_date(31), d(2025, 2, 28));
        assert_eq!(p.next().label, "2026-01");
    }

    #[test]
    fn weeks_halves_and_years() {
        let w = Period::containing(Frequency::Weekly, d(2025, 1, 1));
        assert_eq!((w.label.as_str(), w.start), ("2025-W01", d(2024, 12, 30)));
        assert_eq!(w.due_date(5), d(2025, 1, 3));
        let h = Period::containing(Frequency::SemiAnnual, d(2025, 8, 2));
        assert_eq!((h.label.as_str(), h.end, h.due_date(15)), ("2025-H2", d(2025, 12, 31), d(2026, 1, 15)));
        let a = Period::containing(Frequency::Annual, d(2025, 3, 1));
        assert_eq!((a.label.as_str(), a.due_date(10)), ("2025", d(2026, 1, 10)));
        assert_eq!(Period::containing(Frequency::Monthly, d(2025, 6, 9)).title(kernel::Lang::Vi), "Tháng 06/2025");
    }

    #[test]
    fn parses_labels_and_rejects_others() {
        for (f, l) in [
            (Frequency::Weekly, "2025-W23"),
            (Frequency::Monthly, "2025-06"),
            (Frequency::SemiAnnual, "2025-H1"),
            (Frequency::Annual, "2025"),
        ] {
            assert_eq!(Period::parse(f, l).unwrap().label, l);
        }
        for (f, l) in [
            (Frequency::Monthly, "2025-13"),
            (Frequency::Monthly, "2025-6"),
            (Frequency::Weekly, "2025-W54"),
            (Frequency::SemiAnnual, "2025-H3"),
            (Frequency::Annual, "20x5"),
            (Frequency::Monthly, "2025"),
        ] {
            assert!(Period::parse(f, l).is_err(), "{l}");
        }
        assert!(Frequency::Weekly.check_due_day(8).is_err());
        assert!(Frequency::Monthly.check_due_day(15).is_ok());
        assert!(Frequency::Monthly.check_due_day(29).is_err());
    }

    #[test]
    fn lists_periods_due_in_a_range() {
        let due = periods_due(Frequency::Monthly, 15, d(2025, 3, 10), d(2025, 6, 14));
        let labels: Vec<&str> = due.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(labels, ["2025-03", "2025-04"]);
    }
}
