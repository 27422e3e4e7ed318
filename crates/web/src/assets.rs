//! Static files compiled into the binary (stylesheet and scripts), served with their content type
//! and a cache lifetime, so every crate serves its own scripts the same way.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// How long browsers may reuse a served file.
const MAX_AGE: &str = "max-age=3600";

/// A JavaScript file.
pub fn script(body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, MAX_AGE)], body).into_response()
}

/// A CSS file.
pub fn stylesheet(body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, MAX_AGE)], body).into_response()
}
