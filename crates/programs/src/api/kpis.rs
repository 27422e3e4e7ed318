//! The computed-KPI formulas, their monthly history and snapshots.

use axum::extract::State;
use axum::Json;
use kernel::AppError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use web::{ApiPath, ApiQuery, ApiResult, Ctx, CurrentUser};

use super::{OVERSEERS, READERS};
use crate::catalogue::{Direction, KpiUnit};
use crate::kpi::{self, Scope, Snapshot, FORMULAS};

/// A computed KPI and whether the platform has its data.
#[derive(Serialize, ToSchema)]
pub(super) struct FormulaInfo {
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    pub definition_vi: String,
    pub definition_en: String,
    pub unit: KpiUnit,
    pub direction: Direction,
    pub models: Vec<String>,
    /// False: "chưa có nguồn dữ liệu / no data source yet".
    pub has_source: bool,
    /// The module that will provide the data, when there is no source yet.
    pub awaiting_vi: Option<String>,
}

/// Every computed KPI with its definition.
#[utoipa::path(get, operation_id = "programs.kpis.formulas", path = "/api/v1/programs/formulas", tag = "programs",
    responses((status = 200, body = Vec<FormulaInfo>)))]
pub(super) async fn formulas(user: CurrentUser) -> ApiResult<Json<Vec<FormulaInfo>>> {
    user.require(READERS)?;
    Ok(Json(
        FORMULAS
            .iter()
            .map(|f| FormulaInfo {
                code: f.code.into(),
                name_vi: f.name.0.into(),
                name_en: f.name.1.into(),
                definition_vi: f.definition.0.into(),
                definition_en: f.definition.1.into(),
                unit: f.unit,
                direction: f.direction,
                models: f.models.iter().map(|m| m.to_string()).collect(),
                has_source: f.source.available(),
                awaiting_vi: (!f.source.available()).then(|| f.awaiting.0.to_string()),
            })
            .collect(),
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct HistoryParams {
    /// A 2025 commune code; the whole province when absent.
    commune: Option<String>,
}

/// Month-by-month values of a computed KPI for the province or one commune.
#[utoipa::path(get, operation_id = "programs.kpis.history", path = "/api/v1/programs/formulas/{code}/history", tag = "programs",
    params(("code" = String, Path), HistoryParams),
    responses((status = 200, body = Vec<Snapshot>), (status = 404, description = "unknown formula")))]
pub(super) async fn history(
    State(ctx): State<Ctx>,
    user: CurrentUser,
    ApiPath(code): ApiPath<String>,
    ApiQuery(p): ApiQuery<HistoryParams>,
) -> ApiResult<Json<Vec<Snapshot>>> {
    user.require(READERS)?;
    kpi::formula(&code).ok_or_else(|| AppError::not_found(format!("formula {code}")))?;
    let scope = match p.commune {
        Some(c) => Scope::Commune(c),
        None => Scope::Province(crate::settings::require_province(&ctx.db).await?),
    };
    Ok(Json(kpi::history(&ctx.db, &code, &scope).await?))
}

/// How many values were stored.
#[derive(Serialize, ToSchema)]
pub(super) struct SnapshotDone {
    pub rows: usize,
    pub month: String,
}

/// Compute every formula now and store this month's values (administrators, working group).
#[utoipa::path(post, operation_id = "programs.kpis.snapshot", path = "/api/v1/programs/snapshots", tag = "programs",
    responses((status = 200, body = SnapshotDone)))]
pub(super) async fn snapshot(State(ctx): State<Ctx>, user: CurrentUser) -> ApiResult<Json<SnapshotDone>> {
    user.require(OVERSEERS)?;
    let province = crate::settings::require_province(&ctx.db).await?;
    let now = kernel::clock::now_ms();
    let today = kernel::clock::date_vn(now);
    let rows = kpi::refresh(&ctx.db, &province, now).await?;
    Ok(Json(SnapshotDone { rows, month: today.format("%Y-%m").to_string() }))
}
