//! Application assembly: the shared context and the router with the cross-cutting routes and layers.

use std::sync::Arc;

use audit::{AccessLog, SecurityLog, Stores};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use db::Db;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::auth::{resolve_user, Authenticator};

/// What every handler may need. Cheap to clone. Derefs to the domain's [`Stores`] (`ctx.db`,
/// `ctx.access_log`, `ctx.security`).
#[derive(Clone)]
pub struct Ctx {
    pub stores: Stores,
    pub auth: Arc<dyn Authenticator>,
}

impl Ctx {
    pub fn new(db: Db, access_log: AccessLog, security: SecurityLog, auth: Arc<dyn Authenticator>) -> Ctx {
        Ctx { stores: Stores { db, access_log, security }, auth }
    }
}

impl std::ops::Deref for Ctx {
    type Target = Stores;

    fn deref(&self) -> &Stores {
        &self.stores
    }
}

/// How the application is exposed: what the cross-cutting layers need to know.
#[derive(Debug, Clone, Default)]
pub struct Exposure {
    /// The server sits behind a proxy whose `X-Request-Id` is kept (see [`crate::trace`]).
    pub trust_proxy: bool,
    /// Citizens reach it over https: browsers are told to use nothing else (HSTS).
    pub https: bool,
    /// Bearer token that `/metrics` requires; none = loopback clients only.
    pub metrics_token: Option<String>,
    /// What `/healthz` reports on besides the database.
    pub health: crate::health::Components,
}

/// The Content-Security-Policy of every response: scripts and styles only from this origin (no
/// inline script anywhere; inline `style` attributes are allowed), no plugins, no framing. Forms
/// are not restricted (`form-action`): the OpenID Connect consent form ends in a redirect to the
/// relying party, which browsers would check against it.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
                   connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'";

/// One year, the value the HSTS preload list asks for.
const HSTS: &str = "max-age=31536000; includeSubDomains";

/// Builds the whole application from the business routers and their merged OpenAPI document, which
/// is served completed with what every operation shares ([`crate::openapi::complete`]).
/// `csrf_exempt` lists the path templates whose forms protect themselves (see [`crate::csrf`]);
/// `own_keys` the route templates that keep their `Idempotency-Key`s in their own write path (see
/// [`crate::idempotency`]).
///
/// Every response says `Cache-Control: no-store` unless its handler chose otherwise (the static
/// assets do): pages and API answers carry personal data, which must not stay in shared or
/// browser caches.
pub fn assemble(
    ctx: &Ctx,
    routers: Vec<Router>,
    openapi: utoipa::openapi::OpenApi,
    csrf_exempt: crate::csrf::Exempt,
    own_keys: &[&'static str],
    exposure: Exposure,
) -> Router {
    let openapi = Arc::new(crate::openapi::complete(openapi));
    let health = exposure.health.clone();
    let mut app = Router::new();
    for r in routers {
        app = app.merge(r);
    }
    let infra = Router::new()
        .route("/healthz", get(move |State(ctx): State<Ctx>| healthz(ctx, health.clone())))
        .route("/static/app.css", get(css))
        .route("/static/app.js", get(js))
        .with_state(ctx.clone())
        .merge(crate::home::router())
        .merge(crate::metrics::route(ctx.clone(), exposure.metrics_token.clone(), exposure.trust_proxy))
        .route(
            "/api/openapi.json",
            get(move || {
                let doc = openapi.clone();
                async move { Json(doc.as_ref().clone()) }
            }),
        );
    crate::metrics::handle();
    let app = app
        .merge(infra)
        .route_layer(middleware::from_fn(crate::metrics::track))
        .layer(middleware::from_fn_with_state(
            crate::idempotency::Keys::new(ctx.db.clone(), own_keys.iter().copied()),
            crate::idempotency::layer,
        ))
        .layer(middleware::from_fn_with_state(csrf_exempt, crate::csrf::guard))
        .layer(middleware::from_fn_with_state(
            crate::security::Recorder { log: ctx.security.clone(), trust_proxy: exposure.trust_proxy },
            crate::security::record,
        ))
        .layer(middleware::from_fn(crate::input::refuse_control_characters))
        .layer(middleware::from_fn(crate::request_head::limit_and_explain))
        .layer(middleware::from_fn(crate::error_page::with_menu))
        .layer(middleware::from_fn_with_state(ctx.auth.clone(), resolve_user))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            header::HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            header::HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            header::HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            header::HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        ));
    let app = if exposure.https {
        app.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            header::HeaderValue::from_static(HSTS),
        ))
    } else {
        app
    };
    crate::trace::layer(app, exposure.trust_proxy)
}

/// `GET /healthz`: 503 `unavailable` when the database does not answer; else 200, `ok` or
/// `degraded` as the [`crate::health::Components`] say.
async fn healthz(ctx: Ctx, health: crate::health::Components) -> impl IntoResponse {
    match db::sqlx::query("SELECT 1").execute(ctx.db.read()).await {
        Ok(_) => (StatusCode::OK, Json(health.body())),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, Json(serde_json::json!({"status": "unavailable"}))),
    }
}

async fn css() -> Response {
    crate::assets::stylesheet(include_str!("../static/app.css"))
}

async fn js() -> Response {
    crate::assets::script(include_str!("../static/app.js"))
}
