//! The one-stop desk: inbox, actions, filing at the counter, and the monthly figures.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::Json;
use kernel::{AppError, Page, PageRequest};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use web::{ApiJson, ApiPath, ApiQuery, ApiResult, CurrentUser, Jurisdiction, Role};

use super::{detail, ApplicationDetail};
use crate::applications::query::{self, InboxQuery};
use crate::applications::{file, Application, Channel, Filing};
use crate::stats::MonthlyRow;
use crate::workflow::Action;
use crate::Service;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct InboxParams {
    /// A status code, or `open`.
    status: Option<String>,
    procedure: Option<String>,
    /// `true`: only open applications past their deadline.
    overdue: Option<bool>,
    /// Receipt code, or the start of the applicant's name.
    q: Option<String>,
    #[param(minimum = 1, maximum = 2147483647)]
    page: Option<u32>,
    #[param(minimum = 1, maximum = 200)]
    size: Option<u32>,
}

/// The applications the officer handles, oldest first.
#[utoipa::path(get, operation_id = "services.officer.inbox", path = "/api/v1/services/inbox", tag = "services", params(InboxParams),
    responses((status = 200, body = Page<Application>), (status = 403, description = "forbidden")))]
pub(super) async fn inbox(
    State(s): State<Service>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<InboxParams>,
) -> ApiResult<Json<Page<Application>>> {
    let page = PageRequest::new(q.page, q.size)?;
    let filters = InboxQuery { status: q.status, procedure: q.procedure, overdue: q.overdue.unwrap_or(false), q: q.q };
    Ok(Json(query::inbox(&s.stores.db, &user, &filters, page, kernel::clock::now_ms()).await?))
}

/// One application of the inbox (the applicant's data read is access-logged).
#[utoipa::path(get, operation_id = "services.officer.get", path = "/api/v1/services/inbox/{id}", tag = "services", params(("id" = String, Path)),
    responses((status = 200, body = ApplicationDetail), (status = 404, description = "not_found")))]
pub(super) async fn get(
    State(s): State<Service>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<ApplicationDetail>> {
    let app = query::for_officer(&s.stores.db, &user, &id).await?;
    log_read(&s, &user, &app, "api").await?;
    Ok(Json(detail(&s.stores.db, app).await?))
}

/// Writes the officer's read of an application to the applicant's access log.
pub async fn log_read(s: &Service, user: &CurrentUser, app: &Application, channel: &str) -> Result<(), AppError> {
    s.stores
        .access_log
        .record(audit::AccessEntry {
            at: kernel::clock::now_ms(),
            actor_id: user.account_id.clone(),
            actor_label: user.actor_label(),
            subject_id: app.applicant_person_id.clone(),
            action: "services.application.read".into(),
            purpose: "public_service".into(),
            released: format!("application:{}", app.receipt_code),
            channel: channel.into(),
        })
        .await
}

/// An officer's action.
#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct ActionRequest {
    pub action: Action,
    /// Required for `request_info`, `reject` and `comment`.
    #[serde(default)]
    pub note: String,
}

/// Accepts, asks for information, assigns, comments, approves (running the registry effect and
/// issuing the signed result) or rejects (refunding a paid fee).
#[utoipa::path(post, operation_id = "services.officer.act", path = "/api/v1/services/inbox/{id}/actions", tag = "services", params(("id" = String, Path)),
    request_body = ActionRequest,
    responses((status = 200, body = Application),
              (status = 409, description = "conflict: wrong state, or fee unpaid"),
              (status = 404, description = "not_found")))]
pub(super) async fn act(
    State(s): State<Service>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ActionRequest>,
) -> ApiResult<Json<Application>> {
    let app = query::for_officer(&s.stores.db, &user, &id).await?;
    Ok(Json(crate::workflow::act(&s, &user, &app, body.action, &body.note, kernel::clock::now_ms()).await?))
}

