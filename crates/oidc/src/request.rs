//! The authorization request: its parameters (from the query, a form, or a pushed request) and the
//! checks that decide whether errors may be sent back to the client or must be shown to the user;
//! whether the session's authentication is recent enough for it (`prompt=login`, `max_age`) and
//! how it resumes after the user signs in; which scopes need the consent screen.

use std::sync::Arc;

use db::sqlx::{self, Row};
use identity::secrets::{hash_secret, random_secret};
use serde::{Deserialize, Serialize};

use crate::clients::Client;
use crate::error::OAuthError;
use crate::provider::Provider;
use crate::scopes::OFFLINE_ACCESS;
use crate::{pkce, scopes};

/// Prefix of pushed-request handles (RFC 9126 §2.2).
pub const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";
/// How long a pushed request may be used (long enough to sign in with a second factor).
pub const PAR_TTL_MS: i64 = 300_000;
/// How long after an authorization request sent the user to sign in the sign-in still counts as
/// made for that request (long enough for a password, a second factor and a slow connection).
pub const RESUME_TTL_MS: i64 = 600_000;
/// Audience of the resume marks this provider signs, so that no other token it signs (an ID token
/// has a client as audience) can stand for one.
const RESUME_AUDIENCE: &str = "urn:dancu:oidc:resume";
/// JOSE `typ` of a resume mark.
const RESUME_TYP: &str = "oidc-resume+jwt";

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
    /// A request object (OpenID Connect Core §6.1): not supported, answered `request_not_supported`.
    pub request: Option<String>,
    pub ui_locales: Option<String>,
    /// Set by this provider when it sends the user to sign in: a mark it signed (see
    /// [`resume_mark`]) saying when, for exactly these parameters. A sign-in made since then
    /// answers the request's `prompt=login` and `max_age`; a session older than that must sign in
    /// again. A mark that does not verify, belongs to other parameters or is older than
    /// [`RESUME_TTL_MS`] is ignored, so it can never make a request less strict than it was.
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
    /// When this request sent the user to sign in (UTC ms), from a verified resume mark: only an
    /// authentication at or after it counts, and it counts whatever `max_age` asked.
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
    // Another kind of request_uri (a request object by reference) is refused once the client
    // and redirect URI are known, so the refusal can go back to the client.
    let Some(handle) = uri.strip_prefix(REQUEST_URI_PREFIX) else { return Ok((params, None)) };
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
    // The mark covers the parameters as sent (for a pushed request: client_id and request_uri).
    let fresh_after = fresh_since(p, &params, now);
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
    if params.request.is_some() {
        return Err(fail(
            "request_not_supported",
            "request objects are not supported: send the parameters themselves, or push them to the \
             pushed authorization request endpoint"
                .into(),
        ));
    }
    if params.request_uri.is_some() && par_hash.is_none() {
        return Err(fail(
            "request_uri_not_supported",
            "only request_uri values issued by this provider's pushed authorization request endpoint are accepted"
                .into(),
        ));
    }
    if params.response_type.as_deref() != Some("code") {
        return Err(fail("unsupported_response_type", "only response_type=code is supported".into()));
    }
    let scope = params.scope.clone().unwrap_or_default();
    let scopes = scopes::check(&scope, &client.allowed_scopes).map_err(|e| fail("invalid_scope", e))?;
    if !scopes.iter().any(|s| s == "openid") {
        return Err(fail("invalid_scope", "the openid scope is required".into()));
    }
    if scopes.iter().any(|s| scopes::is(s, scopes::ScopeKind::Api)) {
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

/// What the consent screen has to do for a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentStep {
    /// Show it.
    Ask,
    /// It would have to be shown but `prompt=none` forbids it: `consent_required`.
    Required,
    /// Remembered consent covers the request: issue a code without showing it.
    Skip,
}

