//! The legal deadline of a lodging notification.
//!
//! Citizens (Circular 55/2021/TT-BCA): before 23:00 the same day (Vietnam time); a guest arriving
//! at or after 23:00 must be notified by 08:00 the next day. Foreigners (Law 47/2014 Art. 33):
//! within 12 hours of arrival.

use chrono::{Days, NaiveTime, Timelike};

/// Who the guest is, as far as the deadline rule cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuestKind {
    Citizen,
    Foreigner,
}

impl GuestKind {
    pub fn code(self) -> &'static str {
        match self {
            GuestKind::Citizen => "citizen",
            GuestKind::Foreigner => "foreigner",
        }
    }
}

const HOUR_MS: i64 = 3_600_000;

/// The deadline (UTC milliseconds) for a guest who arrived at `arrival_ms`.
pub fn deadline_ms(kind: GuestKind, arrival_ms: i64) -> i64 {
    match kind {
        GuestKind::Foreigner => arrival_ms + 12 * HOUR_MS,
        GuestKind::Citizen => {
            let local = kernel::clock::ms_to_vn(arrival_ms);
            let day = local.date_naive();
            let (date, time) = if local.hour() >= 23 {
                (day.checked_add_days(Days::new(1)).unwrap_or(day), NaiveTime::from_hms_opt(8, 0, 0))
            } else {
                (day, NaiveTime::from_hms_opt(23, 0, 0))
            };
            let naive = date.and_time(time.unwrap_or_default());
            naive
                .and_local_timezone(kernel::clock::vietnam_offset())
                .single()
                .map(|d| d.timestamp_millis())
                .unwrap_or(arrival_ms)
        }
    }
}

/// True when a notification submitted at `submitted_ms` missed its deadline.
pub fn is_late(deadline_ms: i64, submitted_ms: i64) -> bool {
    submitted_ms > deadline_ms
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};

    /// UTC milliseconds of a Vietnam wall-clock time.
    fn vn(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32, ms: u32) -> i64 {
        let t = NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_milli_opt(h, min, s, ms).unwrap();
        kernel::clock::vietnam_offset().from_local_datetime(&t).unwrap().timestamp_millis()
    }

    #[test]
    fn citizen_before_23_is_due_at_23_same_day() {
        assert_eq!(deadline_ms(GuestKind::Citizen, vn(2026, 3, 10, 0, 0, 0, 0)), vn(2026, 3, 10, 23, 0, 0, 0));
        assert_eq!(deadline_ms(GuestKind::Citizen, vn(2026, 3, 10, 14, 30, 0, 0)), vn(2026, 3, 10, 23, 0, 0, 0));
        assert_eq!(deadline_ms(GuestKind::Citizen, vn(2026, 3, 10, 22, 59, 59, 999)), vn(2026, 3, 10, 23, 0, 0, 0));
    }

    #[test]
    fn citizen_from_23_is_due_at_08_next_day() {
        assert_eq!(deadline_ms(GuestKind::Citizen, vn(2026, 3, 10, 23, 0, 0, 0)), vn(2026, 3, 11, 8, 0, 0, 0));
        assert_eq!(deadline_ms(GuestKind::Citizen, vn(2026, 3, 10, 23, 59, 59, 999)), vn(2026, 3, 11, 8, 0, 0, 0));
        // Month and year ends roll over.
        assert_eq!(deadline_ms(GuestKind::Citizen, vn(2026, 12, 31, 23, 30, 0, 0)), vn(2027, 1, 1, 8, 0, 0, 0));
    }

    #[test]
    fn uses_vietnam_time_not_utc() {
        // 16:30 UTC is 23:30 in Vietnam: already past 23:00 there.
        let arrival = chrono::Utc.with_ymd_and_hms(2026, 3, 10, 16, 30, 0).unwrap().timestamp_millis();
        assert_eq!(deadline_ms(GuestKind::Citizen, arrival), vn(2026, 3, 11, 8, 0, 0, 0));
    }

    #[test]
    fn foreigner_has_twelve_hours() {
        let a = vn(2026, 3, 10, 23, 30, 0, 0);
        assert_eq!(deadline_ms(GuestKind::Foreigner, a), vn(2026, 3, 11, 11, 30, 0, 0));
    }

    #[test]
    fn late_only_after_the_deadline() {
        let d = vn(2026, 3, 10, 23, 0, 0, 0);
        assert!(!is_late(d, d));
        assert!(!is_late(d, d - 1));
        assert!(is_late(d, d + 1));
    }
}
