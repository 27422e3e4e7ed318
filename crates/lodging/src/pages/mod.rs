//! HTML pages: the facility staff check-in page (phone friendly, QR scanning, offline queue), the
//! police page (live feed, search and filters, alerts, facility and venue approval, long-stay
//! prompts), the watchlist page, the citizen's own lodging history, and (in the submodules) the
//! hospital ward, coach trips, registration and venue statistics pages. Actions go through the
//! JSON API from `static/lodging.js` with the session's CSRF token.

mod hospital;
mod register;
mod trips;
mod venue_stats_page;

pub use hospital::hospital;
pub use register::register;
pub use trips::trips;
pub use venue_stats_page::venue_stats;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use kernel::{AppError, PageRequest};
use web::layout::render;
use web::{Chrome, Lang, PageError, PageUser};

use crate::alerts::{self, Alert};
use crate::api::notifications::{log_listed, ListParams};
use crate::declarations::{self, Declaration, Whose};
use crate::facilities::{self, Facility};
use crate::notifications::{self, Notification};
use crate::stays::{self, Stay, StayQuery};
use crate::venue_stats::{self, VenueStats};
use crate::venues::{self, Venue};
use crate::watchlist::{self, Entry};
use crate::Service;

/// Times shown on pages (`dd/mm/yyyy HH:MM`, Vietnam time).
fn when(ms: i64) -> String {
    kernel::clock::format_ms_vn(ms)
}

fn when_opt(ms: Option<i64>) -> String {
    ms.map(when).unwrap_or_else(|| "—".into())
}

/// A stay with its times formatted.
pub struct StayRow {
    pub s: Stay,
    pub arrival: String,
    pub departure: String,
}

impl From<Stay> for StayRow {
    fn from(s: Stay) -> Self {
        StayRow { arrival: when(s.arrival_at), departure: when_opt(s.expected_departure_at), s }
    }
}

/// A notification with its times formatted.
pub struct NotificationRow {
    pub n: Notification,
    pub arrival: String,
    pub deadline: String,
    pub submitted: String,
}

/// An alert with its time formatted.
pub struct AlertRow {
    pub a: Alert,
    pub at: String,
}

#[derive(Template)]
#[template(path = "lodging_checkin.html")]
struct CheckinPage {
    chrome: Chrome,
    approved: Vec<Facility>,
    others: Vec<Facility>,
    selected: String,
    guests: Vec<StayRow>,
    q: String,
}

#[derive(Template)]
#[template(path = "lodging_police.html")]
struct PolicePage {
    chrome: Chrome,
    facilities: Vec<Facility>,
    pending: Vec<Facility>,
    pending_venues: Vec<Venue>,
    rows: Vec<NotificationRow>,
    alerts: Vec<AlertRow>,
    prompts: Vec<StayRow>,
    f: ListParams,
    export_query: String,
    page: u32,
    has_next: bool,
}

#[derive(Template)]
#[template(path = "lodging_watchlist.html")]
struct WatchlistPage {
    chrome: Chrome,
    entries: Vec<(Entry, String)>,
}

#[derive(Template)]
#[template(path = "lodging_history.html")]
struct HistoryPage {
    chrome: Chrome,
    stays: Vec<StayRow>,
    /// Own declarations with arrival and deadline formatted.
    declarations: Vec<(Declaration, String, String)>,
}

/// The selected venue of the gate page with today's aggregates.
struct GateView {
    venue: Venue,
    stats: VenueStats,
    entries_today: i64,
    dwell: String,
}

#[derive(Template)]
#[template(path = "lodging_gate.html")]
struct GatePage {
    chrome: Chrome,
    venues: Vec<Venue>,
    view: Option<GateView>,
}

/// The rendered page, or the error page.
fn respond<T: Template>(result: Result<T, AppError>, lang: Lang) -> Response {
    match result {
        Ok(page) => render(&page, lang),
        Err(error) => PageError { error, lang }.into_response(),
    }
}

/// All facilities the caller may see (up to 200), for pickers.
/// Routes of the lodging pages (merged into the module's router by `api::router`).
pub(crate) fn routes() -> Router<Service> {
    Router::new()
        .route("/lodging", get(checkin))
        .route("/lodging/police", get(police))
        .route("/lodging/watchlist", get(watchlist_page))
        .route("/lodging/gate", get(gate))
        .route("/lodging/hospital", get(hospital))
        .route("/lodging/trips", get(trips))
        .route("/lodging/register", get(register))
        .route("/lodging/venues/stats", get(venue_stats))
        .route("/me/lodging", get(history))
        .route("/static/lodging/lodging.js", get(script))
}

