//! Extractors whose rejections are the API's JSON errors with stable codes, instead of axum's
//! plain-text defaults.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use kernel::{AppError, ErrorCode};
use serde::de::DeserializeOwned;

use crate::auth::CurrentUser;
use crate::error::ApiError;

/// Query string parameters; malformed values give `invalid_input` naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|e: QueryRejection| ApiError(AppError::invalid(e.body_text())))
    }
}

/// Path parameters.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|e: PathRejection| ApiError(AppError::invalid(e.body_text())))
    }
}

/// A JSON body.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::Json::<T>::from_request(req, state)
            .await
            .map(|j| ApiJson(j.0))
            .map_err(|e: JsonRejection| ApiError(AppError::invalid(e.body_text())))
    }
}

/// Header carrying the session's CSRF token on state-changing API calls made from a browser.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Session-authenticated callers must echo their CSRF token on writes; bearer-token callers send
/// no cookies and cannot be forged cross-site.
pub fn check_api_csrf(user: &CurrentUser, headers: &HeaderMap) -> Result<(), AppError> {
    match &user.csrf {
        None => Ok(()),
        Some(expected) => {
            let sent = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
            if kernel::secret::ct_eq(sent, expected) {
                Ok(())
            } else {
                Err(AppError::new(ErrorCode::CsrfFailed, "missing or wrong X-CSRF-Token header"))
            }
        }
    }
}
