//! The authorization request: its parameters (from the query, a form, or a pushed request) and the
//! checks that decide whether errors may be sent back to the client or must be shown to the user.

use std::sync::Arc;

use db::sqlx::{self, Row};
use identity::secrets::{hash_secret, random_secret};
use serde::{Deserialize, Serialize};

use crate::clients::Client;
use crate::error::OAuthError;
use crate::provider::Provider;
use crate::{pkce, scopes};

/// Prefix of pushed-request handles (RFC 9126 §2.2).
pub const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";
/// How long a pushed request may be used (long enough to sign in with a second factor).
pub const PAR_TTL_MS: i64 = 300_000;

/// Authorization request parameters as sent.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct AuthParams {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub prompt: Option<String>,
    pub max_age: Option<String>,
    pub acr_values: Option<String>,
    pub request_uri: Option<String>,
    pub ui_locales: Option<String>,
    /// Set by this provider when it sends the user to sign in again: the session must have been
    /// authenticated at or after this time (ms). Only ever makes the request stricter.
    #[serde(rename = "_fresh")]
    pub fresh: Option<String>,
}

impl AuthParams {
    /// The parameters as a query string.
    pub fn to_query(&self) -> String {
        let v = serde_json::to_value(self).unwrap_or_default();
        let mut out = Vec::new();
        if let Some(map) = v.as_object() {
            for (k, val) in map {
                if let Some(s) = val.as_str() {
                    out.push(format!("{k}={}", web::auth::urlencode(s)));
                }
            }
        }
        out.join("&")
    }
}

/// What `prompt` asked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Prompt {
    pub none: bool,
    pub login: bool,
    pub consent: bool,
}

/// A request that passed every check.
#[derive(Debug, Clone)]
pub struct ValidRequest {
    pub params: AuthParams,
    pub client: Arc<Client>,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub prompt: Prompt,
    /// Maximum age of the authentication in seconds.
    pub max_age: Option<i64>,
    /// The e-ID level the sign-in must have: the client's minimum, raised by `acr_values`.
    pub required_level: u8,
    pub fresh_after: Option<i64>,
    /// The pushed request this came from, spent when a code is issued.
    pub par_hash: Option<String>,
}

/// Why a request was refused.
#[derive(Debug)]
pub enum Rejection {
    /// The client or redirect URI cannot be trusted: show the error to the user, never redirect.
    Show(String),
    /// Send `error` back to the (verified) redirect URI.
    Redirect {
        redirect_uri: String,
        state: Option<String>,
        error: &'static str,
        description: String,
    },
    Server(OAuthError),
}

/// Loads the parameters of a pushed request when `request_uri` is given.
async fn resolve_pushed(p: &Provider, params: AuthParams, now: i64) -> Result<(AuthParams, Option<String>), Rejection> {
    let Some(uri) = params.request_uri.clone() else { return Ok((params, None)) };
    let handle = uri
        .strip_prefix(REQUEST_URI_PREFIX)
        .ok_or_else(|| Rejection::Show("request_uri was not issued by this provider".into()))?;
    let hash = hash_secret(handle);
    let row = sqlx::query("SELECT client_id, params, expires_at, used_at FROM oauth_par WHERE request_uri_hash = $1")
        .bind(&hash)
        .fetch_optional(p.db.read())
        .await
        .map_err(|e| Rejection::Server(OAuthError::server_error(e)))?
        .ok_or_else(|| Rejection::Show("unknown request_uri".into()))?;
    let client_id: String = row.get(0);
    if params.client_id.as_deref() != Some(client_id.as_str()) {
        return Err(Rejection::Show("request_uri belongs to another client".into()));
    }
    if row.get::<i64, _>(2) <= now || row.get::<Option<i64>, _>(3).is_some() {
        return Err(Rejection::Show("request_uri expired or already used".into()));
    }
    let mut pushed: AuthParams =
        serde_json::from_str(&row.get::<String, _>(1)).map_err(|e| Rejection::Server(OAuthError::server_error(e)))?;
    pushed.request_uri = Some(uri);
    pushed.fresh = params.fresh;
    Ok((pushed, Some(hash)))
}

