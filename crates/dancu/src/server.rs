//! Assembling and running the HTTP server.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use utoipa::OpenApi;
use web::Ctx;

/// Builds the application over an open database.
pub fn app(db: db::Db) -> (Router, Ctx) {
    let auth = identity::DbAuthenticator::new(db.clone());
    let ctx = Ctx { access_log: audit::AccessLog::start(db.clone()), auth: Arc::new(auth), db: db.clone() };
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
    let hasher = identity::PasswordHasher::default();
    let routers =
        vec![registry::api::router(ctx.clone()), registry::pages::router(ctx.clone()), identity::router(db, hasher)];
    (web::assemble(&ctx, routers, doc), ctx)
}

/// A running server (for tests and the demo).
pub struct Running {
    pub addr: SocketAddr,
    pub ctx: Ctx,
    pub handle: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Binds `listen` and serves in the background.
pub async fn start(db: db::Db, listen: &str) -> anyhow::Result<Running> {
    let (router, ctx) = app(db);
    let listener =
        tokio::net::TcpListener::bind(listen).await.map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
    let addr = listener.local_addr()?;
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
