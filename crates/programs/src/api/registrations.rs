//! Registrations, their approval, plan steps and manual KPI values.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use web::{ApiJson, ApiPath, ApiQuery, ApiResult, Ctx, CurrentUser};

use super::{own_unit, own_unit_for, DECIDERS, READERS};
use crate::kpi::manual::{self, ManualValue, NewValue};
use crate::progress::{self, KpiLine, Track};
use crate::registrations::{self, NewRegistration, Registration};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ListParams {
    unit: Option<String>,
    model: Option<String>,
}

/// Registrations, optionally of one unit or one model.
#[utoipa::path(get, operation_id = "programs.registrations.list", path = "/api/v1/programs/registrations", tag = "programs", params(ListParams),
    responses((status = 200, body = Vec<Registration>)))]
pub(super) async fn list(
    State(ctx): State<Ctx>,
    user: CurrentUser,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<Json<Vec<Registration>>> {
    user.require(READERS)?;
    Ok(Json(registrations::list(&ctx.db, p.unit.as_deref(), p.model.as_deref()).await?))
}

/// Register a model for the caller's unit (focal points), or resubmit a returned registration.
#[utoipa::path(post, operation_id = "programs.registrations.create", path = "/api/v1/programs/registrations", tag = "programs", request_body = NewRegistration,
    responses((status = 201, body = Registration), (status = 400, description = "invalid_input"),
              (status = 409, description = "already registered")))]
pub(super) async fn create(
    State(ctx): State<Ctx>,
    user: CurrentUser,
    ApiJson(new): ApiJson<NewRegistration>,
) -> ApiResult<(StatusCode, Json<Registration>)> {
    let unit = own_unit(&ctx, &user).await?;
    let r = registrations::register(&ctx.db, &unit.id, &user.actor_label(), &new, kernel::clock::now_ms()).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// A registration with its KPI lines (values next to targets, formula definitions) and track.
#[derive(Serialize, ToSchema)]
pub(super) struct RegistrationDetail {
    pub registration: Registration,
    pub track: Track,
    pub kpis: Vec<KpiLine>,
}

/// One registration with its KPIs against targets.
#[utoipa::path(get, operation_id = "programs.registrations.get", path = "/api/v1/programs/registrations/{id}", tag = "programs", params(("id" = String, Path)),
    responses((status = 200, body = RegistrationDetail), (status = 404, description = "not_found")))]
pub(super) async fn get(
    State(ctx): State<Ctx>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<RegistrationDetail>> {
    user.require(READERS)?;
    let registration = registrations::get(&ctx.db, &id).await?;
    let unit = crate::units::get(&ctx.db, &registration.unit_id).await?;
    let current = crate::kpi::current(&ctx.db, &unit.province_code, kernel::clock::now_ms()).await?;
    let all = crate::catalogue::model_kpis(&ctx.db, Some(&registration.model_id)).await?;
    let kpis = progress::lines(&ctx.db, &registration, &unit, &all, &current).await?;
    let track = progress::track(&registration, &kpis, kernel::clock::today_vn());
    Ok(Json(RegistrationDetail { registration, track, kpis }))
}

/// A working-group decision.
#[derive(Deserialize, ToSchema)]
pub(super) struct Decision {
    pub version: i64,
    #[serde(default)]
    pub note: String,
}

async fn decide(ctx: &Ctx, user: &CurrentUser, id: &str, approve: bool, d: &Decision) -> ApiResult<Json<Registration>> {
    user.require(DECIDERS)?;
    Ok(Json(
        registrations::decide(&ctx.db, id, approve, &d.note, &user.actor_label(), d.version, kernel::clock::now_ms())
            .await?,
    ))
}

/// Approve a pending registration (working group).
#[utoipa::path(post, operation_id = "programs.registrations.approve", path = "/api/v1/programs/registrations/{id}/approve", tag = "programs",
    params(("id" = String, Path)), request_body = Decision,
    responses((status = 200, body = Registration), (status = 409, description = "not pending or stale")))]
pub(super) async fn approve(
    State(ctx): State<Ctx>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(d): ApiJson<Decision>,
) -> ApiResult<Json<Registration>> {
    decide(&ctx, &user, &id, true, &d).await
}

/// Return a pending registration for revision, with a note (working group).
#[utoipa::path(post, operation_id = "programs.registrations.give_back", path = "/api/v1/programs/registrations/{id}/return", tag = "programs",
    params(("id" = String, Path)), request_body = Decision,
    responses((status = 200, body = Registration), (status = 400, description = "note missing")))]
pub(super) async fn give_back(
    State(ctx): State<Ctx>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(d): ApiJson<Decision>,
) -> ApiResult<Json<Registration>> {
    decide(&ctx, &user, &id, false, &d).await
}

#[derive(Deserialize, ToSchema)]
pub(super) struct StepBody {
    pub done: bool,
}

/// Mark a plan step done or not done (the unit's focal point).
#[utoipa::path(put, operation_id = "programs.registrations.step", path = "/api/v1/programs/registrations/{id}/steps/{seq}", tag = "programs",
    params(("id" = String, Path), ("seq" = i64, Path)), request_body = StepBody,
    responses((status = 200, body = Registration), (status = 404, description = "no such step")))]
pub(super) async fn step(
    State(ctx): State<Ctx>,
    user: CurrentUser,
    ApiPath((id, seq)): ApiPath<(String, i64)>,
    ApiJson(b): ApiJson<StepBody>,
) -> ApiResult<Json<Registration>> {
    let reg = registrations::get(&ctx.db, &id).await?;
    own_unit_for(&ctx, &user, &reg.unit_id).await?;
    Ok(Json(registrations::set_step_done(&ctx.db, &id, seq, b.done, kernel::clock::now_ms()).await?))
}

/// A JSON value may carry a whole evidence file in base64 (a third larger than the file).
pub(super) const VALUE_BODY_LIMIT: usize = crate::kpi::evidence::MAX_BYTES / 3 * 4 + 64 * 1024;

/// Report a manual KPI value with evidence (a link or a base64 file) and a comment.
#[utoipa::path(post, operation_id = "programs.registrations.add_value", path = "/api/v1/programs/registrations/{id}/values", tag = "programs",
    params(("id" = String, Path)), request_body = NewValue,
    responses((status = 201, body = ManualValue), (status = 400, description = "no evidence, computed KPI, bad value")))]
pub(super) async fn add_value(
    State(ctx): State<Ctx>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(v): ApiJson<NewValue>,
) -> ApiResult<(StatusCode, Json<ManualValue>)> {
    let reg = registrations::get(&ctx.db, &id).await?;
    own_unit_for(&ctx, &user, &reg.unit_id).await?;
    Ok((
        StatusCode::CREATED,
        Json(manual::record(&ctx.db, &id, &user.actor_label(), &v, kernel::clock::now_ms()).await?),
    ))
}

/// Download the evidence file of a manual value.
#[utoipa::path(get, operation_id = "programs.registrations.attachment", path = "/api/v1/programs/values/{id}/attachment", tag = "programs", params(("id" = String, Path)),
    responses((status = 200, description = "the file"), (status = 404, description = "no file")))]
pub(super) async fn attachment(
    State(ctx): State<Ctx>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<impl IntoResponse> {
    user.require(READERS)?;
    let (name, ctype, data) = manual::attachment(&ctx.db, &id).await?;
    let safe: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || "._-".contains(*c)).collect();
    Ok((
        [
            (header::CONTENT_TYPE, ctype),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", if safe.is_empty() { "evidence" } else { &safe }),
            ),
        ],
        data,
    ))
}
