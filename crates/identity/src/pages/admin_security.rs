//! `/admin/security-events` and `GET /api/v1/admin/security-events`: administrators read the
//! security events sent to the SOC, newest first, by kind, days and pseudonym. Reading them is an
//! administrator's action and is itself recorded as one.

use askama::Template;
use audit::security::{self, Kind, SecurityEvent, SecurityRecord};
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use kernel::{Page, PageRequest};
use serde::Serialize;
use web::layout::render;
use web::security::note;
use web::{ApiQuery, ApiResult, Chrome, CurrentUser, Lang, PageError, PageUser, Role};

use super::{page_err, when, IdentityState};
use crate::security_events::EventQuery;

/// Events per page.
const PAGE_SIZE: u32 = 50;

struct Row {
    when: String,
    kind: String,
    severity: &'static str,
    outcome: &'static str,
    record: SecurityRecord,
}

#[derive(Template)]
#[template(path = "admin_security.html")]
struct SecurityEventsPage {
    chrome: Chrome,
    q: EventQuery,
    kinds: Vec<(&'static str, &'static str)>,
    rows: Vec<Row>,
    page: u32,
    prev_href: Option<String>,
    next_href: Option<String>,
}

fn href(q: &EventQuery, page: u32) -> String {
    let field = |v: &Option<String>| v.clone().unwrap_or_default();
    let query = serde_urlencoded::to_string([
        ("kind", field(&q.kind)),
        ("from", field(&q.from)),
        ("to", field(&q.to)),
        ("subject", field(&q.subject)),
        ("page", page.to_string()),
    ])
    .unwrap_or_default();
    format!("/admin/security-events?{query}")
}

/// The page of events the query asks for; the caller must be an administrator.
async fn read(
    st: &IdentityState,
    user: &CurrentUser,
    q: &EventQuery,
) -> Result<Page<SecurityRecord>, kernel::AppError> {
    user.require(&[Role::Admin])?;
    let filter = q.to_filter()?;
    let page = PageRequest::new(q.page, Some(PAGE_SIZE))?;
    security::list(&st.ctx.db, &filter, page).await
}

/// The event of reading them.
fn viewed(resp: &mut Response) {
    note(resp, SecurityEvent::new(Kind::AdminAction, "viewed security events"));
}

pub(super) async fn page(
    State(st): State<IdentityState>,
    lang: Lang,
    PageUser(user): PageUser,
    Query(q): Query<EventQuery>,
) -> Result<Response, PageError> {
    let found = read(&st, &user, &q).await.map_err(page_err(lang))?;
    let rows = found
        .items
        .into_iter()
        .map(|record| {
            let (vi, en) = record.kind.label();
            Row {
                when: when(record.at),
                kind: lang.pick(vi, en).to_string(),
                severity: severity_label(record.severity, lang),
                outcome: match record.outcome {
                    security::Outcome::Success => lang.pick("Thành công", "Success"),
                    security::Outcome::Failure => lang.pick("Bị từ chối", "Refused"),
                },
                record,
            }
        })
        .collect();
    let p = SecurityEventsPage {
        chrome: Chrome::new(lang, ("Sự kiện an ninh", "Security events"), Some(&user), "/admin/security-events"),
        kinds: Kind::ALL
            .into_iter()
            .map(|k| {
                let (vi, en) = k.label();
                (k.as_str(), lang.pick(vi, en))
            })
            .collect(),
        prev_href: (found.page > 1).then(|| href(&q, found.page - 1)),
        next_href: found.has_next.then(|| href(&q, found.page + 1)),
        page: found.page,
        rows,
        q,
    };
    let mut resp = render(&p, lang);
    viewed(&mut resp);
    Ok(resp)
}

fn severity_label(s: security::Severity, lang: Lang) -> &'static str {
    use security::Severity::*;
    match s {
        Emergency | Alert | Critical | Error => lang.pick("Nghiêm trọng", "Severe"),
        Warning => lang.pick("Cảnh báo", "Warning"),
        Notice | Informational | Debug => lang.pick("Lưu ý", "Notice"),
    }
}

/// A page of security events.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct EventsPage {
    /// Newest first: `at` (UTC ms), `kind`, `severity`, `outcome`, `subject` (pseudonym), `client`,
    /// `route`, `request_id`, `detail`.
    #[schema(value_type = Vec<Object>)]
    items: Vec<SecurityRecord>,
    page: u32,
    size: u32,
    has_next: bool,
}

/// `GET /api/v1/admin/security-events`.
#[utoipa::path(get, operation_id = "identity.security_events", path = "/api/v1/admin/security-events", tag = "identity",
    params(EventQuery),
    responses((status = 200, description = "Security events, newest first", body = EventsPage),
              (status = 400, description = "invalid_input: unknown kind, unreadable date or not a pseudonym"),
              (status = 401, description = "Not signed in"),
              (status = 403, description = "forbidden: administrators only")))]
pub(super) async fn api(
    State(st): State<IdentityState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<EventQuery>,
) -> ApiResult<Response> {
    let found = read(&st, &user, &q).await?;
    let body = EventsPage { items: found.items, page: found.page, size: found.size, has_next: found.has_next };
    let mut resp = Json(body).into_response();
    viewed(&mut resp);
    Ok(resp)
}
