//! Periodic reports, obligations, the consolidated report and its exports.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use kernel::AppError;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use web::{ApiJson, ApiPath, ApiQuery, ApiResult, Ctx, CurrentUser, Role};

use super::registrations::Decision;
use super::{own_unit, own_unit_for, DECIDERS, OVERSEERS, READERS};
use crate::calendar::Frequency;
use crate::reports::consolidated::{self, Consolidated};
use crate::reports::{self, Obligation, Report, ReportEdit, ReportStatus};
use crate::settings::{self, ReportHeader};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ListParams {
    unit: Option<String>,
    frequency: Option<Frequency>,
    period: Option<String>,
    status: Option<ReportStatus>,
}

/// Reports, filtered by unit, frequency, period and status.
#[utoipa::path(get, operation_id = "programs.reports.list", path = "/api/v1/programs/reports", tag = "programs", params(ListParams),
    responses((status = 200, body = Vec<Report>)))]
pub(super) async fn list(
    State(ctx): State<Ctx>,
    user: CurrentUser,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<Json<Vec<Report>>> {
    user.require(READERS)?;
    Ok(Json(reports::list(&ctx.db, p.unit.as_deref(), p.frequency, p.period.as_deref(), p.status).await?))
}

#[derive(Deserialize, ToSchema)]
pub(super) struct NewReport {
    pub frequency: Frequency,
    /// `2025-06`, `2025-W23`, `2025-H1` or `2025`.
    pub period: String,
}

/// Open the caller's unit's report for a period, pre-filled with its KPIs (focal points).
#[utoipa::path(post, operation_id = "programs.reports.create", path = "/api/v1/programs/reports", tag = "programs", request_body = NewReport,
    responses((status = 201, body = Report), (status = 409, description = "exists already")))]
pub(super) async fn create(
    State(ctx): State<Ctx>,
    user: CurrentUser,
    ApiJson(b): ApiJson<NewReport>,
) -> ApiResult<(StatusCode, Json<Report>)> {
    let unit = own_unit(&ctx, &user).await?;
    let r = reports::create_draft(&ctx.db, &unit, b.frequency, &b.period, &user.actor_label(), kernel::clock::now_ms())
        .await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// One report.
#[utoipa::path(get, operation_id = "programs.reports.get", path = "/api/v1/programs/reports/{id}", tag = "programs", params(("id" = String, Path)),
    responses((status = 200, body = Report), (status = 404, description = "not_found")))]
pub(super) async fn get(
    State(ctx): State<Ctx>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Report>> {
    user.require(READERS)?;
    Ok(Json(reports::get(&ctx.db, &id).await?))
}

/// Edit a draft or returned report (the unit's focal point).
#[utoipa::path(put, operation_id = "programs.reports.edit", path = "/api/v1/programs/reports/{id}", tag = "programs", params(("id" = String, Path)),
    request_body = ReportEdit,
    responses((status = 200, body = Report), (status = 409, description = "submitted, approved or stale")))]
pub(super) async fn edit(
    State(ctx): State<Ctx>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(e): ApiJson<ReportEdit>,
) -> ApiResult<Json<Report>> {
    let r = reports::get(&ctx.db, &id).await?;
    own_unit_for(&ctx, &user, &r.unit_id).await?;
    Ok(Json(reports::edit(&ctx.db, &id, &e).await?))
}

#[derive(Deserialize, ToSchema)]
pub(super) struct VersionBody {
    pub version: i64,
}

/// Submit a report; computed values are refreshed and frozen (the unit's focal point).
#[utoipa::path(post, operation_id = "programs.reports.submit", path = "/api/v1/programs/reports/{id}/submit", tag = "programs", params(("id" = String, Path)),
    request_body = VersionBody,
    responses((status = 200, body = Report), (status = 400, description = "summary missing")))]
pub(super) async fn submit(
    State(ctx): State<Ctx>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<VersionBody>,
) -> ApiResult<Json<Report>> {
    let r = reports::get(&ctx.db, &id).await?;
    let unit = own_unit_for(&ctx, &user, &r.unit_id).await?;
    Ok(Json(reports::submit(&ctx.db, &id, &unit, b.version, kernel::clock::now_ms()).await?))
}

async fn decide(ctx: &Ctx, user: &CurrentUser, id: &str, approve: bool, d: &Decision) -> ApiResult<Json<Report>> {
    user.require(DECIDERS)?;
    Ok(Json(
        reports::decide(&ctx.db, id, approve, &d.note, &user.actor_label(), d.version, kernel::clock::now_ms()).await?,
    ))
}

/// Approve a submitted report (working group).
#[utoipa::path(post, operation_id = "programs.reports.approve", path = "/api/v1/programs/reports/{id}/approve", tag = "programs", params(("id" = String, Path)),
    request_body = Decision, responses((status = 200, body = Report), (status = 409, description = "not submitted")))]
pub(super) async fn approve(
    State(ctx): State<Ctx>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(d): ApiJson<Decision>,
) -> ApiResult<Json<Report>> {
    decide(&ctx, &user, &id, true, &d).await
}

