//! Who is calling: the [`CurrentUser`] resolved once per request by a pluggable [`Authenticator`],
//! and extractors that require it (JSON 401 for the API, a redirect to the login page for pages).

use std::sync::Arc;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::{AUTHORIZATION, COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use futures::future::BoxFuture;
use kernel::{AppError, ErrorCode};
use serde::Serialize;

use crate::error::ApiError;

/// Name of the session cookie. The `__Host-` prefix pins it to this host, path `/`, Secure.
pub const SESSION_COOKIE: &str = "__Host-dancu_session";

pub use kernel::{Actor, Jurisdiction, Role};

/// The authenticated caller of a request: the domain's [`Actor`] plus what belongs to the
/// transport. Handlers hand `&user` to domain functions, which take `&Actor` (through `Deref`).
#[derive(Debug, Clone, Serialize)]
pub struct CurrentUser {
    #[serde(flatten)]
    pub actor: Actor,
    /// The session's anti-CSRF token (absent for bearer-token callers, who send no cookies).
    #[serde(skip)]
    pub csrf: Option<String>,
}

impl std::ops::Deref for CurrentUser {
    type Target = Actor;

    fn deref(&self) -> &Actor {
        &self.actor
    }
}

/// What a request presented to prove who it is.
#[derive(Debug, Clone, Copy)]
pub enum Credential<'a> {
    /// The value of the session cookie.
    Session(&'a str),
    /// A personal API token from `Authorization: Bearer …`.
    Bearer(&'a str),
}

/// Resolves credentials to users; implemented by the `identity` crate.
pub trait Authenticator: Send + Sync + 'static {
    fn authenticate<'a>(&'a self, credential: Credential<'a>) -> BoxFuture<'a, Option<CurrentUser>>;
}

/// Reads one cookie from the request headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Appends `Set-Cookie: {cookie}` to a response. The platform's cookies are made of constant names
/// and attributes and URL-safe tokens, which a header always carries; a value with other bytes is
/// dropped (and logged) rather than sent malformed.
pub fn append_set_cookie(resp: &mut Response, cookie: &str) {
    match HeaderValue::from_str(cookie) {
        Ok(value) => {
            resp.headers_mut().append(SET_COOKIE, value);
        }
        Err(_) => tracing::error!("a Set-Cookie value with bytes a header cannot carry was dropped"),
    }
}

/// Middleware: resolves the caller once and stores `Option<CurrentUser>` in the request extensions.
pub async fn resolve_user(State(auth): State<Arc<dyn Authenticator>>, mut req: Request, next: Next) -> Response {
    let headers = req.headers();
    let bearer = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let session = cookie(headers, SESSION_COOKIE).map(str::to_owned);
    let user = match (bearer, session) {
        (Some(t), _) => auth.authenticate(Credential::Bearer(&t)).await,
        (None, Some(s)) => auth.authenticate(Credential::Session(&s)).await,
        (None, None) => None,
    };
    let path = req.uri().path();
    if let Some(u) = user.as_ref().filter(|u| !delegation_covers(u, path)) {
        if path.starts_with("/api/") {
            let scopes = u.scopes.clone().unwrap_or_default().join(" ");
            let refusal = AppError::new(ErrorCode::Forbidden, format!("token of scope {scopes} used at {path}"))
                .with_message(
                    "Quyền bạn cấp cho ứng dụng này không gồm chức năng này.",
                    "The permission you gave this app does not include this function.",
                );
            return ApiError(refusal).into_response();
        }
        // Pages and the OpenID endpoints (userinfo reads its token itself) see no caller.
        req.extensions_mut().insert(None::<CurrentUser>);
        return next.run(req).await;
    }
    req.extensions_mut().insert(user);
    next.run(req).await
}

/// Whether the caller may reach `path`. A citizen's permission given to an app (an OAuth token
/// with delegated scopes) reaches only the API its scopes name, `/api/v1/{scope}/…`: an app
/// allowed to file applications cannot read the citizen's account, tokens or records. Sessions,
/// personal tokens and organizations' systems are checked by each handler.
fn delegation_covers(user: &CurrentUser, path: &str) -> bool {
    match (&user.role, &user.scopes) {
        (Role::Citizen, Some(scopes)) => scopes.iter().any(|s| {
            path.strip_prefix("/api/v1/")
                .and_then(|rest| rest.strip_prefix(s.as_str()))
                .is_some_and(|r| r.starts_with('/'))
        }),
        _ => true,
    }
}

fn user_from(parts: &Parts) -> Option<CurrentUser> {
    parts.extensions.get::<Option<CurrentUser>>().cloned().flatten()
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        user_from(parts)
            .ok_or_else(|| ApiError(AppError::new(ErrorCode::Unauthenticated, "sign in or send a bearer token")))
    }
}

impl<S: Send + Sync> axum::extract::OptionalFromRequestParts<S> for CurrentUser {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Option<Self>, Self::Rejection> {
        Ok(user_from(parts))
    }
}

/// A signed-in user on an HTML route; anonymous visitors are sent to the login page.
#[derive(Debug, Clone)]
pub struct PageUser(pub CurrentUser);

/// Redirect to `/login?next=…`.
pub struct LoginRedirect(String);

impl IntoResponse for LoginRedirect {
    fn into_response(self) -> Response {
        Redirect::to(&format!("/login?next={}", urlencode(&self.0))).into_response()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PageUser {
    type Rejection = LoginRedirect;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let path = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/").to_string();
        user_from(parts).map(PageUser).ok_or(LoginRedirect(path))
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters pass through).
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cookies() {
        let mut h = HeaderMap::new();
        h.insert(COOKIE, "a=1; __Host-dancu_session=abc; lang=en".parse().unwrap());
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "lang"), Some("en"));
        assert_eq!(cookie(&h, "missing"), None);
    }

    #[test]
    fn a_citizens_delegated_token_reaches_only_the_api_of_its_scopes() {
        let mut citizen = Actor::new("a1", "001090012345", Role::Citizen, Jurisdiction::Own("001090012345".into()));
        citizen.scopes = Some(vec!["services".into()]);
        let app = CurrentUser { actor: citizen, csrf: None };
        assert!(delegation_covers(&app, "/api/v1/services/applications/mine"));
        for path in ["/api/v1/account/tokens", "/api/v1/servicesx/a", "/api/v1/services", "/persons", "/api/v1/me"] {
            assert!(!delegation_covers(&app, path), "{path}");
        }
        let session = CurrentUser { actor: Actor { scopes: None, ..app.actor.clone() }, csrf: None };
        assert!(delegation_covers(&session, "/api/v1/account/tokens"));
        let mut org = Actor::new("client:c", "c", Role::OrgStaff, Jurisdiction::Own("o".into()));
        org.scopes = Some(vec!["verify".into()]);
        assert!(delegation_covers(&CurrentUser { actor: org, csrf: None }, "/api/v1/verifications"));
    }

    #[test]
    fn encodes_next_parameter() {
        assert_eq!(urlencode("/persons?q=Nguyễn a"), "/persons%3Fq%3DNguy%E1%BB%85n%20a");
    }
}
