//! The pilot-model catalogue.

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use web::{ApiJson, ApiPath, ApiResult, Ctx, CurrentUser, Role};

use super::READERS;
use crate::catalogue::{self, Kpi, Model, ModelEdit, ModelVersion};

/// Every pilot model.
#[utoipa::path(get, operation_id = "programs.catalogue.list", path = "/api/v1/programs/models", tag = "programs",
    responses((status = 200, body = Vec<Model>)))]
pub(super) async fn list(State(ctx): State<Ctx>, user: CurrentUser) -> ApiResult<Json<Vec<Model>>> {
    user.require(READERS)?;
    Ok(Json(catalogue::list_models(&ctx.db).await?))
}

/// A model with its KPIs.
#[derive(Serialize, ToSchema)]
pub(super) struct ModelDetail {
    pub model: Model,
    pub kpis: Vec<Kpi>,
}

/// One model and its KPIs (manual and computed).
#[utoipa::path(get, operation_id = "programs.catalogue.get", path = "/api/v1/programs/models/{id}", tag = "programs", params(("id" = String, Path)),
    responses((status = 200, body = ModelDetail), (status = 404, description = "not_found")))]
pub(super) async fn get(
    State(ctx): State<Ctx>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<ModelDetail>> {
    user.require(READERS)?;
    let model = catalogue::get_model(&ctx.db, &id).await?;
    let kpis = catalogue::model_kpis(&ctx.db, Some(&id)).await?;
    Ok(Json(ModelDetail { model, kpis }))
}

/// Edit a model (administrators); the previous content stays as a version.
#[utoipa::path(patch, operation_id = "programs.catalogue.update", path = "/api/v1/programs/models/{id}", tag = "programs", params(("id" = String, Path)),
    request_body = ModelEdit,
    responses((status = 200, body = Model), (status = 400, description = "invalid_input"),
              (status = 409, description = "conflict: stale version")))]
pub(super) async fn update(
    State(ctx): State<Ctx>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(edit): ApiJson<ModelEdit>,
) -> ApiResult<Json<Model>> {
    user.require(&[Role::Admin])?;
    Ok(Json(catalogue::update_model(&ctx.db, &id, &edit, &user.actor_label(), kernel::clock::now_ms()).await?))
}

/// Every version of a model, newest first.
#[utoipa::path(get, operation_id = "programs.catalogue.versions", path = "/api/v1/programs/models/{id}/versions", tag = "programs", params(("id" = String, Path)),
    responses((status = 200, body = Vec<ModelVersion>)))]
pub(super) async fn versions(
    State(ctx): State<Ctx>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Vec<ModelVersion>>> {
    user.require(READERS)?;
    catalogue::get_model(&ctx.db, &id).await?;
    Ok(Json(catalogue::versions(&ctx.db, &id).await?))
}