async fn facilities_of(s: &Service, j: &web::Jurisdiction, status: Option<&str>) -> Result<Vec<Facility>, AppError> {
    Ok(facilities::list(&s.stores.db, j, status, PageRequest::new(None, Some(200))?).await?.items)
}

#[derive(serde::Deserialize, Default)]
pub struct CheckinQuery {
    facility: Option<String>,
    q: Option<String>,
}

/// `GET /lodging`: the staff check-in page.
pub async fn checkin(
    State(s): State<Service>,
    PageUser(user): PageUser,
    lang: Lang,
    uri: Uri,
    Query(p): Query<CheckinQuery>,
) -> Response {
    let chrome = Chrome::for_uri(lang, &uri, ("Khai báo lưu trú", "Lodging check-in"), Some(&user));
    let result = async {
        let org = crate::access::organization(&user)?;
        let all = facilities_of(&s, &user.jurisdiction, None).await?;
        let (approved, others): (Vec<Facility>, Vec<Facility>) =
            all.into_iter().filter(|f| f.kind != "hospital_ward").partition(|f| f.status == "approved");
        let selected = p
            .facility
            .filter(|id| approved.iter().any(|f| &f.id == id))
            .or_else(|| approved.first().map(|f| f.id.clone()))
            .unwrap_or_default();
        let q = StayQuery { facility_id: Some(selected.clone()), current: true, q: p.q.clone(), trip_id: None };
        let guests = if selected.is_empty() {
            Vec::new()
        } else {
            stays::list(&s.stores.db, org, &q, PageRequest::new(None, Some(200))?, kernel::clock::now_ms()).await?.items
        };
        Ok::<_, AppError>(CheckinPage {
            chrome,
            approved,
            others,
            selected,
            guests: guests.into_iter().map(StayRow::from).collect(),
            q: p.q.unwrap_or_default(),
        })
    }
    .await;
    respond(result, lang)
}

#[derive(serde::Deserialize, Default)]
pub struct GateQuery {
    venue_id: Option<String>,
}

/// `GET /lodging/gate`: the self-service gate of a venue (scan for entry or exit) with today's
/// occupancy, entries, mean dwell time and origins.
pub async fn gate(
    State(s): State<Service>,
    PageUser(user): PageUser,
    lang: Lang,
    uri: Uri,
    Query(p): Query<GateQuery>,
) -> Response {
    let chrome = Chrome::for_uri(lang, &uri, ("Kiểm soát ra/vào", "Entry and exit control"), Some(&user));
    let result = async {
        crate::access::organization(&user)?;
        let list = venues::list(&s.stores.db, &user.jurisdiction, Some("approved"), PageRequest::new(None, Some(200))?);
        let all = list.await?.items;
        let Some(venue) =
            p.venue_id.and_then(|id| all.iter().find(|v| v.id == id).cloned()).or_else(|| all.first().cloned())
        else {
            return Ok(GatePage { chrome, venues: all, view: None });
        };
        let today = kernel::clock::today_vn();
        let stats = venue_stats::of_venue(&s.stores.db, &venue.id, today, today, kernel::clock::now_ms()).await?;
        let entries_today = stats.days.iter().map(|d| d.entries).sum();
        let dwell = stats.mean_dwell_minutes.map(|m| format!("{m:.0}")).unwrap_or_else(|| "—".into());
        Ok::<_, AppError>(GatePage { chrome, venues: all, view: Some(GateView { venue, stats, entries_today, dwell }) })
    }
    .await;
    respond(result, lang)
}

