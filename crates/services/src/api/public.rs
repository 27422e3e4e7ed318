//! Public endpoints: the payment gateway's callback and document verification.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use kernel::AppError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use web::{ApiJson, ApiPath, ApiResult};

use crate::documents::{Document, Payload};
use crate::payments::{CallbackOutcome, Payment};
use crate::Service;

/// What the callback did.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct CallbackResult {
    pub outcome: CallbackOutcome,
    pub payment: Payment,
}

/// The gateway reports a payment's outcome. The body is a `Callback` JSON; `X-Signature` is its
/// hex HMAC-SHA256 under the shared secret. Repeated deliveries change nothing.
#[utoipa::path(post, operation_id = "services.public.callback", security(()), path = "/api/v1/services/payments/callback", tag = "services",
    request_body = crate::payments::Callback,
    params(("X-Signature" = String, Header, description = "hex HMAC-SHA256 of the body")),
    responses((status = 200, body = CallbackResult), (status = 403, description = "forbidden: bad signature")))]
pub(super) async fn callback(
    State(s): State<Service>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<CallbackResult>> {
    let sig = headers.get("x-signature").and_then(|v| v.to_str().ok()).unwrap_or("");
    let (outcome, payment) =
        crate::payments::handle_callback(&s.stores.db, &s.gateway, &body, sig, kernel::clock::now_ms()).await?;
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
