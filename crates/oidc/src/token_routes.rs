//! The other back-channel endpoints: pushed authorization requests (RFC 9126), userinfo,
//! introspection (RFC 7662) and revocation (RFC 7009).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::access_lookup::Bearer;
use crate::error::OAuthError;
use crate::provider::Provider;
use crate::request::{self, AuthParams, PAR_TTL_MS};
use crate::token_endpoint::{parse_form, token_response};
use crate::{claims, client_auth, grants, scopes};

fn respond(r: Result<Response, OAuthError>) -> Response {
    r.unwrap_or_else(IntoResponse::into_response)
}

/// `POST /oidc/par`
#[utoipa::path(post, operation_id = "oidc.par", security(()), path = "/oidc/par", tag = "oidc",
    request_body(content_type = "application/x-www-form-urlencoded", description = "authorization request parameters and client authentication (RFC 9126)"),
    responses((status = 201, description = "request_uri and expires_in"), (status = 400, description = "invalid_request or invalid_scope", body = crate::error::OAuthErrorBody),
              (status = 401, description = "invalid_client", body = crate::error::OAuthErrorBody), (status = 500, description = "server_error", body = crate::error::OAuthErrorBody)))]
pub async fn par(State(p): State<Provider>, headers: HeaderMap, body: Bytes) -> Response {
    respond(
        async {
            let form = parse_form(&body)?;
            let now = kernel::clock::now_ms();
            let client = client_auth::authenticate(&p, &headers, &form, now).await?;
            let params: AuthParams =
                serde_json::from_value(serde_json::to_value(&form).map_err(OAuthError::server_error)?)
                    .map_err(|e| OAuthError::invalid_request(e.to_string()))?;
            let uri = request::push(&p, &client, params, now).await?;
            let body = json!({"request_uri": uri, "expires_in": PAR_TTL_MS / 1000});
            Ok((StatusCode::CREATED, token_response(body)).into_response())
        }
        .await,
    )
}

/// The bearer token of a resource request: the `Authorization` header, or the form field for POST.
fn bearer(headers: &HeaderMap, body: &[u8]) -> Option<String> {
    if let Some(t) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")) {
        return Some(t.trim().to_string());
    }
    parse_form(body).ok().and_then(|f| f.get("access_token").cloned())
}

/// `GET|POST /oidc/userinfo`: the claims of the token's scopes. Each call is a release of the
/// citizen's data to the client and is written to the access log.
#[utoipa::path(get, operation_id = "oidc.userinfo", path = "/oidc/userinfo", tag = "oidc", security(("bearer" = [])),
    description = "Also answers POST, whose form may carry the token as `access_token` (RFC 6750 §2.2).",
    request_body(content_type = "application/x-www-form-urlencoded", description = "for POST: access_token, unless sent as Authorization: Bearer"),
    responses((status = 200, description = "Claims of the token's scopes; each call is written to the citizen's access log"),
              (status = 401, description = "invalid_token: an OpenID Connect access token is missing, expired or revoked", body = crate::error::OAuthErrorBody),
              (status = 500, description = "server_error", body = crate::error::OAuthErrorBody)))]
pub async fn userinfo(State(p): State<Provider>, headers: HeaderMap, body: Bytes) -> Response {
    respond(
        async {
            let token = bearer(&headers, &body).ok_or_else(|| OAuthError::invalid_token("access token is missing"))?;
            let now = kernel::clock::now_ms();
            let Bearer { token: t, account } = p
                .access
                .get(&token)
                .await?
                .ok_or_else(|| OAuthError::invalid_token("access token is invalid, expired or revoked"))?;
            if t.account_id.is_none() {
                return Err(OAuthError::invalid_token("not a user's token"));
            }
            let scope_list = scopes::split(&t.scope);
            if !scope_list.iter().any(|s| s == "openid") {
                return Err(OAuthError::invalid_token("token was not issued for OpenID Connect"));
            }
            let client = p
                .clients
                .get(&p.db, &t.client_id, now)
                .await?
                .ok_or_else(|| OAuthError::invalid_token("client gone"))?;
            let account = account
                .filter(|a| a.status == identity::AccountStatus::Active)
                .ok_or_else(|| OAuthError::invalid_token("the account can no longer sign in"))?;
            let (mut out, released) = claims::user_claims(&p.persons, &account, &scope_list).await?;
            out.insert("sub".into(), json!(claims::subject(&client, &account.id, &p.salt)));
            if let Some(pid) = &account.person_id {
                let names: Vec<&str> = released.iter().map(String::as_str).collect();
                crate::claims::record_release(&p.access_log, &client, pid, "oidc.userinfo", &names, now).await?;
            }
            Ok(token_response(serde_json::Value::Object(out)))
        }
        .await,
    )
}

