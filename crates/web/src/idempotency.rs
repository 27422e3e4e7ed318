//! `Idempotency-Key` on every state-changing request, for all routes at once.
//!
//! A signed-in caller (session or bearer token) may send a key with any POST, PUT, PATCH or
//! DELETE: in the `Idempotency-Key` header (programs) or in the form field `idempotency_key`
//! (the pages' forms get one from `app.js`). The first request with a key runs and its answer is
//! kept for a day; a retry with the same key and the same request gets that answer again with
//! `Idempotent-Replayed: true` and changes nothing. The same key with another request is refused
//! (`422 idempotency_key_reused`); a retry while the first is still running gets
//! `409 request_in_progress` with `Retry-After`. Answers of 5xx are not kept: the retry runs.
//! How a crash between a change and the keeping of its answer is handled: [`db::idempotency`].
//!
//! Callers with no account (the payment provider's callback, sign-in forms) are not keyed: their
//! keys would share one namespace. Routes that keep their keys in their own write path (lodging
//! check-ins) are listed by their crate and left to it.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header::{CONTENT_TYPE, LOCATION, RETRY_AFTER};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use db::idempotency::{Answer, Claim, Earlier};
use db::Db;
use kernel::{AppError, ErrorCode};
use sha2::{Digest, Sha256};

use crate::auth::CurrentUser;
use crate::csrf::{form_field, is_form, MAX_BUFFERED};
use crate::error::refusal;

/// Header carrying the key.
pub const HEADER: &str = "idempotency-key";

/// Form field carrying the key.
pub const FORM_FIELD: &str = "idempotency_key";

/// Header marking a replayed answer.
pub const REPLAYED: &str = "idempotent-replayed";

/// Keys are kept this long.
const KEEP_MS: i64 = 24 * 3_600_000;

/// Old keys are deleted at most this often.
const PRUNE_EVERY_MS: i64 = 3_600_000;

/// Answers larger than this are not kept (a retry gets `409 conflict` naming why).
const MAX_KEPT_ANSWER: usize = 1 << 20;

/// What the middleware needs: the database and the routes that handle keys themselves.
#[derive(Clone)]
pub struct Keys {
    db: Db,
    own: Arc<HashSet<&'static str>>,
    running: Arc<Mutex<HashSet<Claim>>>,
    last_prune: Arc<AtomicI64>,
}

impl Keys {
    /// `own` lists route templates (`/api/v1/lodging/checkins`) whose handlers keep keys themselves.
    pub fn new(db: Db, own: impl IntoIterator<Item = &'static str>) -> Keys {
        Keys {
            db,
            own: Arc::new(own.into_iter().collect()),
            running: Arc::default(),
            last_prune: Arc::new(AtomicI64::new(0)),
        }
    }

    fn is_running(&self, claim: &Claim) -> bool {
        self.running.lock().unwrap_or_else(PoisonError::into_inner).contains(claim)
    }
}

