//! Tourism and public-order figures from lodging (lưu trú). Lodging events are handed to
//! [`ingest`] by the lodging module's own poller (`lodging::figures`, which depends on this crate,
//! not the other way round); this module never reads the lodging tables. Until the feed has run the dashboards say there is no data
//! source yet.
//!
//! Ingestion is batch-shaped, because lodging can store thousands of check-ins a second: one
//! multi-row `INSERT … ON CONFLICT DO NOTHING RETURNING` claims the batch's event ids (an id
//! already claimed was counted before and is skipped), the new events are aggregated in memory,
//! and each aggregate table gets multi-row upserts — all in one transaction. Ids are kept for an
//! hour ([`KEEP_IDS_MS`]): a polling source only re-reads a short overlap.

use std::collections::{BTreeMap, HashSet};

use chrono::{Datelike, NaiveDate};
use db::sqlx::{self, AnyConnection, Row};
use db::{Arg, Backend, Db, Filter};
use kernel::AppError;
use registry::admin_units::AdminUnits;
use serde::Deserialize;

use crate::facts::{dim, Counts, Key};
use crate::store;

/// One lodging event as counted here.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LodgingEvent {
    /// A guest arrived (one lodging notification or declaration).
    CheckIn { day: NaiveDate, stay: Stay },
    /// A stay ended after `nights` nights; counted on the day the guest arrived, and each night in
    /// the month it falls in (occupancy).
    CheckOut { arrival_day: NaiveDate, stay: Stay, nights: u32 },
    /// A lodging notification reached the police after the legal deadline.
    LateNotification { day: NaiveDate, commune_code: String },
    /// A guest matched a watchlist entry (only the count is kept).
    WatchlistAlert { day: NaiveDate, commune_code: String },
}

/// Who stayed where, coded.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Stay {
    pub commune_code: String,
    /// The lodging module's facility kind (`hotel`, `motel`, `homestay`, `rental_house`,
    /// `dormitory`, `official_guest_house`) or `private_home` for a declared stay.
    pub facility_type: String,
    /// ISO 3166-1 alpha-3; [`DOMESTIC`] for Vietnamese citizens.
    pub nationality: String,
    /// 2025 province code of a domestic guest's residence.
    pub origin_province: Option<String>,
}

/// Nationality code of domestic guests.
pub const DOMESTIC: &str = "VNM";

/// An event with the id its source gave it, so a retried delivery is counted once.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LodgingFact {
    pub id: String,
    #[serde(flatten)]
    pub event: LodgingEvent,
}

/// Name of the lodging source in `analytics_ingested` and `analytics_checkpoints`.
pub const SOURCE: &str = "lodging";

/// Checkpoint recording when bed capacity was last recounted.
pub const CAPACITY_SOURCE: &str = "lodging_capacity";

/// How long ingested ids are kept (UTC ms): longer than any re-read of a polling source.
pub const KEEP_IDS_MS: i64 = 3_600_000;

/// Rows per multi-row statement (at most 8 values each).
const ROWS_PER_STATEMENT: usize = 500;

/// Counts a batch of lodging events in one transaction; events already ingested (also earlier in
/// the same batch) are skipped. A batch with one invalid event is refused whole. Returns how many
/// events were new. `now` (UTC milliseconds) is the time of ingestion.
pub async fn ingest(db: &Db, facts: &[LodgingFact], now: i64) -> Result<usize, AppError> {
    for f in facts {
        check(f)?;
    }
    let mut seen = HashSet::new();
    let unique: Vec<&LodgingFact> = facts.iter().filter(|f| seen.insert(f.id.as_str())).collect();
    let backend = db.backend();
    let mut tx = db.begin().await?;
    let mut ids: Vec<&str> = unique.iter().map(|f| f.id.as_str()).collect();
    // Sorted, so concurrent ingests lock rows in the same order.
    ids.sort_unstable();
    let mut new_ids: HashSet<String> = HashSet::new();
    for chunk in ids.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO analytics_ingested (source, event_id, ingested_at) VALUES {} \
             ON CONFLICT (source, event_id) DO NOTHING RETURNING event_id",
            db::values(backend, chunk.len(), 3)
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(SOURCE).bind(*id).bind(now);
        }
        for r in q.fetch_all(&mut *tx).await? {
            new_ids.insert(r.get(0));
        }
    }
    let mut agg = Aggregate::default();
    for f in unique.iter().filter(|f| new_ids.contains(&f.id)) {
        agg.add(&f.event);
    }
    agg.write(&mut tx, backend).await?;
    sqlx::query("DELETE FROM analytics_ingested WHERE source = $1 AND ingested_at < $2")
        .bind(SOURCE)
        .bind(now - KEEP_IDS_MS)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(new_ids.len())
}

