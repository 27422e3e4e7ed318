//! The police list of lodging notifications (facilities' guests and citizens' declarations) and
//! its exports (CSV, JSON).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::NaiveDate;
use kernel::{AppError, ErrorCode, Page, PageRequest};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;
use web::{ApiQuery, ApiResult, CurrentUser};

use crate::access::{allow, log_reads, Read, POLICE};
use crate::export;
use crate::notifications::{self, Notification, NotificationQuery};
use crate::Service;

#[derive(Debug, Clone, Default, Deserialize, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// `facility` (a facility's guest) or `declaration` (a citizen's stay at a private home).
    pub source: Option<String>,
    pub facility_id: Option<String>,
    /// Arrival day `YYYY-MM-DD` (Vietnam time).
    pub date: Option<String>,
    /// First arrival day `YYYY-MM-DD` (inclusive).
    pub from: Option<String>,
    /// Last arrival day `YYYY-MM-DD` (inclusive).
    pub to: Option<String>,
    /// ISO alpha-3 nationality (`VNM` for citizens).
    pub nationality: Option<String>,
    pub late: Option<bool>,
    /// Name (diacritics optional), personal id or passport number.
    pub q: Option<String>,
    #[serde(skip_serializing)]
    #[param(minimum = 1, maximum = 2147483647)]
    pub page: Option<u32>,
    #[serde(skip_serializing)]
    #[param(minimum = 1, maximum = 200)]
    pub size: Option<u32>,
}

fn day(s: &Option<String>) -> Result<Option<NaiveDate>, AppError> {
    s.as_deref()
        .filter(|d| !d.is_empty())
        .map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d"))
        .transpose()
        .map_err(|_| AppError::new(ErrorCode::InvalidDate, "dates must be YYYY-MM-DD"))
}

impl ListParams {
    /// The validated search.
    pub fn query(&self) -> Result<NotificationQuery, AppError> {
        let blank = |s: &Option<String>| s.clone().filter(|v| !v.trim().is_empty());
        let source = blank(&self.source);
        if source.as_deref().is_some_and(|s| !notifications::SOURCES.contains(&s)) {
            return Err(AppError::invalid("source must be facility or declaration"));
        }
        Ok(NotificationQuery {
            source,
            facility_id: blank(&self.facility_id),
            date: day(&self.date)?,
            from: day(&self.from)?,
            to: day(&self.to)?,
            nationality: blank(&self.nationality),
            late: self.late,
            q: blank(&self.q),
        })
    }
}

/// Writes one access-log entry per listed guest (purpose `lodging`).
pub async fn log_listed(
    s: &Service,
    user: &CurrentUser,
    items: &[Notification],
    action: &str,
    channel: &str,
) -> Result<(), AppError> {
    let read = Read { action, purpose: "lodging", released: "full_name,stay", channel };
    let subjects = items.iter().filter_map(notifications::subject).collect();
    log_reads(s, user, subjects, &read, kernel::clock::now_ms()).await
}

/// Notifications of the officer's commune (or province) — facilities' guests and citizens'
/// declarations of stays at private homes —, newest first; each listed person is written to the
/// access log with purpose `lodging`.
#[utoipa::path(get, operation_id = "lodging.notifications.list", path = "/api/v1/lodging/notifications", tag = "lodging", params(ListParams),
    responses((status = 200, body = inline(Page<Notification>)), (status = 403, description = "forbidden")))]
pub async fn list(
    State(s): State<Service>,
    user: CurrentUser,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<Json<Page<Notification>>> {
    allow(&user, POLICE)?;
    let page = PageRequest::new(p.page, p.size)?;
    let found = notifications::list(&s.stores.db, &user.jurisdiction, &p.query()?, page).await?;
    log_listed(&s, &user, &found.items, "lodging.notification.read", "api").await?;
    Ok(Json(found))
}

/// All notifications of a search (at most 50,000; more is a 400 asking for narrower filters),
/// each guest access-logged as exported.
async fn exported(s: &Service, user: &CurrentUser, p: &ListParams) -> Result<Vec<Notification>, AppError> {
    allow(user, POLICE)?;
    let (items, more) = notifications::all(&s.stores.db, &user.jurisdiction, &p.query()?, export::MAX_ROWS).await?;
    if more {
        return Err(AppError::invalid(format!(
            "more than {} notifications match: narrow the dates or filters",
            export::MAX_ROWS
        )));
    }
    log_listed(s, user, &items, "lodging.notification.export", "export").await?;
    Ok(items)
}

/// CSV export of a search (same filters as the list).
#[utoipa::path(get, operation_id = "lodging.notifications.csv", path = "/api/v1/lodging/notifications.csv", tag = "lodging", params(ListParams),
    responses((status = 200, content_type = "text/csv", description = "UTF-8 CSV with BOM"),
              (status = 400, description = "invalid_date, or too many rows")))]
pub async fn csv(
    State(s): State<Service>,
    user: CurrentUser,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<Response> {
    let items = exported(&s, &user, &p).await?;
    let body = export::to_csv(&items)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"thong-bao-luu-tru.csv\""),
        ],
        body,
    )
        .into_response())
}

/// JSON export of a search: the `dancu.lodging.notifications/2` document (docs/LODGING.md).
#[utoipa::path(get, operation_id = "lodging.notifications.json", path = "/api/v1/lodging/notifications.json", tag = "lodging", params(ListParams),
    responses((status = 200, description = "dancu.lodging.notifications/2 document"),
              (status = 400, description = "invalid_date, or too many rows")))]
pub async fn json(
    State(s): State<Service>,
    user: CurrentUser,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<Json<serde_json::Value>> {
    let items = exported(&s, &user, &p).await?;
    let filters = serde_json::to_value(&p).unwrap_or_default();
    Ok(Json(export::to_json(&items, &user.jurisdiction, &filters, kernel::clock::now_ms())))
}
