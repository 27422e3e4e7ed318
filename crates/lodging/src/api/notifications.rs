//! The police list of lodging notifications.

use axum::extract::State;
use axum::Json;
use chrono::NaiveDate;
use kernel::{AppError, ErrorCode, Page, PageRequest};
use serde::Deserialize;
use utoipa::IntoParams;
use web::{ApiQuery, ApiResult, CurrentUser};

use super::{allow, POLICE};
use crate::notifications::{self, Notification, NotificationQuery};
use crate::Service;

#[derive(Deserialize, IntoParams)]
pub struct ListParams {
    facility_id: Option<String>,
    /// Arrival day `YYYY-MM-DD` (Vietnam time).
    date: Option<String>,
    /// ISO alpha-3 nationality (`VNM` for citizens).
    nationality: Option<String>,
    late: Option<bool>,
    page: Option<u32>,
    size: Option<u32>,
}

/// Notifications of the officer's commune (or province), newest first; each listed guest is
/// written to the access log with purpose `lodging`.
#[utoipa::path(get, path = "/api/v1/lodging/notifications", tag = "lodging", params(ListParams),
    responses((status = 200, body = inline(Page<Notification>)), (status = 403, description = "forbidden")))]
pub async fn list(
    State(s): State<Service>,
    user: CurrentUser,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<Json<Page<Notification>>> {
    allow(&user, POLICE)?;
    let page = PageRequest::new(p.page, p.size)?;
    let date = p
        .date
        .as_deref()
        .map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d"))
        .transpose()
        .map_err(|_| AppError::new(ErrorCode::InvalidDate, "date must be YYYY-MM-DD"))?;
    let q = NotificationQuery { facility_id: p.facility_id, date, nationality: p.nationality, late: p.late };
    let found = notifications::list(&s.ctx.db, &user.jurisdiction, &q, page).await?;
    for n in &found.items {
        let subject = match (&n.personal_id, &n.passport_number) {
            (Some(id), _) => id.clone(),
            (None, Some(pp)) => format!("passport:{}:{pp}", n.nationality),
            (None, None) => continue,
        };
        s.ctx
            .access_log
            .record(audit::AccessEntry {
                at: kernel::clock::now_ms(),
                actor_id: user.account_id.clone(),
                actor_label: user.actor_label(),
                subject_id: subject,
                action: "lodging.notification.read".into(),
                purpose: "lodging".into(),
                released: "full_name,stay".into(),
                channel: "api".into(),
            })
            .await;
    }
    Ok(Json(found))
}
