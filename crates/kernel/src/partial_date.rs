//! Dates that may be known only to the month or the year.
//!
//! Many older citizens' records hold only a birth year ("1948") or month and year. The precision is
//! part of the fact and must survive storage, APIs and display unchanged.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, ErrorCode};

/// A date known to the day, the month or the year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum PartialDate {
    Year(i32),
    YearMonth(i32, u32),
    Full(NaiveDate),
}

/// How much of a [`PartialDate`] is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    Year,
    Month,
    Day,
}

impl PartialDate {
    /// Parses the storage / API form: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Result<Self, AppError> {
        let bad = || {
            AppError::new(ErrorCode::InvalidDate, format!("expected YYYY, YYYY-MM or YYYY-MM-DD, got {s:?}"))
                .with_message(
                    "Ngày không hợp lệ: ghi theo dạng năm-tháng-ngày (YYYY-MM-DD), năm-tháng hoặc năm.",
                    "Invalid date: write it as YYYY-MM-DD, YYYY-MM or YYYY.",
                )
        };
        let parts: Vec<&str> = s.trim().split('-').collect();
        let num = |p: &str, len: usize| -> Result<u32, AppError> {
            if p.len() == len && p.bytes().all(|b| b.is_ascii_digit()) {
                p.parse().map_err(|_| bad())
            } else {
                Err(bad())
            }
        };
        match parts.as_slice() {
            [y] => Self::year(num(y, 4)? as i32),
            [y, m] => Self::year_month(num(y, 4)? as i32, num(m, 2)?),
            [y, m, d] => NaiveDate::from_ymd_opt(num(y, 4)? as i32, num(m, 2)?, num(d, 2)?)
                .map(PartialDate::Full)
                .ok_or_else(bad),
            _ => Err(bad()),
        }
    }

    /// Parses the Vietnamese display form: `dd/mm/yyyy`, `mm/yyyy` or `yyyy` (also with `-` or `.`).
    pub fn parse_vn(s: &str) -> Result<Self, AppError> {
        let bad = || {
            AppError::new(ErrorCode::InvalidDate, format!("expected dd/mm/yyyy, mm/yyyy or yyyy, got {s:?}"))
                .with_message(
                    "Ngày không hợp lệ: ghi theo dạng ngày/tháng/năm (dd/mm/yyyy), tháng/năm hoặc năm.",
                    "Invalid date: write it as dd/mm/yyyy, mm/yyyy or yyyy.",
                )
        };
        let parts: Vec<&str> = s.trim().split(['/', '-', '.']).collect();
        let n = |p: &str| -> Result<u32, AppError> {
            if !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()) {
                p.parse().map_err(|_| bad())
            } else {
                Err(bad())
            }
        };
        match parts.as_slice() {
            [y] if y.len() == 4 => Self::year(n(y)? as i32),
            [m, y] if y.len() == 4 => Self::year_month(n(y)? as i32, n(m)?),
            [d, m, y] if y.len() == 4 => {
                NaiveDate::from_ymd_opt(n(y)? as i32, n(m)?, n(d)?).map(PartialDate::Full).ok_or_else(bad)
            }
            _ => Err(bad()),
        }
    }

    fn year(y: i32) -> Result<Self, AppError> {
        if (1800..=2200).contains(&y) {
            Ok(PartialDate::Year(y))
        } else {
            Err(AppError::new(ErrorCode::InvalidDate, format!("year {y} out of range")).with_message(
                format!("Năm {y} không hợp lệ: năm phải từ 1800 đến 2200."),
                format!("Year {y} is not valid: it must be between 1800 and 2200."),
            ))
        }
    }

    fn year_month(y: i32, m: u32) -> Result<Self, AppError> {
        Self::year(y)?;
        if (1..=12).contains(&m) {
            Ok(PartialDate::YearMonth(y, m))
        } else {
            Err(AppError::new(ErrorCode::InvalidDate, format!("month {m} out of range")).with_message(
                format!("Tháng {m} không hợp lệ: tháng phải từ 1 đến 12."),
                format!("Month {m} is not valid: it must be between 1 and 12."),
            ))
        }
    }

    pub fn year_value(&self) -> i32 {
        match self {
            PartialDate::Year(y) | PartialDate::YearMonth(y, _) => *y,
            PartialDate::Full(d) => d.year(),
        }
    }

    pub fn precision(&self) -> Precision {
        match self {
            PartialDate::Year(_) => Precision::Year,
            PartialDate::YearMonth(..) => Precision::Month,
            PartialDate::Full(_) => Precision::Day,
        }
    }

    /// The full date when known.
    pub fn full(&self) -> Option<NaiveDate> {
        match self {
            PartialDate::Full(d) => Some(*d),
            _ => None,
        }
    }

    /// The earliest day the date could be (1 January for a bare year).
    pub fn earliest(&self) -> NaiveDate {
        match self {
            PartialDate::Year(y) => NaiveDate::from_ymd_opt(*y, 1, 1),
            PartialDate::YearMonth(y, m) => NaiveDate::from_ymd_opt(*y, *m, 1),
            PartialDate::Full(d) => Some(*d),
        }
        // `parse` admits no such value; one built directly from the variants saturates.
        .unwrap_or(NaiveDate::MIN)
    }

    /// The latest day the date could be (31 December for a bare year).
    pub fn latest(&self) -> NaiveDate {
        match self {
            PartialDate::Year(y) => NaiveDate::from_ymd_opt(*y, 12, 31),
            PartialDate::YearMonth(y, m) => {
                let (ny, nm) = if *m == 12 { (*y + 1, 1) } else { (*y, *m + 1) };
                NaiveDate::from_ymd_opt(ny, nm, 1).and_then(|next| next.pred_opt())
            }
            PartialDate::Full(d) => Some(*d),
        }
        // `parse` admits no such value; one built directly from the variants saturates.
        .unwrap_or(NaiveDate::MAX)
    }

    /// Age in whole years on `on`, counted from the latest possible birth day (never overstates age).
    pub fn age_on(&self, on: NaiveDate) -> i32 {
        crate::clock::age_on(self.latest(), on)
    }

    /// Storage / API form.
    pub fn to_storage(&self) -> String {
        match self {
            PartialDate::Year(y) => format!("{y:04}"),
            PartialDate::YearMonth(y, m) => format!("{y:04}-{m:02}"),
            PartialDate::Full(d) => d.format("%Y-%m-%d").to_string(),
        }
    }

    /// Vietnamese display form (`dd/mm/yyyy`, `mm/yyyy`, `yyyy`).
    pub fn to_vn(&self) -> String {
        match self {
            PartialDate::Year(y) => format!("{y:04}"),
            PartialDate::YearMonth(y, m) => format!("{m:02}/{y:04}"),
            PartialDate::Full(d) => d.format("%d/%m/%Y").to_string(),
        }
    }
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_vn())
    }
}