impl ValidRequest {
    /// Whether a session authenticated at `auth_time` must sign in again for this request, received
    /// at `now` (UTC milliseconds). A request resuming after the sign-in it asked for (a verified
    /// mark) is answered by any authentication made since it sent the user away, whatever
    /// `max_age` is (`max_age=0` included) — otherwise no sign-in could ever be recent enough.
    /// Without one, `prompt=login` always asks, and `max_age` asks when the authentication is older.
    pub fn needs_sign_in(&self, auth_time: i64, now: i64) -> bool {
        match self.fresh_after {
            Some(since) => auth_time < since,
            None => {
                self.prompt.login
                    || self.max_age.is_some_and(|m| now.saturating_sub(auth_time) > m.saturating_mul(1000))
            }
        }
    }

    /// The request to come back to after signing in, marked (see [`resume_mark`]) as sent to sign
    /// in at `now` (UTC milliseconds): `prompt=login` is answered by that sign-in and dropped; a
    /// pushed request comes back by its `request_uri` alone.
    pub fn resumed(&self, p: &Provider, now: i64) -> Result<AuthParams, OAuthError> {
        let mut params = self.params.clone();
        params.fresh = None;
        if let Some(prompt) = &params.prompt {
            let kept: Vec<&str> = prompt.split(' ').filter(|v| !v.is_empty() && *v != "login").collect();
            params.prompt = (!kept.is_empty()).then(|| kept.join(" "));
        }
        if params.request_uri.is_some() {
            params = AuthParams { client_id: params.client_id, request_uri: params.request_uri, ..Default::default() };
        }
        params.fresh = Some(resume_mark(p, &params, now)?);
        Ok(params)
    }

    /// Whether consent must be asked, given the scopes the citizen `remembered` for the client.
    /// `offline_access` is never covered by a remembered choice (OpenID Connect Core 1.0 §11: the
    /// provider must obtain consent to a refresh token): asking for it shows the screen, and under
    /// `prompt=none`, which cannot show it, it is left out of the grant (see
    /// [`ValidRequest::scopes_to_grant`]) instead of failing the request.
    pub fn consent_step(&self, remembered: &str) -> ConsentStep {
        let online: Vec<String> = self.scopes.iter().filter(|s| *s != OFFLINE_ACCESS).cloned().collect();
        if self.prompt.consent || !scopes::covers(remembered, &online) {
            return if self.prompt.none { ConsentStep::Required } else { ConsentStep::Ask };
        }
        if self.scopes.iter().any(|s| s == OFFLINE_ACCESS) && !self.prompt.none {
            return ConsentStep::Ask;
        }
        ConsentStep::Skip
    }

    /// The scopes a code is issued for: all that were asked for when the citizen saw and accepted
    /// the consent screen for this request; otherwise without `offline_access`.
    pub fn scopes_to_grant(&self, consent_shown: bool) -> Vec<String> {
        self.scopes.iter().filter(|s| consent_shown || *s != OFFLINE_ACCESS).cloned().collect()
    }
}

/// The claims of a resume mark.
#[derive(Debug, Serialize, Deserialize)]
struct ResumeClaims {
    iss: String,
    aud: String,
    /// When the request sent the user to sign in (UTC milliseconds).
    since: i64,
    /// SHA-256 of the parameters the mark was made for (without the mark).
    req: String,
    /// Expiry in seconds, as JWT wants it.
    exp: i64,
}

/// SHA-256 of the parameters without the mark, or `None` when they cannot be encoded.
fn params_digest(params: &AuthParams) -> Option<String> {
    let unmarked = AuthParams { fresh: None, ..params.clone() };
    serde_urlencoded::to_string(&unmarked).ok().map(|q| hash_secret(&q))
}

/// A mark saying that the request with `params` sent the user to sign in at `since` (UTC
/// milliseconds): a compact JWS signed with the provider's key, audience [`RESUME_AUDIENCE`], bound
/// to the parameters by their digest, so it cannot be forged, moved to another request or (after
/// [`RESUME_TTL_MS`]) kept.
pub fn resume_mark(p: &Provider, params: &AuthParams, since: i64) -> Result<String, OAuthError> {
    let req =
        params_digest(params).ok_or_else(|| OAuthError::server_error("authorization parameters not encodable"))?;
    let claims = ResumeClaims {
        iss: p.issuer.to_string(),
        aud: RESUME_AUDIENCE.into(),
        since,
        req,
        exp: (since + RESUME_TTL_MS) / 1000,
    };
    p.keys.sign_typed(&claims, RESUME_TYP).map_err(OAuthError::server_error)
}

