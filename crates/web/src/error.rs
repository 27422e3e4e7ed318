//! Errors as HTTP responses: JSON `{"error": {"code", "message", "detail"}}` for the API, a
//! localized page for HTML routes (see [`crate::error_page`]).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use kernel::{AppError, ErrorCode};
use serde::Serialize;
use utoipa::ToSchema;

use crate::lang::Lang;

/// An [`AppError`] rendered as the API's JSON error body.
#[derive(Debug)]
pub struct ApiError(pub AppError);

/// Result type of JSON handlers.
pub type ApiResult<T> = Result<T, ApiError>;

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}

/// The JSON body of every API error (the `ErrorBody` component of the OpenAPI document).
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong: a stable code for programs, messages for people, and a detail naming the
/// parameter or rule (never personal data).
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `invalid_input`, `not_found`, `forbidden`.
    pub code: &'static str,
    /// Vietnamese message.
    pub message: String,
    /// English message.
    pub message_en: String,
    pub detail: String,
}

fn status(code: ErrorCode) -> StatusCode {
    StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// Server failures are logged once, where they become a response, with the location and the
/// chain of causes; refusals of bad requests are not errors of the platform and stay at debug.
fn log(e: &AppError) {
    if e.code.http_status() >= 500 {
        tracing::error!(code = e.code.as_str(), location = %e.location(), error = %e.report(), "request failed");
    } else {
        tracing::debug!(code = e.code.as_str(), location = %e.location(), "request refused");
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = self.0;
        log(&e);
        let (message, message_en) = e.message();
        let (message, message_en) = (message.to_string(), message_en.to_string());
        let body = ErrorBody { error: ErrorDetail { code: e.code.as_str(), message, message_en, detail: e.detail } };
        let mut resp = (status(e.code), Json(body)).into_response();
        // The code travels with the response for the security-event middleware (`crate::security`).
        resp.extensions_mut().insert(e.code);
        resp
    }
}

/// An [`AppError`] on an HTML route: a short page in the visitor's language.
#[derive(Debug)]
pub struct PageError {
    pub error: AppError,
    pub lang: Lang,
}

impl PageError {
    pub fn new(error: AppError, lang: Lang) -> Self {
        Self { error, lang }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        log(&self.error);
        let (vi, en) = self.error.message();
        let page = crate::error_page::ErrorPage {
            status: status(self.error.code),
            code: self.error.code,
            message: (vi.to_string(), en.to_string()),
            detail: self.error.detail.clone(),
        };
        // Rendered for a visitor here; `error_page::with_menu` renders it again for the caller.
        crate::error_page::render(&page, self.lang, None, "/")
    }
}

/// The OpenID Connect endpoints that programs call (the browser ones, `authorize` and `logout`,
/// answer people with pages).
const PROGRAM_OIDC_ENDPOINTS: &[&str] =
    &["/oidc/token", "/oidc/introspect", "/oidc/revoke", "/oidc/par", "/oidc/userinfo", "/oidc/jwks"];

/// Whether a request comes from a program rather than a person's browser: API paths, the OpenID
/// Connect endpoints that programs call, and JSON requests or answers anywhere. Middleware that
/// refuses a request before any handler runs answers programs with the JSON error body.
pub fn from_program(parts: &axum::http::request::Parts) -> bool {
    let path = parts.uri.path();
    path.starts_with("/api/") || PROGRAM_OIDC_ENDPOINTS.contains(&path) || wants_json(&parts.headers)
}

/// The refusal of a request made by middleware: the JSON error body for programs, a page in the
/// visitor's language for people (see [`from_program`]).
pub fn refusal(parts: &axum::http::request::Parts, error: AppError) -> Response {
    if from_program(parts) {
        ApiError(error).into_response()
    } else {
        PageError::new(error, Lang::from_parts(parts)).into_response()
    }
}

/// Whether the request sends or asks for JSON.
pub(crate) fn wants_json(headers: &axum::http::HeaderMap) -> bool {
    use axum::http::header::{ACCEPT, CONTENT_TYPE};
    [CONTENT_TYPE, ACCEPT]
        .iter()
        .any(|h| headers.get(h).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("application/json")))
}
