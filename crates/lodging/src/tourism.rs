//! Coded lodging events for the IOC dashboards (tourism through lodging, public order).
//!
//! The dashboards count guests, nights, late notifications and watchlist alerts per commune; they
//! never need to know who stayed. This module is the one place those counts are read from the
//! lodging tables, and it releases codes only: days, commune and facility-type codes, ISO
//! nationality codes, province codes and flags. No name, personal id, passport or address leaves
//! it. The binary maps these events to `analytics::lodging` facts (this crate does not depend on
//! `analytics`, nor `analytics` on this crate). A citizen guest's origin is the province of their
//! current residence, joined from the registry's `persons` in the same query (as `identity::stats`
//! does): one registry call per guest would not keep up with a province's check-ins.
//!
//! Events are selected by the time they were written, in windows `(since_ms, until_ms]`, so a
//! poller can re-read a short overlap and let the receiver drop what it already counted:
//! notifications and declarations by `submitted_at`, check-outs by `checked_out_at`, alerts by
//! `created_at` (each indexed by migration 7). Within a window rows come in `(time, id)` order and
//! can be paged with a [`Cursor`].
//!
//! What counts for tourism: stays at accommodation. Coach boardings (`coach_operator`) and
//! hospital inpatients and caregivers (`hospital_ward`) are lodging notifications for the police
//! but not tourism, so their arrivals are marked [`Arrival::tourism`] `false` and their check-outs
//! are not returned; their late notifications and alerts still count for public order. Citizens'
//! own declarations of stays at private homes are counted as arrivals of facility type
//! [`PRIVATE_HOME`]: visiting friends and relatives is a purpose of tourism, and for the police a
//! late declaration is a late notification like any other. A declaration records no departure, so
//! it adds no nights.

use chrono::NaiveDate;
use db::sqlx::{self, Row};
use db::Db;
use kernel::AppError;
use registry::admin_units::AdminUnits;

/// Facility kinds whose guests are not tourists: coach passengers and hospital stays.
pub const NOT_TOURISM: &[&str] = &["coach_operator", "hospital_ward"];

/// Facility type given to a citizen's declared stay at a private home.
pub const PRIVATE_HOME: &str = "private_home";

/// Nationality code of Vietnamese citizens (ISO 3166-1 alpha-3).
pub const VIETNAM: &str = "VNM";

/// Whether guests of a facility kind count as tourism.
pub fn is_tourism(kind: &str) -> bool {
    !NOT_TOURISM.contains(&kind)
}

/// A guest's arrival: one facility notification (one per check-in) or one citizen declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrival {
    /// The notification's id, or the declaration's.
    pub id: String,
    /// True for a citizen's declaration of a stay at a private home.
    pub declaration: bool,
    /// When the notification was submitted (UTC ms): its place in the window.
    pub submitted_at: i64,
    /// Day of arrival, Vietnam time.
    pub day: NaiveDate,
    /// 2025 commune of the facility (of the host for a declaration).
    pub commune_code: String,
    /// `lodging_facilities.kind`, or [`PRIVATE_HOME`].
    pub facility_type: String,
    /// Whether the stay counts for tourism (see [`NOT_TOURISM`]).
    pub tourism: bool,
    /// ISO 3166-1 alpha-3; [`VIETNAM`] for citizens.
    pub nationality: String,
    /// A citizen's province of current residence (`None` for foreigners or when not recorded).
    pub origin_province: Option<String>,
    /// Submitted after the legal deadline.
    pub late: bool,
}

/// A tourism stay that ended (check-out or discharge at an accommodation facility).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Departure {
    /// The check-in's id.
    pub id: String,
    pub checked_out_at: i64,
    /// Day of arrival, Vietnam time.
    pub arrival_day: NaiveDate,
    /// Local date of departure minus local date of arrival (0 for a same-day stay).
    pub nights: u32,
    pub commune_code: String,
    pub facility_type: String,
    pub nationality: String,
    pub origin_province: Option<String>,
}

/// A watchlist alert (only that it happened, where and when).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertEvent {
    pub id: String,
    pub created_at: i64,
    /// Day the alert was raised, Vietnam time.
    pub day: NaiveDate,
    /// Commune of the facility, venue or declared address where the person was seen.
    pub commune_code: String,
}

/// Where a page ended: the last row's write time and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub at: i64,
    pub id: String,
}

/// A write-time window `(since_ms, until_ms]`, read from `after` on, at most `limit` rows.
#[derive(Debug, Clone, Copy)]
pub struct Window<'a> {
    pub since_ms: i64,
    pub until_ms: i64,
    pub after: Option<&'a Cursor>,
    pub limit: i64,
}

