//! Check-in and check-out by facility staff.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use kernel::AppError;
use web::extract::check_api_csrf;
use web::{ApiJson, ApiPath, ApiResult, CurrentUser, Jurisdiction, Role};

use super::allow;
use crate::checkins::{self, CheckinRequest, CheckinResult};
use crate::Service;

/// The organization a staff caller acts for.
fn organization(user: &CurrentUser) -> Result<&str, AppError> {
    allow(user, &[Role::OrgStaff])?;
    match &user.jurisdiction {
        Jurisdiction::Own(org) => Ok(org),
        _ => Err(AppError::forbidden("organization staff only")),
    }
}

/// Checks one guest or a group into a room of an approved facility of the caller's organization.
/// Each guest gets a notification to the commune police with its legal deadline. Send an
/// `Idempotency-Key` header to make retries safe: the same key returns the first result.
#[utoipa::path(post, path = "/api/v1/lodging/checkins", tag = "lodging", request_body = CheckinRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry key, 1 to 100 characters")),
    responses((status = 200, body = CheckinResult),
              (status = 400, description = "invalid_input, invalid_personal_id, invalid_date"),
              (status = 404, description = "not_found: facility outside the organization, or unknown person"),
              (status = 409, description = "conflict: facility not approved")))]
pub async fn create(
    State(s): State<Service>,
    user: CurrentUser,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CheckinRequest>,
) -> ApiResult<Json<CheckinResult>> {
    organization(&user)?;
    check_api_csrf(&user, &headers)?;
    let key = match headers.get("idempotency-key") {
        Some(v) => Some(v.to_str().map_err(|_| AppError::invalid("Idempotency-Key must be ASCII"))?),
        None => None,
    };
    Ok(Json(checkins::check_in(&s.ctx, &s.feed, &user, key, body).await?))
}

/// Records a guest's departure.
#[utoipa::path(post, path = "/api/v1/lodging/checkins/{id}/checkout", tag = "lodging", params(("id" = String, Path)),
    responses((status = 200, description = "Checked out"), (status = 404, description = "not_found"),
              (status = 409, description = "conflict: already checked out")))]
pub async fn checkout(
    State(s): State<Service>,
    user: CurrentUser,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let org = organization(&user)?;
    check_api_csrf(&user, &headers)?;
    let at = kernel::clock::now_ms();
    checkins::check_out(&s.ctx.db, &id, org, at).await?;
    Ok(Json(serde_json::json!({ "id": id, "checked_out_at": at })))
}