/// Checks one event as [`ingest`] does: id, codes, nationality, and a commune of the catalogue.
pub fn check(f: &LodgingFact) -> Result<(), AppError> {
    if f.id.trim().is_empty() || f.id.len() > 100 {
        return Err(AppError::invalid("id: 1–100 characters"));
    }
    let commune = match &f.event {
        LodgingEvent::CheckIn { stay, .. } | LodgingEvent::CheckOut { stay, .. } => {
            if stay.facility_type.is_empty() || stay.facility_type.len() > 40 {
                return Err(AppError::invalid("facility_type is a required code"));
            }
            let n = &stay.nationality;
            if n.len() != 3 || !n.bytes().all(|b| b.is_ascii_alphabetic()) {
                return Err(AppError::invalid("nationality must be an ISO 3166-1 alpha-3 code"));
            }
            if let Some(p) = stay.origin_province.as_deref().filter(|p| !p.is_empty()) {
                if AdminUnits::get().province(p).is_none() {
                    return Err(AppError::invalid(format!("unknown origin province {p}")));
                }
            }
            &stay.commune_code
        }
        LodgingEvent::LateNotification { commune_code, .. } | LodgingEvent::WatchlistAlert { commune_code, .. } => {
            commune_code
        }
    };
    known_commune(commune)
}

fn known_commune(code: &str) -> Result<(), AppError> {
    match AdminUnits::get().commune(code) {
        Some(_) => Ok(()),
        None => Err(AppError::new(kernel::ErrorCode::UnknownCommune, code.to_string())),
    }
}

/// A row of `analytics_lodging_stays`: day, commune, facility type, nationality, origin.
type StayKey = (String, String, String, String, String);

/// The new events of a batch, summed per stored row.
#[derive(Default)]
struct Aggregate {
    /// Stay row → (guests, stays ended, nights).
    stays: BTreeMap<StayKey, (i64, i64, i64)>,
    /// (day, commune, kind) → count.
    flags: BTreeMap<(String, String, &'static str), i64>,
    /// (month, commune, facility type) → nights falling in that month.
    nights: BTreeMap<(String, String, String), i64>,
}

fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

impl Aggregate {
    fn add(&mut self, e: &LodgingEvent) {
        match e {
            LodgingEvent::CheckIn { day, stay } => self.stay(*day, stay, (1, 0, 0)),
            LodgingEvent::CheckOut { arrival_day, stay, nights } => {
                self.stay(*arrival_day, stay, (0, 1, i64::from(*nights)));
                // The night starting on day d belongs to d's month.
                let mut d = *arrival_day;
                let end = *arrival_day + chrono::Duration::days(i64::from(*nights));
                while d < end {
                    let month_end = next_month(d);
                    let n = (month_end.min(end) - d).num_days();
                    let key = (d.format("%Y-%m").to_string(), stay.commune_code.clone(), stay.facility_type.clone());
                    *self.nights.entry(key).or_insert(0) += n;
                    d = month_end;
                }
            }
            LodgingEvent::LateNotification { day, commune_code } => {
                *self.flags.entry((ymd(*day), commune_code.clone(), "late_notification")).or_insert(0) += 1
            }
            LodgingEvent::WatchlistAlert { day, commune_code } => {
                *self.flags.entry((ymd(*day), commune_code.clone(), "watchlist_alert")).or_insert(0) += 1
            }
        }
    }

    fn stay(&mut self, day: NaiveDate, s: &Stay, (guests, ended, nights): (i64, i64, i64)) {
        let key = (
            ymd(day),
            s.commune_code.clone(),
            s.facility_type.clone(),
            s.nationality.to_ascii_uppercase(),
            s.origin_province.clone().unwrap_or_default(),
        );
        let v = self.stays.entry(key).or_insert((0, 0, 0));
        *v = (v.0 + guests, v.1 + ended, v.2 + nights);
    }

