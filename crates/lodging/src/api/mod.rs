//! The lodging JSON API under `/api/v1/lodging`, and the police feed (server-sent events).

mod checkins;
mod facilities;
mod feed;
mod notifications;

use axum::routing::{get, post};
use axum::Router;
use web::{CurrentUser, Role};

use crate::Service;

/// Police roles that read notifications and decide on facilities.
const POLICE: &[Role] = &[Role::Admin, Role::ProvincialOfficer, Role::CommunePolice];

/// OAuth scope a client-credentials token needs to use the lodging API.
const SCOPE: &str = "lodging";

/// Requires one of `roles` and, for scope-limited tokens, the `lodging` scope.
fn allow(user: &CurrentUser, roles: &[Role]) -> Result<(), kernel::AppError> {
    user.require(roles)?;
    user.require_scope(SCOPE)
}

/// Routes of the lodging module.
pub fn router(service: Service) -> Router {
    Router::new()
        .route("/api/v1/lodging/facilities", get(facilities::list).post(facilities::create))
        .route("/api/v1/lodging/facilities/{id}", get(facilities::get))
        .route("/api/v1/lodging/facilities/{id}/decision", post(facilities::decide))
        .route("/api/v1/lodging/checkins", post(checkins::create))
        .route("/api/v1/lodging/checkins/{id}/checkout", post(checkins::checkout))
        .route("/api/v1/lodging/notifications", get(notifications::list))
        .route("/api/v1/lodging/feed", get(feed::stream))
        .with_state(service)
}

/// OpenAPI description of the lodging endpoints.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        facilities::list, facilities::create, facilities::get, facilities::decide,
        checkins::create, checkins::checkout, notifications::list, feed::stream,
    ),
    tags((name = "lodging", description = "Lodging notifications (thông báo lưu trú)"))
)]
pub struct ApiDoc;
