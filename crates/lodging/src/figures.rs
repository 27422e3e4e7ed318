//! Lodging's figures for the IOC dashboards: tourism and public-order events and bed capacity,
//! handed to `analytics`, which may not depend on lodging (lodging depends on it instead and never
//! releases a name: only coded events from [`crate::tourism`]).
//!
//! Lodging is polled by write time: [`catch_up`] reads the events written after the stored
//! position minus [`OVERLAP_MS`] up to now, in windows of at most [`WINDOW_MS`] and pages of
//! [`PAGE`] rows (bounded memory), hands each page to `analytics::lodging::ingest` (which counts an
//! event id once) and moves the position after each window. The overlap catches rows whose
//! timestamp was taken before a commit that landed after an earlier poll.

use analytics::lodging::{BedCapacity, LodgingEvent, LodgingFact, Stay};
use kernel::AppError;

use crate::tourism::{self, Arrival, Cursor, Window};

/// How far back each poll re-reads: a row's write time is taken before its commit, so a row may
/// become visible after a poll that already passed its timestamp.
pub const OVERLAP_MS: i64 = 10_000;

/// Longest stretch of write time read before the position is stored.
pub const WINDOW_MS: i64 = 15 * 60_000;

/// Rows read and ingested at a time.
pub const PAGE: i64 = 2_000;

/// The kinds of lodging rows read, each paged on its own.
#[derive(Debug, Clone, Copy)]
enum Source {
    Notifications,
    Declarations,
    Departures,
    Alerts,
}

/// Reads lodging events written after the stored position (less the overlap; from the first
/// lodging write when nothing was read yet) up to `now` (UTC ms) and ingests them. Returns how
/// many events were new to the dashboards.
pub async fn catch_up(db: &db::Db, now: i64) -> Result<usize, AppError> {
    let since = match analytics::lodging::position(db).await? {
        Some(p) => p - OVERLAP_MS,
        None => -1,
    };
    replay(db, since, now, false).await
}

/// Recomputes the lodging events' figures from scratch: forgets the lodging counts, ingested ids
/// and position, and replays every lodging event up to `now` window by window. Returns how many
/// lodging events were counted.
pub async fn rebuild(db: &db::Db, now: i64) -> Result<usize, AppError> {
    analytics::lodging::clear(db).await?;
    replay(db, -1, now, true).await
}

/// Recounts the bed capacity of approved accommodation at `now` (UTC ms) and stores it for the
/// month of that day in Vietnam. Communes missing from the catalogue are logged and left out.
pub async fn recount_capacity(db: &db::Db, now: i64) -> Result<(), AppError> {
    let today = kernel::clock::date_vn(now);
    let units = registry::admin_units::AdminUnits::get();
    let beds: Vec<BedCapacity> = tourism::capacity(db)
        .await?
        .into_iter()
        .filter(|c| units.counts_commune(&c.commune_code, "bed capacity"))
        .map(|c| BedCapacity { commune_code: c.commune_code, facility_type: c.facility_type, beds: c.beds })
        .collect();
    analytics::lodging::replace_capacity(db, &today.format("%Y-%m").to_string(), &beds, now).await?;
    Ok(())
}

/// Ingests the events written in `(since, until]`, skipping stretches without writes, and stores
/// the position after each window; `until` is the time of the run (now).
async fn replay(db: &db::Db, since: i64, until: i64, rebuilt: bool) -> Result<usize, AppError> {
    let mut at = since;
    let mut new = 0;
    while at < until {
        let Some(next) = tourism::next_write_after(db, at).await? else { break };
        if next > until {
            break;
        }
        let from = next - 1;
        let to = (from + WINDOW_MS).min(until);
        for source in [Source::Notifications, Source::Declarations, Source::Departures, Source::Alerts] {
            new += ingest_window(db, source, from, to, until).await?;
        }
        analytics::lodging::set_position(db, to, false, until).await?;
        at = to;
    }
    analytics::lodging::set_position(db, until, rebuilt, until).await?;
    Ok(new)
}

