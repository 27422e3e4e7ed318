//! Client authentication at the token, introspection, revocation and PAR endpoints: exactly the
//! method the client registered (`client_secret_basic`, `client_secret_post`, `private_key_jwt`
//! per RFC 7523, or `none` for public clients).

use std::collections::HashMap;
use std::sync::Arc;

use axum::http::header::AUTHORIZATION;
use axum::http::HeaderMap;
use base64::Engine;
use db::sqlx;
use identity::secrets::hash_secret;
use serde::Deserialize;

use crate::clients::Client;
use crate::error::OAuthError;
use crate::provider::Provider;

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// The longest a client assertion may live, in seconds (`exp` − `iat`, or `exp` − now without
/// `iat`): an assertion is made for one request, so a longer one is only a longer chance to steal.
pub const MAX_ASSERTION_LIFETIME_S: i64 = 600;
/// How far in the future an assertion's `iat` may be (the client's clock may run ahead of ours).
const ASSERTION_CLOCK_SKEW_S: i64 = 60;

/// Decodes `application/x-www-form-urlencoded` escapes (RFC 6749 §2.3.1 encodes Basic credentials).
fn form_decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = [bytes.next()?, bytes.next()?];
                out.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
            }
            b => out.push(b),
        }
    }
    String::from_utf8(out).ok()
}

/// `Authorization: Basic` credentials.
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let Some(v) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) else { return Ok(None) };
    let Some(b64) = v.strip_prefix("Basic ") else { return Ok(None) };
    let bad = || OAuthError::invalid_client("malformed Basic credentials");
    let raw = base64::engine::general_purpose::STANDARD.decode(b64.trim()).map_err(|_| bad())?;
    let text = String::from_utf8(raw).map_err(|_| bad())?;
    let (id, secret) = text.split_once(':').ok_or_else(bad)?;
    Ok(Some((form_decode(id).ok_or_else(bad)?, form_decode(secret).ok_or_else(bad)?)))
}

#[derive(Deserialize)]
struct Assertion {
    iss: String,
    sub: String,
    jti: String,
    exp: i64,
    iat: Option<i64>,
}

/// Refuses an assertion that lives longer than [`MAX_ASSERTION_LIFETIME_S`], measured from its
/// `iat`, or from `now_s` (UTC seconds) when it has none; an `iat` in the future beyond the clock
/// skew would let a short stated lifetime hide a long one and is refused too.
fn check_lifetime(iat: Option<i64>, exp: i64, now_s: i64) -> Result<(), String> {
    let minutes = MAX_ASSERTION_LIFETIME_S / 60;
    match iat {
        Some(iat) if iat > now_s.saturating_add(ASSERTION_CLOCK_SKEW_S) => Err("iat is in the future".into()),
        Some(iat) if exp.saturating_sub(iat) > MAX_ASSERTION_LIFETIME_S => {
            Err(format!("lifetime (exp - iat) exceeds {minutes} minutes"))
        }
        None if exp.saturating_sub(now_s) > MAX_ASSERTION_LIFETIME_S => {
            Err(format!("expires more than {minutes} minutes from now (exp - now; no iat)"))
        }
        _ => Ok(()),
    }
}

/// The client named in an assertion, read before verification only to find its keys.
fn assertion_subject(jwt: &str) -> Option<String> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    v.get("sub")?.as_str().map(str::to_owned)
}

async fn load(p: &Provider, id: &str, now: i64) -> Result<Arc<Client>, OAuthError> {
    p.clients
        .get(&p.db, id, now)
        .await?
        .filter(|c| c.disabled_at.is_none())
        .ok_or_else(|| OAuthError::invalid_client("unknown or disabled client"))
}

fn check_secret(client: &Client, secret: &str) -> Result<(), OAuthError> {
    match &client.secret_hash {
        Some(h) if kernel::secret::ct_eq(h, hash_secret(secret)) => Ok(()),
        _ => Err(OAuthError::invalid_client("client authentication failed")),
    }
}

