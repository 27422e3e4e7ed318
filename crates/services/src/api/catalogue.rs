//! The procedure catalogue: public reading, administrator edits as new versions.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use web::{ApiJson, ApiPath, ApiQuery, ApiResult, CurrentUser, Role};

use crate::catalogue::store::{self, VersionInfo};
use crate::catalogue::Procedure;
use crate::Service;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ListQuery {
    /// Part of the name (diacritics optional) or code.
    q: Option<String>,
}

/// The catalogue (anyone may read it).
#[utoipa::path(get, operation_id = "services.catalogue.list", security(()), path = "/api/v1/services/procedures", tag = "services", params(ListQuery),
    responses((status = 200, body = Vec<Procedure>)))]
pub(super) async fn list(
    State(s): State<Service>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Vec<Procedure>>> {
    Ok(Json(store::list(&s.stores.db, q.q.as_deref()).await?))
}

/// A procedure with its published versions.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct ProcedureDetail {
    pub procedure: Procedure,
    pub versions: Vec<VersionInfo>,
}

/// One procedure.
#[utoipa::path(get, operation_id = "services.catalogue.get", security(()), path = "/api/v1/services/procedures/{code}", tag = "services", params(("code" = String, Path)),
    responses((status = 200, body = ProcedureDetail), (status = 404, description = "not_found")))]
pub(super) async fn get(State(s): State<Service>, ApiPath(code): ApiPath<String>) -> ApiResult<Json<ProcedureDetail>> {
    let procedure =
        store::get(&s.stores.db, &code).await?.ok_or_else(|| kernel::AppError::not_found("no such procedure"))?;
    let versions = store::versions(&s.stores.db, &code).await?;
    Ok(Json(ProcedureDetail { procedure, versions }))
}

/// Publishes an edited definition as the next version (administrators). Applications keep the
/// version they were made under.
#[utoipa::path(put, operation_id = "services.catalogue.edit", path = "/api/v1/services/procedures/{code}", tag = "services", params(("code" = String, Path)),
    request_body = Procedure,
    responses((status = 200, body = Procedure), (status = 400, description = "invalid_input"),
              (status = 403, description = "forbidden")))]
pub(super) async fn edit(
    State(s): State<Service>,
    user: CurrentUser,
    ApiPath(code): ApiPath<String>,
    ApiJson(body): ApiJson<Procedure>,
) -> ApiResult<Json<Procedure>> {
    user.require(&[Role::Admin])?;
    if body.code != code {
        return Err(kernel::AppError::invalid("code: must match the path").into());
    }
    Ok(Json(store::edit(&s.stores.db, &body, &user.actor_label(), kernel::clock::now_ms()).await?))
}

/// The public holidays deadlines skip (weekends always do).
#[utoipa::path(get, operation_id = "services.catalogue.holidays", security(()), path = "/api/v1/services/holidays", tag = "services",
    responses((status = 200, body = Vec<crate::sla::Holiday>)))]
pub(super) async fn holidays(State(s): State<Service>) -> ApiResult<Json<Vec<crate::sla::Holiday>>> {
    Ok(Json(crate::sla::holidays(&s.stores.db).await?))
}

/// Adds or renames a holiday (administrators).
#[utoipa::path(post, operation_id = "services.catalogue.add_holiday", path = "/api/v1/services/holidays", tag = "services", request_body = crate::sla::Holiday,
    responses((status = 200, body = Vec<crate::sla::Holiday>), (status = 400, description = "invalid_input"),
              (status = 403, description = "forbidden")))]
pub(super) async fn add_holiday(
    State(s): State<Service>,
    user: CurrentUser,
    ApiJson(body): ApiJson<crate::sla::Holiday>,
) -> ApiResult<Json<Vec<crate::sla::Holiday>>> {
    user.require(&[Role::Admin])?;
    crate::sla::set_holiday(&s.stores.db, &body).await?;
    Ok(Json(crate::sla::holidays(&s.stores.db).await?))
}

/// Removes a holiday (administrators).
#[utoipa::path(delete, operation_id = "services.catalogue.remove_holiday", path = "/api/v1/services/holidays/{day}", tag = "services", params(("day" = String, Path)),
    responses((status = 200, body = Vec<crate::sla::Holiday>), (status = 404, description = "not_found")))]
pub(super) async fn remove_holiday(
    State(s): State<Service>,
    user: CurrentUser,
    ApiPath(day): ApiPath<String>,
) -> ApiResult<Json<Vec<crate::sla::Holiday>>> {
    user.require(&[Role::Admin])?;
    if !crate::sla::remove_holiday(&s.stores.db, &day).await? {
        return Err(kernel::AppError::not_found("no holiday on this day").into());
    }
    Ok(Json(crate::sla::holidays(&s.stores.db).await?))
}
