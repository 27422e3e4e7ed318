//! The programme's JSON API under `/api/v1/programs`.

mod catalogue;
mod kpis;
mod registrations;
mod reports;
mod units;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use axum::Router;
use kernel::AppError;
use web::{Ctx, CurrentUser, Role};

/// Roles that read programme data (aggregated figures and plans, no personal data).
pub(crate) const READERS: &[Role] =
    &[Role::Admin, Role::WorkingGroup, Role::Leader, Role::ProvincialOfficer, Role::CommunePolice, Role::UnitFocal];

/// Roles that decide on registrations and reports.
pub(crate) const DECIDERS: &[Role] = &[Role::WorkingGroup];

/// Roles that configure calendars, report headers and snapshots.
pub(crate) const OVERSEERS: &[Role] = &[Role::Admin, Role::WorkingGroup];

/// The unit a focal-point caller acts for; anyone else is refused.
pub(crate) async fn own_unit(ctx: &Ctx, user: &CurrentUser) -> Result<crate::units::Unit, AppError> {
    user.require(&[Role::UnitFocal])?;
    crate::units::of_account(&ctx.db, &user.account_id)
        .await?
        .ok_or_else(|| AppError::forbidden("this account is not the focal point of any unit"))
}

/// The unit of a focal-point caller, `None` for anyone else (pages use it to offer the unit's forms).
pub(crate) async fn focal_unit(ctx: &Ctx, user: &CurrentUser) -> Result<Option<crate::units::Unit>, AppError> {
    match user.role {
        Role::UnitFocal => crate::units::of_account(&ctx.db, &user.account_id).await,
        _ => Ok(None),
    }
}

/// The same, also checking that a record belongs to the caller's unit.
pub(crate) async fn own_unit_for(ctx: &Ctx, user: &CurrentUser, unit_id: &str) -> Result<crate::units::Unit, AppError> {
    let unit = own_unit(ctx, user).await?;
    if unit.id != unit_id {
        return Err(AppError::forbidden("the record belongs to another unit"));
    }
    Ok(unit)
}

/// JSON routes of the programme.
pub fn router(ctx: Ctx) -> Router {
    Router::new()
        .route("/api/v1/programs/models", get(catalogue::list))
        .route("/api/v1/programs/models/{id}", get(catalogue::get).patch(catalogue::update))
        .route("/api/v1/programs/models/{id}/versions", get(catalogue::versions))
        .route("/api/v1/programs/units", get(units::list))
        .route("/api/v1/programs/units/not-registered", get(units::not_registered))
        .route("/api/v1/programs/units/{id}", get(units::get))
        .route("/api/v1/programs/units/{id}/focal-points", post(units::add_focal))
        .route("/api/v1/programs/units/{id}/schedule", put(units::set_schedule))
        .route("/api/v1/programs/registrations", get(registrations::list).post(registrations::create))
        .route("/api/v1/programs/registrations/{id}", get(registrations::get))
        .route("/api/v1/programs/registrations/{id}/approve", post(registrations::approve))
        .route("/api/v1/programs/registrations/{id}/return", post(registrations::give_back))
        .route("/api/v1/programs/registrations/{id}/steps/{seq}", put(registrations::step))
        .route(
            "/api/v1/programs/registrations/{id}/values",
            post(registrations::add_value).layer(DefaultBodyLimit::max(registrations::VALUE_BODY_LIMIT)),
        )
        .route("/api/v1/programs/values/{id}/attachment", get(registrations::attachment))
        .route("/api/v1/programs/formulas", get(kpis::formulas))
        .route("/api/v1/programs/formulas/{code}/history", get(kpis::history))
        .route("/api/v1/programs/snapshots", post(kpis::snapshot))
        .route("/api/v1/programs/reports", get(reports::list).post(reports::create))
        .route("/api/v1/programs/reports/obligations", get(reports::obligations))
        .route("/api/v1/programs/reports/consolidated", get(reports::consolidated))
        .route("/api/v1/programs/reports/consolidated.xlsx", get(reports::xlsx))
        .route("/api/v1/programs/reports/consolidated.pdf", get(reports::pdf))
        .route("/api/v1/programs/reports/{id}", get(reports::get).put(reports::edit))
        .route("/api/v1/programs/reports/{id}/submit", post(reports::submit))
        .route("/api/v1/programs/reports/{id}/approve", post(reports::approve))
        .route("/api/v1/programs/reports/{id}/return", post(reports::give_back))
        .route("/api/v1/programs/settings/report-header", get(reports::header).put(reports::save_header))
        .with_state(ctx)
}

/// OpenAPI description of the programme endpoints.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        catalogue::list, catalogue::get, catalogue::update, catalogue::versions,
        units::list, units::not_registered, units::get, units::add_focal, units::set_schedule,
        registrations::list, registrations::create, registrations::get, registrations::approve,
        registrations::give_back, registrations::step, registrations::add_value, registrations::attachment,
        kpis::formulas, kpis::history, kpis::snapshot,
        reports::list, reports::create, reports::obligations, reports::consolidated, reports::xlsx, reports::pdf,
        reports::get, reports::edit, reports::submit, reports::approve, reports::give_back,
        reports::header, reports::save_header,
    ),
    tags((name = "programs", description = "Project 06 pilot models, units, registrations, KPIs and reports"))
)]
pub struct ApiDoc;
