//! OpenID Provider metadata (OpenID Connect Discovery 1.0, RFC 8414) and the public keys.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use serde_json::{json, Value};

use crate::provider::Provider;
use crate::scopes::{ScopeKind, SCOPES};

/// The metadata document.
pub fn metadata(p: &Provider) -> Value {
    let scopes: Vec<&str> =
        [ScopeKind::User, ScopeKind::Delegated, ScopeKind::Api].into_iter().flat_map(ScopeKind::names).collect();
    let claims: Vec<&str> =
        SCOPES.iter().flat_map(|s| s.claims.iter().copied()).chain(["acr", "amr", "auth_time"]).collect();
    json!({
        "issuer": p.issuer.as_ref(),
        "authorization_endpoint": p.url("/oidc/authorize"),
        "pushed_authorization_request_endpoint": p.url("/oidc/par"),
        "token_endpoint": p.url("/oidc/token"),
        "userinfo_endpoint": p.url("/oidc/userinfo"),
        "jwks_uri": p.url("/oidc/jwks"),
        "introspection_endpoint": p.url("/oidc/introspect"),
        "revocation_endpoint": p.url("/oidc/revoke"),
        "end_session_endpoint": p.url("/oidc/logout"),
        "scopes_supported": scopes,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["pairwise", "public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
        "token_endpoint_auth_signing_alg_values_supported": ["ES256", "EdDSA", "RS256", "PS256"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
        "code_challenge_methods_supported": ["S256"],
        "acr_values_supported": [crate::ACR_LEVEL1, crate::ACR_LEVEL2],
        "claims_supported": claims,
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "require_pushed_authorization_requests": false,
        "authorization_response_iss_parameter_supported": true,
        "prompt_values_supported": ["none", "login", "consent"],
        "ui_locales_supported": ["vi", "en"],
    })
}

/// `GET /.well-known/openid-configuration`
#[utoipa::path(get, operation_id = "oidc.configuration", security(()), path = "/.well-known/openid-configuration", tag = "oidc",
    responses((status = 200, description = "OpenID Provider metadata (OpenID Connect Discovery 1.0)")))]
pub async fn configuration(State(p): State<Provider>) -> impl IntoResponse {
    ([(header::CACHE_CONTROL, "max-age=300")], Json(metadata(&p)))
}

/// `GET /oidc/jwks`: active keys and recently retired ones still valid for verification.
#[utoipa::path(get, operation_id = "oidc.jwks", security(()), path = "/oidc/jwks", tag = "oidc",
    responses((status = 200, description = "JSON Web Key Set of the ID-token signing keys")))]
pub async fn jwks(State(p): State<Provider>) -> impl IntoResponse {
    ([(header::CACHE_CONTROL, "max-age=300")], Json(p.keys.jwks()))
}