/// Return a submitted report for revision, with a note (working group).
#[utoipa::path(post, operation_id = "programs.reports.give_back", path = "/api/v1/programs/reports/{id}/return", tag = "programs", params(("id" = String, Path)),
    request_body = Decision, responses((status = 200, body = Report), (status = 400, description = "note missing")))]
pub(super) async fn give_back(
    State(ctx): State<Ctx>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(d): ApiJson<Decision>,
) -> ApiResult<Json<Report>> {
    decide(&ctx, &user, &id, false, &d).await
}

/// Reports owed by registered units: reminders (due within 7 days), late and missing reports.
#[utoipa::path(get, operation_id = "programs.reports.obligations", path = "/api/v1/programs/reports/obligations", tag = "programs",
    responses((status = 200, body = Vec<Obligation>)))]
pub(super) async fn obligations(State(ctx): State<Ctx>, user: CurrentUser) -> ApiResult<Json<Vec<Obligation>>> {
    user.require(READERS)?;
    Ok(Json(reports::obligations(&ctx.db, kernel::clock::today_vn()).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct PeriodParams {
    /// Default `monthly`.
    frequency: Option<Frequency>,
    /// Default: the current period.
    period: Option<String>,
}

const EXPORTERS: &[Role] = &[Role::Admin, Role::WorkingGroup, Role::Leader, Role::ProvincialOfficer];

async fn build(ctx: &Ctx, user: &CurrentUser, p: &PeriodParams) -> Result<Consolidated, AppError> {
    user.require(EXPORTERS)?;
    let now = kernel::clock::now_ms();
    let today = kernel::clock::date_vn(now);
    let frequency = p.frequency.unwrap_or(Frequency::Monthly);
    let period = p.period.clone().unwrap_or_else(|| crate::calendar::Period::containing(frequency, today).label);
    consolidated::build(&ctx.db, frequency, &period, now).await
}

/// The consolidated provincial report of a period, with the ranking of units.
#[utoipa::path(get, operation_id = "programs.reports.consolidated", path = "/api/v1/programs/reports/consolidated", tag = "programs", params(PeriodParams),
    responses((status = 200, body = Consolidated)))]
pub(super) async fn consolidated(
    State(ctx): State<Ctx>,
    user: CurrentUser,
    ApiQuery(p): ApiQuery<PeriodParams>,
) -> ApiResult<Json<Consolidated>> {
    Ok(Json(build(&ctx, &user, &p).await?))
}

fn download(bytes: Vec<u8>, ctype: &'static str, name: String) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, ctype.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        bytes,
    )
}

/// The consolidated report as an Excel workbook.
#[utoipa::path(get, operation_id = "programs.reports.xlsx", path = "/api/v1/programs/reports/consolidated.xlsx", tag = "programs", params(PeriodParams),
    responses((status = 200, description = "XLSX file", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
pub(super) async fn xlsx(
    State(ctx): State<Ctx>,
    user: CurrentUser,
    ApiQuery(p): ApiQuery<PeriodParams>,
) -> ApiResult<impl IntoResponse> {
    let c = build(&ctx, &user, &p).await?;
    let bytes = reports::xlsx::write(&c)?;
    let name = format!("bao-cao-de-an-06-{}.xlsx", c.period.label);
    Ok(download(bytes, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", name))
}

/// The consolidated report as a PDF in Vietnamese administrative form.
#[utoipa::path(get, operation_id = "programs.reports.pdf", path = "/api/v1/programs/reports/consolidated.pdf", tag = "programs", params(PeriodParams),
    responses((status = 200, description = "PDF file", content_type = "application/pdf")))]
pub(super) async fn pdf(
    State(ctx): State<Ctx>,
    user: CurrentUser,
    ApiQuery(p): ApiQuery<PeriodParams>,
) -> ApiResult<impl IntoResponse> {
    let c = build(&ctx, &user, &p).await?;
    let bytes = tokio::task::spawn_blocking(move || reports::pdf::write(&c).map(|b| (b, c.period.label)))
        .await
        .map_err(|e| AppError::internal(format!("pdf task: {e}")))??;
    Ok(download(bytes.0, "application/pdf", format!("bao-cao-de-an-06-{}.pdf", bytes.1)))
}

/// The consolidated report's header (issuing body, number, place).
#[utoipa::path(get, operation_id = "programs.reports.header", path = "/api/v1/programs/settings/report-header", tag = "programs",
    responses((status = 200, body = ReportHeader)))]
pub(super) async fn header(State(ctx): State<Ctx>, user: CurrentUser) -> ApiResult<Json<ReportHeader>> {
    user.require(READERS)?;
    Ok(Json(settings::header(&ctx.db).await?))
}

/// Change the report header (administrators, working group).
#[utoipa::path(put, operation_id = "programs.reports.save_header", path = "/api/v1/programs/settings/report-header", tag = "programs", request_body = ReportHeader,
    responses((status = 200, body = ReportHeader), (status = 400, description = "empty field or other province")))]
pub(super) async fn save_header(
    State(ctx): State<Ctx>,
    user: CurrentUser,
    ApiJson(h): ApiJson<ReportHeader>,
) -> ApiResult<Json<ReportHeader>> {
    user.require(OVERSEERS)?;
    Ok(Json(settings::save_header(&ctx.db, &h).await?))
}
