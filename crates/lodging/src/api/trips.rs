//! Coach trips: opening a trip, boarding passengers (each a lodging notification), the manifest.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use kernel::{AppError, Page, PageRequest};
use serde::Deserialize;
use utoipa::IntoParams;
use web::{ApiJson, ApiPath, ApiQuery, ApiResult, CurrentUser};

use super::idempotency_key;
use crate::access::allow;
use crate::checkins::CheckinResult;
use crate::stays::{self, Stay, StayQuery};
use crate::trips::{self, Boarding, NewTrip, Trip};
use crate::Service;

/// Opens a trip of an approved coach-operator facility of the caller's organization.
#[utoipa::path(post, operation_id = "lodging.trips.create", path = "/api/v1/lodging/trips", tag = "lodging", request_body = NewTrip,
    responses((status = 200, body = Trip), (status = 400, description = "invalid_input"),
              (status = 404, description = "not_found: facility outside the organization"),
              (status = 409, description = "conflict: facility not approved")))]
pub(super) async fn create(
    State(s): State<Service>,
    user: CurrentUser,
    ApiJson(body): ApiJson<NewTrip>,
) -> ApiResult<Json<Trip>> {
    crate::access::organization(&user)?;
    Ok(Json(trips::create(&s.stores.db, &user, body, kernel::clock::now_ms()).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct TripParams {
    #[param(minimum = 1, maximum = 2147483647)]
    page: Option<u32>,
    #[param(minimum = 1, maximum = 200)]
    size: Option<u32>,
}

/// Trips of the caller's organization (police: of their area), latest departure first.
#[utoipa::path(get, operation_id = "lodging.trips.list", path = "/api/v1/lodging/trips", tag = "lodging", params(TripParams),
    responses((status = 200, body = inline(Page<Trip>)), (status = 403, description = "forbidden")))]
pub(super) async fn list(
    State(s): State<Service>,
    user: CurrentUser,
    ApiQuery(p): ApiQuery<TripParams>,
) -> ApiResult<Json<Page<Trip>>> {
    allow(&user, crate::access::READERS)?;
    Ok(Json(trips::list(&s.stores.db, &user.jurisdiction, PageRequest::new(p.page, p.size)?).await?))
}

/// Boards passengers scanned at the door; each becomes a lodging notification to the police of
/// the operator's commune. Send an `Idempotency-Key` to make retries safe.
#[utoipa::path(post, operation_id = "lodging.trips.board", path = "/api/v1/lodging/trips/{id}/boardings", tag = "lodging", request_body = Boarding,
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "Retry key")),
    responses((status = 200, body = CheckinResult), (status = 400, description = "invalid_input"),
              (status = 404, description = "not_found: trip outside the organization, or unknown person"),
              (status = 409, description = "conflict: boarding closed")))]
pub(super) async fn board(
    State(s): State<Service>,
    user: CurrentUser,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<Boarding>,
) -> ApiResult<Json<CheckinResult>> {
    crate::access::organization(&user)?;
    Ok(Json(trips::board(&s, &user, idempotency_key(&headers)?, &id, body, kernel::clock::now_ms()).await?))
}

/// The passenger manifest of a trip of the caller's organization.
#[utoipa::path(get, operation_id = "lodging.trips.manifest", path = "/api/v1/lodging/trips/{id}/manifest", tag = "lodging", params(("id" = String, Path)),
    responses((status = 200, body = inline(Page<Stay>)), (status = 404, description = "not_found")))]
pub(super) async fn manifest(
    State(s): State<Service>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Page<Stay>>> {
    let org = crate::access::organization(&user)?;
    let trip = trips::get(&s.stores.db, &id, &user.jurisdiction).await?.ok_or_else(|| AppError::not_found("trip"))?;
    let q = StayQuery { trip_id: Some(trip.id), ..Default::default() };
    let page = PageRequest::new(None, Some(200))?;
    Ok(Json(stays::list(&s.stores.db, org, &q, page, kernel::clock::now_ms()).await?))
}
