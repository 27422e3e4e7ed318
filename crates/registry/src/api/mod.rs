//! The registry's JSON API under `/api/v1`.

mod admin_units;
mod persons;
mod quality;

use std::sync::Arc;

use axum::extract::FromRef;
use axum::routing::{get, post};
use axum::Router;
use web::{Ctx, Role};

use crate::access::CaseFiles;

/// Officer roles that may search the registry and read quality findings.
const READERS: &[Role] = crate::access::JURISDICTION_READERS;

/// State of the registry's routes: the request context and the check of desk officers'
/// applications that the binary wires in (see [`crate::access`]).
#[derive(Clone)]
pub(crate) struct Registry {
    pub(crate) ctx: Ctx,
    pub(crate) cases: Arc<dyn CaseFiles>,
}

impl FromRef<Registry> for Ctx {
    fn from_ref(r: &Registry) -> Ctx {
        r.ctx.clone()
    }
}

/// JSON routes of the registry; `cases` answers whether a desk officer's application names a
/// person.
pub fn router(ctx: Ctx, cases: Arc<dyn CaseFiles>) -> Router {
    Router::new()
        .route("/api/v1/persons", get(persons::search))
        .route("/api/v1/persons/{id}", get(persons::get).patch(persons::update))
        .route("/api/v1/persons/{id}/death", post(persons::death))
        .route("/api/v1/persons/{id}/history", get(persons::history))
        .route("/api/v1/persons/{id}/residences", get(persons::residences))
        .route("/api/v1/persons/{id}/cards", get(persons::cards))
        .route("/api/v1/households/{id}", get(persons::household))
        .route("/api/v1/purposes", get(persons::purposes))
        .route("/api/v1/quality/report", get(quality::report))
        .route("/api/v1/quality/findings", get(quality::findings))
        .route("/api/v1/admin-units/provinces", get(admin_units::provinces))
        .route("/api/v1/admin-units/provinces/{code}/communes", get(admin_units::communes_of))
        .route("/api/v1/admin-units/communes", get(admin_units::find_communes))
        .route("/api/v1/admin-units/convert", post(admin_units::convert))
        .with_state(Registry { ctx, cases })
}

/// OpenAPI description of the registry endpoints.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        persons::search, persons::get, persons::update, persons::death, persons::history,
        persons::residences, persons::cards, persons::household, persons::purposes,
        quality::report, quality::findings,
        admin_units::provinces, admin_units::communes_of, admin_units::find_communes, admin_units::convert,
    ),
    tags((name = "registry", description = "Population registry (CSDLQG về dân cư)"),
         (name = "admin-units", description = "2025 administrative units and legacy conversion"))
)]
pub struct ApiDoc;
