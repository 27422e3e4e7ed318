//! Extractors whose rejections are the API's JSON errors with stable codes, instead of axum's
//! plain-text defaults.

use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use kernel::AppError;
use serde::de::DeserializeOwned;

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

/// A JSON body. Fields its type does not have are refused with their path (`answers.x`, not
/// silently dropped): a misspelt optional field would otherwise look accepted and do nothing.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !json_content_type(req.headers()) {
            return Err(ApiError(AppError::invalid("expected a request body with Content-Type: application/json")));
        }
        let body = Bytes::from_request(req, state).await.map_err(|e| ApiError(AppError::invalid(e.body_text())))?;
        json_body(&body).map(ApiJson).map_err(ApiError)
    }
}

/// `application/json`, or a `+json` type such as `application/merge-patch+json`.
fn json_content_type(headers: &axum::http::HeaderMap) -> bool {
    let Some(mime) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else { return false };
    let essence = mime.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Reads `T` from a JSON body, refusing trailing data and fields `T` does not have.
fn json_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    let mut unknown = Vec::new();
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_ignored::deserialize(&mut de, |path| unknown.push(path.to_string()))
        .and_then(|v| de.end().map(|()| v))
        .map_err(|e| AppError::invalid(format!("Failed to deserialize the JSON body into the target type: {e}")))?;
    if unknown.is_empty() {
        Ok(value)
    } else {
        Err(AppError::invalid(format!("unknown field(s) in the JSON body: {}", unknown.join(", "))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        name: String,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        inner: Inner,
        #[serde(default)]
        note: Option<String>,
    }

    #[test]
    fn unknown_fields_are_refused_by_path() {
        assert!(json_body::<Outer>(br#"{"inner": {"name": "An"}}"#).is_ok());
        let e = json_body::<Outer>(br#"{"inner": {"name": "An", "nmae": 1}, "notes": "x"}"#).unwrap_err();
        assert!(e.detail.contains("inner.nmae") && e.detail.contains("notes"), "{}", e.detail);
        let e = json_body::<Outer>(br#"{"inner": {"name": "An"}} trailing"#).unwrap_err();
        assert!(e.detail.contains("trailing"), "{}", e.detail);
    }

    #[test]
    fn json_types_are_recognised() {
        let mut h = axum::http::HeaderMap::new();
        assert!(!json_content_type(&h));
        h.insert(CONTENT_TYPE, "application/json; charset=utf-8".parse().unwrap());
        assert!(json_content_type(&h));
        h.insert(CONTENT_TYPE, "application/merge-patch+json".parse().unwrap());
        assert!(json_content_type(&h));
        h.insert(CONTENT_TYPE, "text/plain".parse().unwrap());
        assert!(!json_content_type(&h));
    }
}
