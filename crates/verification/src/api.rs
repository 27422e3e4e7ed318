//! JSON API: `/api/v1/verifications…` for organizations, `/api/v1/me/identity-qr` for citizens.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use kernel::{AppError, Page, PageRequest, PersonalId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use web::extract::{ApiJson, ApiQuery};
use web::{ApiResult, CurrentUser, Jurisdiction, Role};

use crate::chip::ChipBundle;
use crate::dynamic::{self, Share};
use crate::history::HistoryRow;
use crate::purpose::VerifyPurpose;
use crate::result::VerificationResponse;
use crate::service::{Evidence, Request, Verifier};

/// A card-QR or typed-data verification.
#[derive(Debug, Deserialize, ToSchema)]
pub struct VerifyBody {
    /// The card's QR payload as scanned; or give `personal_id`, `full_name` and `birth_date`.
    pub qr_payload: Option<String>,
    pub personal_id: Option<String>,
    pub full_name: Option<String>,
    /// `dd/mm/yyyy` or `yyyy-mm-dd`.
    pub birth_date: Option<String>,
    /// A purpose code allowed for your organization (see `/api/v1/verifications/purposes`).
    pub purpose: String,
    /// The citizen is present and consents. Must be true.
    pub citizen_present: bool,
    /// Exam or trip code, for `exam_candidate` and `coach_passenger`.
    pub list_code: Option<String>,
}

/// A dynamic identity QR verification.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DynamicBody {
    pub token: String,
    pub purpose: String,
    pub citizen_present: bool,
    pub list_code: Option<String>,
}

/// A chip read: EF.SOD and data groups, base64.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ChipBody {
    pub sod: String,
    /// Data-group number → base64 contents (`"1"`, `"2"`, `"13"`, `"14"`, `"15"`).
    pub data_groups: BTreeMap<String, String>,
    pub purpose: String,
    pub citizen_present: bool,
    pub list_code: Option<String>,
}

impl ChipBody {
    /// Decodes the base64 files, naming the one that is wrong.
    pub fn bundle(&self) -> Result<ChipBundle, AppError> {
        let sod = STANDARD.decode(self.sod.trim()).map_err(|_| AppError::invalid("sod is not base64"))?;
        let mut data_groups = BTreeMap::new();
        for (k, v) in &self.data_groups {
            let n: u8 = k
                .parse()
                .ok()
                .filter(|n| (1..=16).contains(n))
                .ok_or_else(|| AppError::invalid(format!("data group {k:?} is not a number from 1 to 16")))?;
            let bytes =
                STANDARD.decode(v.trim()).map_err(|_| AppError::invalid(format!("data group {n} is not base64")))?;
            data_groups.insert(n, bytes);
        }
        Ok(ChipBundle { sod, data_groups })
    }
}

/// The `sod` and `data_groups` members of a chip request, as a reader app sends them: the inverse
/// of [`ChipBody::bundle`] (test cards, the demo's chip file, benchmarks).
pub fn chip_json(bundle: &ChipBundle) -> serde_json::Value {
    let groups: serde_json::Map<String, serde_json::Value> =
        bundle.data_groups.iter().map(|(n, bytes)| (n.to_string(), STANDARD.encode(bytes).into())).collect();
    serde_json::json!({ "sod": STANDARD.encode(&bundle.sod), "data_groups": groups })
}

/// Card QR or typed data.
#[utoipa::path(post, operation_id = "verification.verify", path = "/api/v1/verifications", request_body = VerifyBody, tag = "verification",
    responses((status = 200, body = VerificationResponse), (status = 400), (status = 403), (status = 429)))]
pub async fn verify(
    State(v): State<Verifier>,
    user: CurrentUser,
    ApiJson(b): ApiJson<VerifyBody>,
) -> ApiResult<Json<VerificationResponse>> {
    let evidence = match (b.qr_payload, b.personal_id) {
        (Some(qr), _) if !qr.trim().is_empty() => Evidence::CardQr(qr),
        (_, Some(id)) => Evidence::Form {
            personal_id: id,
            full_name: b.full_name.unwrap_or_default(),
            birth_date: b.birth_date.ok_or_else(|| AppError::invalid("birth_date is required with personal_id"))?,
        },
        _ => return Err(AppError::invalid("give qr_payload, or personal_id with full_name and birth_date").into()),
    };
    let req = Request {
        evidence,
        purpose: b.purpose,
        citizen_present: b.citizen_present,
        list_code: b.list_code,
        channel: "api",
    };
    Ok(Json(v.verify(&user, req, kernel::clock::now_ms()).await?))
}

