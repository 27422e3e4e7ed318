//! Administrative-unit lookups (public reference data, no sign-in needed).

use axum::Json;
use kernel::{AppError, ErrorCode};
use serde::Deserialize;
use utoipa::IntoParams;
use web::{ApiJson, ApiPath, ApiQuery, ApiResult};

use crate::admin_units::{AdminUnits, Commune, LegacyAddress, Province};

/// The 34 provinces of the 2025 system.
#[utoipa::path(get, operation_id = "registry.admin_units.provinces", security(()), path = "/api/v1/admin-units/provinces", tag = "admin-units", responses((status = 200, description = "Provinces")))]
pub(super) async fn provinces() -> Json<Vec<Province>> {
    Json(AdminUnits::get().provinces().to_vec())
}

/// The communes of one province.
#[utoipa::path(get, operation_id = "registry.admin_units.communes_of", security(()), path = "/api/v1/admin-units/provinces/{code}/communes", tag = "admin-units",
    params(("code" = String, Path, description = "2-digit province code")),
    responses((status = 200, description = "Communes"), (status = 400, description = "unknown_province")))]
pub(super) async fn communes_of(ApiPath(code): ApiPath<String>) -> ApiResult<Json<Vec<Commune>>> {
    let units = AdminUnits::get();
    if units.province(&code).is_none() {
        return Err(AppError::new(ErrorCode::UnknownProvince, format!("no province with code {code}")).into());
    }
    Ok(Json(units.communes_of(&code).into_iter().cloned().collect()))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct FindParams {
    /// Name without diacritics is fine ("hong ha", "P. Hồng Hà") or a 5-digit code.
    q: String,
    /// Restrict to a province code.
    province: Option<String>,
}

/// Communes matching a name, best first (at most 20).
#[utoipa::path(get, operation_id = "registry.admin_units.find_communes", security(()), path = "/api/v1/admin-units/communes", tag = "admin-units", params(FindParams),
    responses((status = 200, description = "Matching communes")))]
pub(super) async fn find_communes(ApiQuery(p): ApiQuery<FindParams>) -> ApiResult<Json<Vec<Commune>>> {
    if p.q.trim().is_empty() {
        return Err(AppError::invalid("q must not be empty").into());
    }
    let hits = AdminUnits::get().find_communes(&p.q, p.province.as_deref());
    Ok(Json(hits.into_iter().take(20).cloned().collect()))
}

/// Converts a legacy (pre-2025) province/district/commune address to its 2025 commune.
#[utoipa::path(post, operation_id = "registry.admin_units.convert", security(()), path = "/api/v1/admin-units/convert", tag = "admin-units",
    responses((status = 200, description = "The 2025 commune"), (status = 400, description = "unknown_commune")))]
pub(super) async fn convert(ApiJson(addr): ApiJson<LegacyAddress>) -> ApiResult<Json<Commune>> {
    Ok(Json(AdminUnits::get().convert_legacy(&addr)?.clone()))
}