/// The time a request's resume mark was made, when the mark verifies, was made for exactly these
/// parameters and is not older than [`RESUME_TTL_MS`] at `now` (UTC milliseconds).
fn fresh_since(p: &Provider, params: &AuthParams, now: i64) -> Option<i64> {
    let mark = params.fresh.as_deref()?;
    let expect = keys::Expect::new().issuer(p.issuer.to_string()).audience(RESUME_AUDIENCE);
    let claims: ResumeClaims = p.keys.verify(mark, &expect).ok()?;
    let fits = Some(&claims.req) == params_digest(params).as_ref();
    (fits && now.saturating_sub(claims.since) <= RESUME_TTL_MS).then_some(claims.since)
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

    fn request(scope: &str, prompt: Prompt, max_age: Option<i64>, fresh_after: Option<i64>) -> ValidRequest {
        let client = Client {
            allowed_scopes: scopes::split("openid profile offline_access"),
            grant_types: vec!["authorization_code".into(), "refresh_token".into()],
            ..Client::sample()
        };
        ValidRequest {
            params: AuthParams::default(),
            client: Arc::new(client),
            redirect_uri: "https://rp.example/cb".into(),
            scopes: scopes::split(scope),
            state: None,
            nonce: None,
            code_challenge: None,
            prompt,
            max_age,
            required_level: 1,
            fresh_after,
            par_hash: None,
        }
    }

    #[test]
    fn max_age_zero_is_answered_by_the_sign_in_it_asked_for() {
        let now = 1_000_000;
        let plain = request("openid", Prompt::default(), Some(0), None);
        assert!(plain.needs_sign_in(now - 1, now), "max_age=0: an earlier authentication is too old");
        let resumed = request("openid", Prompt::default(), Some(0), Some(now - 5_000));
        assert!(!resumed.needs_sign_in(now - 4_000, now), "signed in after the request sent the user away");
        assert!(resumed.needs_sign_in(now - 6_000, now), "a session from before the request still is too old");
        let max_age = request("openid", Prompt::default(), Some(60), None);
        assert!(!max_age.needs_sign_in(now - 60_000, now));
        assert!(max_age.needs_sign_in(now - 60_001, now));
        let login = request("openid", Prompt { login: true, ..Prompt::default() }, None, None);
        assert!(login.needs_sign_in(now, now));
        let huge = request("openid", Prompt::default(), Some(i64::MAX), None);
        assert!(!huge.needs_sign_in(0, now), "no overflow");
    }

    #[test]
    fn offline_access_needs_the_consent_screen() {
        let ask = request("openid offline_access", Prompt::default(), None, None);
        assert_eq!(ask.consent_step("openid offline_access"), ConsentStep::Ask, "a remembered choice is not enough");
        assert_eq!(ask.scopes_to_grant(true), vec!["openid", "offline_access"]);
        let none = request("openid offline_access", Prompt { none: true, ..Prompt::default() }, None, None);
        assert_eq!(none.consent_step("openid offline_access"), ConsentStep::Skip);
        assert_eq!(none.scopes_to_grant(false), vec!["openid"], "not shown: no offline access");
        assert_eq!(none.consent_step(""), ConsentStep::Required);
        let online = request("openid profile", Prompt::default(), None, None);
        assert_eq!(online.consent_step("openid profile"), ConsentStep::Skip);
        assert_eq!(online.consent_step("openid"), ConsentStep::Ask);
        let forced = request("openid", Prompt { consent: true, ..Prompt::default() }, None, None);
        assert_eq!(forced.consent_step("openid"), ConsentStep::Ask);
    }

    fn serde_urlencoded_like(q: &str) -> AuthParams {
        let uri: axum::http::Uri = format!("/x?{q}").parse().unwrap();
        axum::extract::Query::<AuthParams>::try_from_uri(&uri).unwrap().0
    }
}