/// Authenticates the calling client from the request headers and form; `now` (UTC milliseconds)
/// decides whether a cached registration is still fresh.
pub async fn authenticate(
    p: &Provider,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
    now: i64,
) -> Result<Arc<Client>, OAuthError> {
    let method_mismatch = || OAuthError::invalid_client("client authentication method does not match the registration");
    if let Some((id, secret)) = basic_credentials(headers)? {
        if form.get("client_id").is_some_and(|f| f != &id) {
            return Err(OAuthError::invalid_request("client_id in the form differs from the Basic credentials"));
        }
        let client = load(p, &id, now).await?;
        if client.auth_method != "client_secret_basic" {
            return Err(method_mismatch());
        }
        check_secret(&client, &secret)?;
        return Ok(client);
    }
    if let Some(assertion) = form.get("client_assertion") {
        if form.get("client_assertion_type").map(String::as_str) != Some(JWT_BEARER) {
            return Err(OAuthError::invalid_client("client_assertion_type must be jwt-bearer"));
        }
        let id =
            assertion_subject(assertion).ok_or_else(|| OAuthError::invalid_client("malformed client assertion"))?;
        if form.get("client_id").is_some_and(|f| f != &id) {
            return Err(OAuthError::invalid_client("client_id differs from the assertion's subject"));
        }
        let client = load(p, &id, now).await?;
        if client.auth_method != "private_key_jwt" {
            return Err(method_mismatch());
        }
        verify_assertion(p, &client, assertion, now).await?;
        return Ok(client);
    }
    let id = form.get("client_id").ok_or_else(|| OAuthError::invalid_client("client authentication is required"))?;
    let client = load(p, id, now).await?;
    match (client.auth_method.as_str(), form.get("client_secret")) {
        ("client_secret_post", Some(secret)) => check_secret(&client, secret)?,
        ("none", None) => {}
        _ => return Err(method_mismatch()),
    }
    Ok(client)
}

/// Verifies a `private_key_jwt` assertion: signature by a key in the client's JWKS, `iss` = `sub` =
/// client, audience = the token endpoint or the issuer, not expired, a lifetime of at most
/// [`MAX_ASSERTION_LIFETIME_S`] at `now` (UTC milliseconds), `jti` never seen before.
async fn verify_assertion(p: &Provider, client: &Client, jwt: &str, now: i64) -> Result<(), OAuthError> {
    let bad = |why: &str| OAuthError::invalid_client(format!("client assertion rejected: {why}"));
    let jwks: serde_json::Value =
        serde_json::from_str(client.jwks.as_deref().unwrap_or("{}")).map_err(|_| bad("client keys unusable"))?;
    let verifier = keys::JwksVerifier::from_jwks(&jwks).map_err(|_| bad("client keys unusable"))?;
    let token_endpoint = p.url("/oidc/token");
    let claims: Assertion = [token_endpoint.as_str(), p.issuer.as_ref()]
        .iter()
        .find_map(|aud| verifier.verify(jwt, &keys::Expect::new().issuer(client.id.clone()).audience(*aud)).ok())
        .ok_or_else(|| bad("signature, issuer, audience or expiry invalid"))?;
    if claims.sub != client.id || claims.iss != client.id {
        return Err(bad("iss and sub must be the client_id"));
    }
    check_lifetime(claims.iat, claims.exp, now / 1000).map_err(|why| bad(&why))?;
    let res = sqlx::query("INSERT INTO oauth_assertions (jti_hash, client_id, expires_at) VALUES ($1, $2, $3)")
        .bind(hash_secret(&format!("{}|{}", client.id, claims.jti)))
        .bind(&client.id)
        .bind(claims.exp * 1000)
        .execute(p.db.write())
        .await;
    match res {
        Ok(_) => Ok(()),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(bad("assertion already used (jti replay)")),
        Err(e) => Err(OAuthError::server_error(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assertions_live_ten_minutes_at_most() {
        let now = 1_700_000_000;
        assert_eq!(check_lifetime(Some(now), now + 600, now), Ok(()));
        assert!(check_lifetime(Some(now), now + 601, now).unwrap_err().contains("exp - iat"));
        assert!(check_lifetime(Some(now - 3_600), now + 60, now).is_err(), "issued an hour ago");
        assert_eq!(check_lifetime(None, now + 600, now), Ok(()));
        assert!(check_lifetime(None, now + 3_600, now).unwrap_err().contains("exp - now"));
        assert!(check_lifetime(Some(now + 86_400), now + 86_700, now).unwrap_err().contains("future"));
        assert_eq!(check_lifetime(Some(now + 30), now + 630, now), Ok(()), "a client clock slightly ahead");
    }

    #[test]
    fn decodes_form_escapes() {
        assert_eq!(form_decode("a%3Ab+c").as_deref(), Some("a:b c"));
        assert_eq!(form_decode("%zz"), None);
        assert_eq!(form_decode("abc%"), None);
    }

    #[test]
    fn reads_basic_credentials() {
        let mut h = HeaderMap::new();
        let v = base64::engine::general_purpose::STANDARD.encode("dcl_1:s%2Bcret");
        h.insert(AUTHORIZATION, format!("Basic {v}").parse().unwrap());
        assert_eq!(basic_credentials(&h).unwrap(), Some(("dcl_1".into(), "s+cret".into())));
        h.insert(AUTHORIZATION, "Basic !!!".parse().unwrap());
        assert_eq!(basic_credentials(&h).unwrap_err().error, "invalid_client");
    }
}