    async fn write(&self, tx: &mut AnyConnection, backend: Backend) -> Result<(), AppError> {
        let stays: Vec<_> = self.stays.iter().collect();
        for chunk in stays.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO analytics_lodging_stays (day, commune_code, facility_type, nationality, origin_province, \
                 guests, stays_ended, nights) VALUES {} \
                 ON CONFLICT (day, commune_code, facility_type, nationality, origin_province) DO UPDATE SET \
                 guests = analytics_lodging_stays.guests + excluded.guests, \
                 stays_ended = analytics_lodging_stays.stays_ended + excluded.stays_ended, \
                 nights = analytics_lodging_stays.nights + excluded.nights",
                db::values(backend, chunk.len(), 8)
            );
            let mut q = sqlx::query(&sql);
            for ((day, commune, kind, nationality, origin), (guests, ended, nights)) in chunk {
                q = q.bind(day.as_str()).bind(commune.as_str()).bind(kind.as_str()).bind(nationality.as_str());
                q = q.bind(origin.as_str()).bind(*guests).bind(*ended).bind(*nights);
            }
            q.execute(&mut *tx).await?;
        }
        let flags: Vec<_> = self.flags.iter().collect();
        for chunk in flags.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO analytics_lodging_flags (day, commune_code, kind, value) VALUES {} \
                 ON CONFLICT (day, commune_code, kind) DO UPDATE SET value = analytics_lodging_flags.value + excluded.value",
                db::values(backend, chunk.len(), 4)
            );
            let mut q = sqlx::query(&sql);
            for ((day, commune, kind), n) in chunk {
                q = q.bind(day.as_str()).bind(commune.as_str()).bind(*kind).bind(*n);
            }
            q.execute(&mut *tx).await?;
        }
        let nights: Vec<_> = self.nights.iter().collect();
        for chunk in nights.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO analytics_lodging_nights (month, commune_code, facility_type, nights) VALUES {} \
                 ON CONFLICT (month, commune_code, facility_type) DO UPDATE SET \
                 nights = analytics_lodging_nights.nights + excluded.nights",
                db::values(backend, chunk.len(), 4)
            );
            let mut q = sqlx::query(&sql);
            for ((month, commune, kind), n) in chunk {
                q = q.bind(month.as_str()).bind(commune.as_str()).bind(kind.as_str()).bind(*n);
            }
            q.execute(&mut *tx).await?;
        }
        Ok(())
    }
}

/// The first day of the month after `d`'s.
fn next_month(d: NaiveDate) -> NaiveDate {
    let (y, m) = if d.month() == 12 { (d.year() + 1, 1) } else { (d.year(), d.month() + 1) };
    // Only a year past the end of the calendar has no first of the month.
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(NaiveDate::MAX)
}

/// How far the lodging feed has read: the end of the last window it ingested (UTC ms).
pub async fn position(db: &Db) -> Result<Option<i64>, AppError> {
    let cp = store::source_checkpoint(db, SOURCE).await?;
    Ok(cp.and_then(|c| c.position.parse().ok()))
}

/// Records the feed's position (UTC ms); `rebuilt` marks the end of a full replay, at `now`.
pub async fn set_position(db: &Db, position_ms: i64, rebuilt: bool, now: i64) -> Result<(), AppError> {
    let mut conn = db.write().acquire().await?;
    store::set_checkpoint(&mut conn, SOURCE, &position_ms.to_string(), rebuilt, now).await
}

/// Forgets every lodging count, ingested id and the feed's position, in one transaction, before a
/// full replay. Bed capacity (a snapshot per month that cannot be recounted for past months) is
/// kept.
pub async fn clear(db: &Db) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    for sql in [
        "DELETE FROM analytics_lodging_stays",
        "DELETE FROM analytics_lodging_flags",
        "DELETE FROM analytics_lodging_nights",
    ] {
        sqlx::query(sql).execute(&mut *tx).await?;
    }
    for sql in
        ["DELETE FROM analytics_ingested WHERE source = $1", "DELETE FROM analytics_checkpoints WHERE source = $1"]
    {
        sqlx::query(sql).bind(SOURCE).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Bed places of approved tourism accommodation in one commune and facility type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BedCapacity {
    pub commune_code: String,
    pub facility_type: String,
    pub beds: i64,
}

/// Replaces the bed capacity recorded for `month` (`YYYY-MM`, normally the current one) and
/// notes when it was recounted (`now`, UTC milliseconds). Earlier months keep the last count made
/// during them.
pub async fn replace_capacity(db: &Db, month: &str, rows: &[BedCapacity], now: i64) -> Result<(), AppError> {
    if NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").is_err() {
        return Err(AppError::new(kernel::ErrorCode::InvalidDate, "month must be YYYY-MM"));
    }
    let mut counts = Counts::new();
    for r in rows {
        known_commune(&r.commune_code)?;
        if r.beds < 0 || r.facility_type.is_empty() {
            return Err(AppError::invalid("beds must be a count and facility_type a code"));
        }
        *counts.entry(Key::new(dim::LODGING_BEDS, &r.commune_code, month, &r.facility_type)).or_insert(0) += r.beds;
    }
    store::replace_dimension(db, dim::LODGING_BEDS, Some(month), &counts, CAPACITY_SOURCE, now).await
}

/// Stays grouped by month of arrival, commune, facility type, nationality and origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StayRow {
    pub month: String,
    pub commune: String,
    pub facility_type: String,
    pub nationality: String,
    pub origin_province: String,
    pub guests: i64,
    pub stays_ended: i64,
    pub nights: i64,
}

