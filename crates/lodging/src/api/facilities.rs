//! Facility registration, reading and the police decision.

use axum::extract::State;
use axum::Json;
use kernel::{AppError, Page, PageRequest};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use web::{ApiJson, ApiPath, ApiQuery, ApiResult, CurrentUser, Jurisdiction, Role};

use crate::access::{allow, POLICE};
use crate::facilities::{self, Facility, NewFacility};
use crate::Service;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ListParams {
    /// `pending`, `approved` or `suspended`.
    pub(super) status: Option<String>,
    #[param(minimum = 1, maximum = 2147483647)]
    pub(super) page: Option<u32>,
    #[param(minimum = 1, maximum = 200)]
    pub(super) size: Option<u32>,
}

/// Facilities in the caller's jurisdiction (staff: their organization's).
#[utoipa::path(get, operation_id = "lodging.facilities.list", path = "/api/v1/lodging/facilities", tag = "lodging", params(ListParams),
    responses((status = 200, body = inline(Page<Facility>)), (status = 403, description = "forbidden")))]
pub(super) async fn list(
    State(s): State<Service>,
    user: CurrentUser,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<Json<Page<Facility>>> {
    allow(&user, crate::access::READERS)?;
    let page = PageRequest::new(p.page, p.size)?;
    Ok(Json(facilities::list(&s.stores.db, &user.jurisdiction, p.status.as_deref(), page).await?))
}

/// Registers a facility of the caller's organization; it stays `pending` until the commune police approve.
#[utoipa::path(post, operation_id = "lodging.facilities.create", path = "/api/v1/lodging/facilities", tag = "lodging", request_body = NewFacility,
    responses((status = 200, body = Facility), (status = 400, description = "invalid_input, unknown_commune")))]
pub(super) async fn create(
    State(s): State<Service>,
    user: CurrentUser,
    ApiJson(body): ApiJson<NewFacility>,
) -> ApiResult<Json<Facility>> {
    allow(&user, &[Role::OrgStaff])?;
    let Jurisdiction::Own(org) = &user.jurisdiction else {
        return Err(AppError::forbidden("organization staff only").into());
    };
    Ok(Json(facilities::create(&s.stores.db, org, body, kernel::clock::now_ms()).await?))
}

/// One facility, if it lies in the caller's jurisdiction (404 otherwise).
#[utoipa::path(get, operation_id = "lodging.facilities.get", path = "/api/v1/lodging/facilities/{id}", tag = "lodging", params(("id" = String, Path)),
    responses((status = 200, body = Facility), (status = 404, description = "not_found (or outside jurisdiction)")))]
pub(super) async fn get(
    State(s): State<Service>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Facility>> {
    allow(&user, crate::access::READERS)?;
    let f =
        facilities::get(&s.stores.db, &id, &user.jurisdiction).await?.ok_or_else(|| AppError::not_found("facility"))?;
    Ok(Json(f))
}

#[derive(Deserialize, ToSchema)]
pub(super) struct DecisionBody {
    /// `approved` or `suspended`.
    pub(super) status: String,
}

/// The police approve or suspend a facility of their jurisdiction.
#[utoipa::path(post, operation_id = "lodging.facilities.decide", path = "/api/v1/lodging/facilities/{id}/decision", tag = "lodging", request_body = DecisionBody,
    params(("id" = String, Path)),
    responses((status = 200, body = Facility), (status = 404, description = "not_found (or outside jurisdiction)")))]
pub(super) async fn decide(
    State(s): State<Service>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<DecisionBody>,
) -> ApiResult<Json<Facility>> {
    allow(&user, POLICE)?;
    Ok(Json(
        facilities::decide(
            &s.stores.db,
            &id,
            &body.status,
            &user.jurisdiction,
            &user.account_id,
            kernel::clock::now_ms(),
        )
        .await?,
    ))
}