/// An application filed at the counter for a citizen who came in person.
#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct CounterApplication {
    pub procedure: String,
    pub personal_id: String,
    #[serde(default)]
    pub answers: BTreeMap<String, String>,
}

/// Files and submits an application at the counter (channel `counter`).
#[utoipa::path(post, operation_id = "services.officer.counter", path = "/api/v1/services/counter", tag = "services", request_body = CounterApplication,
    responses((status = 200, body = Application), (status = 400, description = "invalid_input"),
              (status = 403, description = "forbidden"), (status = 404, description = "not_found: unknown procedure or person")))]
pub(super) async fn counter(
    State(s): State<Service>,
    user: CurrentUser,
    ApiJson(body): ApiJson<CounterApplication>,
) -> ApiResult<Json<Application>> {
    user.require(&[Role::DeskOfficer, Role::CommunePolice, Role::ProvincialOfficer, Role::Admin])?;
    let p = crate::catalogue::store::get(&s.stores.db, &body.procedure)
        .await?
        .ok_or_else(|| AppError::not_found("no such procedure"))?;
    let now = kernel::clock::now_ms();
    let pre = crate::prefill::load(&s.stores, &user, &body.personal_id, &p, "counter", now).await?;
    let label = user.actor_label();
    let filing = Filing {
        procedure: &p,
        applicant: &pre.person,
        prefill: &pre.items,
        account_id: None,
        actor_id: &user.account_id,
        actor_label: &label,
        channel: Channel::Counter,
        by_official: false,
        answers: &body.answers,
        submit: true,
        now,
    };
    Ok(Json(file::create(&s.stores.db, &filing).await.map_err(|e| e.into_app())?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct StatsParams {
    /// First month, `YYYY-MM` (default: 11 months before `to`).
    from: Option<String>,
    /// Last month, `YYYY-MM` (default: this month).
    to: Option<String>,
    commune: Option<String>,
}

fn month(s: &str) -> Result<String, AppError> {
    chrono::NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d")
        .map(|d| d.format("%Y-%m").to_string())
        .map_err(|_| AppError::invalid(format!("month {s:?}: use YYYY-MM")))
}

/// Monthly figures per procedure and commune (counts only): channels, fees paid online,
/// processing time, overdue, filed by officials.
#[utoipa::path(get, operation_id = "services.officer.stats", path = "/api/v1/services/stats", tag = "services", params(StatsParams),
    responses((status = 200, body = Vec<MonthlyRow>), (status = 403, description = "forbidden")))]
pub(super) async fn stats(
    State(s): State<Service>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<StatsParams>,
) -> ApiResult<Json<Vec<MonthlyRow>>> {
    user.require(&[Role::Admin, Role::ProvincialOfficer, Role::Leader, Role::WorkingGroup, Role::UnitFocal])?;
    let province = match &user.jurisdiction {
        Jurisdiction::Province(p) => p.clone(),
        Jurisdiction::Commune(c) => {
            registry::admin_units::AdminUnits::get().commune(c).map(|c| c.province_code.clone()).unwrap_or_default()
        }
        Jurisdiction::Own(_) => return Err(AppError::forbidden("no area").into()),
    };
    let commune = match (&user.jurisdiction, q.commune.as_deref()) {
        (Jurisdiction::Commune(own), Some(c)) if c != own => {
            return Err(AppError::new(kernel::ErrorCode::OutOfJurisdiction, "another commune").into())
        }
        (Jurisdiction::Commune(own), _) => Some(own.clone()),
        (_, c) => c.map(str::to_string),
    };
    let today = kernel::clock::today_vn();
    let to = month(&q.to.unwrap_or_else(|| today.format("%Y-%m").to_string()))?;
    let default_from = (today - chrono::Months::new(11)).format("%Y-%m").to_string();
    let from = month(&q.from.unwrap_or(default_from))?;
    Ok(Json(
        crate::stats::monthly(&s.stores.db, &province, &from, &to, commune.as_deref(), kernel::clock::now_ms()).await?,
    ))
}
