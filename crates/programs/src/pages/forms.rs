//! What the unit's, the working group's and the administrators' forms share: the session CSRF
//! check, validation messages in both languages, numbers and dates typed the Vietnamese way
//! (`12,5`, `31/12/2025`), and the fields of a submitted form.

use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use kernel::AppError;
use web::Lang;

/// A validation message shown above a form, in Vietnamese and English.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Problem {
    pub vi: String,
    pub en: String,
}

impl Problem {
    pub(super) fn new(vi: impl Into<String>, en: impl Into<String>) -> Problem {
        Problem { vi: vi.into(), en: en.into() }
    }

    /// A domain error that the form could not foresee (a stale version, a duplicate): its
    /// message in each language, never the English technical detail inside a Vietnamese one.
    pub(super) fn from_error(e: &AppError) -> Problem {
        let (vi, en) = e.message();
        Problem::new(vi, en)
    }

    pub(super) fn text(&self, lang: Lang) -> String {
        lang.pick(&self.vi, &self.en).to_string()
    }
}

/// The fields of a submitted form, as name/value pairs (names may repeat or carry a key, like
/// `target.9.1`).
pub(super) struct Fields(pub Vec<(String, String)>);

impl Fields {
    /// The first value of a field, trimmed ("" when absent).
    pub(super) fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).unwrap_or("")
    }

    /// Whether a checkbox was ticked.
    pub(super) fn checked(&self, name: &str) -> bool {
        !self.get(name).is_empty()
    }
}

/// A number typed with a decimal comma or point; `None` when left empty.
pub(super) fn number(s: &str, field: (&str, &str)) -> Result<Option<f64>, Problem> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let normalized = t.replace(',', ".");
    match normalized.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 && normalized.chars().all(|c| c.is_ascii_digit() || c == '.') => Ok(Some(v)),
        _ => Err(Problem::new(
            format!("{}: \"{t}\" không phải là số không âm (ví dụ 70 hoặc 12,5).", field.0),
            format!("{}: \"{t}\" is not a non-negative number (e.g. 70 or 12.5).", field.1),
        )),
    }
}

/// A date typed as `dd/mm/yyyy` (or sent as `yyyy-mm-dd` by a date picker); `None` when empty.
pub(super) fn date(s: &str, field: (&str, &str)) -> Result<Option<NaiveDate>, Problem> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(t, "%d/%m/%Y").or_else(|_| NaiveDate::parse_from_str(t, "%Y-%m-%d")).map(Some).map_err(
        |_| {
            Problem::new(
                format!("{}: \"{t}\" không phải là ngày hợp lệ (dd/mm/yyyy).", field.0),
                format!("{}: \"{t}\" is not a valid date (dd/mm/yyyy).", field.1),
            )
        },
    )
}

/// A date the Vietnamese way, for form fields.
pub(super) fn show_date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// A number the Vietnamese way (decimal comma, no trailing zeros), for form fields.
pub(super) fn show_number(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.replace('.', ",")
}

/// A re-rendered form answers 400 when it carries a validation problem.
pub(super) fn with_status(mut r: Response, problem: bool) -> Response {
    if problem {
        *r.status_mut() = StatusCode::BAD_REQUEST;
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_dates_the_vietnamese_way() {
        let f = ("Mục tiêu", "Target");
        assert_eq!(number("12,5", f), Ok(Some(12.5)));
        assert_eq!(number(" 70 ", f), Ok(Some(70.0)));
        assert_eq!(number("", f), Ok(None));
        for bad in ["-1", "abc", "1e3", "NaN", "inf", "1,2,3"] {
            let p = number(bad, f).unwrap_err();
            assert!(p.vi.contains("không phải là số") && p.en.contains("not a non-negative number"), "{bad}");
        }
        assert_eq!(date("31/12/2025", f), Ok(NaiveDate::from_ymd_opt(2025, 12, 31)));
        assert_eq!(date("2025-12-31", f), Ok(NaiveDate::from_ymd_opt(2025, 12, 31)));
        assert!(date("31/02/2025", f).is_err());
        assert_eq!(show_date(NaiveDate::from_ymd_opt(2025, 1, 5).unwrap()), "05/01/2025");
        assert_eq!(
            (show_number(12.5), show_number(70.0), show_number(0.25)),
            ("12,5".into(), "70".into(), "0,25".into())
        );
    }
}
