//! Watchlist entries and the alerts they raise, for the police.

use axum::extract::State;
use axum::Json;
use kernel::{Page, PageRequest};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use web::{ApiJson, ApiPath, ApiQuery, ApiResult, CurrentUser};

use crate::access::{allow, POLICE};
use crate::alerts::{self, Alert};
use crate::watchlist::{self, Entry, NewEntry};
use crate::Service;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct EntryParams {
    active: Option<bool>,
    #[param(minimum = 1, maximum = 2147483647)]
    page: Option<u32>,
    #[param(minimum = 1, maximum = 200)]
    size: Option<u32>,
}

/// Watchlist entries the officer's unit manages (a commune's own, or the whole province); the
/// listing is audited.
#[utoipa::path(get, operation_id = "lodging.watchlist.list", path = "/api/v1/lodging/watchlist", tag = "lodging", params(EntryParams),
    responses((status = 200, body = inline(Page<Entry>)), (status = 403, description = "forbidden")))]
pub(super) async fn list(
    State(s): State<Service>,
    user: CurrentUser,
    ApiQuery(p): ApiQuery<EntryParams>,
) -> ApiResult<Json<Page<Entry>>> {
    allow(&user, POLICE)?;
    let page = PageRequest::new(p.page, p.size)?;
    Ok(Json(watchlist::list(&s.stores.db, &user, p.active, page, kernel::clock::now_ms()).await?))
}

/// Adds an entry owned by the officer's unit; from now on every check-in of the person raises an
/// alert.
#[utoipa::path(post, operation_id = "lodging.watchlist.create", path = "/api/v1/lodging/watchlist", tag = "lodging", request_body = NewEntry,
    responses((status = 200, body = Entry), (status = 400, description = "invalid_input, invalid_personal_id"),
              (status = 409, description = "conflict: the unit already lists this person")))]
pub(super) async fn create(
    State(s): State<Service>,
    user: CurrentUser,
    ApiJson(body): ApiJson<NewEntry>,
) -> ApiResult<Json<Entry>> {
    allow(&user, POLICE)?;
    Ok(Json(watchlist::create(&s.stores.db, &user, body, kernel::clock::now_ms()).await?))
}

/// Ends an entry of the officer's unit.
#[utoipa::path(post, operation_id = "lodging.watchlist.deactivate", path = "/api/v1/lodging/watchlist/{id}/deactivate", tag = "lodging", params(("id" = String, Path)),
    responses((status = 200, description = "Deactivated"), (status = 404, description = "not_found")))]
pub(super) async fn deactivate(
    State(s): State<Service>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<serde_json::Value>> {
    allow(&user, POLICE)?;
    watchlist::deactivate(&s.stores.db, &user, &id, kernel::clock::now_ms()).await?;
    Ok(Json(serde_json::json!({ "id": id, "active": false })))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct AlertParams {
    /// `open` or `acknowledged`.
    status: Option<String>,
    #[param(minimum = 1, maximum = 2147483647)]
    page: Option<u32>,
    #[param(minimum = 1, maximum = 200)]
    size: Option<u32>,
}

/// Alerts of the officer's area (their commune's facilities and entries, or the province).
#[utoipa::path(get, operation_id = "lodging.watchlist.alerts", path = "/api/v1/lodging/alerts", tag = "lodging", params(AlertParams),
    responses((status = 200, body = inline(Page<Alert>)), (status = 403, description = "forbidden")))]
pub(super) async fn alerts(
    State(s): State<Service>,
    user: CurrentUser,
    ApiQuery(p): ApiQuery<AlertParams>,
) -> ApiResult<Json<Page<Alert>>> {
    allow(&user, POLICE)?;
    let page = PageRequest::new(p.page, p.size)?;
    Ok(Json(alerts::list(&s.stores.db, &user.jurisdiction, p.status.as_deref(), page).await?))
}

#[derive(Deserialize, ToSchema)]
pub(super) struct AckBody {
    /// What was done (at most 500 characters).
    #[serde(default)]
    note: String,
}

/// Acknowledges an open alert.
#[utoipa::path(post, operation_id = "lodging.watchlist.acknowledge", path = "/api/v1/lodging/alerts/{id}/ack", tag = "lodging", request_body = AckBody,
    params(("id" = String, Path)),
    responses((status = 200, description = "Acknowledged"), (status = 404, description = "not_found"),
              (status = 409, description = "conflict: already acknowledged")))]
pub(super) async fn acknowledge(
    State(s): State<Service>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<AckBody>,
) -> ApiResult<Json<serde_json::Value>> {
    allow(&user, POLICE)?;
    alerts::acknowledge(&s.stores.db, &user, &id, &body.note, kernel::clock::now_ms()).await?;
    Ok(Json(serde_json::json!({ "id": id, "status": "acknowledged" })))
}
