//! The citizen's side: file, track, answer requests, attach files, pay, withdraw.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use kernel::{AppError, Page, PageRequest};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use web::{ApiJson, ApiPath, ApiQuery, ApiResult, CurrentUser};

use super::{detail, ApplicationDetail};
use crate::applications::{query, Application};
use crate::attachments::Attachment;
use crate::payments::Payment;
use crate::Service;

/// OAuth scope a relying party's token needs to file for the citizen (e-ID app, pilot model 5).
const SCOPE: &str = "services";

pub(super) fn citizen(user: &CurrentUser) -> Result<&str, AppError> {
    user.require_scope(SCOPE)?;
    query::citizen_person(user)
}

/// A new application.
#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct NewApplication {
    pub procedure: String,
    /// Field name → value (dates `YYYY-MM-DD` or `dd/mm/yyyy`).
    #[serde(default)]
    pub answers: BTreeMap<String, String>,
    /// Submit now (otherwise a draft is saved).
    #[serde(default)]
    pub submit: bool,
    /// The applicant is a public official (cán bộ, công chức, viên chức).
    #[serde(default)]
    pub by_official: bool,
}

/// Files an application for the signed-in citizen, pre-filled from the registry.
#[utoipa::path(post, operation_id = "services.citizen.create", path = "/api/v1/services/applications", tag = "services", request_body = NewApplication,
    responses((status = 200, body = Application),
              (status = 400, description = "invalid_input naming each bad field"),
              (status = 403, description = "forbidden: not a citizen, or e-ID level too low")))]
pub(super) async fn create(
    State(s): State<Service>,
    user: CurrentUser,
    ApiJson(body): ApiJson<NewApplication>,
) -> ApiResult<Json<Application>> {
    citizen(&user)?;
    let now = kernel::clock::now_ms();
    let app = crate::online::file(&s, &user, &body.procedure, &body.answers, body.by_official, body.submit, None, now)
        .await
        .map_err(|e| e.into_app())?;
    Ok(Json(app))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct PageQuery {
    #[param(minimum = 1, maximum = 2147483647)]
    page: Option<u32>,
    #[param(minimum = 1, maximum = 200)]
    size: Option<u32>,
}

/// The citizen's applications, newest first.
#[utoipa::path(get, operation_id = "services.citizen.mine", path = "/api/v1/services/applications/mine", tag = "services", params(PageQuery),
    responses((status = 200, body = Page<Application>)))]
pub(super) async fn mine(
    State(s): State<Service>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Application>>> {
    let person = citizen(&user)?;
    Ok(Json(query::mine(&s.stores.db, person, PageRequest::new(q.page, q.size)?).await?))
}

/// One of the citizen's applications with its history and files.
#[utoipa::path(get, operation_id = "services.citizen.get", path = "/api/v1/services/applications/{id}", tag = "services", params(("id" = String, Path)),
    responses((status = 200, body = ApplicationDetail), (status = 404, description = "not_found")))]
pub(super) async fn get(
    State(s): State<Service>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<ApplicationDetail>> {
    let person = citizen(&user)?;
    let app = query::for_applicant(&s.stores.db, person, &id).await?;
    Ok(Json(detail(&s.stores.db, app).await?))
}

/// New answers for a draft.
#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct DraftUpdate {
    pub answers: BTreeMap<String, String>,
    #[serde(default)]
    pub submit: bool,
    #[serde(default)]
    pub by_official: bool,
}

/// Replaces a draft's answers, optionally submitting it.
#[utoipa::path(put, operation_id = "services.citizen.update", path = "/api/v1/services/applications/{id}", tag = "services", params(("id" = String, Path)),
    request_body = DraftUpdate,
    responses((status = 200, body = Application), (status = 409, description = "conflict: not a draft")))]
pub(super) async fn update(
    State(s): State<Service>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<DraftUpdate>,
) -> ApiResult<Json<Application>> {
    let person = citizen(&user)?;
    let app = query::for_applicant(&s.stores.db, person, &id).await?;
    let now = kernel::clock::now_ms();
    let out = crate::online::file(&s, &user, "", &body.answers, body.by_official, body.submit, Some(&app), now)
        .await
        .map_err(|e| e.into_app())?;
    Ok(Json(out))
}

