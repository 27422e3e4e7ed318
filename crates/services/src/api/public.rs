//! Public endpoints: the payment gateway's callback and document verification.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use kernel::AppError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use web::{ApiJson, ApiPath, ApiResult};

use crate::documents::{Document, Payload};
use crate::payments::{Callback, CallbackOutcome, Payment};
use crate::Service;

/// What the callback did.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct CallbackResult {
    pub outcome: CallbackOutcome,
    pub payment: Payment,
}

/// The payment provider reports a payment's outcome, server to server. `X-Signature` is the hex
/// HMAC-SHA256 under the shared secret of the lines `payment-callback`, `payment_id`,
/// `amount_vnd`, `result`, `gateway_ref`. The signature, the reference and the amount (the fee)
/// are checked; the same callback again changes nothing and answers `already_applied`.
#[utoipa::path(post, operation_id = "services.public.callback", security(()), path = "/api/v1/services/payments/callback", tag = "services",
    request_body = crate::payments::Callback,
    params(("X-Signature" = String, Header, description = "hex HMAC-SHA256 of the callback's signed lines")),
    responses((status = 200, body = CallbackResult),
              (status = 400, description = "invalid_input: malformed callback, or an amount other than the fee"),
              (status = 403, description = "forbidden: bad signature"),
              (status = 404, description = "not_found: no such payment"),
              (status = 409, description = "conflict: the payment was settled by another transaction")))]
pub(super) async fn callback(
    State(s): State<Service>,
    headers: HeaderMap,
    ApiJson(cb): ApiJson<Callback>,
) -> ApiResult<Json<CallbackResult>> {
    let sig = headers.get("x-signature").and_then(|v| v.to_str().ok()).unwrap_or("");
    let (outcome, payment) = s.payments.callback(&s.stores.db, &cb, sig, kernel::clock::now_ms()).await?;
    Ok(Json(CallbackResult { outcome, payment }))
}

/// A signed document to check.
#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct VerifyRequest {
    /// The compact JWS of the document.
    pub jws: String,
}

/// Verifies a signed result document: signature, type and the issued content.
#[utoipa::path(post, operation_id = "services.public.verify", security(()), path = "/api/v1/services/documents/verify", tag = "services", request_body = VerifyRequest,
    responses((status = 200, body = Payload), (status = 403, description = "forbidden: signature does not verify"),
              (status = 409, description = "conflict: content differs")))]
pub(super) async fn verify(
    State(s): State<Service>,
    ApiJson(body): ApiJson<VerifyRequest>,
) -> ApiResult<Json<Payload>> {
    Ok(Json(crate::documents::verify(&s.stores.db, &s.keys, &body.jws).await?))
}

/// A document by the verification code printed on it.
#[utoipa::path(get, operation_id = "services.public.document", security(()), path = "/api/v1/services/documents/{code}", tag = "services", params(("code" = String, Path)),
    responses((status = 200, body = Document), (status = 404, description = "not_found")))]
pub(super) async fn document(State(s): State<Service>, ApiPath(code): ApiPath<String>) -> ApiResult<Json<Document>> {
    let doc =
        crate::documents::by_code(&s.stores.db, &code).await?.ok_or_else(|| AppError::not_found("no such document"))?;
    Ok(Json(doc))
}