impl Window<'_> {
    /// The four bound values of `t >= $1 AND t <= $2 AND (t > $3 OR id > $4)`: the window's
    /// lower bound is exclusive, and a cursor continues after its row.
    fn bounds(&self) -> (i64, i64, i64, String) {
        match self.after {
            Some(c) => (c.at.max(self.since_ms + 1), self.until_ms, c.at, c.id.clone()),
            None => (self.since_ms + 1, self.until_ms, self.since_ms, String::new()),
        }
    }
}

fn day_of(ms: i64) -> NaiveDate {
    kernel::clock::ms_to_vn(ms).date_naive()
}

/// Province of a commune of current residence, through the administrative-unit catalogue.
fn province_of(commune: Option<String>) -> Option<String> {
    commune.and_then(|c| AdminUnits::get().commune(&c).map(|u| u.province_code.clone()))
}

/// Runs a window query whose first four placeholders are the window bounds and fifth the limit.
async fn fetch(db: &Db, sql: &str, w: &Window<'_>) -> Result<Vec<db::Row>, AppError> {
    let (from, until, at, id) = w.bounds();
    Ok(sqlx::query(sql).bind(from).bind(until).bind(at).bind(id).bind(w.limit).fetch_all(db.read()).await?)
}

/// Facility notifications submitted in the window, oldest first.
pub async fn arrivals(db: &Db, w: Window<'_>) -> Result<Vec<Arrival>, AppError> {
    let rows = fetch(
        db,
        "SELECT n.id, n.submitted_at, n.arrival_at, f.commune_code, f.kind, n.nationality, p.current_commune, n.late \
         FROM lodging_notifications n JOIN lodging_facilities f ON f.id = n.facility_id \
         LEFT JOIN persons p ON p.personal_id = n.personal_id \
         WHERE n.submitted_at >= $1 AND n.submitted_at <= $2 AND (n.submitted_at > $3 OR n.id > $4) \
         ORDER BY n.submitted_at, n.id LIMIT $5",
        &w,
    )
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let kind: String = r.get(4);
            let nationality: String = r.get(5);
            let citizen = nationality == VIETNAM;
            Arrival {
                id: r.get(0),
                declaration: false,
                submitted_at: r.get(1),
                day: day_of(r.get(2)),
                commune_code: r.get(3),
                tourism: is_tourism(&kind),
                facility_type: kind,
                origin_province: if citizen { province_of(r.get(6)) } else { None },
                nationality,
                late: r.get::<i64, _>(7) != 0,
            }
        })
        .collect())
}

/// Citizens' declarations of stays at private homes submitted in the window, oldest first.
pub async fn declarations(db: &Db, w: Window<'_>) -> Result<Vec<Arrival>, AppError> {
    let rows = fetch(
        db,
        "SELECT d.id, d.submitted_at, d.arrival_at, d.commune_code, p.current_commune, d.late \
         FROM lodging_declarations d LEFT JOIN persons p ON p.personal_id = d.personal_id \
         WHERE d.submitted_at >= $1 AND d.submitted_at <= $2 AND (d.submitted_at > $3 OR d.id > $4) \
         ORDER BY d.submitted_at, d.id LIMIT $5",
        &w,
    )
    .await?;
    Ok(rows
        .iter()
        .map(|r| Arrival {
            id: r.get(0),
            declaration: true,
            submitted_at: r.get(1),
            day: day_of(r.get(2)),
            commune_code: r.get(3),
            facility_type: PRIVATE_HOME.into(),
            tourism: true,
            nationality: VIETNAM.into(),
            origin_province: province_of(r.get(4)),
            late: r.get::<i64, _>(5) != 0,
        })
        .collect())
}

