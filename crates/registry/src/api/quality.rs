//! Data-quality report and offending records.

use axum::extract::State;
use axum::Json;
use kernel::{AppError, ErrorCode, Page, PageRequest};
use serde::Deserialize;
use utoipa::IntoParams;
use web::{ApiQuery, ApiResult, Ctx, CurrentUser};

use super::READERS;
use crate::access::OfficerReads;
use crate::quality::{Finding, QualityReport};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ReportParams {
    /// Only this 2025 commune (inside the caller's jurisdiction).
    commune: Option<String>,
}

/// Counts per rule and per commune from the latest quality run, within the caller's jurisdiction.
#[utoipa::path(get, operation_id = "registry.quality.report", path = "/api/v1/quality/report", tag = "registry", params(ReportParams),
    responses((status = 200, body = QualityReport), (status = 404, description = "no quality run yet"),
              (status = 403, description = "out_of_jurisdiction")))]
pub(super) async fn report(
    State(ctx): State<Ctx>,
    user: CurrentUser,
    ApiQuery(p): ApiQuery<ReportParams>,
) -> ApiResult<Json<QualityReport>> {
    user.require(READERS)?;
    let r = crate::quality::report(&ctx.db, &user.jurisdiction, p.commune.as_deref())
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound, "no quality run yet; run `dancu quality report`"))?;
    Ok(Json(r))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct FindingsParams {
    /// Rule code (see the report).
    rule: String,
    commune: Option<String>,
    #[param(minimum = 1, maximum = 2147483647)]
    page: Option<u32>,
    #[param(minimum = 1, maximum = 200)]
    size: Option<u32>,
}

/// Offending records of one rule (access-logged with purpose `data_cleaning`).
#[utoipa::path(get, operation_id = "registry.quality.findings", path = "/api/v1/quality/findings", tag = "registry", params(FindingsParams),
    responses((status = 200, body = inline(Page<Finding>)), (status = 400, description = "unknown rule")))]
pub(super) async fn findings(
    State(ctx): State<Ctx>,
    user: CurrentUser,
    ApiQuery(p): ApiQuery<FindingsParams>,
) -> ApiResult<Json<Page<Finding>>> {
    user.require(READERS)?;
    let page = PageRequest::new(p.page, p.size)?;
    let reads = OfficerReads::new(&ctx, &user, Some("data_cleaning"), "api", kernel::clock::now_ms())?;
    Ok(Json(reads.quality_findings(&p.rule, p.commune.as_deref(), page).await?))
}