/// `GET /lodging/police`: notifications with filters, live feed, alerts, approvals, prompts.
pub async fn police(
    State(s): State<Service>,
    PageUser(user): PageUser,
    lang: Lang,
    uri: Uri,
    Query(f): Query<ListParams>,
) -> Response {
    let chrome = Chrome::for_uri(lang, &uri, ("Lưu trú trên địa bàn", "Lodging in the area"), Some(&user));
    let result = async {
        crate::access::allow(&user, crate::access::POLICE)?;
        let page = PageRequest::new(f.page, Some(50))?;
        let found = notifications::list(&s.stores.db, &user.jurisdiction, &f.query()?, page).await?;
        log_listed(&s, &user, &found.items, "lodging.notification.read", "web").await?;
        let small = PageRequest::new(None, Some(50))?;
        let open = alerts::list(&s.stores.db, &user.jurisdiction, Some("open"), small).await?.items;
        let prompts =
            stays::residence_prompts(&s.stores.db, &user.jurisdiction, small, kernel::clock::now_ms()).await?.items;
        let export_query = serde_urlencoded::to_string(&f).unwrap_or_default();
        Ok::<_, AppError>(PolicePage {
            chrome,
            facilities: facilities_of(&s, &user.jurisdiction, None).await?,
            pending: facilities_of(&s, &user.jurisdiction, Some("pending")).await?,
            pending_venues: venues::list(&s.stores.db, &user.jurisdiction, Some("pending"), small).await?.items,
            rows: found
                .items
                .into_iter()
                .map(|n| NotificationRow {
                    arrival: when(n.arrival_at),
                    deadline: when(n.deadline_at),
                    submitted: when(n.submitted_at),
                    n,
                })
                .collect(),
            alerts: open.into_iter().map(|a| AlertRow { at: when(a.created_at), a }).collect(),
            prompts: prompts.into_iter().map(StayRow::from).collect(),
            export_query,
            page: page.page,
            has_next: found.has_next,
            f,
        })
    }
    .await;
    respond(result, lang)
}

/// `GET /lodging/watchlist`: the unit's watchlist entries and the form to add one.
pub async fn watchlist_page(State(s): State<Service>, PageUser(user): PageUser, lang: Lang, uri: Uri) -> Response {
    let chrome = Chrome::for_uri(lang, &uri, ("Danh sách cần chú ý", "Watchlist"), Some(&user));
    let result = async {
        crate::access::allow(&user, crate::access::POLICE)?;
        let page = watchlist::list(
            &s.stores.db,
            &user,
            Some(true),
            PageRequest::new(None, Some(200))?,
            kernel::clock::now_ms(),
        )
        .await?;
        Ok::<_, AppError>(WatchlistPage {
            chrome,
            entries: page
                .items
                .into_iter()
                .map(|e| {
                    let t = when(e.created_at);
                    (e, t)
                })
                .collect(),
        })
    }
    .await;
    respond(result, lang)
}

/// `GET /me/lodging`: the citizen's own lodging history, their declarations of stays at private
/// homes and the form to declare one.
pub async fn history(State(s): State<Service>, PageUser(user): PageUser, lang: Lang, uri: Uri) -> Response {
    let chrome = Chrome::for_uri(lang, &uri, ("Lịch sử lưu trú của tôi", "My lodging history"), Some(&user));
    let result = async {
        let page = PageRequest::new(None, Some(200))?;
        let stays = crate::api::own_history(&s, &user, page).await?.items;
        let id = crate::access::citizen(&user)?;
        let declarations = declarations::list(&s.stores.db, Whose::Citizen(id), page).await?.items;
        Ok::<_, AppError>(HistoryPage {
            chrome,
            stays: stays.into_iter().map(StayRow::from).collect(),
            declarations: declarations
                .into_iter()
                .map(|d| {
                    let (a, dl) = (when(d.arrival_at), when(d.deadline_at));
                    (d, a, dl)
                })
                .collect(),
        })
    }
    .await;
    respond(result, lang)
}

/// The pages' script.
pub async fn script() -> Response {
    web::assets::script(include_str!("../../static/lodging.js"))
}

/// Vietnamese and English names of facility kinds, for pages.
pub fn kind_label(kind: &str, lang: &Lang) -> &'static str {
    let (vi, en) = match kind {
        "hotel" => ("Khách sạn", "Hotel"),
        "motel" => ("Nhà nghỉ", "Motel / guesthouse"),
        "homestay" => ("Homestay", "Homestay"),
        "rental_house" => ("Nhà cho thuê", "Rental house"),
        "dormitory" => ("Ký túc xá, nhà ở công nhân", "Dormitory"),
        "hospital_ward" => ("Khoa điều trị nội trú", "Hospital ward"),
        "official_guest_house" => ("Nhà khách", "Official guest house"),
        "coach_operator" => ("Nhà xe khách", "Coach operator"),
        _ => ("Khác", "Other"),
    };
    lang.pick(vi, en)
}