/// Middleware: runs a keyed request once (see the module). Runs after the caller is resolved and
/// the CSRF check, so a refused request uses up no key.
#[allow(clippy::disallowed_methods, reason = "the time of a claim is read at the edge, once per request")]
pub async fn layer(State(keys): State<Keys>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE) {
        return next.run(req).await;
    }
    let Some(Some(user)) = req.extensions().get::<Option<CurrentUser>>() else { return next.run(req).await };
    let actor = user.account_id.clone();
    if req.extensions().get::<MatchedPath>().is_some_and(|p| keys.own.contains(p.as_str())) {
        return next.run(req).await;
    }
    let content_type = req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    // Without the header, only a form can carry a key: other bodies (JSON, uploaded files) go on
    // unread.
    if !req.headers().contains_key(HEADER) && !is_form(&content_type) {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BUFFERED).await {
        Ok(b) => b,
        Err(_) => return refusal(&parts, AppError::invalid("request body too large or cut off")),
    };
    let key = match parts.headers.get(HEADER) {
        Some(v) => v.to_str().ok().map(str::to_owned),
        None => match form_field(&content_type, &bytes, FORM_FIELD).await {
            Some(k) => Some(k),
            None => return next.run(Request::from_parts(parts, Body::from(bytes))).await,
        },
    };
    let Some(key) = key.filter(|k| valid_key(k)) else {
        let e = AppError::invalid("Idempotency-Key must be 1 to 100 visible ASCII characters");
        return refusal(&parts, e);
    };
    let claim = Claim { actor, key };
    let content_type = content_type.as_str();
    let path = parts.uri.path_and_query().map_or("", |p| p.as_str());
    let fingerprint = fingerprint(&parts.method, path, content_type, &bytes);
    let now = kernel::clock::now_ms();
    match db::idempotency::claim(&keys.db, &claim, &fingerprint, keys.is_running(&claim), now).await {
        Err(e) => return refusal(&parts, AppError::internal_from("idempotency key", e)),
        Ok(Some(Earlier::OtherRequest)) => {
            let e = AppError::new(ErrorCode::IdempotencyKeyReused, "the key was sent earlier with another request");
            return refusal(&parts, e);
        }
        Ok(Some(Earlier::Answered(answer))) => return replay(answer),
        Ok(Some(Earlier::InFlight)) => {
            let e = AppError::new(ErrorCode::RequestInProgress, "a request with this key is running");
            let mut answer = refusal(&parts, e);
            answer.headers_mut().insert(RETRY_AFTER, HeaderValue::from_static("1"));
            return answer;
        }
        Ok(Some(Earlier::CarriedOut)) => {
            let e = AppError::new(
                ErrorCode::Conflict,
                "the request with this key was carried out before a restart and its answer was not kept: look the result up",
            );
            return refusal(&parts, e);
        }
        Ok(None) => {}
    }
    keys.prune_now_and_then(now);
    let guard = Running::start(&keys, &claim);
    let answer = db::idempotency::scope(claim.clone(), next.run(Request::from_parts(parts, Body::from(bytes)))).await;
    if answer.status().is_server_error() {
        return answer; // the guard frees the claim if no change was bound to it
    }
    let (answer_parts, body) = answer.into_parts();
    let body = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => return refusal_after_run(e),
    };
    if body.len() <= MAX_KEPT_ANSWER {
        let kept = Answer {
            status: answer_parts.status.as_u16(),
            headers: kept_headers(&answer_parts.headers),
            body: base64::engine::general_purpose::STANDARD.encode(&body),
        };
        match db::idempotency::answer(&keys.db, &claim, &kept).await {
            Ok(()) => guard.keep(),
            Err(e) => tracing::warn!(error = %e, "the answer of a keyed request was not kept"),
        }
    }
    Response::from_parts(answer_parts, Body::from(body))
}

/// A handler's answer body that could not be read (it is the handler's own failure).
fn refusal_after_run(e: axum::Error) -> Response {
    crate::error::ApiError(AppError::internal_from("answer body", e)).into_response()
}

impl Keys {
    /// Deletes keys older than a day, at most once an hour, in the background.
    fn prune_now_and_then(&self, now: i64) {
        let last = self.last_prune.load(Ordering::Relaxed);
        if now - last < PRUNE_EVERY_MS
            || self.last_prune.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_err()
        {
            return;
        }
        let db = self.db.clone();
        tokio::spawn(async move {
            if let Err(e) = db::idempotency::prune(&db, now - KEEP_MS).await {
                tracing::warn!(error = %e, "old idempotency keys were not deleted");
            }
        });
    }
}

/// A claim this process is working on; when dropped without its answer kept (the request
/// failed, or was cut off by a time limit or the client), the claim is freed for a retry unless a
/// change was bound to it.
struct Running {
    keys: Keys,
    claim: Claim,
    kept: bool,
}

impl Running {
    fn start(keys: &Keys, claim: &Claim) -> Running {
        keys.running.lock().unwrap_or_else(PoisonError::into_inner).insert(claim.clone());
        Running { keys: keys.clone(), claim: claim.clone(), kept: false }
    }

    fn keep(mut self) {
        self.kept = true;
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.keys.running.lock().unwrap_or_else(PoisonError::into_inner).remove(&self.claim);
        if self.kept {
            return;
        }
        let (db, claim) = (self.keys.db.clone(), self.claim.clone());
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                if let Err(e) = db::idempotency::release(&db, &claim).await {
                    tracing::warn!(error = %e, "an idempotency key was not released");
                }
            });
        }
    }
}

