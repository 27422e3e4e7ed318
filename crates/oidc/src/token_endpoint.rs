//! `POST /oidc/token`: the authorization-code, refresh-token and client-credentials grants.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::clients::Client;
use crate::code_exchange::{self, Exchanged, Redemption};
use crate::error::OAuthError;
use crate::grants::{self, TokenSpec};
use crate::id_token::{at_hash, IdTokenClaims, ID_TOKEN_TTL_S};
use crate::provider::Provider;
use crate::refresh_rotation::{self, Rotated, Rotation};
use crate::{claims, scopes};

/// Parses a form body; a parameter sent twice is an error (RFC 6749 §3.2).
pub fn parse_form(body: &[u8]) -> Result<HashMap<String, String>, OAuthError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(body).map_err(|e| OAuthError::invalid_request(format!("malformed form: {e}")))?;
    let mut map = HashMap::with_capacity(pairs.len());
    for (k, v) in pairs {
        if map.insert(k.clone(), v).is_some() {
            return Err(OAuthError::invalid_request(format!("parameter {k} sent more than once")));
        }
    }
    Ok(map)
}

/// A successful token response with `no-store` caching headers.
pub fn token_response(body: serde_json::Value) -> Response {
    ([(header::CACHE_CONTROL, "no-store"), (header::PRAGMA, "no-cache")], Json(body)).into_response()
}

/// The token endpoint.
#[utoipa::path(post, operation_id = "oidc.token", security(()), path = "/oidc/token", tag = "oidc",
    request_body(content_type = "application/x-www-form-urlencoded", description = "grant_type = authorization_code (code, redirect_uri, code_verifier), refresh_token (refresh_token, scope) or client_credentials (scope); client authentication per registration"),
    responses((status = 200, description = "access_token, token_type, expires_in, id_token, scope; refresh_token only when the granted scope has offline_access"),
              (status = 400, description = "RFC 6749 error: invalid_request, invalid_grant, invalid_scope, unauthorized_client, unsupported_grant_type", body = crate::error::OAuthErrorBody),
              (status = 401, description = "invalid_client", body = crate::error::OAuthErrorBody),
              (status = 429, description = "slow_down: the client's per-minute allowance of token requests is used up", body = crate::error::OAuthErrorBody),
              (status = 500, description = "server_error", body = crate::error::OAuthErrorBody)))]
#[tracing::instrument(name = "oidc.token", skip_all, fields(client_id = tracing::field::Empty))]
pub async fn token(State(p): State<Provider>, headers: HeaderMap, body: Bytes) -> Response {
    match handle(&p, &headers, &body).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn handle(p: &Provider, headers: &HeaderMap, body: &[u8]) -> Result<Response, OAuthError> {
    let form = parse_form(body)?;
    let now = kernel::clock::now_ms();
    let client = crate::client_auth::authenticate(p, headers, &form, now).await?;
    tracing::Span::current().record("client_id", client.id.as_str());
    // Counted after authentication, so nobody can spend another client's allowance; checked
    // before the grant, so a refused request changes nothing (a code stays unspent).
    if !p.token_limiter.allow(&client.id, p.token_limit) {
        return Err(OAuthError::slow_down("too many token requests for this client; retry in a minute"));
    }
    let grant = form.get("grant_type").map(String::as_str).unwrap_or_default();
    if !client.allows_grant(grant) {
        return Err(match grant {
            "authorization_code" | "refresh_token" | "client_credentials" => {
                OAuthError::unauthorized_client(format!("client may not use the {grant} grant"))
            }
            "" => OAuthError::invalid_request("grant_type is missing"),
            other => OAuthError::unsupported_grant_type(format!("unsupported grant_type {other}")),
        });
    }
    match grant {
        "authorization_code" => authorization_code(p, &client, &form, now).await,
        "refresh_token" => refresh(p, &client, &form, now).await,
        _ => client_credentials(p, &client, &form, now).await,
    }
}

/// A required form parameter, or `invalid_request` naming it.
pub(crate) fn required<'a>(form: &'a HashMap<String, String>, name: &str) -> Result<&'a str, OAuthError> {
    form.get(name).map(String::as_str).ok_or_else(|| OAuthError::invalid_request(format!("{name} is missing")))
}

