//! The lodging JSON API under `/api/v1/lodging`, the police feed (server-sent events), and the
//! routes of the pages.

mod checkins;
mod declarations;
mod facilities;
mod feed;
mod health;
mod history;
mod hospital;
pub mod notifications;
mod trips;
mod venues;
mod watchlist;

pub use history::own as own_history;
pub use venues::period as venues_period;

use axum::routing::{get, patch, post};
use axum::Router;

use crate::Service;

/// The `Idempotency-Key` header of a write, if sent.
pub fn idempotency_key(headers: &axum::http::HeaderMap) -> Result<Option<&str>, kernel::AppError> {
    headers
        .get("idempotency-key")
        .map(|v| v.to_str().map_err(|_| kernel::AppError::invalid("Idempotency-Key must be ASCII")))
        .transpose()
}

/// The routes whose writes keep their `Idempotency-Key` in the batch writer's own transaction
/// (and replay from it), left alone by the platform's key layer.
pub const OWN_IDEMPOTENCY: &[&str] = &[
    "/api/v1/lodging/checkins",
    "/api/v1/lodging/hospital/inpatients",
    "/api/v1/lodging/hospital/caregivers",
    "/api/v1/lodging/trips/{id}/boardings",
];

/// Routes of the lodging module.
pub fn router(service: Service) -> Router {
    Router::new()
        .route("/api/v1/lodging/facilities", get(facilities::list).post(facilities::create))
        .route("/api/v1/lodging/facilities/{id}", get(facilities::get))
        .route("/api/v1/lodging/facilities/{id}/decision", post(facilities::decide))
        .route("/api/v1/lodging/checkins", get(checkins::list).post(checkins::create))
        .route("/api/v1/lodging/checkins/{id}", patch(checkins::change))
        .route("/api/v1/lodging/checkins/{id}/checkout", post(checkins::checkout))
        .route("/api/v1/lodging/residence-prompts", get(checkins::residence_prompts))
        .route("/api/v1/lodging/notifications", get(notifications::list))
        .route("/api/v1/lodging/notifications.csv", get(notifications::csv))
        .route("/api/v1/lodging/notifications.json", get(notifications::json))
        .route("/api/v1/lodging/feed", get(feed::stream))
        .route("/api/v1/lodging/watchlist", get(watchlist::list).post(watchlist::create))
        .route("/api/v1/lodging/watchlist/{id}/deactivate", post(watchlist::deactivate))
        .route("/api/v1/lodging/alerts", get(watchlist::alerts))
        .route("/api/v1/lodging/alerts/{id}/ack", post(watchlist::acknowledge))
        .route("/api/v1/lodging/hospital/inpatients", get(hospital::inpatients).post(hospital::admit))
        .route("/api/v1/lodging/hospital/caregivers", post(hospital::caregiver))
        .route("/api/v1/lodging/trips", get(trips::list).post(trips::create))
        .route("/api/v1/lodging/trips/{id}/boardings", post(trips::board))
        .route("/api/v1/lodging/trips/{id}/manifest", get(trips::manifest))
        .route("/api/v1/lodging/venues", get(venues::list).post(venues::create))
        .route("/api/v1/lodging/venues/{id}/decision", post(venues::decide))
        .route("/api/v1/lodging/venues/{id}/stats", get(venues::stats))
        .route("/api/v1/lodging/venue-scans", post(venues::scan))
        .route("/api/v1/lodging/history", get(history::search))
        .route("/api/v1/me/lodging", get(history::mine))
        .route("/api/v1/me/lodging/declarations", get(declarations::mine).post(declarations::declare))
        .route("/api/v1/lodging/declarations", get(declarations::list))
        .merge(crate::pages::routes())
        .with_state(service)
}

/// OpenAPI description of the lodging endpoints.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        facilities::list, facilities::create, facilities::get, facilities::decide,
        checkins::create, checkins::checkout, checkins::list, checkins::change, checkins::residence_prompts,
        notifications::list, notifications::csv, notifications::json, feed::stream,
        watchlist::list, watchlist::create, watchlist::deactivate, watchlist::alerts, watchlist::acknowledge,
        history::search, history::mine,
        declarations::declare, declarations::mine, declarations::list,
        hospital::admit, hospital::caregiver, hospital::inpatients,
        trips::create, trips::list, trips::board, trips::manifest,
        venues::list, venues::create, venues::decide, venues::scan, venues::stats,
    ),
    tags((name = "lodging", description = "Lodging notifications (thông báo lưu trú)"))
)]
pub struct ApiDoc;