/// 1 to 100 visible ASCII characters (a UUID, a ULID, or the pages' random hex).
fn valid_key(key: &str) -> bool {
    (1..=100).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())
}

/// The request a key was first sent with: method, path and query, body. A multipart body is
/// taken without its boundary, which the browser draws anew for each submission of a form.
fn fingerprint(method: &Method, path_and_query: &str, content_type: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(method.as_str());
    h.update([0]);
    h.update(path_and_query);
    h.update([0]);
    match multer::parse_boundary(content_type) {
        Ok(boundary) if !boundary.is_empty() => {
            let mut rest = body;
            while let Some(at) = rest.windows(boundary.len()).position(|w| w == boundary.as_bytes()) {
                let (before, after) = rest.split_at(at);
                h.update(before);
                h.update([0]);
                rest = after.get(boundary.len()..).unwrap_or_default();
            }
            h.update(rest);
        }
        _ => h.update(body),
    }
    hex::encode(h.finalize())
}

/// The headers a replay repeats: what the body is, and where a form's answer redirects.
fn kept_headers(headers: &axum::http::HeaderMap) -> String {
    let kept: BTreeMap<&str, &str> = [CONTENT_TYPE, LOCATION]
        .iter()
        .filter_map(|h| headers.get(h).and_then(|v| v.to_str().ok()).map(|v| (h.as_str(), v)))
        .collect();
    serde_json::to_string(&kept).unwrap_or_default()
}

fn replay(answer: Answer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let body = base64::engine::general_purpose::STANDARD.decode(answer.body).unwrap_or_default();
    let mut response = (status, body).into_response();
    let headers: BTreeMap<String, String> = serde_json::from_str(&answer.headers).unwrap_or_default();
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            response.headers_mut().insert(name, value);
        }
    }
    response.headers_mut().insert(HeaderName::from_static(REPLAYED), HeaderValue::from_static("true"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_short_visible_ascii() {
        assert!(valid_key("0f9c2a54-7b1e-4c8e-9d3a-2f6b8e1c4a77"));
        assert!(!valid_key(""));
        assert!(!valid_key(&"k".repeat(101)));
        assert!(!valid_key("has space"));
        assert!(!valid_key("khóa"));
    }

    #[test]
    fn the_fingerprint_covers_method_path_and_body() {
        let json = "application/json";
        let base = fingerprint(&Method::POST, "/api/v1/x", json, b"{\"a\":1}");
        assert_eq!(base, fingerprint(&Method::POST, "/api/v1/x", json, b"{\"a\":1}"));
        assert_ne!(base, fingerprint(&Method::PUT, "/api/v1/x", json, b"{\"a\":1}"));
        assert_ne!(base, fingerprint(&Method::POST, "/api/v1/y", json, b"{\"a\":1}"));
        assert_ne!(base, fingerprint(&Method::POST, "/api/v1/x", json, b"{\"a\":2}"));
    }

    #[test]
    fn a_form_sent_again_with_a_new_multipart_boundary_is_the_same_request() {
        let form = |b: &str, value: &str| {
            format!("--{b}\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n{value}\r\n--{b}--\r\n")
        };
        let first =
            fingerprint(&Method::POST, "/f", "multipart/form-data; boundary=AaB03x", form("AaB03x", "1").as_bytes());
        let again = fingerprint(&Method::POST, "/f", "multipart/form-data; boundary=Zq9", form("Zq9", "1").as_bytes());
        let other = fingerprint(&Method::POST, "/f", "multipart/form-data; boundary=Zq9", form("Zq9", "2").as_bytes());
        assert_eq!(first, again);
        assert_ne!(first, other);
    }

    #[test]
    fn a_replay_repeats_status_type_location_and_body() {
        let mut headers = axum::http::HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(LOCATION, HeaderValue::from_static("/services/applications/7"));
        headers.insert("set-cookie", HeaderValue::from_static("s=1"));
        let answer = Answer {
            status: 303,
            headers: kept_headers(&headers),
            body: base64::engine::general_purpose::STANDARD.encode(b"{}"),
        };
        let r = replay(answer);
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers()[LOCATION], "/services/applications/7");
        assert_eq!(r.headers()[REPLAYED], "true");
        assert!(r.headers().get("set-cookie").is_none());
    }
}
