//! The administrators' view of the security events (`audit::security`): the filters of the page
//! and of `GET /api/v1/admin/security-events`, as typed, turned into a storage filter.

use audit::security::{Kind, SecurityFilter};
use kernel::{AppError, PartialDate};

use crate::access_history::day_start_ms;

/// Filters as typed: dates `dd/mm/yyyy` (whole days in Vietnam time, both included), a kind name,
/// a pseudonym as shown in the events.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// `sign_in_failed`, `csrf_refused`, … (see docs/OPERATIONS.md).
    pub kind: Option<String>,
    /// First day, `dd/mm/yyyy`.
    pub from: Option<String>,
    /// Last day, `dd/mm/yyyy`.
    pub to: Option<String>,
    /// A subject's pseudonym: 32 hexadecimal characters.
    pub subject: Option<String>,
    /// Page number, from 1.
    #[param(minimum = 1, maximum = 2147483647)]
    pub page: Option<u32>,
}

fn given(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl EventQuery {
    pub fn to_filter(&self) -> Result<SecurityFilter, AppError> {
        let mut f = SecurityFilter::default();
        if let Some(k) = given(&self.kind) {
            f.kind = Some(Kind::parse(k).ok_or_else(|| AppError::invalid("unknown kind"))?);
        }
        if let Some(d) = given(&self.from) {
            f.from_ms = day_start_ms(PartialDate::parse_vn(d)?.earliest());
        }
        if let Some(d) = given(&self.to) {
            f.until_ms = PartialDate::parse_vn(d)?.latest().succ_opt().and_then(day_start_ms);
        }
        if let Some(s) = given(&self.subject) {
            if s.len() != 32 || !s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
                return Err(AppError::invalid("subject must be a pseudonym of 32 lowercase hexadecimal characters"));
            }
            f.subject = Some(s.to_string());
        }
        Ok(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(kind: &str, from: &str, to: &str, subject: &str) -> EventQuery {
        let s = |v: &str| Some(v.to_string());
        EventQuery { kind: s(kind), from: s(from), to: s(to), subject: s(subject), page: None }
    }

    #[test]
    fn filters_read_vietnamese_days_and_refuse_what_they_cannot_read() {
        let f = q("csrf_refused", "01/03/2026", "01/03/2026", "").to_filter().unwrap();
        assert_eq!(f.kind, Some(Kind::CsrfRefused));
        // 1 March 2026 00:00 in Vietnam (UTC+7) is 28 February 17:00 UTC; the day is included whole.
        assert_eq!(f.from_ms, Some(1_772_298_000_000));
        assert_eq!(f.until_ms, Some(1_772_298_000_000 + 86_400_000));
        assert!(f.subject.is_none(), "an empty field filters nothing");
        assert!(q("csrf", "", "", "").to_filter().is_err());
        assert!(q("", "31/02/2026", "", "").to_filter().is_err());
        assert!(q("", "", "", "001090000001").to_filter().is_err(), "an id in clear is not a pseudonym");
        assert!(q("", "", "", &"a".repeat(32)).to_filter().is_ok());
    }
}
