//! Hospital wards: admitting inpatients, caregivers staying with them, the ward's current list.
//! Discharge is the inpatient's check-out (`/api/v1/lodging/checkins/{id}/checkout`).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;
use web::{ApiJson, ApiQuery, ApiResult, CurrentUser};

use super::idempotency_key;
use crate::checkins::CheckinResult;
use crate::hospital::{self, Admission, Inpatient, NewCaregiver};
use crate::Service;

/// Admits an inpatient (ward, bed, admission, expected discharge) at an approved hospital ward of
/// the caller's organization; the stay is a lodging notification to the ward's commune police.
#[utoipa::path(post, operation_id = "lodging.hospital.admit", path = "/api/v1/lodging/hospital/inpatients", tag = "lodging", request_body = Admission,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry key")),
    responses((status = 200, body = CheckinResult),
              (status = 400, description = "invalid_input: missing ward or bed, not a hospital ward"),
              (status = 404, description = "not_found: facility outside the organization, or unknown person"),
              (status = 409, description = "conflict: facility not approved")))]
pub(super) async fn admit(
    State(s): State<Service>,
    user: CurrentUser,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Admission>,
) -> ApiResult<Json<CheckinResult>> {
    crate::access::organization(&user)?;
    Ok(Json(hospital::admit(&s, &user, idempotency_key(&headers)?, body, kernel::clock::now_ms()).await?))
}

/// Registers a caregiver staying with an inpatient present at the same facility (at most
/// `lodging.hospital_caregivers`, default 2, per patient).
#[utoipa::path(post, operation_id = "lodging.hospital.caregiver", path = "/api/v1/lodging/hospital/caregivers", tag = "lodging", request_body = NewCaregiver,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry key")),
    responses((status = 200, body = CheckinResult), (status = 400, description = "invalid_input"),
              (status = 404, description = "not_found: no such inpatient in the organization"),
              (status = 409, description = "conflict: patient at another facility, discharged, or caregiver limit reached")))]
pub(super) async fn caregiver(
    State(s): State<Service>,
    user: CurrentUser,
    headers: HeaderMap,
    ApiJson(body): ApiJson<NewCaregiver>,
) -> ApiResult<Json<CheckinResult>> {
    crate::access::organization(&user)?;
    Ok(Json(hospital::add_caregiver(&s, &user, idempotency_key(&headers)?, body, kernel::clock::now_ms()).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct WardParams {
    /// A hospital-ward facility of the caller's organization.
    facility_id: String,
}

/// Inpatients still on the ward, each with the caregivers staying with them.
#[utoipa::path(get, operation_id = "lodging.hospital.inpatients", path = "/api/v1/lodging/hospital/inpatients", tag = "lodging", params(WardParams),
    responses((status = 200, body = Vec<Inpatient>), (status = 403, description = "forbidden")))]
pub(super) async fn inpatients(
    State(s): State<Service>,
    user: CurrentUser,
    ApiQuery(p): ApiQuery<WardParams>,
) -> ApiResult<Json<Vec<Inpatient>>> {
    let org = crate::access::organization(&user)?;
    Ok(Json(hospital::inpatients(&s.stores.db, org, &p.facility_id).await?))
}
