//! Units, their focal points and reporting calendars.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use web::{ApiJson, ApiPath, ApiQuery, ApiResult, Ctx, CurrentUser, Role};

use super::{OVERSEERS, READERS};
use crate::calendar::Frequency;
use crate::reports::{self, Schedule};
use crate::units::{self, NewFocal, Unit, UnitKind};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ListParams {
    /// `department`, `police`, `commune` or `agency`.
    kind: Option<String>,
    /// Name, with or without diacritics.
    q: Option<String>,
}

/// Units, optionally of one kind or matching a name.
#[utoipa::path(get, operation_id = "programs.units.list", path = "/api/v1/programs/units", tag = "programs", params(ListParams),
    responses((status = 200, body = Vec<Unit>), (status = 400, description = "unknown kind")))]
pub(super) async fn list(
    State(ctx): State<Ctx>,
    user: CurrentUser,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<Json<Vec<Unit>>> {
    user.require(READERS)?;
    let kind = p
        .kind
        .as_deref()
        .map(|k| UnitKind::parse(k).ok_or_else(|| kernel::AppError::invalid(format!("unknown unit kind {k:?}"))))
        .transpose()?;
    Ok(Json(units::list(&ctx.db, kind, p.q.as_deref()).await?))
}

/// Units that have not registered any model yet.
#[utoipa::path(get, operation_id = "programs.units.not_registered", path = "/api/v1/programs/units/not-registered", tag = "programs",
    responses((status = 200, body = Vec<Unit>)))]
pub(super) async fn not_registered(State(ctx): State<Ctx>, user: CurrentUser) -> ApiResult<Json<Vec<Unit>>> {
    user.require(READERS)?;
    Ok(Json(crate::registrations::units_not_registered(&ctx.db).await?))
}

/// A unit with its calendar and number of focal points.
#[derive(Serialize, ToSchema)]
pub(super) struct UnitDetail {
    pub unit: Unit,
    pub schedule: Vec<Schedule>,
    pub focal_points: usize,
}

/// One unit.
#[utoipa::path(get, operation_id = "programs.units.get", path = "/api/v1/programs/units/{id}", tag = "programs", params(("id" = String, Path)),
    responses((status = 200, body = UnitDetail), (status = 404, description = "not_found")))]
pub(super) async fn get(
    State(ctx): State<Ctx>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<UnitDetail>> {
    user.require(READERS)?;
    let unit = units::get(&ctx.db, &id).await?;
    let schedule = reports::schedules(&ctx.db, Some(&id)).await?;
    let focal_points = units::members(&ctx.db, &id).await?.len();
    Ok(Json(UnitDetail { unit, schedule, focal_points }))
}

/// The account created for a focal point.
#[derive(Serialize, ToSchema)]
pub(super) struct FocalCreated {
    pub account_id: String,
    pub login: String,
}

/// Create a focal-point account (role `unit_focal`) for a unit (administrators).
#[utoipa::path(post, operation_id = "programs.units.add_focal", path = "/api/v1/programs/units/{id}/focal-points", tag = "programs",
    params(("id" = String, Path)), request_body = NewFocal,
    responses((status = 201, body = FocalCreated), (status = 409, description = "login taken")))]
pub(super) async fn add_focal(
    State(ctx): State<Ctx>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(new): ApiJson<NewFocal>,
) -> ApiResult<(StatusCode, Json<FocalCreated>)> {
    user.require(&[Role::Admin])?;
    let a = units::create_focal(&ctx.db, crate::hasher(), &id, new, kernel::clock::now_ms()).await?;
    Ok((StatusCode::CREATED, Json(FocalCreated { account_id: a.id, login: a.login })))
}

#[derive(Deserialize, ToSchema)]
pub(super) struct ScheduleBody {
    pub frequency: Frequency,
    /// Due day; `null` removes the frequency from the unit's calendar.
    pub due_day: Option<i64>,
}

/// Change a unit's reporting calendar (administrators, working group).
#[utoipa::path(put, operation_id = "programs.units.set_schedule", path = "/api/v1/programs/units/{id}/schedule", tag = "programs",
    params(("id" = String, Path)), request_body = ScheduleBody,
    responses((status = 200, body = Vec<Schedule>), (status = 400, description = "invalid due day")))]
pub(super) async fn set_schedule(
    State(ctx): State<Ctx>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<ScheduleBody>,
) -> ApiResult<Json<Vec<Schedule>>> {
    user.require(OVERSEERS)?;
    reports::set_schedule(&ctx.db, &id, b.frequency, b.due_day).await?;
    Ok(Json(reports::schedules(&ctx.db, Some(&id)).await?))
}
