//! Feeds the IOC dashboards from the modules `analytics` may not depend on: lodging events
//! (tourism and public order) and, by periodic recount, citizens' e-ID accounts and lodging bed
//! capacity. The binary is the only crate that sees both sides, so the wiring lives here.
//!
//! Lodging is polled by write time: [`catch_up`] reads the events written after the stored
//! position minus [`OVERLAP_MS`] up to now, in windows of at most [`WINDOW_MS`] and pages of
//! [`PAGE`] rows (bounded memory), hands each page to `analytics::lodging::ingest` (which counts an
//! event id once) and moves the position after each window. The overlap catches rows whose
//! timestamp was taken before a commit that landed after an earlier poll.

use std::time::{Duration, Instant};

use analytics::lodging::{BedCapacity, LodgingEvent, LodgingFact, Stay};
use lodging::tourism::{self, Arrival, Cursor, Window};

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
/// lodging write when nothing was read yet) up to now and ingests them. Returns how many events
/// were new to the dashboards.
pub async fn catch_up(db: &db::Db) -> anyhow::Result<usize> {
    let since = match analytics::lodging::position(db).await? {
        Some(p) => p - OVERLAP_MS,
        None => -1,
    };
    replay(db, since, kernel::clock::now_ms(), false).await
}

/// Recomputes the lodging figures from scratch: forgets the lodging counts, ingested ids and
/// position, replays every lodging event window by window, and recounts e-ID accounts and bed
/// capacity. Returns how many lodging events were counted.
pub async fn rebuild(db: &db::Db) -> anyhow::Result<usize> {
    analytics::lodging::clear(db).await?;
    let n = replay(db, -1, kernel::clock::now_ms(), true).await?;
    recount(db).await?;
    Ok(n)
}

/// Ingests the events written in `(since, until]`, skipping stretches without writes, and stores
/// the position after each window.
async fn replay(db: &db::Db, since: i64, until: i64, rebuilt: bool) -> anyhow::Result<usize> {
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
            new += ingest_window(db, source, from, to).await?;
        }
        analytics::lodging::set_position(db, to, false).await?;
        at = to;
    }
    analytics::lodging::set_position(db, until, rebuilt).await?;
    Ok(new)
}

/// One source's rows of a window, page by page.
async fn ingest_window(db: &db::Db, source: Source, since_ms: i64, until_ms: i64) -> anyhow::Result<usize> {
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
        new += ingest(db, facts).await?;
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
async fn ingest(db: &db::Db, mut facts: Vec<LodgingFact>) -> anyhow::Result<usize> {
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
    Ok(analytics::lodging::ingest(db, &facts).await?)
}

/// Recounts citizens' e-ID accounts by level and commune, and the bed capacity of approved
/// accommodation for the current month, and stores both for the dashboards.
pub async fn recount(db: &db::Db) -> anyhow::Result<()> {
    let units = registry::admin_units::AdminUnits::get();
    let known = |c: &str| {
        let ok = units.commune(c).is_some();
        if !ok {
            tracing::warn!(commune = c, "commune not in the catalogue; not counted");
        }
        ok
    };
    let eid: Vec<analytics::eid::EidCount> = identity::stats::eid_accounts_by_commune(db)
        .await?
        .into_iter()
        .filter(|t| known(&t.commune_code))
        .map(|t| analytics::eid::EidCount { commune_code: t.commune_code, level: t.level, accounts: t.accounts })
        .collect();
    analytics::eid::replace(db, &eid).await?;
    let beds: Vec<BedCapacity> = tourism::capacity(db)
        .await?
        .into_iter()
        .filter(|c| known(&c.commune_code))
        .map(|c| BedCapacity { commune_code: c.commune_code, facility_type: c.facility_type, beds: c.beds })
        .collect();
    let month = kernel::clock::today_vn().format("%Y-%m").to_string();
    analytics::lodging::replace_capacity(db, &month, &beds).await?;
    Ok(())
}

/// Keeps the figures current in the background: lodging events every `every`, recounts every
/// `recount_every` (the first ones at once).
pub fn spawn(db: db::Db, every: Duration, recount_every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut recounted: Option<Instant> = None;
        loop {
            tick.tick().await;
            if let Err(e) = catch_up(&db).await {
                tracing::warn!(error = %e, "lodging figures update failed; retrying");
            }
            if recounted.is_none_or(|t| t.elapsed() >= recount_every) {
                match recount(&db).await {
                    Ok(()) => recounted = Some(Instant::now()),
                    Err(e) => tracing::warn!(error = %e, "e-ID and bed recount failed; retrying"),
                }
            }
        }
    })
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