impl TryFrom<String> for PartialDate {
    type Error = AppError;
    fn try_from(s: String) -> Result<Self, AppError> {
        PartialDate::parse(&s)
    }
}

impl From<PartialDate> for String {
    fn from(d: PartialDate) -> String {
        d.to_storage()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_speak_one_language_each() {
        for bad in ["31/02/1990", "1990-13", "12/1799", "hôm qua", "1990-1-1"] {
            let e = PartialDate::parse_vn(bad).or_else(|_| PartialDate::parse(bad)).unwrap_err();
            let vi = e.message_in(crate::Lang::Vi);
            let en = e.message_in(crate::Lang::En);
            assert!(vi.starts_with("Ngày") || vi.starts_with("Năm") || vi.starts_with("Tháng"), "{bad}: {vi}");
            assert!(!vi.contains("expected") && !vi.contains("out of range"), "{bad}: English inside {vi:?}");
            assert!(!en.contains("Ngày") && en != vi, "{bad}: {en}");
        }
    }

    #[test]
    fn round_trips_every_precision() {
        for s in ["1948", "1961-07", "2003-02-28"] {
            let d = PartialDate::parse(s).unwrap();
            assert_eq!(d.to_storage(), s);
            assert_eq!(PartialDate::parse_vn(&d.to_vn()).unwrap(), d);
            let json = serde_json::to_string(&d).unwrap();
            assert_eq!(serde_json::from_str::<PartialDate>(&json).unwrap(), d);
        }
    }

    #[test]
    fn rejects_impossible_dates() {
        for s in ["2003-02-30", "1961-13", "19", "abcd", "2003-2-3", "1700"] {
            assert_eq!(PartialDate::parse(s).unwrap_err().code, ErrorCode::InvalidDate, "{s}");
        }
        assert!(PartialDate::parse_vn("31/02/2000").is_err());
    }

    #[test]
    fn age_never_overstated_for_partial_dates() {
        let on = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
        assert_eq!(PartialDate::parse("2011").unwrap().age_on(on), 13);
        assert_eq!(PartialDate::parse("2011-05").unwrap().age_on(on), 14);
        assert_eq!(PartialDate::parse("2011-05").unwrap().latest(), NaiveDate::from_ymd_opt(2011, 5, 31).unwrap());
    }
}