/// `POST /oidc/introspect`: only the client a token was issued to learns about it.
#[utoipa::path(post, operation_id = "oidc.introspect", security(()), path = "/oidc/introspect", tag = "oidc",
    request_body(content_type = "application/x-www-form-urlencoded", description = "token, and client authentication"),
    responses((status = 200, description = "RFC 7662 response: active, scope, client_id, sub, exp, iat, acr"),
              (status = 400, description = "invalid_request: token missing", body = crate::error::OAuthErrorBody),
              (status = 401, description = "invalid_client", body = crate::error::OAuthErrorBody), (status = 500, description = "server_error", body = crate::error::OAuthErrorBody)))]
pub async fn introspect(State(p): State<Provider>, headers: HeaderMap, body: Bytes) -> Response {
    respond(
        async {
            let form = parse_form(&body)?;
            let now = kernel::clock::now_ms();
            let client = client_auth::authenticate(&p, &headers, &form, now).await?;
            let token = form.get("token").ok_or_else(|| OAuthError::invalid_request("token is missing"))?;
            let Some(t) = grants::find_active(&p.db, token, now).await?.filter(|t| t.client_id == client.id) else {
                return Ok(token_response(json!({"active": false})));
            };
            let mut out = json!({
                "active": true,
                "scope": t.scope,
                "client_id": t.client_id,
                "token_type": if t.kind == "access" { "Bearer" } else { "refresh_token" },
                "iat": t.created_at / 1000,
                "exp": t.expires_at / 1000,
                "iss": p.issuer.as_ref(),
            });
            if let Some(fields) = out.as_object_mut() {
                if let Some(a) = &t.account_id {
                    fields.insert("sub".into(), json!(claims::subject(&client, a, &p.salt)));
                }
                if let Some(acr) = &t.acr {
                    fields.insert("acr".into(), json!(acr));
                }
                if let Some(at) = t.auth_time {
                    fields.insert("auth_time".into(), json!(at / 1000));
                }
            }
            Ok(token_response(out))
        }
        .await,
    )
}

/// `POST /oidc/revoke`: always 200 for an authenticated client, whether or not the token existed.
#[utoipa::path(post, operation_id = "oidc.revoke", security(()), path = "/oidc/revoke", tag = "oidc",
    request_body(content_type = "application/x-www-form-urlencoded", description = "token, token_type_hint, and client authentication"),
    responses((status = 200, description = "Revoked, or unknown (RFC 7009)"),
              (status = 400, description = "invalid_request: token missing", body = crate::error::OAuthErrorBody),
              (status = 401, description = "invalid_client", body = crate::error::OAuthErrorBody), (status = 500, description = "server_error", body = crate::error::OAuthErrorBody)))]
pub async fn revoke(State(p): State<Provider>, headers: HeaderMap, body: Bytes) -> Response {
    respond(
        async {
            let form = parse_form(&body)?;
            let now = kernel::clock::now_ms();
            let client = client_auth::authenticate(&p, &headers, &form, now).await?;
            let token = form.get("token").ok_or_else(|| OAuthError::invalid_request("token is missing"))?;
            grants::revoke_by_client(&p.db, token, &client.id, now).await?;
            Ok(StatusCode::OK.into_response())
        }
        .await,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_from_header_or_form() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer(&h, b"access_token=abc"), Some("abc".into()));
        h.insert(AUTHORIZATION, "Bearer xyz".parse().unwrap());
        assert_eq!(bearer(&h, b""), Some("xyz".into()));
        assert_eq!(bearer(&HeaderMap::new(), b""), None);
    }
}
