//! HTML pages: the working group's dashboard, a unit's page, a model's page, and the working
//! group's approve/return forms.

mod dashboard;
mod decisions;
mod model;
mod unit;
mod view;

use axum::routing::{get, post};
use axum::Router;
use web::Ctx;

/// HTML routes of the programme.
pub fn router(ctx: Ctx) -> Router {
    Router::new()
        .route("/programs", get(dashboard::page))
        .route("/programs/units/{id}", get(unit::page))
        .route("/programs/models/{id}", get(model::page))
        .route("/programs/registrations/{id}/decision", post(decisions::registration))
        .route("/programs/reports/{id}/decision", post(decisions::report))
        .with_state(ctx)
}
