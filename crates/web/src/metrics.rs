//! Prometheus metrics: request counts and latencies per route, database pools, access-log queue.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::app::Ctx;

/// The process-wide recorder (a process has one, however many servers tests start).
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        // Only an empty bucket list is refused, so the default builder is never the one used.
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("http_request_duration_seconds".into()),
                &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5],
            )
            .unwrap_or_else(|_| PrometheusBuilder::new())
            .build_recorder();
        let handle = recorder.handle();
        // Fails only if another recorder is installed; the handle still renders ours.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// Middleware recording `http_requests_total` and `http_request_duration_seconds` by route
/// template (not raw path, so personal ids never become label values).
pub async fn track(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route =
        req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "unmatched".to_owned());
    let method = req.method().to_string();
    let resp = next.run(req).await;
    let status = resp.status().as_u16().to_string();
    metrics::counter!("http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(start.elapsed().as_secs_f64());
    resp
}

/// `GET /metrics`: updates the gauges and renders the text exposition format.
/// `GET /metrics`, for the monitoring system only: with a configured token, callers must send it
/// as a bearer token; without one, only clients on this machine (a loopback address, and no
/// `X-Forwarded-For` — a request relayed by a proxy on this machine is not local) are answered.
/// Others get 404, as if there were no such page.
pub fn route(ctx: Ctx, token: Option<String>, trust_proxy: bool) -> axum::Router {
    let token = token.map(std::sync::Arc::new);
    axum::Router::new()
        .route("/metrics", axum::routing::get(render))
        .layer(axum::middleware::from_fn(move |req: axum::extract::Request, next: axum::middleware::Next| {
            let allowed = may_read(&req, token.as_deref().map(String::as_str), trust_proxy);
            async move {
                if allowed {
                    next.run(req).await
                } else {
                    crate::error::ApiError(kernel::AppError::new(kernel::ErrorCode::NotFound, "metrics"))
                        .into_response()
                }
            }
        }))
        .with_state(ctx)
}

fn may_read(req: &axum::extract::Request, token: Option<&str>, trust_proxy: bool) -> bool {
    match token {
        Some(expected) => req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|sent| kernel::secret::ct_eq(sent.as_bytes(), expected.as_bytes())),
        None => {
            let relayed = trust_proxy || req.headers().contains_key("x-forwarded-for");
            let peer = req.extensions().get::<axum::extract::ConnectInfo<std::net::SocketAddr>>();
            !relayed && peer.is_some_and(|p| p.0.ip().is_loopback())
        }
    }
}

async fn render(State(ctx): State<Ctx>) -> Response {
    let s = ctx.db.pool_stats();
    metrics::gauge!("db_pool_connections", "pool" => "read", "state" => "open").set(s.read_size as f64);
    metrics::gauge!("db_pool_connections", "pool" => "read", "state" => "idle").set(s.read_idle as f64);
    metrics::gauge!("db_pool_connections", "pool" => "write", "state" => "open").set(s.write_size as f64);
    metrics::gauge!("db_pool_connections", "pool" => "write", "state" => "idle").set(s.write_idle as f64);
    metrics::gauge!("access_log_queue_depth").set(ctx.access_log.queue_depth() as f64);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], handle().render()).into_response()
}
