//! Watchlist alerts: raised inside the check-in transaction when a guest matches an active entry,
//! routed to the police of the facility's commune, the province and the commune owning the entry,
//! and acknowledged by an officer.

use db::sqlx::{self, Row};
use db::{Arg, Db, Filter};
use kernel::{Actor, Jurisdiction};
use kernel::{AppError, ErrorCode, Page, PageRequest};
use serde::Serialize;
use utoipa::ToSchema;

/// An alert as the police see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Alert {
    pub id: String,
    pub watchlist_id: String,
    /// `checkin` (a lodging notification), `venue_entry` or `declaration`.
    pub source: String,
    /// The notification that matched.
    pub source_id: String,
    pub facility_id: String,
    pub facility_name: String,
    pub commune_code: String,
    pub province_code: String,
    /// Commune owning the watchlist entry, when a commune owns it.
    pub owner_commune: Option<String>,
    pub subject_key: String,
    pub full_name: String,
    /// `wanted` or `interest`.
    pub category: String,
    /// The entry's reason (joined when listed; empty in a freshly raised alert).
    pub reason: String,
    pub created_at: i64,
    /// `open` or `acknowledged`.
    pub status: String,
    pub acked_by: Option<String>,
    pub acked_at: Option<i64>,
    pub ack_note: Option<String>,
}

impl Alert {
    /// The communes whose police receive this alert on the feed.
    pub fn communes(&self) -> Vec<String> {
        let mut c = vec![self.commune_code.clone()];
        c.extend(self.owner_commune.iter().filter(|o| **o != self.commune_code).cloned());
        c
    }
}

/// Where a watchlisted person was just seen: a lodging notification, a venue entry or a citizen's
/// own declaration (place: the declaration, named by its address).
pub struct Sighting<'a> {
    /// `checkin`, `venue_entry` or `declaration`.
    pub source: &'a str,
    /// The notification or venue check-in that matched.
    pub source_id: &'a str,
    /// The facility or venue.
    pub place_id: &'a str,
    pub place_name: &'a str,
    pub commune_code: &'a str,
    pub province_code: &'a str,
    pub full_name: &'a str,
    pub at: i64,
}

impl Alert {
    /// The open alert `entry` raises for a sighting.
    pub fn raised(entry: &crate::watchlist::Entry, s: &Sighting<'_>) -> Alert {
        Alert {
            id: kernel::ids::new_id(),
            watchlist_id: entry.id.clone(),
            source: s.source.into(),
            source_id: s.source_id.into(),
            facility_id: s.place_id.into(),
            facility_name: s.place_name.into(),
            commune_code: s.commune_code.into(),
            province_code: s.province_code.into(),
            owner_commune: (entry.owner_kind == "commune").then(|| entry.owner_code.clone()),
            subject_key: entry.subject_key.clone(),
            full_name: s.full_name.into(),
            category: entry.category.clone(),
            reason: String::new(),
            created_at: s.at,
            status: "open".into(),
            acked_by: None,
            acked_at: None,
            ack_note: None,
        }
    }
}

