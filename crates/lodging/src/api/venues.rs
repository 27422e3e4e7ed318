//! Venue registration, the police decision, gate scans and the venue's aggregates.

use axum::extract::State;
use axum::Json;
use chrono::NaiveDate;
use kernel::{AppError, ErrorCode, Page, PageRequest};
use serde::Deserialize;
use utoipa::IntoParams;
use web::{ApiJson, ApiPath, ApiQuery, ApiResult, CurrentUser};

use super::facilities::{DecisionBody, ListParams};
use crate::access::{allow, POLICE};
use crate::venue_scans::{self, Scan, ScanRequest};
use crate::venue_stats::{self, VenueStats};
use crate::venues::{self, NewVenue, Venue};
use crate::Service;

/// Longest period one statistics request covers.
const MAX_STATS_DAYS: i64 = 366;

/// Venues in the caller's jurisdiction (staff: their organization's).
#[utoipa::path(get, operation_id = "lodging.venues.list", path = "/api/v1/lodging/venues", tag = "lodging", params(ListParams),
    responses((status = 200, body = inline(Page<Venue>)), (status = 403, description = "forbidden")))]
pub(super) async fn list(
    State(s): State<Service>,
    user: CurrentUser,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<Json<Page<Venue>>> {
    allow(&user, crate::access::READERS)?;
    let page = PageRequest::new(p.page, p.size)?;
    Ok(Json(venues::list(&s.stores.db, &user.jurisdiction, p.status.as_deref(), page).await?))
}

/// Registers a venue of the caller's organization; it stays `pending` until the commune police approve.
#[utoipa::path(post, operation_id = "lodging.venues.create", path = "/api/v1/lodging/venues", tag = "lodging", request_body = NewVenue,
    responses((status = 200, body = Venue), (status = 400, description = "invalid_input, unknown_commune")))]
pub(super) async fn create(
    State(s): State<Service>,
    user: CurrentUser,
    ApiJson(body): ApiJson<NewVenue>,
) -> ApiResult<Json<Venue>> {
    let org = crate::access::organization(&user)?;
    Ok(Json(venues::create(&s.stores.db, org, body, kernel::clock::now_ms()).await?))
}

/// The police approve or suspend a venue of their jurisdiction.
#[utoipa::path(post, operation_id = "lodging.venues.decide", path = "/api/v1/lodging/venues/{id}/decision", tag = "lodging", request_body = DecisionBody,
    params(("id" = String, Path)),
    responses((status = 200, body = Venue), (status = 404, description = "not_found (or outside jurisdiction)")))]
pub(super) async fn decide(
    State(s): State<Service>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<DecisionBody>,
) -> ApiResult<Json<Venue>> {
    allow(&user, POLICE)?;
    Ok(Json(
        venues::decide(&s.stores.db, &id, &body.status, &user.jurisdiction, &user.account_id, kernel::clock::now_ms())
            .await?,
    ))
}

/// Records a visitor's entry or exit at a gate of an approved venue of the caller's organization.
/// An entry is matched against the watchlist; an exit closes the visitor's open entry.
#[utoipa::path(post, operation_id = "lodging.venues.scan", path = "/api/v1/lodging/venue-scans", tag = "lodging", request_body = ScanRequest,
    responses((status = 200, body = Scan),
              (status = 400, description = "invalid_input: direction, gate or visitor"),
              (status = 404, description = "not_found: venue outside the organization, or unknown person"),
              (status = 409, description = "conflict: venue not approved, already inside, or no entry to close")))]
pub(super) async fn scan(
    State(s): State<Service>,
    user: CurrentUser,
    ApiJson(body): ApiJson<ScanRequest>,
) -> ApiResult<Json<Scan>> {
    crate::access::organization(&user)?;
    Ok(Json(venue_scans::scan(&s, &user, body, kernel::clock::now_ms()).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct StatsParams {
    /// First day, `YYYY-MM-DD` (default: 6 days before `to`).
    from: Option<String>,
    /// Last day, `YYYY-MM-DD` (default: today).
    to: Option<String>,
}

fn day(s: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::new(ErrorCode::InvalidDate, "from and to must be YYYY-MM-DD"))
}

/// The checked period of a statistics request.
pub fn period(from: Option<&str>, to: Option<&str>) -> Result<(NaiveDate, NaiveDate), AppError> {
    let to = to.map(day).transpose()?.unwrap_or_else(kernel::clock::today_vn);
    let from = from.map(day).transpose()?.unwrap_or(to - chrono::Duration::days(6));
    let span = (to - from).num_days();
    if !(0..MAX_STATS_DAYS).contains(&span) {
        return Err(AppError::invalid(format!("from must be on or before to, at most {MAX_STATS_DAYS} days")));
    }
    Ok((from, to))
}

/// Aggregates of a venue (occupancy, entries per hour and day, origins, mean dwell time) for its
/// staff and the police of its area; no visitor is identified.
#[utoipa::path(get, operation_id = "lodging.venues.stats", path = "/api/v1/lodging/venues/{id}/stats", tag = "lodging",
    params(("id" = String, Path), StatsParams),
    responses((status = 200, body = VenueStats), (status = 400, description = "invalid_date, invalid_input"),
              (status = 404, description = "not_found (or outside jurisdiction)")))]
pub(super) async fn stats(
    State(s): State<Service>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiQuery(p): ApiQuery<StatsParams>,
) -> ApiResult<Json<VenueStats>> {
    allow(&user, crate::access::READERS)?;
    let (from, to) = period(p.from.as_deref(), p.to.as_deref())?;
    let v = venues::get(&s.stores.db, &id, &user.jurisdiction).await?.ok_or_else(|| AppError::not_found("venue"))?;
    Ok(Json(venue_stats::of_venue(&s.stores.db, &v.id, from, to, kernel::clock::now_ms()).await?))
}