/// Dynamic identity QR.
#[utoipa::path(post, operation_id = "verification.verify_dynamic", path = "/api/v1/verifications/dynamic", request_body = DynamicBody, tag = "verification",
    responses((status = 200, body = VerificationResponse), (status = 400), (status = 403), (status = 429)))]
pub async fn verify_dynamic(
    State(v): State<Verifier>,
    user: CurrentUser,
    ApiJson(b): ApiJson<DynamicBody>,
) -> ApiResult<Json<VerificationResponse>> {
    let req = Request {
        evidence: Evidence::Dynamic(b.token),
        purpose: b.purpose,
        citizen_present: b.citizen_present,
        list_code: b.list_code,
        channel: "api",
    };
    Ok(Json(v.verify(&user, req, kernel::clock::now_ms()).await?))
}

/// Chip data with passive authentication.
#[utoipa::path(post, operation_id = "verification.verify_chip", path = "/api/v1/verifications/chip", request_body = ChipBody, tag = "verification",
    responses((status = 200, body = VerificationResponse), (status = 400), (status = 403), (status = 429)))]
pub async fn verify_chip(
    State(v): State<Verifier>,
    user: CurrentUser,
    ApiJson(b): ApiJson<ChipBody>,
) -> ApiResult<Json<VerificationResponse>> {
    let req = Request {
        evidence: Evidence::Chip(b.bundle()?),
        purpose: b.purpose,
        citizen_present: b.citizen_present,
        list_code: b.list_code,
        channel: "api",
    };
    Ok(Json(v.verify(&user, req, kernel::clock::now_ms()).await?))
}

/// The purposes the caller's organization may verify for.
#[utoipa::path(get, operation_id = "verification.purposes", path = "/api/v1/verifications/purposes", tag = "verification", responses((status = 200)))]
pub async fn purposes(State(v): State<Verifier>, user: CurrentUser) -> ApiResult<Json<Vec<&'static VerifyPurpose>>> {
    Ok(Json(v.caller(&user, kernel::clock::now_ms()).await?.allowed()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    #[param(minimum = 1, maximum = 2147483647)]
    pub page: Option<u32>,
    #[param(minimum = 1, maximum = 200)]
    pub size: Option<u32>,
}

/// The organization's verification history, newest first.
#[utoipa::path(get, operation_id = "verification.history", path = "/api/v1/verifications/history", params(PageParams), tag = "verification",
    responses((status = 200, body = Page<HistoryRow>)))]
pub async fn history(
    State(v): State<Verifier>,
    user: CurrentUser,
    ApiQuery(p): ApiQuery<PageParams>,
) -> ApiResult<Json<Page<HistoryRow>>> {
    let caller = v.caller(&user, kernel::clock::now_ms()).await?;
    Ok(Json(crate::history::list(&v.stores().db, &caller.org_id, PageRequest::new(p.page, p.size)?).await?))
}

/// The history as CSV.
#[utoipa::path(get, operation_id = "verification.history_csv", path = "/api/v1/verifications/history.csv", tag = "verification",
    responses((status = 200, description = "The organization's verifications as UTF-8 CSV", content_type = "text/csv")))]
pub async fn history_csv(State(v): State<Verifier>, user: CurrentUser) -> ApiResult<impl IntoResponse> {
    let caller = v.caller(&user, kernel::clock::now_ms()).await?;
    let body = crate::history::csv(&v.stores().db, &caller.org_id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"verifications.csv\""),
        ],
        body,
    ))
}

