//! `GET /lodging/venues/stats`: a venue's statistics for its staff and the police of its area —
//! occupancy now, entries per hour on the last day, entries and exits per day, origins and mean
//! dwell time, from the aggregates of [`crate::venue_stats`] (no visitor is identified).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::Uri;
use axum::response::Response;
use kernel::{AppError, PageRequest};
use web::{Chrome, Lang, PageUser};

use super::respond;
use crate::venue_stats::{self, VenueStats};
use crate::venues::{self, Venue};
use crate::Service;

/// One bar of a chart: label, count and width in percent of the largest.
struct Bar {
    label: String,
    count: i64,
    width: i64,
}

fn bars(items: impl Iterator<Item = (String, i64)>) -> Vec<Bar> {
    let items: Vec<(String, i64)> = items.collect();
    let max = items.iter().map(|(_, c)| *c).max().unwrap_or(0).max(1);
    items.into_iter().map(|(label, count)| Bar { width: count * 100 / max, label, count }).collect()
}

/// The chosen venue's statistics, ready to show.
struct StatsView {
    venue: Venue,
    stats: VenueStats,
    entries: i64,
    exits: i64,
    hours: Vec<Bar>,
    days: Vec<(String, i64, i64)>,
    origins: Vec<Bar>,
    dwell: String,
}

#[derive(Template)]
#[template(path = "lodging_venue_stats.html")]
struct StatsPage {
    chrome: Chrome,
    venues: Vec<Venue>,
    from: String,
    to: String,
    view: Option<StatsView>,
}

#[derive(serde::Deserialize, Default)]
pub struct StatsQuery {
    venue_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// `dd/mm/yyyy` of a `YYYY-MM-DD` day.
fn vn_day(day: &str) -> String {
    chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").map(|d| d.format("%d/%m/%Y").to_string()).unwrap_or_default()
}

/// The statistics page of the venues the caller may see (staff: their organization's; police:
/// their area's).
pub async fn venue_stats(
    State(s): State<Service>,
    PageUser(user): PageUser,
    lang: Lang,
    uri: Uri,
    Query(p): Query<StatsQuery>,
) -> Response {
    let chrome = Chrome::for_uri(lang, &uri, ("Thống kê lượt ra/vào", "Visitor statistics"), Some(&user));
    let result = async {
        crate::access::allow(&user, crate::access::READERS)?;
        let blank = |v: Option<String>| v.filter(|d| !d.trim().is_empty());
        let (from, to) = crate::api::venues_period(blank(p.from).as_deref(), blank(p.to).as_deref())?;
        let list = venues::list(&s.stores.db, &user.jurisdiction, None, PageRequest::new(None, Some(200))?).await?;
        let all = list.items;
        let chosen =
            p.venue_id.and_then(|id| all.iter().find(|v| v.id == id).cloned()).or_else(|| all.first().cloned());
        let view = match chosen {
            None => None,
            Some(venue) => {
                let stats = venue_stats::of_venue(&s.stores.db, &venue.id, from, to, kernel::clock::now_ms()).await?;
                Some(StatsView {
                    entries: stats.days.iter().map(|d| d.entries).sum(),
                    exits: stats.days.iter().map(|d| d.exits).sum(),
                    hours: bars(stats.hours.iter().enumerate().map(|(h, c)| (format!("{h:02}:00"), *c))),
                    days: stats.days.iter().map(|d| (vn_day(&d.day), d.entries, d.exits)).collect(),
                    origins: bars(stats.origins.iter().map(|o| (o.name.clone(), o.entries))),
                    dwell: stats.mean_dwell_minutes.map(|m| format!("{m:.0}")).unwrap_or_else(|| "—".into()),
                    venue,
                    stats,
                })
            }
        };
        Ok::<_, AppError>(StatsPage {
            chrome,
            venues: all,
            from: from.format("%Y-%m-%d").to_string(),
            to: to.format("%Y-%m-%d").to_string(),
            view,
        })
    }
    .await;
    respond(result, lang)
}