/// Writes `alerts` inside the caller's transaction, in multi-row inserts of at most `per_insert`.
pub async fn insert(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    alerts: &[&Alert],
    per_insert: usize,
) -> Result<(), sqlx::Error> {
    for chunk in alerts.chunks(per_insert) {
        let sql = format!(
            "INSERT INTO lodging_alerts ({INSERT_COLUMNS}) VALUES {}",
            db::values(db::backend_of(tx), chunk.len(), INSERT_WIDTH)
        );
        let mut q = sqlx::query(&sql);
        for a in chunk {
            q = bind_row(q, a);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Matches one sighted person (`subject_key`) against the active watchlist inside the caller's
/// transaction and writes the alerts raised, returned with their entries' reasons.
pub async fn raise_for(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    subject_key: &str,
    sighting: &Sighting<'_>,
) -> Result<Vec<(Alert, String)>, sqlx::Error> {
    let entries = crate::watchlist::matching(&mut **tx, &[subject_key.to_string()]).await?;
    let raised: Vec<(Alert, String)> = entries.iter().map(|e| (Alert::raised(e, sighting), e.reason.clone())).collect();
    insert(tx, &raised.iter().map(|(a, _)| a).collect::<Vec<_>>(), 50).await?;
    Ok(raised)
}

/// Columns written for each alert, in [`bind_row`] order.
const INSERT_COLUMNS: &str = "id, watchlist_id, source, source_id, facility_id, facility_name, commune_code, \
    province_code, owner_commune, subject_key, full_name, category, created_at, status";
/// Number of [`INSERT_COLUMNS`].
const INSERT_WIDTH: usize = 14;

/// Binds one alert's values for a multi-row insert of [`INSERT_COLUMNS`].
fn bind_row<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    a: &Alert,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    q.bind(a.id.clone())
        .bind(a.watchlist_id.clone())
        .bind(a.source.clone())
        .bind(a.source_id.clone())
        .bind(a.facility_id.clone())
        .bind(a.facility_name.clone())
        .bind(a.commune_code.clone())
        .bind(a.province_code.clone())
        .bind(a.owner_commune.clone())
        .bind(a.subject_key.clone())
        .bind(a.full_name.clone())
        .bind(a.category.clone())
        .bind(a.created_at)
        .bind(a.status.clone())
}

/// The feed event of a raised alert.
pub fn feed_event(a: &Alert, reason: &str) -> crate::feed::FeedEvent {
    crate::feed::FeedEvent {
        kind: "alert",
        communes: a.communes(),
        province_code: a.province_code.clone(),
        data: serde_json::json!({
            "alert_id": a.id,
            "notification_id": a.source_id,
            "facility_id": a.facility_id,
            "facility_name": a.facility_name,
            "commune_code": a.commune_code,
            "full_name": a.full_name,
            "category": a.category,
            "reason": reason,
            "created_at": a.created_at,
        }),
    }
}

const COLUMNS: &str = "a.id, a.watchlist_id, a.source, a.source_id, a.facility_id, a.facility_name, a.commune_code, \
    a.province_code, a.owner_commune, a.subject_key, a.full_name, a.category, w.reason, a.created_at, a.status, \
    a.acked_by, a.acked_at, a.ack_note";

fn from_row(r: &db::Row) -> Alert {
    Alert {
        id: r.get(0),
        watchlist_id: r.get(1),
        source: r.get(2),
        source_id: r.get(3),
        facility_id: r.get(4),
        facility_name: r.get(5),
        commune_code: r.get(6),
        province_code: r.get(7),
        owner_commune: r.get(8),
        subject_key: r.get(9),
        full_name: r.get(10),
        category: r.get(11),
        reason: r.get(12),
        created_at: r.get(13),
        status: r.get(14),
        acked_by: r.get(15),
        acked_at: r.get(16),
        ack_note: r.get(17),
    }
}

/// Alerts an officer receives: their commune's facilities and their commune's entries, or the
/// whole province.
fn restrict(f: &mut Filter, j: &Jurisdiction) {
    match j {
        Jurisdiction::Commune(c) => f.and("? IN (a.commune_code, a.owner_commune)", Arg::Text(c.clone())),
        Jurisdiction::Province(p) => f.and("a.province_code = ?", Arg::Text(p.clone())),
        Jurisdiction::Own(o) => f.and("? IS NULL", Arg::Text(o.clone())),
    };
}

/// Alerts of the officer's area, newest first, optionally of one status.
pub async fn list(db: &Db, j: &Jurisdiction, status: Option<&str>, page: PageRequest) -> Result<Page<Alert>, AppError> {
    let mut f = Filter::new();
    restrict(&mut f, j);
    if let Some(s) = status {
        if !matches!(s, "open" | "acknowledged") {
            return Err(AppError::invalid("status must be open or acknowledged"));
        }
        f.and("a.status = ?", Arg::Text(s.to_string()));
    }
    let select = format!("SELECT {COLUMNS} FROM lodging_alerts a JOIN lodging_watchlist w ON w.id = a.watchlist_id");
    let rows = f.fetch_page(db.read(), &select, "a.created_at DESC, a.id", page).await?;
    Ok(Page::from_probe(rows.iter().map(from_row).collect(), page))
}

/// An officer acknowledges an open alert of their area, with a note of what was done.
pub async fn acknowledge(db: &Db, user: &Actor, id: &str, note: &str, now: i64) -> Result<(), AppError> {
    let note = kernel::text::normalize_name(note);
    if note.chars().count() > 500 {
        return Err(AppError::invalid("note is at most 500 characters"));
    }
    let mut w = Filter::new();
    w.and("a.id = ?", Arg::Text(id.to_string()));
    restrict(&mut w, &user.jurisdiction);
    let n = w.next_placeholder();
    let sql = format!(
        "UPDATE lodging_alerts SET status = 'acknowledged', acked_by = ${n}, acked_at = ${}, ack_note = ${} \
         WHERE status = 'open' AND id IN (SELECT a.id FROM lodging_alerts a WHERE {})",
        n + 1,
        n + 2,
        w.sql()
    );
    let done = w.bind(sqlx::query(&sql)).bind(user.actor_label()).bind(now).bind(note).execute(db.write()).await?;
    if done.rows_affected() == 1 {
        return Ok(());
    }
    let mut f = Filter::new();
    f.and("a.id = ?", Arg::Text(id.to_string()));
    restrict(&mut f, &user.jurisdiction);
    let sql = format!("SELECT a.status FROM lodging_alerts a WHERE {}", f.sql());
    match f.bind(sqlx::query(&sql)).fetch_optional(db.read()).await? {
        Some(_) => Err(AppError::new(ErrorCode::Conflict, "alert already acknowledged")),
        None => Err(AppError::new(ErrorCode::NotFound, "no alert with this id in your area")),
    }
}
