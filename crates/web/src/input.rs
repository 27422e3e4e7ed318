//! Control characters are refused at the boundary, for every route at once.
//!
//! A NUL in a name was stored into a registry record on SQLite and failed with a server error on
//! PostgreSQL (its text type cannot hold one); other control characters end up in CSV files,
//! printed documents and logs. No field of the platform has a use for them, so a request that
//! carries one — percent-encoded in its path or query, in a URL-encoded form, or raw or escaped
//! (`\u0000`) in a JSON body — is answered `400 invalid_input` before any handler runs, and
//! nothing is changed. Tab, line feed and carriage return stay allowed: multi-line notes and
//! addresses use them. Multipart bodies (uploaded files) are binary and are not inspected.

use axum::body::Body;
use axum::extract::Request;
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use kernel::AppError;

use crate::csrf::MAX_BUFFERED;
use crate::error::{refusal, ApiError};

/// Whether `c` is a control character no field may hold.
fn forbidden(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// The OAuth 2.0 endpoints that answer errors in the form of RFC 6749 §5.2
/// (`{"error": "invalid_request", "error_description": …}`) as their OpenAPI operations say; the
/// userinfo endpoint answers a bad request with the API's error body.
const OAUTH_ENDPOINTS: &[&str] = &["/oidc/token", "/oidc/introspect", "/oidc/revoke", "/oidc/par"];

/// Middleware: refuses requests that carry a forbidden control character (see the module).
pub async fn refuse_control_characters(req: Request, next: Next) -> Response {
    let oauth = OAUTH_ENDPOINTS.contains(&req.uri().path());
    let refuse = |parts: &axum::http::request::Parts, detail: &str| {
        if oauth {
            let body = serde_json::json!({"error": "invalid_request", "error_description": detail});
            return (StatusCode::BAD_REQUEST, Json(body)).into_response();
        }
        let e = AppError::invalid(detail)
            .with_message("Dữ liệu chứa ký tự điều khiển không hợp lệ", "The input contains a control character");
        refusal(parts, e)
    };
    let (parts, body) = req.into_parts();
    if percent_encoded_control(parts.uri.path()) || parts.uri.query().is_some_and(percent_encoded_control) {
        return refuse(&parts, "control character in the URL");
    }
    let mime = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let json = mime == "application/json" || mime.ends_with("+json");
    let form = mime == "application/x-www-form-urlencoded";
    if !json && !form {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let bytes = match axum::body::to_bytes(body, MAX_BUFFERED).await {
        Ok(b) => b,
        Err(_) => return ApiError(AppError::invalid("request body too large or cut off")).into_response(),
    };
    let bad = if json { json_has_control(&bytes) } else { form_has_control(&bytes) };
    if bad {
        return refuse(&parts, "control character in the request body");
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// A forbidden character in a URL part once percent-decoded (as UTF-8, so `%C2%85` is the C1
/// control it encodes while `%E1%BB%85` is the `ễ` of Nguyễn).
fn percent_encoded_control(s: &str) -> bool {
    form_has_control(s.as_bytes())
}

/// A JSON text with a forbidden character, raw or as a `\uXXXX` escape. An escaped backslash
/// (`\\u0000`, the six characters as text) is not an escape and passes. Invalid UTF-8 is left to
/// the JSON parser, which refuses it.
fn json_has_control(body: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(body) else { return false };
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            // Any other escape (`\\`, `\"`, `\n`…) is skipped whole.
            if chars.next() == Some('u') {
                let code: String = chars.by_ref().take(4).collect();
                if u32::from_str_radix(&code, 16).ok().and_then(char::from_u32).is_some_and(forbidden) {
                    return true;
                }
            }
        } else if forbidden(c) {
            return true;
        }
    }
    false
}

/// A URL-encoded form with a forbidden character in a name or value.
fn form_has_control(body: &[u8]) -> bool {
    url::form_urlencoded::parse(body).any(|(k, v)| k.chars().chain(v.chars()).any(forbidden))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escapes_and_raw_controls_are_found() {
        assert!(json_has_control(br#"{"name":"Nguy\u0000n"}"#));
        assert!(json_has_control(br#"{"name":"A\u001Bb"}"#));
        assert!(json_has_control(br#"{"name":"A\u007fb"}"#));
        assert!(json_has_control("{\"name\":\"A\u{85}b\"}".as_bytes()));
        assert!(json_has_control(b"{\"name\":\"A\x01b\"}"));
        for ok in [
            r#"{"note":"d\u00f2ng 1\ndòng 2\tx\r"}"#.as_bytes(),
            br#"{"text":"\\u0000 is how JSON escapes NUL"}"#,
            b"{\n\t\"a\": 1\r\n}",
            "{\"name\":\"Nguyễn Thị Ánh\"}".as_bytes(),
        ] {
            assert!(!json_has_control(ok), "{}", String::from_utf8_lossy(ok));
        }
    }

    #[test]
    fn url_and_form_encodings_are_decoded() {
        assert!(percent_encoded_control("/api/v1/persons/%00"));
        assert!(percent_encoded_control("q=a%1fb"));
        assert!(percent_encoded_control("q=%7F"));
        assert!(!percent_encoded_control("q=Nguy%E1%BB%85n&note=a%0Ab%09"));
        assert!(!percent_encoded_control("q=100%"));
        assert!(percent_encoded_control("q=a%C2%85b"));
        assert!(!percent_encoded_control("/admin/accounts?q=Nguy%E1%BB%85n%20Th%E1%BB%8B%20%C3%81nh"));
        assert!(form_has_control(b"name=Nguy%00n"));
        assert!(form_has_control(b"na%01me=x"));
        assert!(!form_has_control(b"name=Nguy%E1%BB%85n&note=a%0D%0Ab"));
    }
}
