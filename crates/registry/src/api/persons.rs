//! Person, household, residence, card and history endpoints.

use axum::extract::State;
use axum::Json;
use chrono::NaiveDate;
use kernel::{AppError, ErrorCode, Page, PageRequest, PartialDate, PersonalId};
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use web::{ApiJson, ApiPath, ApiQuery, ApiResult, Ctx, CurrentUser, Role};

use super::{Registry, READERS};
use crate::access::{OfficerReads, Reason};
use crate::history::PersonEvent;
use crate::queries::cards::CardView;
use crate::queries::households::HouseholdView;
use crate::queries::persons::{PersonSummary, PersonView, SearchQuery};
use crate::queries::residences::ResidenceView;

/// Roles that may correct records and register deaths.
const EDITORS: &[Role] = &[Role::ProvincialOfficer, Role::CommunePolice];

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct SearchParams {
    /// 12-digit personal id, 9-digit old id, or the start of a full name (diacritics optional).
    q: Option<String>,
    birth_year: Option<i32>,
    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    birth_date: Option<String>,
    /// 2025 commune code.
    commune: Option<String>,
    #[param(minimum = 1, maximum = 2147483647)]
    page: Option<u32>,
    #[param(minimum = 1, maximum = 200)]
    size: Option<u32>,
    /// Purpose code (see `/api/v1/purposes`); default `administration`.
    purpose: Option<String>,
}

fn reads<'a>(ctx: &'a Ctx, user: &'a CurrentUser, purpose: Option<&str>) -> Result<OfficerReads<'a>, AppError> {
    user.require(READERS)?;
    OfficerReads::new(ctx, user, purpose, "api", kernel::clock::now_ms())
}

/// Opening a record: the purpose (and case reference) is required, the role decides the scope.
fn record<'a>(st: &'a Registry, user: &'a CurrentUser, p: &ReadReason) -> Result<OfficerReads<'a>, AppError> {
    let reason = Reason::stated(p.purpose.as_deref(), p.case_ref.as_deref())?;
    OfficerReads::record(&st.ctx, user, reason, st.cases.clone(), "api", kernel::clock::now_ms())
}

/// Why a record is read, required by every read of one person's data.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ReadReason {
    /// Purpose code (required): `administration`, `investigation`, `public_service` or
    /// `data_cleaning` (see `/api/v1/purposes`). Kept in the citizen's access log.
    purpose: Option<String>,
    /// Required for `investigation` (case file number) and `public_service` (the application's
    /// receipt code; desk officers may read only the persons named in it).
    case_ref: Option<String>,
}

/// Search residents within the caller's jurisdiction.
#[utoipa::path(get, operation_id = "registry.persons.search", path = "/api/v1/persons", tag = "registry", params(SearchParams),
    responses((status = 200, body = inline(Page<PersonSummary>)), (status = 400, description = "invalid_input, invalid_personal_id, bad_pagination, unknown_commune"),
              (status = 403, description = "out_of_jurisdiction")))]
pub(super) async fn search(
    State(ctx): State<Ctx>,
    user: CurrentUser,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> ApiResult<Json<Page<PersonSummary>>> {
    let page = PageRequest::new(p.page, p.size)?;
    let birth_date = p.birth_date.as_deref().map(PartialDate::parse).transpose()?;
    let q = SearchQuery { q: p.q, birth_year: p.birth_year, birth_date, commune: p.commune };
    Ok(Json(reads(&ctx, &user, p.purpose.as_deref())?.search(&q, page).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct PersonParams {
    /// Purpose code (required, see `ReadReason`).
    purpose: Option<String>,
    /// Case file number or receipt code, for the purposes that need one.
    case_ref: Option<String>,
    /// Show the record as it was at the end of this date (`YYYY-MM-DD`).
    as_of: Option<String>,
}

/// A person's record (access-logged with the stated purpose and case reference).
#[utoipa::path(get, operation_id = "registry.persons.get", path = "/api/v1/persons/{id}", tag = "registry",
    params(("id" = String, Path, description = "12-digit personal id"), PersonParams),
    responses((status = 200, body = PersonView), (status = 400, description = "invalid_personal_id; invalid_input: purpose missing or unknown, case_ref missing"),
              (status = 403, description = "forbidden: the role reads aggregates only, or the person is not named in the desk officer's application"),
              (status = 404, description = "not_found (or outside jurisdiction)")))]
pub(super) async fn get(
    State(st): State<Registry>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiQuery(p): ApiQuery<PersonParams>,
) -> ApiResult<Json<PersonView>> {
    PersonalId::parse(&id)?;
    let reason = ReadReason { purpose: p.purpose, case_ref: p.case_ref };
    let reads = record(&st, &user, &reason)?;
    match p.as_of {
        Some(d) => {
            let date = NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                .map_err(|_| AppError::new(ErrorCode::InvalidDate, "as_of must be YYYY-MM-DD"))?;
            Ok(Json(reads.person_as_of(&id, date).await?))
        }
        None => Ok(Json(reads.person(&id).await?)),
    }
}

#[derive(Deserialize, ToSchema)]
pub(super) struct UpdateBody {
    /// Field → new value (string or null). Editable: full_name, gender, birth_date, birth_place,
    /// hometown, ethnicity, religion, old_id, current_address.
    #[schema(value_type = Object)]
    changes: Map<String, Value>,
    /// Why the record changes (kept in the history).
    reason: String,
    /// The `version` read with the record (optimistic concurrency).
    version: i64,
}

/// Correct a person's record; the change is kept in the history.
#[utoipa::path(patch, operation_id = "registry.persons.update", path = "/api/v1/persons/{id}", tag = "registry", request_body = UpdateBody,
    params(("id" = String, Path)),
    responses((status = 200, description = "New version"), (status = 400, description = "invalid_input"), (status = 409, description = "conflict: stale version")))]
