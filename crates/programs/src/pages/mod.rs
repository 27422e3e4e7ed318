//! HTML pages: the working group's dashboard, a unit's page, a model's page; the unit's forms
//! (registering a model, reporting a KPI value with evidence, writing and submitting a periodic
//! report), the working group's approve/return forms, and the administrators' catalogue editor.

mod catalogue_edit;
mod dashboard;
mod decisions;
mod forms;
mod model;
mod register;
mod report;
mod unit;
mod values;
mod view;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use web::Ctx;

/// HTML routes of the programme.
pub fn router(ctx: Ctx) -> Router {
    Router::new()
        .route("/programs", get(dashboard::page))
        .route("/programs/my-unit", get(unit::mine))
        .route("/programs/units/{id}", get(unit::page))
        .route("/programs/models/{id}", get(model::page))
        .route("/programs/models/{id}/edit", get(catalogue_edit::page).post(catalogue_edit::submit))
        .route("/programs/register", get(register::page).post(register::submit))
        .route(
            "/programs/registrations/{id}/values",
            get(values::page).post(values::submit).layer(DefaultBodyLimit::max(values::BODY_LIMIT)),
        )
        .route("/programs/reports/new", get(report::new).post(report::create))
        .route("/programs/reports/{id}", get(report::page).post(report::save))
        .route("/programs/registrations/{id}/decision", post(decisions::registration))
        .route("/programs/reports/{id}/decision", post(decisions::report))
        .with_state(ctx)
}