async fn authorization_code(
    p: &Provider,
    client: &Client,
    form: &HashMap<String, String>,
    now: i64,
) -> Result<Response, OAuthError> {
    let redemption = Redemption::from_form(client, form)?;
    let Exchanged { grant: g, account, issued } = code_exchange::exchange(p, redemption, now).await?;
    let sub = claims::subject(client, &account.id, &p.salt);
    let now_s = now / 1000;
    let id_claims = IdTokenClaims {
        iss: &p.issuer,
        sub: &sub,
        aud: &client.id,
        azp: &client.id,
        iat: now_s,
        exp: now_s + ID_TOKEN_TTL_S,
        auth_time: g.auth_time / 1000,
        nonce: g.nonce.as_deref(),
        acr: &g.acr,
        amr: g.amr.split(' ').filter(|s| !s.is_empty()).collect(),
        at_hash: at_hash(&issued.access_token),
    };
    let id_token = p.keys.sign(&id_claims).map_err(OAuthError::server_error)?;
    if let Some(pid) = &account.person_id {
        crate::claims::record_release(&p.access_log, client, pid, "oidc.sign_in", &["sub", "acr", "auth_time"], now)
            .await?;
    }
    let mut body = json!({
        "access_token": issued.access_token,
        "token_type": "Bearer",
        "expires_in": issued.expires_in,
        "id_token": id_token,
        "scope": g.scope,
    });
    if let (Some(r), Some(fields)) = (issued.refresh_token, body.as_object_mut()) {
        fields.insert("refresh_token".into(), json!(r));
    }
    Ok(token_response(body))
}

async fn refresh(
    p: &Provider,
    client: &Client,
    form: &HashMap<String, String>,
    now: i64,
) -> Result<Response, OAuthError> {
    let Rotated { issued, scope } = refresh_rotation::rotate(p, Rotation::from_form(client, form)?, now).await?;
    let mut body = json!({
        "access_token": issued.access_token,
        "token_type": "Bearer",
        "expires_in": issued.expires_in,
        "scope": scope,
    });
    if let (Some(r), Some(fields)) = (issued.refresh_token, body.as_object_mut()) {
        fields.insert("refresh_token".into(), json!(r));
    }
    Ok(token_response(body))
}

async fn client_credentials(
    p: &Provider,
    client: &Client,
    form: &HashMap<String, String>,
    now: i64,
) -> Result<Response, OAuthError> {
    let api_scopes: Vec<String> =
        client.allowed_scopes.iter().filter(|s| scopes::is(s, scopes::ScopeKind::Api)).cloned().collect();
    let scope = match form.get("scope") {
        None => api_scopes.join(" "),
        Some(r) => scopes::check(r, &api_scopes).map_err(OAuthError::invalid_scope)?.join(" "),
    };
    if scope.is_empty() {
        return Err(OAuthError::invalid_scope("the client has no API scopes"));
    }
    let (client_id, granted) = (client.id.clone(), scope.clone());
    let issued = p
        .in_batch(move |conn| {
            Box::pin(async move {
                let spec = TokenSpec {
                    client_id: &client_id,
                    account_id: None,
                    scope: &granted,
                    acr: None,
                    auth_time: None,
                    grant_id: &kernel::ids::new_id(),
                    with_refresh: false,
                };
                grants::issue_tokens(conn, &spec, now).await
            })
        })
        .await?;
    Ok(token_response(json!({
        "access_token": issued.access_token,
        "token_type": "Bearer",
        "expires_in": issued.expires_in,
        "scope": scope,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_parameters_are_refused() {
        assert_eq!(parse_form(b"a=1&b=2").unwrap().len(), 2);
        assert_eq!(parse_form(b"a=1&a=2").unwrap_err().error, "invalid_request");
    }
}
