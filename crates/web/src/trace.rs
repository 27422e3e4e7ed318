//! Request tracing: every request gets an id (UUIDv7, or the one a trusted proxy sent) that is
//! returned as `X-Request-Id` and carried by a `request` span with the method, the route template,
//! the status and the latency. Events logged while the request is handled (domain spans, warnings)
//! sit inside that span, so a log line can be traced back to its request.
//!
//! The span names the route *template* (`/api/v1/persons/{id}`), never the raw path or query,
//! which may hold personal ids.

use std::time::Duration;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue};
use axum::response::Response;
use axum::Router;
use tower_http::request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::trace::{DefaultOnFailure, TraceLayer};
use tracing::{field, Level, Span};

/// The header carrying the request id in both directions.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest incoming id kept; a proxy's ids are UUIDs or similar.
const MAX_INCOMING_LEN: usize = 64;

/// Wraps every route of `app` in the request-id and tracing layers. With `trust_proxy`, an
/// `X-Request-Id` sent by the client (the proxy in front) is kept when it is short and plain;
/// otherwise it is replaced, so a client cannot choose the id its requests are logged under.
pub fn layer(app: Router, trust_proxy: bool) -> Router {
    let trace = TraceLayer::new_for_http()
        .make_span_with(request_span)
        .on_request(())
        .on_response(on_response)
        .on_failure(DefaultOnFailure::new().level(Level::ERROR));
    // Layers run from the last added (outermost) inwards: screen the incoming id, set one,
    // open the span with it, and copy it to the response.
    app.layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(trace)
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuidV7))
        .layer(axum::middleware::map_request(move |req: Request| async move { screen_incoming(req, trust_proxy) }))
}

/// Drops an incoming id unless it comes from a trusted proxy and is short printable text.
fn screen_incoming(mut req: Request, trust_proxy: bool) -> Request {
    let keep = trust_proxy && req.headers().get(&REQUEST_ID).is_some_and(acceptable);
    if !keep {
        req.headers_mut().remove(&REQUEST_ID);
    }
    req
}

fn acceptable(v: &HeaderValue) -> bool {
    let b = v.as_bytes();
    !b.is_empty()
        && b.len() <= MAX_INCOMING_LEN
        && b.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b':'))
}

/// Time-ordered ids, so logs sorted by id follow arrival order.
#[derive(Clone, Copy)]
struct MakeRequestUuidV7;

impl MakeRequestId for MakeRequestUuidV7 {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        let id = uuid::Uuid::now_v7().to_string();
        HeaderValue::from_str(&id).ok().map(RequestId::new)
    }
}

fn request_span(req: &Request) -> Span {
    let id = req.extensions().get::<RequestId>().and_then(|id| id.header_value().to_str().ok()).unwrap_or("");
    let route = req.extensions().get::<MatchedPath>().map(MatchedPath::as_str).unwrap_or("unmatched");
    tracing::info_span!(
        "request",
        request_id = id,
        method = %req.method(),
        route,
        status = field::Empty,
        latency_ms = field::Empty,
    )
}

/// Records the outcome on the span (for trace exporters) and logs one line per request at
/// `DEBUG` (enable with the `web::trace=debug` filter; at thousands of requests a second an
/// access log line each is a cost to choose). The latency field's `histogram.` prefix makes
/// the line a measurement too when OpenTelemetry metrics are exported.
fn on_response(res: &Response, latency: Duration, span: &Span) {
    let status = res.status().as_u16();
    let latency_ms = latency.as_secs_f64() * 1000.0;
    span.record("status", status);
    span.record("latency_ms", latency_ms);
    tracing::debug!(status, histogram.http_request_duration_ms = latency_ms, "request finished");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_plain_ids_are_acceptable() {
        assert!(acceptable(&HeaderValue::from_static("0190a8f2-7b3c-7def-8000-123456789abc")));
        assert!(acceptable(&HeaderValue::from_static("lb-1:42.7_x")));
        assert!(!acceptable(&HeaderValue::from_static("")));
        assert!(!acceptable(&HeaderValue::from_static("has space")));
        assert!(!acceptable(&HeaderValue::from_static("quote\"injection")));
        assert!(!acceptable(&HeaderValue::from_str(&"a".repeat(65)).unwrap()));
    }

    #[test]
    fn untrusted_ids_are_dropped_and_trusted_ones_kept() {
        let with_id = || {
            axum::http::Request::builder().header("x-request-id", "proxy-1").body(axum::body::Body::empty()).unwrap()
        };
        assert!(screen_incoming(with_id(), false).headers().get(&REQUEST_ID).is_none());
        assert_eq!(screen_incoming(with_id(), true).headers()[&REQUEST_ID], "proxy-1");
    }
}
