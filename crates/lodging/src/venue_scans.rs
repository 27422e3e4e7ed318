//! Gate scans at venues: staff (or the self-service gate page) scan a visitor's identity QR for
//! `entry` or `exit`. Each scan updates the venue's daily aggregates in the same transaction; an
//! entry is matched against the watchlist like a lodging check-in; an exit closes the visitor's
//! open entry and records the dwell time. Raw scans are purged after the retention period.

use db::sqlx::{self, Row};
use kernel::Actor;
use kernel::{AppError, ErrorCode};
use registry::admin_units::AdminUnits;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::alerts::{self, Alert, Sighting};
use crate::feed::FeedEvent;
use crate::guests::{self, Guest, GuestInput};
use crate::venues::{self, Venue};
use crate::Service;

/// An entry without an exit stops counting as "inside" after this long (visitors leaving by a
/// gate without scanning).
pub const OPEN_ENTRY_MS: i64 = 24 * 3_600_000;

/// One scan at a gate.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ScanRequest {
    pub venue_id: String,
    /// One of the venue's gate names.
    pub gate: String,
    /// `entry` or `exit`.
    pub direction: String,
    /// Who was scanned: card QR, dynamic identity QR, personal id or passport.
    pub visitor: GuestInput,
}

/// What the gate shows after a scan.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Scan {
    pub id: String,
    pub venue_id: String,
    pub gate: String,
    pub direction: String,
    pub full_name: String,
    pub at: i64,
    /// Time spent inside, on an exit.
    pub dwell_ms: Option<i64>,
}

/// A citizen's home province, or a foreigner's nationality.
fn origin(g: &Guest) -> String {
    match &g.home_commune {
        Some(c) => AdminUnits::get().commune(c).map(|u| u.province_code.clone()).unwrap_or_default(),
        None => g.nationality.clone(),
    }
}

/// The venue and gate a staff member scans at, checked.
async fn place(svc: &Service, user: &Actor, req: &ScanRequest) -> Result<Venue, AppError> {
    crate::access::organization(user)?;
    if !matches!(req.direction.as_str(), "entry" | "exit") {
        return Err(AppError::invalid("direction must be entry or exit"));
    }
    let venue = venues::get(&svc.stores.db, &req.venue_id, &user.jurisdiction)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound, "no venue with this id in your organization"))?;
    if venue.status != "approved" {
        return Err(AppError::new(
            ErrorCode::LodgingFacilityNotApproved,
            format!("venue is {}: only approved venues scan", venue.status),
        ));
    }
    if !venue.gates.iter().any(|g| g == req.gate.trim()) {
        return Err(AppError::invalid(format!("gate must be one of {}", venue.gates.join(", "))));
    }
    Ok(venue)
}

