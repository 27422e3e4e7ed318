//! Tourism and public-order figures from lodging (lưu trú): the lodging module hands its events to
//! [`ingest`] (through the binary, which wires modules together); this module never reads the
//! lodging tables. Until events arrive the dashboards say there is no data source yet.

use chrono::NaiveDate;
use db::sqlx::{self, Row};
use db::{Arg, Db, Filter};
use kernel::AppError;
use serde::Deserialize;

/// One lodging event as counted here.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LodgingEvent {
    /// A guest checked in.
    CheckIn { day: NaiveDate, stay: Stay },
    /// A stay ended after `nights` nights; counted on the day the guest arrived.
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
    /// `hotel`, `guesthouse`, `homestay`, `rental`, `hospital`, … as the lodging module codes it.
    pub facility_type: String,
    /// ISO 3166 alpha-2; `VN` for domestic guests.
    pub nationality: String,
    /// 2025 province code of a domestic guest's permanent residence.
    pub origin_province: Option<String>,
}

/// An event with the id its source gave it, so a retried delivery is counted once.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LodgingFact {
    pub id: String,
    #[serde(flatten)]
    pub event: LodgingEvent,
}

/// Name of the lodging source in `analytics_ingested`.
const SOURCE: &str = "lodging";

/// Counts a batch of lodging events in one transaction; events already ingested are skipped.
/// Returns how many were new.
pub async fn ingest(db: &Db, facts: &[LodgingFact]) -> Result<usize, AppError> {
    for f in facts {
        validate(f)?;
    }
    let mut tx = db.begin().await.map_err(db::internal)?;
    let mut new = 0;
    for f in facts {
        let inserted = sqlx::query(
            "INSERT INTO analytics_ingested (source, event_id) VALUES ($1, $2) ON CONFLICT (source, event_id) DO NOTHING",
        )
        .bind(SOURCE)
        .bind(&f.id)
        .execute(&mut *tx)
        .await
        .map_err(db::internal)?;
        if inserted.rows_affected() == 0 {
            continue;
        }
        new += 1;
        match &f.event {
            LodgingEvent::CheckIn { day, stay } => add_stay(&mut tx, *day, stay, 1, 0, 0).await?,
            LodgingEvent::CheckOut { arrival_day, stay, nights } => {
                add_stay(&mut tx, *arrival_day, stay, 0, 1, i64::from(*nights)).await?
            }
            LodgingEvent::LateNotification { day, commune_code } => {
                add_flag(&mut tx, *day, commune_code, "late_notification").await?
            }
            LodgingEvent::WatchlistAlert { day, commune_code } => {
                add_flag(&mut tx, *day, commune_code, "watchlist_alert").await?
            }
        }
    }
    tx.commit().await.map_err(db::internal)?;
    Ok(new)
}

fn validate(f: &LodgingFact) -> Result<(), AppError> {
    if f.id.trim().is_empty() || f.id.len() > 100 {
        return Err(AppError::invalid("id: 1–100 characters"));
    }
    let commune = match &f.event {
        LodgingEvent::CheckIn { stay, .. } | LodgingEvent::CheckOut { stay, .. } => {
            let code_ok = |s: &str| !s.is_empty() && s.len() <= 40;
            if !code_ok(&stay.facility_type) || !code_ok(&stay.nationality) {
                return Err(AppError::invalid("facility_type and nationality are required codes"));
            }
            &stay.commune_code
        }
        LodgingEvent::LateNotification { commune_code, .. } | LodgingEvent::WatchlistAlert { commune_code, .. } => {
            commune_code
        }
    };
    if registry::admin_units::AdminUnits::get().commune(commune).is_none() {
        return Err(AppError::new(kernel::ErrorCode::UnknownCommune, commune.clone()));
    }
    Ok(())
}

async fn add_stay(
    tx: &mut sqlx::AnyConnection,
    day: NaiveDate,
    stay: &Stay,
    guests: i64,
    ended: i64,
    nights: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO analytics_lodging_stays (day, commune_code, facility_type, nationality, origin_province, \
         guests, stays_ended, nights) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (day, commune_code, facility_type, nationality, origin_province) DO UPDATE SET \
         guests = analytics_lodging_stays.guests + excluded.guests, \
         stays_ended = analytics_lodging_stays.stays_ended + excluded.stays_ended, \
         nights = analytics_lodging_stays.nights + excluded.nights",
    )
    .bind(day.format("%Y-%m-%d").to_string())
    .bind(&stay.commune_code)
    .bind(&stay.facility_type)
    .bind(stay.nationality.to_uppercase())
    .bind(stay.origin_province.clone().unwrap_or_default())
    .bind(guests)
    .bind(ended)
    .bind(nights)
    .execute(tx)
    .await
    .map_err(db::internal)?;
    Ok(())
}

async fn add_flag(tx: &mut sqlx::AnyConnection, day: NaiveDate, commune: &str, kind: &str) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO analytics_lodging_flags (day, commune_code, kind, value) VALUES ($1, $2, $3, 1) \
         ON CONFLICT (day, commune_code, kind) DO UPDATE SET value = analytics_lodging_flags.value + 1",
    )
    .bind(day.format("%Y-%m-%d").to_string())
    .bind(commune)
    .bind(kind)
    .execute(tx)
    .await
    .map_err(db::internal)?;
    Ok(())
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
    let rows = f.bind(sqlx::query(&sql)).fetch_all(db.read()).await.map_err(db::internal)?;
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
    .await
    .map_err(db::internal)?;
    Ok(rows
        .iter()
        .map(|r| (r.get::<String, _>(0), r.get::<String, _>(1), r.get::<i64, _>(2)))
        .filter(|(_, c, _)| communes.contains(c))
        .collect())
}

/// Whether any lodging event was ever ingested (otherwise figures say "no data source yet").
pub async fn has_data(db: &Db) -> Result<bool, AppError> {
    let row = sqlx::query("SELECT COUNT(*) FROM (SELECT 1 FROM analytics_ingested WHERE source = $1 LIMIT 1) x")
        .bind(SOURCE)
        .fetch_one(db.read())
        .await
        .map_err(db::internal)?;
    Ok(row.get::<i64, _>(0) > 0)
}