/// One source's rows of a window, page by page, ingested at `now` (UTC ms).
async fn ingest_window(db: &db::Db, source: Source, since_ms: i64, until_ms: i64, now: i64) -> Result<usize, AppError> {
    let mut after: Option<Cursor> = None;
    let mut new = 0;
    loop {
        let w = Window { since_ms, until_ms, after: after.as_ref(), limit: PAGE };
        let (facts, last, rows) = match source {
            Source::Notifications | Source::Declarations => {
                let arrivals = match source {
                    Source::Notifications => tourism::arrivals(db, w).await?,
                    _ => tourism::declarations(db, w).await?,
                };
                let last = arrivals.last().map(|a| Cursor { at: a.submitted_at, id: a.id.clone() });
                (arrivals.iter().flat_map(arrival_facts).collect::<Vec<_>>(), last, arrivals.len())
            }
            Source::Departures => {
                let out = tourism::departures(db, w).await?;
                let last = out.last().map(|d| Cursor { at: d.checked_out_at, id: d.id.clone() });
                let facts = out
                    .iter()
                    .map(|d| LodgingFact {
                        id: format!("out:{}", d.id),
                        event: LodgingEvent::CheckOut {
                            arrival_day: d.arrival_day,
                            stay: Stay {
                                commune_code: d.commune_code.clone(),
                                facility_type: d.facility_type.clone(),
                                nationality: d.nationality.clone(),
                                origin_province: d.origin_province.clone(),
                            },
                            nights: d.nights,
                        },
                    })
                    .collect();
                (facts, last, out.len())
            }
            Source::Alerts => {
                let alerts = tourism::alerts(db, w).await?;
                let last = alerts.last().map(|a| Cursor { at: a.created_at, id: a.id.clone() });
                let facts = alerts
                    .iter()
                    .map(|a| LodgingFact {
                        id: format!("alert:{}", a.id),
                        event: LodgingEvent::WatchlistAlert { day: a.day, commune_code: a.commune_code.clone() },
                    })
                    .collect();
                (facts, last, alerts.len())
            }
        };
        new += ingest(db, facts, now).await?;
        if (rows as i64) < PAGE {
            return Ok(new);
        }
        after = last;
    }
}

/// The facts of one arrival: the guest's check-in when the stay counts for tourism, and the late
/// notification when it was late. Declarations get ids of their own (`decl:`, `decl-late:`).
fn arrival_facts(a: &Arrival) -> Vec<LodgingFact> {
    let (arrived, late) = if a.declaration { ("decl", "decl-late") } else { ("in", "late") };
    let mut out = Vec::with_capacity(2);
    if a.tourism {
        out.push(LodgingFact {
            id: format!("{arrived}:{}", a.id),
            event: LodgingEvent::CheckIn {
                day: a.day,
                stay: Stay {
                    commune_code: a.commune_code.clone(),
                    facility_type: a.facility_type.clone(),
                    nationality: a.nationality.clone(),
                    origin_province: a.origin_province.clone(),
                },
            },
        });
    }
    if a.late {
        out.push(LodgingFact {
            id: format!("{late}:{}", a.id),
            event: LodgingEvent::LateNotification { day: a.day, commune_code: a.commune_code.clone() },
        });
    }
    out
}

/// Ingests a page. A fact the dashboards refuse (it cannot happen with the lodging module's own
/// checks) is logged and left out rather than blocking every later event behind it.
async fn ingest(db: &db::Db, mut facts: Vec<LodgingFact>, now: i64) -> Result<usize, AppError> {
    facts.retain(|f| match analytics::lodging::check(f) {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(id = %f.id, error = %e, "lodging event not counted");
            false
        }
    });
    if facts.is_empty() {
        return Ok(0);
    }
    analytics::lodging::ingest(db, &facts, now).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arrival(declaration: bool, tourism: bool, late: bool) -> Arrival {
        Arrival {
            id: "n1".into(),
            declaration,
            submitted_at: 1,
            day: chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            commune_code: "c".into(),
            facility_type: "hotel".into(),
            tourism,
            nationality: "VNM".into(),
            origin_province: None,
            late,
        }
    }

    #[test]
    fn arrivals_become_check_ins_and_late_notifications() {
        let ids = |a: &Arrival| arrival_facts(a).into_iter().map(|f| f.id).collect::<Vec<_>>();
        assert_eq!(ids(&arrival(false, true, false)), ["in:n1"]);
        assert_eq!(ids(&arrival(false, true, true)), ["in:n1", "late:n1"]);
        // A coach boarding or hospital stay is not tourism, but its lateness counts.
        assert_eq!(ids(&arrival(false, false, true)), ["late:n1"]);
        assert!(ids(&arrival(false, false, false)).is_empty());
        assert_eq!(ids(&arrival(true, true, true)), ["decl:n1", "decl-late:n1"]);
    }
}
