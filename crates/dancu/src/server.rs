//! Assembling and running the HTTP server.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use utoipa::OpenApi;
use web::Ctx;

/// The address citizens and relying parties reach the server at: `DANCU_PUBLIC_URL`, else the
/// address the server is bound to. It is the OpenID Connect issuer and the WebAuthn origin.
pub fn public_url(bound: SocketAddr) -> String {
    std::env::var("DANCU_PUBLIC_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .map(|u| u.trim_end_matches('/').to_string())
        .unwrap_or_else(|| format!("http://{bound}"))
}

/// Builds the application over an open database. `verify` configures identity verification
/// (trust store, rate limit); its issuer is replaced by `public_url`.
pub async fn app(db: db::Db, public_url: &str, verify: verification::VerifierConfig) -> anyhow::Result<(Router, Ctx)> {
    let access_log = audit::AccessLog::start(db.clone());
    let provider = oidc::Provider::start(db.clone(), access_log.clone(), public_url).await?;
    let auth = oidc::OAuthAuthenticator {
        provider: provider.clone(),
        inner: Arc::new(identity::DbAuthenticator::new(db.clone())),
    };
    let ctx = Ctx::new(db.clone(), access_log, Arc::new(auth));
    let mut doc = utoipa::openapi::OpenApiBuilder::new()
        .info(
            utoipa::openapi::InfoBuilder::new()
                .title("dancu API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some("Population registry, identity and Project 06 services of a province."))
                .build(),
        )
        .build();
    doc.merge(registry::api::ApiDoc::openapi());
    doc.merge(identity::ApiDoc::openapi());
    doc.merge(oidc::ApiDoc::openapi());
    doc.merge(analytics::api::ApiDoc::openapi());
    doc.merge(programs::api::ApiDoc::openapi());
    doc.merge(verification::api::ApiDoc::openapi());
    doc.merge(lodging::ApiDoc::openapi());
    doc.merge(services::ApiDoc::openapi());
    let verify = verification::VerifierConfig { issuer: public_url.to_string(), ..verify };
    let verifier = verification::Verifier::new(ctx.stores.clone(), provider.keys.clone(), verify)
        .map_err(|e| anyhow::anyhow!("verification trust store: {e}"))?;
    let hasher = identity::PasswordHasher::default();
    let sms: Arc<dyn identity::sms::SmsSender> = Arc::new(identity::sms::OutboxSender::new(db.clone()));
    let identity_config =
        identity::IdentityConfig { public_url: public_url.to_string(), ..identity::IdentityConfig::from_env() };
    let identity_router = identity::router(ctx.clone(), hasher, identity_config, sms);
    let lodging = lodging::Service::start(ctx.stores.clone(), provider.keys.clone());
    let public_services = services::Service::start(ctx.stores.clone(), provider.keys.clone(), public_url).await?;
    let routers = vec![
        registry::api::router(ctx.clone()),
        registry::pages::router(ctx.clone()),
        identity_router,
        oidc::router(provider),
        analytics::router(analytics::Service { db: db.clone(), settings: analytics::Settings::from_env() }),
        lodging::router(lodging),
        programs::api::router(ctx.clone()),
        programs::pages::router(ctx.clone()),
        verification::router(verifier),
        services::router(public_services),
    ];
    let exempt = web::csrf::Exempt::new(identity::pages::CSRF_EXEMPT.iter().copied());
    Ok((web::assemble(&ctx, routers, doc, exempt), ctx))
}

/// A running server (for tests and the demo).
pub struct Running {
    pub addr: SocketAddr,
    pub ctx: Ctx,
    pub handle: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Binds `listen` and serves in the background, verification configured from the environment.
pub async fn start(db: db::Db, listen: &str) -> anyhow::Result<Running> {
    start_with(db, listen, verification::VerifierConfig::from_env("")).await
}

/// [`start`] with explicit verification settings (the demo's test CSCA, benchmarks' rate limit).
pub async fn start_with(db: db::Db, listen: &str, verify: verification::VerifierConfig) -> anyhow::Result<Running> {
    let listener =
        tokio::net::TcpListener::bind(listen).await.map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
    let addr = listener.local_addr()?;
    let (router, ctx) = app(db, &public_url(addr), verify).await?;
    let handle = tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(shutdown_signal())
            .await
    });
    Ok(Running { addr, ctx, handle })
}

/// Ctrl-C or SIGTERM (what service managers send) stops the server gracefully.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

impl Running {
    /// Waits until the server stops (Ctrl-C or SIGTERM), then flushes the access log.
    pub async fn wait(self) -> anyhow::Result<()> {
        self.handle.await??;
        self.ctx.access_log.flush().await;
        self.ctx.db.close().await;
        Ok(())
    }
}
