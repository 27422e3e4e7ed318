//! Time as the platform sees it: UTC milliseconds for storage, Vietnam time for legal deadlines.

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};

/// Current time as UTC milliseconds since the Unix epoch, the storage format of every timestamp.
///
/// Domain code never calls this: it takes `now` as a parameter, read here by handlers, the binary
/// and background loops at the edge (clippy's `disallowed_methods`, see `clippy.toml`).
#[allow(clippy::disallowed_methods, reason = "the one place the wall clock is read")]
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// UTC+7, checked when the crate is compiled (an invalid offset would fail the build).
const VIETNAM_OFFSET: FixedOffset = match FixedOffset::east_opt(7 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+7 is a valid offset"),
};

/// A clock handed to a long-running task of a library crate (a background writer, a refresher)
/// when it is built: the binary passes [`now_ms`], a test may pass a fixed time. Everything else
/// takes `now` as a parameter.
pub type Clock = fn() -> i64;

/// Vietnam has one time zone (UTC+7) and no daylight saving; legal deadlines are stated in it.
pub fn vietnam_offset() -> FixedOffset {
    VIETNAM_OFFSET
}

/// Today's date in Vietnam (read at the edge, like [`now_ms`]).
#[allow(clippy::disallowed_methods, reason = "the one place the wall clock is read")]
pub fn today_vn() -> NaiveDate {
    Utc::now().with_timezone(&vietnam_offset()).date_naive()
}

/// The day in Vietnam at `ms` (UTC milliseconds): the "today" of domain code that receives `now`.
pub fn date_vn(ms: i64) -> NaiveDate {
    ms_to_vn(ms).date_naive()
}

/// Converts stored UTC milliseconds to a Vietnam-local date-time for display.
pub fn ms_to_vn(ms: i64) -> DateTime<FixedOffset> {
    vietnam_offset()
        .timestamp_millis_opt(ms)
        .single()
        .unwrap_or_else(|| vietnam_offset().timestamp_millis_opt(0).unwrap())
}

/// Formats a timestamp the Vietnamese way: `dd/mm/yyyy HH:MM`.
pub fn format_ms_vn(ms: i64) -> String {
    ms_to_vn(ms).format("%d/%m/%Y %H:%M").to_string()
}

/// Whole years between `birth` and `on` (the age a person has on that date).
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> i32 {
    use chrono::Datelike;
    let mut age = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_counts_birthdays() {
        let b = NaiveDate::from_ymd_opt(2000, 6, 15).unwrap();
        assert_eq!(age_on(b, NaiveDate::from_ymd_opt(2025, 6, 14).unwrap()), 24);
        assert_eq!(age_on(b, NaiveDate::from_ymd_opt(2025, 6, 15).unwrap()), 25);
    }

    #[test]
    fn formats_in_vietnam_time() {
        // 2025-01-01T17:30Z is 00:30 on 2 January in Vietnam.
        let ms = 1_735_752_600_000;
        assert_eq!(format_ms_vn(ms), "02/01/2025 00:30");
    }
}
