//! Security events of requests (see `audit::security`), recorded by one middleware so that no
//! handler has to know the client address, route template or request id, and most events cannot be
//! forgotten:
//!
//! - a refusal rendered from an [`AppError`](kernel::AppError) (JSON or page) carries its code, and
//!   the codes that matter to the SOC become events: `csrf_failed`, `rate_limited`,
//!   `out_of_jurisdiction`, `unauthenticated` when a bearer token was presented
//!   (`token_refused`) and `forbidden` for a scope-limited token (`scope_refused`);
//! - every state-changing request an administrator makes that succeeds is an `admin_action`;
//! - handlers that know more (a failed sign-in and whose account it was, a lockout, a password or
//!   second-factor change, the OAuth endpoints' refusals) attach events to their response with
//!   [`note`], which replace the ones the code alone would give.

use std::net::{IpAddr, SocketAddr};

use audit::security::{Kind, Origin, SecurityEvent};
use audit::SecurityLog;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::Response;
use kernel::{ErrorCode, Role};
use tower_http::request_id::RequestId;

use crate::auth::CurrentUser;

/// Events a handler attached to its response.
#[derive(Debug, Clone, Default)]
struct Noted(Vec<SecurityEvent>);

/// Attaches a security event to a response; the middleware records it with the request's origin.
pub fn note(resp: &mut Response, event: SecurityEvent) {
    let ext = resp.extensions_mut();
    match ext.get_mut::<Noted>() {
        Some(noted) => noted.0.push(event),
        None => {
            ext.insert(Noted(vec![event]));
        }
    }
}

/// What the middleware needs: where events go and whether `X-Forwarded-For` is believed.
#[derive(Clone)]
pub struct Recorder {
    pub log: SecurityLog,
    pub trust_proxy: bool,
}

/// The client's address: the TCP peer, or the first `X-Forwarded-For` hop when the server is
/// configured to trust its proxy (otherwise a client could choose the address it is logged and
/// rate-limited under).
pub fn client_ip(headers: &HeaderMap, extensions: &axum::http::Extensions, trust_proxy: bool) -> Option<IpAddr> {
    let forwarded = trust_proxy
        .then(|| headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()))
        .flatten()
        .and_then(|v| v.split(',').next())
        .and_then(|v| v.trim().parse().ok());
    forwarded.or_else(|| extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()))
}

/// Middleware: records the events of each request (see the module). Runs after the caller is
/// resolved and outside the CSRF guard, whose refusals it sees.
#[allow(clippy::disallowed_methods, reason = "the time of an event is read at the edge, once per request")]
pub async fn record(State(rec): State<Recorder>, req: Request, next: Next) -> Response {
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE);
    let method = req.method().clone();
    let route = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_string());
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .unwrap_or_default()
        .to_string();
    let client = client_ip(req.headers(), req.extensions(), rec.trust_proxy).map(|ip| ip.to_string());
    let user = req.extensions().get::<Option<CurrentUser>>().cloned().flatten();
    let bearer = req.headers().get(AUTHORIZATION).is_some_and(|v| v.as_bytes().starts_with(b"Bearer "));
    let resp = next.run(req).await;

    let mut events = resp.extensions().get::<Noted>().map(|n| n.0.clone()).unwrap_or_default();
    if events.is_empty() {
        let scoped = user.as_ref().is_some_and(|u| u.scopes.is_some());
        if let Some(event) = resp.extensions().get::<ErrorCode>().and_then(|c| from_code(*c, bearer, scoped)) {
            events.push(event);
        }
    }
    let route = route.unwrap_or_else(|| "unmatched".into());
    let admin = user.as_ref().is_some_and(|u| u.role == Role::Admin);
    if admin && unsafe_method && (resp.status().is_success() || resp.status().is_redirection()) {
        events.push(SecurityEvent::new(Kind::AdminAction, format!("{method} {route}")));
    }
    if events.is_empty() {
        return resp;
    }
    let origin = Origin { at: kernel::clock::now_ms(), client: client.unwrap_or_default(), route, request_id };
    for mut event in events {
        if event.subject.is_none() {
            event.subject = user.as_ref().map(|u| u.account_id.clone());
        }
        rec.log.record(event, origin.clone());
    }
    resp
}

/// The event an error code stands for, if the SOC wants it.
fn from_code(code: ErrorCode, bearer: bool, scoped: bool) -> Option<SecurityEvent> {
    let kind = match code {
        ErrorCode::CsrfFailed => Kind::CsrfRefused,
        ErrorCode::RateLimited => Kind::RateLimited,
        ErrorCode::OutOfJurisdiction => Kind::JurisdictionRefused,
        ErrorCode::Unauthenticated if bearer => Kind::TokenRefused,
        ErrorCode::Forbidden if scoped => Kind::ScopeRefused,
        _ => return None,
    };
    Some(SecurityEvent::new(kind, code.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_codes_the_soc_wants_become_events() {
        let kind = |c, bearer, scoped| from_code(c, bearer, scoped).map(|e| e.kind);
        assert_eq!(kind(ErrorCode::CsrfFailed, false, false), Some(Kind::CsrfRefused));
        assert_eq!(kind(ErrorCode::OutOfJurisdiction, false, false), Some(Kind::JurisdictionRefused));
        assert_eq!(kind(ErrorCode::Unauthenticated, true, false), Some(Kind::TokenRefused));
        assert_eq!(kind(ErrorCode::Unauthenticated, false, false), None, "no credential, nothing refused");
        assert_eq!(kind(ErrorCode::Forbidden, false, true), Some(Kind::ScopeRefused));
        assert_eq!(kind(ErrorCode::Forbidden, false, false), None);
        assert_eq!(kind(ErrorCode::NotFound, true, true), None);
    }

    #[test]
    fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "203.0.113.9, 10.0.0.1".parse().unwrap());
        let mut ext = axum::http::Extensions::new();
        ext.insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 5000))));
        assert_eq!(client_ip(&headers, &ext, true), Some(IpAddr::from([203, 0, 113, 9])));
        assert_eq!(client_ip(&headers, &ext, false), Some(IpAddr::from([127, 0, 0, 1])));
    }
}