/// Records a scan at `now` (UTC milliseconds), raises the alerts of an entry by a watchlisted
/// person and feeds the police.
pub async fn scan(svc: &Service, user: &Actor, req: ScanRequest, now: i64) -> Result<Scan, AppError> {
    let venue = place(svc, user, &req).await?;
    let db = &svc.stores.db;
    let guest = guests::resolve(svc, req.visitor, now).await?;
    let key = guest.subject();
    let mut tx = db.begin().await?;
    let open = sqlx::query(
        "SELECT id, at FROM lodging_venue_checkins WHERE venue_id = $1 AND subject_key = $2 AND direction = 'entry' \
         AND exited_at IS NULL AND at >= $3 ORDER BY at DESC LIMIT 1",
    )
    .bind(&venue.id)
    .bind(&key)
    .bind(now - OPEN_ENTRY_MS)
    .fetch_optional(&mut *tx)
    .await?;
    let entry = req.direction == "entry";
    let dwell = match (entry, open) {
        (true, Some(_)) => return Err(AppError::new(ErrorCode::Conflict, "this visitor is already inside")),
        (false, None) => return Err(AppError::new(ErrorCode::Conflict, "no entry of this visitor is recorded")),
        (true, None) => None,
        (false, Some(row)) => {
            let dwell = now - row.get::<i64, _>(1);
            sqlx::query("UPDATE lodging_venue_checkins SET exited_at = $1, dwell_ms = $2 WHERE id = $3")
                .bind(now)
                .bind(dwell)
                .bind(row.get::<String, _>(0))
                .execute(&mut *tx)
                .await?;
            Some(dwell)
        }
    };
    let scan = Scan {
        id: kernel::ids::new_id(),
        venue_id: venue.id.clone(),
        gate: req.gate.trim().to_string(),
        direction: req.direction,
        full_name: guest.full_name.clone(),
        at: now,
        dwell_ms: dwell,
    };
    let origin = origin(&guest);
    sqlx::query(
        "INSERT INTO lodging_venue_checkins (id, venue_id, gate, direction, subject_key, origin, at, dwell_ms, \
         created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&scan.id)
    .bind(&venue.id)
    .bind(&scan.gate)
    .bind(&scan.direction)
    .bind(&key)
    .bind(&origin)
    .bind(now)
    .bind(dwell)
    .bind(&user.account_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO lodging_venue_daily (venue_id, day, origin, commune_code, province_code, entries, exits, \
         dwell_total_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (venue_id, day, origin) DO UPDATE SET \
         entries = lodging_venue_daily.entries + excluded.entries, exits = lodging_venue_daily.exits + excluded.exits, \
         dwell_total_ms = lodging_venue_daily.dwell_total_ms + excluded.dwell_total_ms",
    )
    .bind(&venue.id)
    .bind(kernel::clock::ms_to_vn(now).format("%Y-%m-%d").to_string())
    .bind(&origin)
    .bind(&venue.commune_code)
    .bind(&venue.province_code)
    .bind(i64::from(entry))
    .bind(i64::from(!entry))
    .bind(dwell.unwrap_or(0))
    .execute(&mut *tx)
    .await?;
    let raised = if entry { watch(&mut tx, &venue, &guest, &scan).await? } else { Vec::new() };
    let events = feed_events(&venue, &scan, &raised);
    svc.outbox.record(&mut tx, &events, now).await?;
    tx.commit().await?;
    svc.committed(events);
    log_read(svc, user, &guest, &scan).await?;
    Ok(scan)
}

/// Matches an entry against the watchlist and writes the alerts it raises.
async fn watch(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    venue: &Venue,
    guest: &Guest,
    scan: &Scan,
) -> Result<Vec<(Alert, String)>, sqlx::Error> {
    let sighting = Sighting {
        source: "venue_entry",
        source_id: &scan.id,
        place_id: &venue.id,
        place_name: &venue.name,
        commune_code: &venue.commune_code,
        province_code: &venue.province_code,
        full_name: &guest.full_name,
        at: scan.at,
    };
    alerts::raise_for(tx, &guest.subject(), &sighting).await
}

/// The police feed's events of a scan: the scan, then any alert it raised.
fn feed_events(venue: &Venue, scan: &Scan, raised: &[(Alert, String)]) -> Vec<FeedEvent> {
    let event = FeedEvent {
        kind: "venue",
        communes: vec![venue.commune_code.clone()],
        province_code: venue.province_code.clone(),
        data: serde_json::json!({"scan_id": scan.id, "venue_id": venue.id, "venue_name": venue.name,
            "gate": scan.gate, "direction": scan.direction, "at": scan.at}),
    };
    std::iter::once(event).chain(raised.iter().map(|(a, reason)| alerts::feed_event(a, reason))).collect()
}

/// Logs the registry read of a citizen guest.
async fn log_read(svc: &Service, user: &Actor, guest: &Guest, scan: &Scan) -> Result<(), AppError> {
    let Some(id) = &guest.personal_id else { return Ok(()) };
    let read = crate::access::Read {
        action: "lodging.venue_scan",
        purpose: "venue_checkin",
        released: "full_name",
        channel: "api",
    };
    crate::access::log_read(svc, user, id.clone(), &read, scan.at).await
}

/// Deletes raw scans older than `days` before `now` (the daily aggregates stay); returns how many.
pub async fn purge(db: &db::Db, days: i64, now: i64) -> Result<u64, AppError> {
    if days < 1 {
        return Err(AppError::invalid("retention is at least one day"));
    }
    let done = sqlx::query("DELETE FROM lodging_venue_checkins WHERE at < $1")
        .bind(now - days * 86_400_000)
        .execute(db.write())
        .await?;
    Ok(done.rows_affected())
}