/// Checks an authorization request received at `now` (UTC milliseconds).
pub async fn validate(p: &Provider, params: AuthParams, now: i64) -> Result<ValidRequest, Rejection> {
    let (params, par_hash) = resolve_pushed(p, params, now).await?;
    let client_id = params.client_id.clone().ok_or_else(|| Rejection::Show("client_id is missing".into()))?;
    let client = p
        .clients
        .get(&p.db, &client_id, now)
        .await
        .map_err(|e| Rejection::Server(e.into()))?
        .filter(|c| c.disabled_at.is_none())
        .ok_or_else(|| Rejection::Show("unknown or disabled client".into()))?;
    if !client.allows_grant("authorization_code") {
        return Err(Rejection::Show("this client does not sign users in".into()));
    }
    let redirect_uri = params.redirect_uri.clone().ok_or_else(|| Rejection::Show("redirect_uri is missing".into()))?;
    if !client.has_redirect_uri(&redirect_uri) {
        return Err(Rejection::Show("redirect_uri is not registered for this client".into()));
    }
    let state = params.state.clone();
    let fail = |error: &'static str, description: String| Rejection::Redirect {
        redirect_uri: redirect_uri.clone(),
        state: state.clone(),
        error,
        description,
    };
    if params.response_type.as_deref() != Some("code") {
        return Err(fail("unsupported_response_type", "only response_type=code is supported".into()));
    }
    let scope = params.scope.clone().unwrap_or_default();
    let scopes = scopes::check(&scope, &client.allowed_scopes).map_err(|e| fail("invalid_scope", e))?;
    if !scopes.iter().any(|s| s == "openid") {
        return Err(fail("invalid_scope", "the openid scope is required".into()));
    }
    if scopes.iter().any(|s| scopes::find(s).is_some_and(|d| d.kind == scopes::ScopeKind::Api)) {
        return Err(fail("invalid_scope", "API scopes are not granted through sign-in".into()));
    }
    let code_challenge = params.code_challenge.clone();
    match (&code_challenge, params.code_challenge_method.as_deref()) {
        (Some(c), Some("S256")) if pkce::valid_challenge(c) => {}
        (Some(_), Some("S256")) => return Err(fail("invalid_request", "malformed code_challenge".into())),
        (Some(_), _) => return Err(fail("invalid_request", "code_challenge_method must be S256".into())),
        (None, Some(_)) => return Err(fail("invalid_request", "code_challenge_method without code_challenge".into())),
        (None, None) if client.is_public() => {
            return Err(fail(
                "invalid_request",
                "PKCE (code_challenge with S256) is required for public clients".into(),
            ))
        }
        (None, None) => {}
    }
    let mut prompt = Prompt::default();
    for v in params.prompt.as_deref().unwrap_or_default().split(' ').filter(|s| !s.is_empty()) {
        match v {
            "none" => prompt.none = true,
            "login" => prompt.login = true,
            "consent" => prompt.consent = true,
            "select_account" => {}
            other => return Err(fail("invalid_request", format!("unsupported prompt value {other}"))),
        }
    }
    if prompt.none && (prompt.login || prompt.consent) {
        return Err(fail("invalid_request", "prompt=none cannot be combined with other values".into()));
    }
    let max_age = match params.max_age.as_deref() {
        None | Some("") => None,
        Some(s) => Some(
            s.parse::<i64>()
                .ok()
                .filter(|v| *v >= 0)
                .ok_or_else(|| fail("invalid_request", "max_age must be a non-negative integer".into()))?,
        ),
    };
    let requested_level =
        params.acr_values.as_deref().unwrap_or_default().split(' ').filter_map(crate::level_of_acr).min().unwrap_or(1);
    let fresh_after = params.fresh.as_deref().and_then(|s| s.parse::<i64>().ok());
    Ok(ValidRequest {
        required_level: requested_level.max(client.min_level),
        nonce: params.nonce.clone(),
        params,
        client,
        redirect_uri,
        scopes,
        state,
        code_challenge,
        prompt,
        max_age,
        fresh_after,
        par_hash,
    })
}

/// Stores a pushed authorization request for an authenticated client; returns the `request_uri`.
/// The request is validated now so errors reach the client directly (RFC 9126 §2.3). `now` is UTC
/// milliseconds, the time of the push.
pub async fn push(p: &Provider, client: &Client, mut params: AuthParams, now: i64) -> Result<String, OAuthError> {
    if params.request_uri.is_some() {
        return Err(OAuthError::invalid_request("request_uri is not allowed in a pushed request"));
    }
    params.client_id = Some(client.id.clone());
    params.fresh = None;
    match validate(p, params.clone(), now).await {
        Ok(_) => {}
        Err(Rejection::Show(d)) => return Err(OAuthError::invalid_request(d)),
        Err(Rejection::Redirect { error, description, .. }) => {
            return Err(match error {
                "invalid_scope" => OAuthError::invalid_scope(description),
                _ => OAuthError::invalid_request(description),
            })
        }
        Err(Rejection::Server(e)) => return Err(e),
    }
    let handle = random_secret();
    sqlx::query("INSERT INTO oauth_par (request_uri_hash, client_id, params, expires_at, used_at) VALUES ($1, $2, $3, $4, NULL)")
        .bind(hash_secret(&handle))
        .bind(&client.id)
        .bind(serde_json::to_string(&params).map_err(OAuthError::server_error)?)
        .bind(now + PAR_TTL_MS)
        .execute(p.db.write())
        .await
        .map_err(OAuthError::server_error)?;
    Ok(format!("{REQUEST_URI_PREFIX}{handle}"))
}

/// Marks a pushed request used (at `now`, UTC milliseconds) once a code has been issued from it.
pub async fn spend_pushed(p: &Provider, par_hash: &str, now: i64) -> Result<(), OAuthError> {
    sqlx::query("UPDATE oauth_par SET used_at = $1 WHERE request_uri_hash = $2")
        .bind(now)
        .bind(par_hash)
        .execute(p.db.write())
        .await
        .map_err(OAuthError::server_error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_round_trip() {
        let p = AuthParams {
            client_id: Some("c 1".into()),
            redirect_uri: Some("https://x/cb?a=1".into()),
            fresh: Some("5".into()),
            ..Default::default()
        };
        let q = p.to_query();
        assert!(q.contains("redirect_uri=https%3A//x/cb%3Fa%3D1"));
        assert!(q.contains("_fresh=5"));
        let back: AuthParams = serde_urlencoded_like(&q);
        assert_eq!(back, p);
    }

    fn serde_urlencoded_like(q: &str) -> AuthParams {
        let uri: axum::http::Uri = format!("/x?{q}").parse().unwrap();
        axum::extract::Query::<AuthParams>::try_from_uri(&uri).unwrap().0
    }
}
