//! Aggregates of venue scans: live occupancy, entries per hour (from the raw scans, within the
//! retention period) and per day, origin provinces and mean dwell time (from the daily
//! aggregates, kept forever). No visitor's identity leaves this module.

use chrono::NaiveDate;
use db::sqlx::{self, Row};
use db::Db;
use kernel::AppError;
use registry::queries::stats::CommuneTally;
use serde::Serialize;
use utoipa::ToSchema;

use crate::venue_scans::OPEN_ENTRY_MS;

/// Kinds of venue counted by the programme KPI "check-ins at relic and tourist sites".
pub const VISITOR_SITES: &[&str] = &["relic_site", "tourist_area"];

/// One day's counts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Day {
    /// `YYYY-MM-DD` (Vietnam time).
    pub day: String,
    pub entries: i64,
    pub exits: i64,
}

/// Entries from one origin over the period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Origin {
    /// Province code of a citizen's residence, or a foreigner's nationality (ISO alpha-3).
    pub origin: String,
    /// Province name, or the nationality code.
    pub name: String,
    pub entries: i64,
}

/// A venue's aggregates over a period of days.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VenueStats {
    pub venue_id: String,
    /// Visitors inside now (entries of the last 24 hours without an exit).
    pub occupancy: i64,
    /// Entries per hour (0 to 23, Vietnam time) on the last day of the period.
    pub hours: Vec<i64>,
    pub days: Vec<Day>,
    pub origins: Vec<Origin>,
    /// Mean time between entry and exit over the period's exits, in minutes.
    pub mean_dwell_minutes: Option<f64>,
}

/// Aggregates of `venue_id` from `from` to `to` (inclusive); the caller has checked access. `now`
/// (UTC milliseconds) decides which entries are still open.
pub async fn of_venue(
    db: &Db,
    venue_id: &str,
    from: NaiveDate,
    to: NaiveDate,
    now: i64,
) -> Result<VenueStats, AppError> {
    let (from_s, to_s) = (from.format("%Y-%m-%d").to_string(), to.format("%Y-%m-%d").to_string());
    let occupancy: i64 = sqlx::query(
        "SELECT COUNT(*) FROM lodging_venue_checkins WHERE venue_id = $1 AND direction = 'entry' \
         AND exited_at IS NULL AND at >= $2",
    )
    .bind(venue_id)
    .bind(now - OPEN_ENTRY_MS)
    .fetch_one(db.read())
    .await?
    .get(0);
    let offset = kernel::clock::vietnam_offset().local_minus_utc() as i64 * 1000;
    let day_start = to.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp_millis() - offset).unwrap_or(0);
    let rows = sqlx::query(
        "SELECT (at - $2) / 3600000, COUNT(*) FROM lodging_venue_checkins WHERE venue_id = $1 \
         AND direction = 'entry' AND at >= $2 AND at < $3 GROUP BY (at - $2) / 3600000",
    )
    .bind(venue_id)
    .bind(day_start)
    .bind(day_start + 86_400_000)
    .fetch_all(db.read())
    .await?;
    let mut hours = vec![0i64; 24];
    for r in &rows {
        if let Some(hour) = usize::try_from(r.get::<i64, _>(0)).ok().and_then(|h| hours.get_mut(h)) {
            *hour = r.get(1);
        }
    }
    let sums = "CAST(SUM(entries) AS BIGINT), CAST(SUM(exits) AS BIGINT)";
    let rows = sqlx::query(&format!(
        "SELECT day, {sums} FROM lodging_venue_daily WHERE venue_id = $1 AND day >= $2 AND day <= $3 \
         GROUP BY day ORDER BY day"
    ))
    .bind(venue_id)
    .bind(&from_s)
    .bind(&to_s)
    .fetch_all(db.read())
    .await?;
    let days: Vec<Day> = rows.iter().map(|r| Day { day: r.get(0), entries: r.get(1), exits: r.get(2) }).collect();
    let rows = sqlx::query(&format!(
        "SELECT origin, {sums}, CAST(SUM(dwell_total_ms) AS BIGINT) FROM lodging_venue_daily WHERE venue_id = $1 \
         AND day >= $2 AND day <= $3 GROUP BY origin ORDER BY 2 DESC, origin"
    ))
    .bind(venue_id)
    .bind(&from_s)
    .bind(&to_s)
    .fetch_all(db.read())
    .await?;
    let units = registry::admin_units::AdminUnits::get();
    let (mut exits, mut dwell) = (0i64, 0i64);
    let mut origins = Vec::new();
    for r in &rows {
        exits += r.get::<i64, _>(2);
        dwell += r.get::<i64, _>(3);
        let origin: String = r.get(0);
        let name = units.province(&origin).map(|p| p.name.clone()).unwrap_or_else(|| origin.clone());
        let entries: i64 = r.get(1);
        if entries > 0 {
            origins.push(Origin { origin, name, entries });
        }
    }
    let mean_dwell_minutes = (exits > 0).then(|| dwell as f64 / exits as f64 / 60_000.0);
    Ok(VenueStats { venue_id: venue_id.to_string(), occupancy, hours, days, origins, mean_dwell_minutes })
}

/// Entries at approved venues of `kinds` per commune, from `from` to `to` inclusive (`total` and
/// `matching` both carry the count), read from the daily aggregates so purged days still count.
pub async fn entries_by_commune(
    db: &Db,
    kinds: &[&str],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<CommuneTally>, AppError> {
    if kinds.is_empty() {
        return Ok(Vec::new());
    }
    let marks: Vec<String> = (3..3 + kinds.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT d.commune_code, CAST(SUM(d.entries) AS BIGINT) FROM lodging_venue_daily d \
         JOIN lodging_venues v ON v.id = d.venue_id WHERE v.status = 'approved' AND d.day >= $1 AND d.day <= $2 \
         AND v.kind IN ({}) GROUP BY d.commune_code ORDER BY d.commune_code",
        marks.join(", ")
    );
    let mut q = sqlx::query(&sql).bind(from.format("%Y-%m-%d").to_string()).bind(to.format("%Y-%m-%d").to_string());
    for k in kinds {
        q = q.bind(k.to_string());
    }
    let rows = q.fetch_all(db.read()).await?;
    Ok(rows
        .iter()
        .map(|r| {
            let n: i64 = r.get(1);
            CommuneTally { commune_code: r.get(0), total: n, matching: n }
        })
        .collect())
}
