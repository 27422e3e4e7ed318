//! Who may see which figures, and the filters every dashboard takes: a commune inside the
//! viewer's jurisdiction, a period of months, and (for labour) age bands.

use chrono::Datelike;
use kernel::{Actor, Jurisdiction, Role};
use kernel::{AppError, ErrorCode};
use registry::admin_units::AdminUnits;
use serde::Deserialize;
use utoipa::IntoParams;

/// Roles that see the dashboards: leaders, and provincial staff and administrators who prepare
/// figures for them.
pub const VIEWERS: &[Role] = &[Role::Leader, Role::Admin, Role::ProvincialOfficer];

/// Filters of a dashboard, from the query string.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Filters {
    /// One 2025 commune inside the viewer's jurisdiction; empty = all of it.
    pub commune: Option<String>,
    /// First month of the period (`YYYY-MM`); default: 23 months before `to`.
    pub from: Option<String>,
    /// Last month of the period (`YYYY-MM`); default: the current month.
    pub to: Option<String>,
    /// Labour age bands, e.g. `15-24,25-34,35-44,45-54,55-64`.
    pub bands: Option<String>,
}

/// The communes a request covers.
#[derive(Debug, Clone)]
pub struct Scope {
    /// Communes of the viewer's jurisdiction, for the picker: (code, name).
    pub choices: Vec<(String, String)>,
    /// The selected commune, if one.
    pub commune: Option<String>,
    /// Codes covered: the selected commune or the whole jurisdiction.
    pub communes: Vec<String>,
}

impl Scope {
    /// Checks the role and resolves the commune filter against the jurisdiction (403 outside it).
    pub fn resolve(user: &Actor, commune: Option<&str>) -> Result<Scope, AppError> {
        user.require(VIEWERS)?;
        let units = AdminUnits::get();
        let choices: Vec<(String, String)> = match &user.jurisdiction {
            Jurisdiction::Province(p) => {
                units.communes_of(p).into_iter().map(|c| (c.code.clone(), c.name.clone())).collect()
            }
            Jurisdiction::Commune(c) => {
                units.commune(c).map(|c| vec![(c.code.clone(), c.name.clone())]).unwrap_or_default()
            }
            Jurisdiction::Own(_) => Vec::new(),
        };
        if choices.is_empty() {
            return Err(AppError::new(ErrorCode::Forbidden, "the dashboards need a province or commune jurisdiction"));
        }
        let commune = commune.map(str::trim).filter(|c| !c.is_empty()).map(str::to_string);
        let communes = match &commune {
            Some(c) if choices.iter().any(|(code, _)| code == c) => vec![c.clone()],
            Some(c) => return Err(AppError::new(ErrorCode::OutOfJurisdiction, format!("commune {c}"))),
            None => choices.iter().map(|(c, _)| c.clone()).collect(),
        };
        Ok(Scope { choices, commune, communes })
    }

    pub fn contains(&self, commune: &str) -> bool {
        self.communes.iter().any(|c| c == commune)
    }
}

/// A range of months, inclusive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub from: String,
    pub to: String,
}

/// Longest period a request may ask for.
const MAX_MONTHS: usize = 240;

impl Period {
    /// Parses `from`/`to` (`YYYY-MM`); defaults to the 24 months up to the month of `today`.
    pub fn parse(from: Option<&str>, to: Option<&str>, today: chrono::NaiveDate) -> Result<Period, AppError> {
        let to = match to.map(str::trim).filter(|s| !s.is_empty()) {
            Some(t) => month(t)?,
            None => (today.year(), today.month()),
        };
        let from = match from.map(str::trim).filter(|s| !s.is_empty()) {
            Some(f) => month(f)?,
            None => shift(to, -23),
        };
        if from > to {
            return Err(AppError::new(ErrorCode::InvalidDate, "from is after to"));
        }
        let p = Period { from: fmt(from), to: fmt(to) };
        if p.months().len() > MAX_MONTHS {
            return Err(AppError::invalid(format!("period: at most {MAX_MONTHS} months")));
        }
        Ok(p)
    }

    /// Every month of the period, `YYYY-MM`, oldest first.
    pub fn months(&self) -> Vec<String> {
        let (Ok(mut m), Ok(end)) = (month(&self.from), month(&self.to)) else { return Vec::new() };
        let mut out = Vec::new();
        while m <= end && out.len() <= MAX_MONTHS {
            out.push(fmt(m));
            m = shift(m, 1);
        }
        out
    }
}