/// Public keys of receipts and identity QR tokens, for offline checks.
#[utoipa::path(get, operation_id = "verification.jwks", security(()), path = "/api/v1/verifications/jwks.json", tag = "verification", responses((status = 200)))]
pub async fn jwks(State(v): State<Verifier>) -> Json<serde_json::Value> {
    Json(v.ring().jwks())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ShareParams {
    #[serde(default)]
    pub name: bool,
    #[serde(default)]
    pub birth_date: bool,
    #[serde(default)]
    pub age_over_18: bool,
}

/// A fresh identity QR for the signed-in citizen.
#[derive(Debug, Serialize, ToSchema)]
pub struct IdentityQr {
    pub token: String,
    /// UNIX seconds.
    pub expires_at: u64,
    pub svg: String,
}

/// Issues the signed-in citizen's dynamic identity QR with the claims they chose.
#[utoipa::path(get, operation_id = "verification.identity_qr", path = "/api/v1/me/identity-qr", params(ShareParams), tag = "verification",
    responses((status = 200, body = IdentityQr)))]
pub async fn identity_qr(
    State(v): State<Verifier>,
    user: CurrentUser,
    ApiQuery(s): ApiQuery<ShareParams>,
) -> ApiResult<Json<IdentityQr>> {
    Ok(Json(issue_for(&v, &user, Share { name: s.name, birth_date: s.birth_date, age_over_18: s.age_over_18 }).await?))
}

/// Issues a token for a citizen account's own person record.
pub async fn issue_for(v: &Verifier, user: &CurrentUser, share: Share) -> Result<IdentityQr, AppError> {
    user.require(&[Role::Citizen])?;
    let Jurisdiction::Own(pid) = &user.jurisdiction else {
        return Err(AppError::forbidden("citizen account without a person"));
    };
    let person = registry::queries::persons::get_self(&v.stores().db, &PersonalId::parse(pid)?)
        .await?
        .ok_or_else(|| AppError::not_found("no registry record for this account"))?;
    let level = identity::account_by_id(&v.stores().db, &user.account_id).await?.map(|a| a.level).unwrap_or(1);
    let issued = dynamic::issue(v.ring(), &person, level.clamp(1, 2) as u8, share, kernel::clock::now_ms())?;
    let svg = crate::cccd_qr::qr_svg(&issued.token).map_err(|e| AppError::internal(e.to_string()))?;
    Ok(IdentityQr { token: issued.token, expires_at: issued.expires_at, svg })
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(verify, verify_dynamic, verify_chip, purposes, history, history_csv, jwks, identity_qr, replace_list),
    components(schemas(
        VerifyBody,
        DynamicBody,
        ChipBody,
        VerificationResponse,
        HistoryRow,
        IdentityQr,
        ListUploaded
    ))
)]
pub struct ApiDoc;

/// The result of a list upload.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListUploaded {
    pub kind: String,
    pub list_code: String,
    /// Persons the list now holds (the upload replaced it).
    pub entries: usize,
}

/// Replace one of the organization's lists (an exam's candidates, a trip's tickets) with a CSV
/// file: header `personal_id,label`, one person per line. A file with any bad line is refused
/// with every line named (`Dòng 3: …`) and changes nothing.
#[utoipa::path(put, operation_id = "verification.lists.replace", path = "/api/v1/verifications/lists/{kind}/{list_code}", tag = "verification",
    params(("kind" = String, Path, description = "`exam` (needs purpose exam_candidate) or `ticket` (coach_passenger)"),
           ("list_code" = String, Path, description = "Exam or trip code")),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ListUploaded), (status = 400, description = "invalid_input: bad lines, unknown kind, bad code"),
              (status = 403, description = "forbidden: not organization staff, or the organization may not use the purpose")))]
pub async fn replace_list(
    State(v): State<Verifier>,
    user: CurrentUser,
    web::ApiPath((kind, list_code)): web::ApiPath<(String, String)>,
    body: axum::body::Bytes,
) -> ApiResult<Json<ListUploaded>> {
    let caller = v.caller(&user, kernel::clock::now_ms()).await?;
    let entries = crate::lists::parse(&body).map_err(|e| crate::lists::refusal(&e))?;
    let n = crate::lists::replace(&v.stores().db, &caller, &kind, &list_code, &entries).await?;
    Ok(Json(ListUploaded { kind, list_code: list_code.trim().to_string(), entries: n }))
}
