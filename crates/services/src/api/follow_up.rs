//! What follows an application: the citizen's notices and rating, the public status lookup by
//! receipt code, and the traffic police's fine decisions that fine payments take their amount
//! from.

use std::time::Duration;

use axum::extract::State;
use axum::http::{Extensions, HeaderMap};
use axum::Json;
use kernel::{AppError, ErrorCode};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use web::{ApiJson, ApiPath, ApiQuery, ApiResult, CurrentUser};

use super::citizen::citizen;
use crate::applications::query;
use crate::fines::{Decision, NewDecision};
use crate::notify::Notice;
use crate::rating::Rating;
use crate::status_lookup::PublicStatus;
use crate::Service;

/// The citizen's notices.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Notices {
    pub unread: i64,
    pub items: Vec<Notice>,
}

/// The signed-in citizen's notices about their applications, newest first, with the unread count.
#[utoipa::path(get, operation_id = "services.citizen.notifications", path = "/api/v1/services/notifications", tag = "services",
    responses((status = 200, body = Notices), (status = 403, description = "forbidden: not a citizen")))]
pub(super) async fn notifications(State(s): State<Service>, user: CurrentUser) -> ApiResult<Json<Notices>> {
    citizen(&user)?;
    let db = &s.stores.db;
    Ok(Json(Notices {
        unread: crate::notify::unread(db, &user.account_id).await?,
        items: crate::notify::list(db, &user.account_id).await?,
    }))
}

/// How many notices were marked read.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Marked {
    pub marked: u64,
}

/// Marks the citizen's notices read.
#[utoipa::path(post, operation_id = "services.citizen.notifications_read", path = "/api/v1/services/notifications/read", tag = "services",
    responses((status = 200, body = Marked), (status = 403, description = "forbidden: not a citizen")))]
pub(super) async fn notifications_read(State(s): State<Service>, user: CurrentUser) -> ApiResult<Json<Marked>> {
    citizen(&user)?;
    let marked = crate::notify::mark_read(&s.stores.db, &user.account_id, kernel::clock::now_ms()).await?;
    Ok(Json(Marked { marked }))
}

/// Rates an application that has its result: 1–5 stars and an optional comment, once.
#[utoipa::path(post, operation_id = "services.citizen.rate", path = "/api/v1/services/applications/{id}/rating", tag = "services",
    params(("id" = String, Path)), request_body = Rating,
    responses((status = 200, body = Rating), (status = 400, description = "invalid_input: stars outside 1–5"),
              (status = 409, description = "services.already_rated, or conflict: no result yet")))]
pub(super) async fn rate(
    State(s): State<Service>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<Rating>,
) -> ApiResult<Json<Rating>> {
    let person = citizen(&user)?;
    let app = query::for_applicant(&s.stores.db, person, &id).await?;
    Ok(Json(crate::rating::rate(&s.stores.db, &app, &body, kernel::clock::now_ms()).await?))
}

/// Lookups one address may make in ten minutes, and one receipt code in an hour.
const PER_ADDRESS: identity::Limit = identity::Limit { max: 30, window: Duration::from_secs(600) };
const PER_CODE: identity::Limit = identity::Limit { max: 10, window: Duration::from_secs(3600) };

/// Counts a lookup of `code` from the request's address; refused (`rate_limited`) past either
/// limit. Shared by the API and the page.
pub(crate) fn allow_lookup(
    s: &Service,
    headers: &HeaderMap,
    extensions: &Extensions,
    code: &str,
) -> Result<(), AppError> {
    let address =
        web::security::client_ip(headers, extensions, s.trust_proxy).map(|ip| ip.to_string()).unwrap_or_default();
    let code_key = crate::status_lookup::normalize_code(code).unwrap_or_default();
    if !s.lookups.allow(&format!("status-ip:{address}"), PER_ADDRESS)
        || !s.lookups.allow(&format!("status-code:{code_key}"), PER_CODE)
    {
        return Err(AppError::new(ErrorCode::RateLimited, "too many status lookups"));
    }
    Ok(())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct StatusParams {
    /// The receipt code printed on the receipt.
    code: String,
    /// The last four digits of the applicant's personal id.
    digits: String,
}

/// The state of an application by its receipt code and the last four digits of the applicant's
/// personal id, without signing in: the procedure, the state and the dates, nothing about the
/// person. A wrong code and wrong digits answer the same `not_found`; lookups are limited per
/// address and per code.
#[utoipa::path(get, operation_id = "services.public.status", security(()), path = "/api/v1/services/status", tag = "services",
    params(StatusParams),
    responses((status = 200, body = PublicStatus), (status = 404, description = "not_found: no such code, or wrong digits"),
              (status = 429, description = "rate_limited")))]
pub(super) async fn status(
    State(s): State<Service>,
    headers: HeaderMap,
    extensions: Extensions,
    ApiQuery(q): ApiQuery<StatusParams>,
) -> ApiResult<Json<PublicStatus>> {
    allow_lookup(&s, &headers, &extensions, &q.code)?;
    let found = crate::status_lookup::lookup(&s.stores.db, &q.code, &q.digits).await?;
    Ok(Json(found.ok_or_else(|| AppError::not_found("no application with this code and these digits"))?))
}

/// Records a fine decision (the provincial traffic police, role `traffic_police`, only).
#[utoipa::path(post, operation_id = "services.officer.issue_fine", path = "/api/v1/services/fines", tag = "services",
    request_body = NewDecision,
    responses((status = 200, body = Decision), (status = 400, description = "invalid_input or invalid_date"),
              (status = 403, description = "forbidden"), (status = 409, description = "conflict: the number exists")))]
pub(super) async fn issue_fine(
    State(s): State<Service>,
    user: CurrentUser,
    ApiJson(body): ApiJson<NewDecision>,
) -> ApiResult<Json<Decision>> {
    Ok(Json(crate::fines::issue(&s.stores.db, &user, &body, kernel::clock::now_ms()).await?))
}

/// The fine decisions naming the signed-in citizen, newest first (their number is what a fine
/// payment asks for).
#[utoipa::path(get, operation_id = "services.citizen.fines", path = "/api/v1/services/fines/mine", tag = "services",
    responses((status = 200, body = Vec<Decision>), (status = 403, description = "forbidden: not a citizen")))]
pub(super) async fn my_fines(State(s): State<Service>, user: CurrentUser) -> ApiResult<Json<Vec<Decision>>> {
    let person = citizen(&user)?;
    Ok(Json(crate::fines::of_person_all(&s.stores.db, person).await?))
}