/// Stays of arrival months `from..=to` (`YYYY-MM`) in the given communes.
pub async fn stays(db: &Db, communes: &[String], from: &str, to: &str) -> Result<Vec<StayRow>, AppError> {
    let mut f = Filter::new();
    f.and("day >= ?", Arg::Text(format!("{from}-01")));
    f.and("day <= ?", Arg::Text(format!("{to}-31")));
    let sql = format!(
        "SELECT substr(day, 1, 7), commune_code, facility_type, nationality, origin_province, CAST(SUM(guests) AS BIGINT), \
         CAST(SUM(stays_ended) AS BIGINT), CAST(SUM(nights) AS BIGINT) FROM analytics_lodging_stays WHERE {} GROUP BY 1, 2, 3, 4, 5",
        f.sql()
    );
    let rows = f.bind(sqlx::query(&sql)).fetch_all(db.read()).await?;
    Ok(rows
        .iter()
        .map(|r| StayRow {
            month: r.get(0),
            commune: r.get(1),
            facility_type: r.get(2),
            nationality: r.get(3),
            origin_province: r.get(4),
            guests: r.get(5),
            stays_ended: r.get(6),
            nights: r.get(7),
        })
        .filter(|s| communes.contains(&s.commune))
        .collect())
}

/// Counted signals of one kind by month: `(month, commune, count)`.
pub async fn flags(
    db: &Db,
    kind: &str,
    communes: &[String],
    from: &str,
    to: &str,
) -> Result<Vec<(String, String, i64)>, AppError> {
    let rows = sqlx::query(
        "SELECT substr(day, 1, 7), commune_code, CAST(SUM(value) AS BIGINT) FROM analytics_lodging_flags \
         WHERE kind = $1 AND day >= $2 AND day <= $3 GROUP BY 1, 2",
    )
    .bind(kind)
    .bind(format!("{from}-01"))
    .bind(format!("{to}-31"))
    .fetch_all(db.read())
    .await?;
    Ok(rows
        .iter()
        .map(|r| (r.get::<String, _>(0), r.get::<String, _>(1), r.get::<i64, _>(2)))
        .filter(|(_, c, _)| communes.contains(c))
        .collect())
}

/// Guest-nights by the month they fall in: `(month, commune, facility type, nights)`.
pub async fn nights(
    db: &Db,
    communes: &[String],
    from: &str,
    to: &str,
) -> Result<Vec<(String, String, String, i64)>, AppError> {
    let rows = sqlx::query(
        "SELECT month, commune_code, facility_type, nights FROM analytics_lodging_nights WHERE month >= $1 AND month <= $2",
    )
    .bind(from)
    .bind(to)
    .fetch_all(db.read())
    .await?;
    Ok(rows
        .iter()
        .map(|r| (r.get::<String, _>(0), r.get::<String, _>(1), r.get::<String, _>(2), r.get::<i64, _>(3)))
        .filter(|(_, c, _, _)| communes.contains(c))
        .collect())
}

/// Whether lodging data has reached the dashboards: the feed has run, or events were ingested
/// (otherwise figures say "no data source yet").
pub async fn has_data(db: &Db) -> Result<bool, AppError> {
    let row = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM analytics_checkpoints WHERE source = $1) c) \
         + (SELECT COUNT(*) FROM (SELECT 1 FROM analytics_lodging_stays LIMIT 1) s) \
         + (SELECT COUNT(*) FROM (SELECT 1 FROM analytics_lodging_flags LIMIT 1) f)",
    )
    .bind(SOURCE)
    .fetch_one(db.read())
    .await?;
    Ok(row.get::<i64, _>(0) > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn stay() -> Stay {
        Stay {
            commune_code: "00001".into(),
            facility_type: "hotel".into(),
            nationality: "kor".into(),
            origin_province: None,
        }
    }

    #[test]
    fn nights_fall_in_the_month_of_the_night() {
        let mut a = Aggregate::default();
        a.add(&LodgingEvent::CheckOut { arrival_day: d("2025-12-30"), stay: stay(), nights: 35 });
        let by_month: Vec<(String, i64)> = a.nights.iter().map(|((m, _, _), n)| (m.clone(), *n)).collect();
        assert_eq!(by_month, vec![("2025-12".into(), 2), ("2026-01".into(), 31), ("2026-02".into(), 2)]);
        assert_eq!(a.stays.values().next(), Some(&(0, 1, 35)));
        // A same-day stay has no night.
        let mut b = Aggregate::default();
        b.add(&LodgingEvent::CheckOut { arrival_day: d("2026-03-01"), stay: stay(), nights: 0 });
        assert!(b.nights.is_empty());
        assert_eq!(b.stays.keys().next().unwrap().3, "KOR");
    }

    #[test]
    fn alpha2_nationalities_are_refused() {
        let mut s = stay();
        s.nationality = "KR".into();
        let f = LodgingFact { id: "x".into(), event: LodgingEvent::CheckIn { day: d("2026-01-01"), stay: s } };
        assert_eq!(check(&f).unwrap_err().code.as_str(), "invalid_input");
    }
}
