//! Check-in and check-out by facility staff.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use kernel::{Page, PageRequest};
use serde::Deserialize;
use utoipa::IntoParams;
use web::{ApiJson, ApiPath, ApiQuery, ApiResult, CurrentUser, Role};

use crate::access::allow;
use crate::checkins::{self, CheckinRequest, CheckinResult};
use crate::stays::{self, Stay, StayChange, StayQuery};
use crate::Service;

/// Checks one guest or a group into a room of an approved facility of the caller's organization.
/// Each guest gets a notification to the commune police with its legal deadline. Send an
/// `Idempotency-Key` header to make retries safe: the same key returns the first result.
#[utoipa::path(post, operation_id = "lodging.checkins.create", path = "/api/v1/lodging/checkins", tag = "lodging", request_body = CheckinRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry key, 1 to 100 characters")),
    responses((status = 200, body = CheckinResult),
              (status = 400, description = "invalid_input, invalid_personal_id, invalid_date"),
              (status = 404, description = "not_found: facility outside the organization, or unknown person"),
              (status = 409, description = "conflict: facility not approved")))]
pub(super) async fn create(
    State(s): State<Service>,
    user: CurrentUser,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CheckinRequest>,
) -> ApiResult<Json<CheckinResult>> {
    crate::access::organization(&user)?;
    Ok(Json(checkins::check_in(&s, &user, super::idempotency_key(&headers)?, body, kernel::clock::now_ms()).await?))
}

/// Records a guest's departure; an inpatient's discharge also checks out their caregivers.
#[utoipa::path(post, operation_id = "lodging.checkins.checkout", path = "/api/v1/lodging/checkins/{id}/checkout", tag = "lodging", params(("id" = String, Path)),
    responses((status = 200, description = "Checked out"), (status = 404, description = "not_found"),
              (status = 409, description = "conflict: already checked out")))]
pub(super) async fn checkout(
    State(s): State<Service>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let org = crate::access::organization(&user)?;
    let at = kernel::clock::now_ms();
    let caregivers = checkins::check_out(&s.stores.db, &id, org, at).await?;
    Ok(Json(serde_json::json!({ "id": id, "checked_out_at": at, "caregivers_checked_out": caregivers })))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct StayParams {
    facility_id: Option<String>,
    /// Only guests still staying.
    #[serde(default)]
    current: bool,
    /// Name (diacritics optional), personal id or passport number.
    q: Option<String>,
    #[param(minimum = 1, maximum = 2147483647)]
    page: Option<u32>,
    #[param(minimum = 1, maximum = 200)]
    size: Option<u32>,
}

/// Guests of the caller's organization (its facilities only), newest arrival first, with the
/// temporary-residence prompt for long stays in rental houses and dormitories.
#[utoipa::path(get, operation_id = "lodging.checkins.list", path = "/api/v1/lodging/checkins", tag = "lodging", params(StayParams),
    responses((status = 200, body = inline(Page<Stay>)), (status = 403, description = "forbidden")))]
pub(super) async fn list(
    State(s): State<Service>,
    user: CurrentUser,
    ApiQuery(p): ApiQuery<StayParams>,
) -> ApiResult<Json<Page<Stay>>> {
    let org = crate::access::organization(&user)?;
    let page = PageRequest::new(p.page, p.size)?;
    let q = StayQuery { facility_id: p.facility_id, current: p.current, q: p.q, trip_id: None };
    Ok(Json(stays::list(&s.stores.db, org, &q, page, kernel::clock::now_ms()).await?))
}

/// Extends a stay or moves the guest to another room; the notification follows and the police
/// feed gets an `event: stay`.
#[utoipa::path(patch, operation_id = "lodging.checkins.change", path = "/api/v1/lodging/checkins/{id}", tag = "lodging", request_body = StayChange,
    params(("id" = String, Path)),
    responses((status = 200, body = Stay), (status = 400, description = "invalid_input"),
              (status = 404, description = "not_found"), (status = 409, description = "conflict: checked out")))]
pub(super) async fn change(
    State(s): State<Service>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<StayChange>,
) -> ApiResult<Json<Stay>> {
    let org = crate::access::organization(&user)?;
    let stay = stays::change(&s, org, &id, body, kernel::clock::now_ms()).await?;
    Ok(Json(stay))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct PromptParams {
    #[param(minimum = 1, maximum = 2147483647)]
    page: Option<u32>,
    #[param(minimum = 1, maximum = 200)]
    size: Option<u32>,
}

/// Citizens staying 30 days or more in a rental house or dormitory of the caller's area (police)
/// or organization (staff), who should register temporary residence (tạm trú).
#[utoipa::path(get, operation_id = "lodging.checkins.residence_prompts", path = "/api/v1/lodging/residence-prompts", tag = "lodging", params(PromptParams),
    responses((status = 200, body = inline(Page<Stay>)), (status = 403, description = "forbidden")))]
pub(super) async fn residence_prompts(
    State(s): State<Service>,
    user: CurrentUser,
    ApiQuery(p): ApiQuery<PromptParams>,
) -> ApiResult<Json<Page<Stay>>> {
    allow(&user, &[Role::Admin, Role::ProvincialOfficer, Role::CommunePolice, Role::OrgStaff])?;
    let page = PageRequest::new(p.page, p.size)?;
    Ok(Json(stays::residence_prompts(&s.stores.db, &user.jurisdiction, page, kernel::clock::now_ms()).await?))
}