fn month(s: &str) -> Result<(i32, u32), AppError> {
    let bad = || AppError::new(ErrorCode::InvalidDate, format!("{s}: expected YYYY-MM"));
    let (y, m) = s.split_once('-').ok_or_else(bad)?;
    if y.len() != 4 || m.len() != 2 {
        return Err(bad());
    }
    let (y, m): (i32, u32) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if !(1900..=2200).contains(&y) || !(1..=12).contains(&m) {
        return Err(bad());
    }
    Ok((y, m))
}

fn shift((y, m): (i32, u32), by: i32) -> (i32, u32) {
    let i = y * 12 + m as i32 - 1 + by;
    (i.div_euclid(12), (i.rem_euclid(12) + 1) as u32)
}

fn fmt((y, m): (i32, u32)) -> String {
    format!("{y:04}-{m:02}")
}

/// Age bands `[low, high]` in completed years by birth year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bands(pub Vec<(u32, u32)>);

impl Bands {
    /// Working age under the Labour Code's statistics (15–64), in ten-year bands after 15–24.
    pub fn default_labour() -> Bands {
        Bands(vec![(15, 24), (25, 34), (35, 44), (45, 54), (55, 64)])
    }

    /// Parses `15-24,25-54,55-64`: ascending, non-overlapping, ages 0–120, at most 20 bands.
    pub fn parse(s: Option<&str>) -> Result<Bands, AppError> {
        let Some(s) = s.map(str::trim).filter(|s| !s.is_empty()) else { return Ok(Bands::default_labour()) };
        let bad = |why: &str| AppError::invalid(format!("bands: {why}"));
        let mut out: Vec<(u32, u32)> = Vec::new();
        for part in s.split(',') {
            let (lo, hi) = part.trim().split_once('-').ok_or_else(|| bad("use LOW-HIGH,LOW-HIGH"))?;
            let (lo, hi): (u32, u32) = (
                lo.trim().parse().map_err(|_| bad("not a number"))?,
                hi.trim().parse().map_err(|_| bad("not a number"))?,
            );
            if lo > hi || hi > 120 {
                return Err(bad("each band is LOW ≤ HIGH ≤ 120"));
            }
            if out.last().is_some_and(|(_, prev)| lo <= *prev) {
                return Err(bad("bands must be ascending and not overlap"));
            }
            out.push((lo, hi));
        }
        if out.len() > 20 {
            return Err(bad("at most 20 bands"));
        }
        Ok(Bands(out))
    }

    /// The band an age falls in.
    pub fn of(&self, age: u32) -> Option<usize> {
        self.0.iter().position(|(lo, hi)| (*lo..=*hi).contains(&age))
    }

    /// The label of band `i` ("15–24"; empty when there is no such band).
    pub fn label(&self, i: usize) -> String {
        self.0.get(i).map(|(lo, hi)| format!("{lo}–{hi}")).unwrap_or_default()
    }

    /// The query-string form.
    pub fn to_param(&self) -> String {
        self.0.iter().map(|(l, h)| format!("{l}-{h}")).collect::<Vec<_>>().join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_parse_and_reject_bad_input() {
        let today = chrono::NaiveDate::from_ymd_opt(2025, 7, 15).unwrap();
        let p = Period::parse(Some("2024-11"), Some("2025-02"), today).unwrap();
        assert_eq!(p.months(), ["2024-11", "2024-12", "2025-01", "2025-02"]);
        assert_eq!(Period::parse(None, Some("2025-06"), today).unwrap().months().len(), 24);
        let default = Period::parse(None, None, today).unwrap();
        assert_eq!((default.from.as_str(), default.to.as_str()), ("2023-08", "2025-07"), "24 months up to today's");
        for (f, t) in [("2025-13", "2025-12"), ("2025-1", "2025-12"), ("2025-05", "2025-04"), ("1800-01", "2025-01")] {
            assert!(Period::parse(Some(f), Some(t), today).is_err(), "{f}..{t}");
        }
        assert!(Period::parse(Some("1990-01"), Some("2025-01"), today).is_err(), "too long");
    }

    #[test]
    fn bands_parse_and_reject_overlaps() {
        let b = Bands::parse(Some("15-29, 30-54,55-64")).unwrap();
        assert_eq!(b.of(15), Some(0));
        assert_eq!(b.of(54), Some(1));
        assert_eq!(b.of(65), None);
        assert_eq!(b.to_param(), "15-29,30-54,55-64");
        assert_eq!(Bands::parse(None).unwrap(), Bands::default_labour());
        for bad in ["15-29,29-40", "40-30", "a-b", "15", "0-200"] {
            assert!(Bands::parse(Some(bad)).is_err(), "{bad}");
        }
    }
}
