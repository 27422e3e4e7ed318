//! JSON API under `/api/v1/analytics`: dashboards as figures, one figure as CSV, and the state of
//! the aggregates.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use kernel::AppError;
use serde::Serialize;
use utoipa::ToSchema;
use web::{ApiPath, ApiQuery, ApiResult, CurrentUser};

use crate::figures::{self, Dashboard};
use crate::scope::Filters;
use crate::{store, Service};

/// JSON routes of the dashboards.
pub fn router(service: Service) -> Router {
    Router::new()
        .route("/api/v1/analytics/status", get(status))
        .route("/api/v1/analytics/{board}", get(dashboard))
        .route("/api/v1/analytics/{board}/{figure}", get(figure_csv))
        .with_state(service)
}

/// A dashboard: every figure with its rows, cells (suppressed ones empty) and definition.
#[utoipa::path(get, operation_id = "analytics.dashboard", path = "/api/v1/analytics/{board}", tag = "analytics",
    params(("board" = String, Path, description = "population, labour, tourism or public-order"), Filters),
    responses((status = 200, body = Dashboard), (status = 403, description = "not a leader or out of jurisdiction"),
              (status = 404, description = "unknown dashboard")))]
pub async fn dashboard(
    State(service): State<Service>,
    user: CurrentUser,
    ApiPath(board): ApiPath<String>,
    ApiQuery(q): ApiQuery<Filters>,
) -> ApiResult<Json<Dashboard>> {
    Ok(Json(figures::load(&service, &user, &board, &q, kernel::clock::now_ms()).await?))
}

/// One figure as CSV (UTF-8 with BOM, for spreadsheet programs): label column, then value
/// columns; suppressed cells read `<N`.
#[utoipa::path(get, operation_id = "analytics.figure_csv", path = "/api/v1/analytics/{board}/{figure}", tag = "analytics",
    params(("board" = String, Path), ("figure" = String, Path, description = "figure id, e.g. pyramid"), Filters),
    responses((status = 200, content_type = "text/csv", body = String), (status = 404, description = "unknown figure")))]
pub async fn figure_csv(
    State(service): State<Service>,
    user: CurrentUser,
    ApiPath((board, figure)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<Filters>,
) -> ApiResult<Response> {
    let d = figures::load(&service, &user, &board, &q, kernel::clock::now_ms()).await?;
    let figure = figure.trim_end_matches(".csv");
    let f =
        d.figures.iter().find(|f| f.id == figure).ok_or_else(|| AppError::not_found(format!("no figure {figure}")))?;
    Ok(csv_response(&d, f)?)
}

/// The CSV download of a figure.
pub fn csv_response(d: &Dashboard, f: &figures::Figure) -> Result<Response, AppError> {
    let body = crate::pages::csv(f, d.min_cell)?;
    let name = format!("{}-{}.csv", d.id, f.id);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        body,
    )
        .into_response())
}

/// How current the aggregates are.
#[derive(Debug, Serialize, ToSchema)]
pub struct Status {
    /// Last applied event of the registry's change feed (`None` before the first rebuild).
    pub position: Option<String>,
    /// When the figures last changed (UTC ms).
    pub updated_at: Option<i64>,
    /// When the last full rebuild ran (UTC ms).
    pub rebuilt_at: Option<i64>,
    /// When the lodging feed last read the lodging module (UTC ms; `None` before its first run).
    pub lodging_updated_at: Option<i64>,
    /// When e-ID accounts were last recounted (UTC ms).
    pub eid_recounted_at: Option<i64>,
    /// When lodging bed capacity was last recounted (UTC ms).
    pub beds_recounted_at: Option<i64>,
    /// Suppression minimum in force.
    pub min_cell: i64,
}

/// State of the pre-aggregated figures.
#[utoipa::path(get, operation_id = "analytics.status", path = "/api/v1/analytics/status", tag = "analytics",
    responses((status = 200, body = Status), (status = 403, description = "not a dashboard viewer")))]
pub async fn status(State(service): State<Service>, user: CurrentUser) -> ApiResult<Json<Status>> {
    user.require(crate::scope::VIEWERS)?;
    let cp = store::registry_checkpoint(&service.db).await?;
    let updated = |source: &'static str| {
        let db = service.db.clone();
        async move { store::source_checkpoint(&db, source).await.map(|c| c.map(|c| c.updated_at)) }
    };
    Ok(Json(Status {
        position: cp.as_ref().map(|c| c.position.clone()),
        updated_at: cp.as_ref().map(|c| c.updated_at),
        rebuilt_at: cp.as_ref().map(|c| c.rebuilt_at),
        lodging_updated_at: updated(crate::lodging::SOURCE).await?,
        eid_recounted_at: updated(crate::eid::SOURCE).await?,
        beds_recounted_at: updated(crate::lodging::CAPACITY_SOURCE).await?,
        min_cell: service.settings.min_cell,
    }))
}

/// OpenAPI description of the dashboards.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(dashboard, figure_csv, status),
    components(schemas(Dashboard, figures::Figure, figures::Row, figures::Cell, figures::Column, figures::Text,
                       figures::Chart, Status)),
    tags((name = "analytics", description = "IOC dashboards: population, labour, tourism, public order"))
)]
pub struct ApiDoc;