/// Tourism stays checked out in the window, oldest first (coach and hospital stays left out).
pub async fn departures(db: &Db, w: Window<'_>) -> Result<Vec<Departure>, AppError> {
    let excluded = NOT_TOURISM.iter().map(|k| format!("'{k}'")).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "SELECT c.id, c.checked_out_at, c.arrival_at, f.commune_code, f.kind, c.nationality, p.current_commune \
         FROM lodging_checkins c JOIN lodging_facilities f ON f.id = c.facility_id \
         LEFT JOIN persons p ON p.personal_id = c.personal_id \
         WHERE c.checked_out_at >= $1 AND c.checked_out_at <= $2 AND (c.checked_out_at > $3 OR c.id > $4) \
         AND f.kind NOT IN ({excluded}) ORDER BY c.checked_out_at, c.id LIMIT $5"
    );
    let rows = fetch(db, &sql, &w).await?;
    Ok(rows
        .iter()
        .map(|r| {
            let (out, arrival): (i64, i64) = (r.get(1), r.get(2));
            let arrival_day = day_of(arrival);
            let nationality: String = r.get(5);
            let citizen = nationality == VIETNAM;
            Departure {
                id: r.get(0),
                checked_out_at: out,
                arrival_day,
                nights: u32::try_from((day_of(out) - arrival_day).num_days()).unwrap_or(0),
                commune_code: r.get(3),
                facility_type: r.get(4),
                origin_province: if citizen { province_of(r.get(6)) } else { None },
                nationality,
            }
        })
        .collect())
}

/// Watchlist alerts raised in the window, oldest first.
pub async fn alerts(db: &Db, w: Window<'_>) -> Result<Vec<AlertEvent>, AppError> {
    let rows = fetch(
        db,
        "SELECT id, created_at, commune_code FROM lodging_alerts \
         WHERE created_at >= $1 AND created_at <= $2 AND (created_at > $3 OR id > $4) \
         ORDER BY created_at, id LIMIT $5",
        &w,
    )
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let at: i64 = r.get(1);
            AlertEvent { id: r.get(0), created_at: at, day: day_of(at), commune_code: r.get(2) }
        })
        .collect())
}

/// The earliest write time after `after_ms` of any event above (`None` when there is none), so
/// a replay can skip empty stretches of time. Four index look-ups.
pub async fn next_write_after(db: &Db, after_ms: i64) -> Result<Option<i64>, AppError> {
    let mut next: Option<i64> = None;
    for sql in [
        "SELECT MIN(submitted_at) FROM lodging_notifications WHERE submitted_at > $1",
        "SELECT MIN(submitted_at) FROM lodging_declarations WHERE submitted_at > $1",
        "SELECT MIN(checked_out_at) FROM lodging_checkins WHERE checked_out_at > $1",
        "SELECT MIN(created_at) FROM lodging_alerts WHERE created_at > $1",
    ] {
        let at: Option<i64> = sqlx::query(sql).bind(after_ms).fetch_one(db.read()).await?.get(0);
        next = match (next, at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    Ok(next)
}

/// Bed capacity of approved tourism accommodation with beds recorded, by commune and kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capacity {
    pub commune_code: String,
    pub facility_type: String,
    pub facilities: i64,
    pub rooms: i64,
    pub beds: i64,
}

/// Approved facilities with `beds > 0`, except coach operators and hospital wards, grouped by
/// commune and kind: the denominator of bed-place occupancy.
pub async fn capacity(db: &Db) -> Result<Vec<Capacity>, AppError> {
    let excluded = NOT_TOURISM.iter().map(|k| format!("'{k}'")).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "SELECT commune_code, kind, COUNT(*), CAST(SUM(rooms) AS BIGINT), CAST(SUM(beds) AS BIGINT) \
         FROM lodging_facilities WHERE status = 'approved' AND beds > 0 AND kind NOT IN ({excluded}) \
         GROUP BY commune_code, kind ORDER BY commune_code, kind"
    );
    let rows = sqlx::query(&sql).fetch_all(db.read()).await?;
    Ok(rows
        .iter()
        .map(|r| Capacity {
            commune_code: r.get(0),
            facility_type: r.get(1),
            facilities: r.get(2),
            rooms: r.get(3),
            beds: r.get(4),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coach_and_hospital_stays_are_not_tourism() {
        assert!(is_tourism("hotel") && is_tourism("rental_house") && is_tourism(PRIVATE_HOME));
        assert!(!is_tourism("coach_operator") && !is_tourism("hospital_ward"));
    }

    #[test]
    fn windows_exclude_their_start_and_continue_after_a_cursor() {
        let w = Window { since_ms: 100, until_ms: 200, after: None, limit: 10 };
        assert_eq!(w.bounds(), (101, 200, 100, String::new()));
        let c = Cursor { at: 150, id: "b".into() };
        let w = Window { after: Some(&c), ..w };
        assert_eq!(w.bounds(), (150, 200, 150, "b".into()));
    }

    #[test]
    fn days_are_vietnam_dates() {
        // 2025-01-01T17:30Z is 2 January in Vietnam.
        assert_eq!(day_of(1_735_752_600_000), NaiveDate::from_ymd_opt(2025, 1, 2).unwrap());
    }
}