pub(super) async fn update(
    State(ctx): State<Ctx>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<UpdateBody>,
) -> ApiResult<Json<Value>> {
    user.require(EDITORS)?;
    let id = PersonalId::parse(&id)?;
    let version = crate::write::update_person(
        &ctx.db,
        &user.actor_label(),
        &user.jurisdiction,
        &id,
        &body.changes,
        &body.reason,
        body.version,
        kernel::clock::now_ms(),
    )
    .await?;
    Ok(Json(serde_json::json!({ "personal_id": id.as_str(), "version": version })))
}

#[derive(Deserialize, ToSchema)]
pub(super) struct DeathBody {
    /// `YYYY-MM-DD`.
    death_date: String,
    reason: String,
}

/// Record a death: status becomes deceased, residences end, valid cards are revoked.
#[utoipa::path(post, operation_id = "registry.persons.death", path = "/api/v1/persons/{id}/death", tag = "registry", request_body = DeathBody,
    params(("id" = String, Path)),
    responses((status = 200, description = "Recorded"), (status = 409, description = "already deceased")))]
pub(super) async fn death(
    State(ctx): State<Ctx>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<DeathBody>,
) -> ApiResult<Json<Value>> {
    user.require(EDITORS)?;
    let id = PersonalId::parse(&id)?;
    let date = NaiveDate::parse_from_str(&body.death_date, "%Y-%m-%d")
        .map_err(|_| AppError::new(ErrorCode::InvalidDate, "death_date must be YYYY-MM-DD"))?;
    let now = kernel::clock::now_ms();
    crate::write::record_death(&ctx.db, &user.actor_label(), &user.jurisdiction, &id, date, &body.reason, now).await?;
    Ok(Json(serde_json::json!({ "personal_id": id.as_str(), "status": "deceased" })))
}

/// Change history of a person, newest first.
#[utoipa::path(get, operation_id = "registry.persons.history", path = "/api/v1/persons/{id}/history", tag = "registry",
    params(("id" = String, Path), ReadReason), responses((status = 200, body = Vec<PersonEvent>)))]
pub(super) async fn history(
    State(st): State<Registry>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiQuery(p): ApiQuery<ReadReason>,
) -> ApiResult<Json<Vec<PersonEvent>>> {
    PersonalId::parse(&id)?;
    Ok(Json(record(&st, &user, &p)?.history(&id).await?))
}

/// Residence registrations of a person (permanent, temporary, current), newest first.
#[utoipa::path(get, operation_id = "registry.persons.residences", path = "/api/v1/persons/{id}/residences", tag = "registry",
    params(("id" = String, Path), ReadReason), responses((status = 200, body = Vec<ResidenceView>)))]
pub(super) async fn residences(
    State(st): State<Registry>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiQuery(p): ApiQuery<ReadReason>,
) -> ApiResult<Json<Vec<ResidenceView>>> {
    PersonalId::parse(&id)?;
    Ok(Json(record(&st, &user, &p)?.residences(&id).await?))
}

/// Identity cards of a person with their status today.
#[utoipa::path(get, operation_id = "registry.persons.cards", path = "/api/v1/persons/{id}/cards", tag = "registry",
    params(("id" = String, Path), ReadReason), responses((status = 200, body = Vec<CardView>)))]
pub(super) async fn cards(
    State(st): State<Registry>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiQuery(p): ApiQuery<ReadReason>,
) -> ApiResult<Json<Vec<CardView>>> {
    PersonalId::parse(&id)?;
    Ok(Json(record(&st, &user, &p)?.cards(&id).await?))
}

/// A household and its members (only members inside the caller's jurisdiction).
#[utoipa::path(get, operation_id = "registry.persons.household", path = "/api/v1/households/{id}", tag = "registry",
    params(("id" = String, Path), ReadReason), responses((status = 200, body = HouseholdView), (status = 404, description = "not_found")))]
pub(super) async fn household(
    State(st): State<Registry>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiQuery(p): ApiQuery<ReadReason>,
) -> ApiResult<Json<HouseholdView>> {
    Ok(Json(record(&st, &user, &p)?.household(&id).await?))
}

/// Purposes that may be given for access to personal data.
#[utoipa::path(get, operation_id = "registry.persons.purposes", security(()), path = "/api/v1/purposes", tag = "registry", responses((status = 200, description = "Purpose codes with Vietnamese and English wording")))]
pub(super) async fn purposes() -> Json<Value> {
    Json(serde_json::to_value(audit::PURPOSES).unwrap_or(Value::Null))
}
