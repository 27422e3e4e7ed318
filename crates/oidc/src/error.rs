//! OAuth 2.0 error responses (RFC 6749 §4.1.2.1 and §5.2): a JSON body `{error, error_description}`
//! from the token-side endpoints, or a redirect back to the client from the authorization endpoint.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Serialize;

/// An error from the token, introspection, revocation or PAR endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub status: StatusCode,
    /// The RFC error code (`invalid_request`, `invalid_client`, `invalid_grant`, …).
    pub error: &'static str,
    pub description: String,
}

/// The JSON body of an [`OAuthError`] (RFC 6749 §5.2).
#[derive(Serialize, utoipa::ToSchema)]
pub struct OAuthErrorBody<'a> {
    /// The RFC error code.
    pub error: &'a str,
    pub error_description: &'a str,
}

impl OAuthError {
    fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        OAuthError { status, error, description: description.into() }
    }

    pub fn invalid_request(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", d)
    }

    /// Client authentication failed (401 with a `WWW-Authenticate` challenge).
    pub fn invalid_client(d: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_client", d)
    }

    pub fn invalid_grant(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", d)
    }

    pub fn unauthorized_client(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "unauthorized_client", d)
    }

    pub fn unsupported_grant_type(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "unsupported_grant_type", d)
    }

    pub fn invalid_scope(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_scope", d)
    }

    /// A bearer token that is missing, expired or revoked (RFC 6750 §3.1).
    pub fn invalid_token(d: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_token", d)
    }

    /// The client sent more token requests than its per-minute allowance (429, with
    /// `Retry-After`). `slow_down` is the token endpoint's "poll less often" error (RFC 8628 §3.5).
    pub fn slow_down(d: impl Into<String>) -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS, "slow_down", d)
    }

    pub fn server_error(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "oidc server error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "internal error")
    }
}

impl From<kernel::AppError> for OAuthError {
    fn from(e: kernel::AppError) -> Self {
        OAuthError::server_error(e.detail)
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = OAuthErrorBody { error: self.error, error_description: &self.description };
        let mut resp = (self.status, axum::Json(&body)).into_response();
        let headers = resp.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if self.status == StatusCode::TOO_MANY_REQUESTS {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            let challenge =
                if self.error == "invalid_token" { "Bearer error=\"invalid_token\"" } else { "Basic realm=\"dancu\"" };
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
        }
        if let Some(kind) = security_kind(self.error) {
            web::security::note(&mut resp, audit::security::SecurityEvent::new(kind, self.error));
        }
        resp
    }
}

/// The security event a refusal of the OAuth endpoints is for the SOC: a credential, code or token
/// refused, a scope refused, a client over its rate.
fn security_kind(error: &str) -> Option<audit::security::Kind> {
    use audit::security::Kind;
    match error {
        "invalid_client" | "invalid_grant" | "invalid_token" | "unauthorized_client" => Some(Kind::TokenRefused),
        "invalid_scope" | "insufficient_scope" => Some(Kind::ScopeRefused),
        "slow_down" => Some(Kind::RateLimited),
        _ => None,
    }
}

/// An error sent back to the client's redirect URI (only once the redirect URI is known to be
/// registered for the client; before that, errors are shown to the user instead).
pub fn redirect_error(redirect_uri: &str, state: Option<&str>, error: &str, description: &str) -> Response {
    let mut url = format!(
        "{redirect_uri}{}error={}&error_description={}",
        if redirect_uri.contains('?') { '&' } else { '?' },
        web::auth::urlencode(error),
        web::auth::urlencode(description)
    );
    if let Some(s) = state {
        url.push_str(&format!("&state={}", web::auth::urlencode(s)));
    }
    Redirect::to(&url).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_error_keeps_state_and_existing_query() {
        let r = redirect_error("https://rp.example/cb?x=1", Some("s 1"), "access_denied", "no");
        let loc = r.headers().get(header::LOCATION).unwrap().to_str().unwrap();
        assert_eq!(loc, "https://rp.example/cb?x=1&error=access_denied&error_description=no&state=s%201");
    }

    #[test]
    fn invalid_client_carries_a_challenge() {
        let r = OAuthError::invalid_client("bad secret").into_response();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert!(r.headers().get(header::WWW_AUTHENTICATE).is_some());
        assert_eq!(r.headers().get(header::CACHE_CONTROL).unwrap(), "no-store");
    }
}