/// Attaches a file to a slot of the procedure (body = the file; `Content-Type` is checked
/// against its first bytes; optional `X-File-Name`).
#[utoipa::path(post, operation_id = "services.citizen.attach", path = "/api/v1/services/applications/{id}/attachments/{slot}", tag = "services",
    params(("id" = String, Path), ("slot" = String, Path)),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = Attachment), (status = 400, description = "invalid_input: type or size")))]
pub(super) async fn attach(
    State(s): State<Service>,
    user: CurrentUser,
    headers: HeaderMap,
    ApiPath((id, slot)): ApiPath<(String, String)>,
    body: Bytes,
) -> ApiResult<Json<Attachment>> {
    let person = citizen(&user)?;
    let app = query::for_applicant(&s.stores.db, person, &id).await?;
    let p = crate::catalogue::store::get_version(&s.stores.db, &app.procedure_code, app.procedure_version)
        .await?
        .ok_or_else(|| AppError::internal("procedure version missing"))?;
    let name = headers.get("x-file-name").and_then(|v| v.to_str().ok()).unwrap_or("");
    Ok(Json(crate::attachments::upload(&s.stores.db, &app, &p, &slot, name, &body, kernel::clock::now_ms()).await?))
}

/// A note from the citizen.
#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct Note {
    pub note: String,
}

/// Answers the agency's request for more information.
#[utoipa::path(post, operation_id = "services.citizen.answer", path = "/api/v1/services/applications/{id}/answer", tag = "services",
    params(("id" = String, Path)), request_body = Note,
    responses((status = 200, body = Application), (status = 409, description = "conflict: nothing was asked")))]
pub(super) async fn answer(
    State(s): State<Service>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<Note>,
) -> ApiResult<Json<Application>> {
    let person = citizen(&user)?;
    let app = query::for_applicant(&s.stores.db, person, &id).await?;
    Ok(Json(crate::workflow::answer(&s, &user, &app, &body.note, kernel::clock::now_ms()).await?))
}

/// Withdraws an application that is not decided yet (a paid fee is refunded).
#[utoipa::path(post, operation_id = "services.citizen.withdraw", path = "/api/v1/services/applications/{id}/withdraw", tag = "services",
    params(("id" = String, Path)), responses((status = 200, body = Application), (status = 409, description = "conflict")))]
pub(super) async fn withdraw(
    State(s): State<Service>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Application>> {
    let person = citizen(&user)?;
    let app = query::for_applicant(&s.stores.db, person, &id).await?;
    Ok(Json(crate::workflow::withdraw(&s, &user, &app, kernel::clock::now_ms()).await?))
}

/// A payment and where to pay it.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct PaymentStart {
    pub payment: Payment,
    /// The provider's payment page the citizen is sent to, with the signed payment request
    /// (`reference`, `amount`, `return_url`, `signature`) in its query.
    pub gateway_url: String,
}

/// Starts paying the fee online (the same pending payment is returned until the provider
/// answers). Refused when no payment provider is configured: the fee is then paid at the desk.
#[utoipa::path(post, operation_id = "services.citizen.pay", path = "/api/v1/services/applications/{id}/payment", tag = "services",
    params(("id" = String, Path)),
    responses((status = 200, body = PaymentStart),
              (status = 409, description = "conflict: no fee to pay, or no payment provider is configured")))]
pub(super) async fn pay(
    State(s): State<Service>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<PaymentStart>> {
    let person = citizen(&user)?;
    let app = query::for_applicant(&s.stores.db, person, &id).await?;
    let back = format!("{}/applications/{}", s.public_url, app.id);
    let started = s.payments.start(&s.stores.db, &app, &back, kernel::clock::now_ms()).await?;
    Ok(Json(PaymentStart { payment: started.payment, gateway_url: started.redirect_url }))
}
