//! The services JSON API under `/api/v1/services`.

mod catalogue;
mod citizen;
mod follow_up;
mod officer;
mod public;

use axum::routing::{get, post};
use axum::Router;
use serde::Serialize;
use utoipa::ToSchema;

use crate::applications::model::Event;
use crate::applications::Application;
use crate::attachments::Attachment;
use crate::Service;

pub(crate) use follow_up::allow_lookup;
pub use officer::log_read;

/// An application with its history and files.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApplicationDetail {
    pub application: Application,
    pub overdue: bool,
    pub events: Vec<Event>,
    pub attachments: Vec<Attachment>,
}

/// Reads the history and files of an application.
pub async fn detail(db: &db::Db, application: Application) -> Result<ApplicationDetail, kernel::AppError> {
    let events = crate::applications::events::list(db, &application.id).await?;
    let attachments = crate::attachments::list(db, &application.id).await?;
    Ok(ApplicationDetail { overdue: application.overdue(kernel::clock::now_ms()), application, events, attachments })
}

/// Routes of the API.
pub fn router(s: Service) -> Router {
    Router::new()
        .route("/api/v1/services/procedures", get(catalogue::list))
        .route("/api/v1/services/procedures/{code}", get(catalogue::get).put(catalogue::edit))
        .route("/api/v1/services/holidays", get(catalogue::holidays).post(catalogue::add_holiday))
        .route("/api/v1/services/holidays/{day}", axum::routing::delete(catalogue::remove_holiday))
        .route("/api/v1/services/applications", post(citizen::create))
        .route("/api/v1/services/applications/mine", get(citizen::mine))
        .route("/api/v1/services/applications/{id}", get(citizen::get).put(citizen::update))
        .route("/api/v1/services/applications/{id}/attachments/{slot}", post(citizen::attach))
        .route("/api/v1/services/applications/{id}/answer", post(citizen::answer))
        .route("/api/v1/services/applications/{id}/withdraw", post(citizen::withdraw))
        .route("/api/v1/services/applications/{id}/payment", post(citizen::pay))
        .route("/api/v1/services/applications/{id}/rating", post(follow_up::rate))
        .route("/api/v1/services/notifications", get(follow_up::notifications))
        .route("/api/v1/services/notifications/read", post(follow_up::notifications_read))
        .route("/api/v1/services/status", get(follow_up::status))
        .route("/api/v1/services/fines", post(follow_up::issue_fine))
        .route("/api/v1/services/fines/mine", get(follow_up::my_fines))
        .route("/api/v1/services/payments/callback", post(public::callback))
        .route("/api/v1/services/inbox", get(officer::inbox))
        .route("/api/v1/services/inbox/{id}", get(officer::get))
        .route("/api/v1/services/inbox/{id}/actions", post(officer::act))
        .route("/api/v1/services/counter", post(officer::counter))
        .route("/api/v1/services/stats", get(officer::stats))
        .route("/api/v1/services/documents/verify", post(public::verify))
        .route("/api/v1/services/documents/{code}", get(public::document))
        .with_state(s)
}

/// OpenAPI description of the services endpoints.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        catalogue::list, catalogue::get, catalogue::edit, catalogue::holidays, catalogue::add_holiday,
        catalogue::remove_holiday,
        citizen::create, citizen::mine, citizen::get, citizen::update, citizen::attach, citizen::answer,
        citizen::withdraw, citizen::pay,
        officer::inbox, officer::get, officer::act, officer::counter, officer::stats,
        public::callback, public::verify, public::document,
        follow_up::notifications, follow_up::notifications_read, follow_up::rate, follow_up::status,
        follow_up::issue_fine, follow_up::my_fines,
    ),
    tags((name = "services", description = "Online public services (dịch vụ công trực tuyến)"))
)]
pub struct ApiDoc;
