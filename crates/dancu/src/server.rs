//! Assembling and running the HTTP server.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;
use web::Ctx;

use crate::config::Settings;

/// The address citizens and relying parties reach the server at: the configured public URL, else
/// the address the server is bound to. It is the OpenID Connect issuer and the WebAuthn origin.
pub fn public_url(settings: &Settings, bound: SocketAddr) -> String {
    settings.public_url.clone().unwrap_or_else(|| format!("http://{bound}"))
}

/// Builds the application over an open database, each module with its section of `settings`.
pub async fn app(db: db::Db, settings: &Settings, public_url: &str) -> anyhow::Result<(Router, Ctx)> {
    let access_log = audit::AccessLog::start(db.clone());
    let security = start_security_events(&db, settings, public_url).await?;
    let provider =
        oidc::Provider::start(db.clone(), access_log.clone(), public_url, &settings.oidc, kernel::clock::now_ms)
            .await?;
    let auth = oidc::OAuthAuthenticator {
        provider: provider.clone(),
        inner: Arc::new(identity::DbAuthenticator::new(db.clone())),
    };
    let ctx = Ctx::new(db.clone(), access_log, security, Arc::new(auth));
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
    doc.merge(exchange::api::ApiDoc::openapi());
    let verifier = verification::Verifier::new(
        ctx.stores.clone(),
        provider.keys.clone(),
        &settings.verification,
        public_url,
        kernel::clock::now_ms,
    )
    .map_err(|e| anyhow::anyhow!("verification trust store: {e}"))?;
    // The data exchange answers with the platform key and writes each exchange to the
    // transparency log, whose heads are signed every minute when it has grown.
    let gateway = exchange::Gateway::new(
        ctx.stores.clone(),
        provider.keys.clone(),
        translog::TransLog::start(db.clone()),
        public_url.to_string(),
    );
    translog::head::spawn_publisher(
        db.clone(),
        provider.keys.clone(),
        kernel::clock::now_ms,
        std::time::Duration::from_secs(60),
    );
    // Every access-log row becomes a leaf of the same log within a second, and the whole access
    // log is checked against its seals every ten minutes (a finding is a security event).
    audit::seal::spawn(
        ctx.stores.clone(),
        kernel::clock::now_ms,
        std::time::Duration::from_secs(1),
        std::time::Duration::from_secs(600),
    );
    // Deaths and moves go to the members' subscriptions every second, from their checkpoints.
    let nats = match &settings.lodging.nats_url {
        Some(url) => Some(exchange::subscriptions::jetstream(url).await?),
        None => None,
    };
    exchange::subscriptions::Deliverer {
        stores: ctx.stores.clone(),
        ring: provider.keys.clone(),
        issuer: public_url.to_string(),
        http: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?,
        nats,
        stream_ready: Arc::default(),
    }
    .spawn(kernel::clock::now_ms, std::time::Duration::from_secs(1));
    // Request ids are kept only as long as a replay could be accepted.
    gateway.spawn_purge(kernel::clock::now_ms, std::time::Duration::from_secs(60));
    let hasher = identity::PasswordHasher::default();
    let sms: Arc<dyn identity::sms::SmsSender> =
        Arc::new(identity::sms::OutboxSender::new(db.clone(), kernel::clock::now_ms));
    let identity_config = identity::IdentityConfig::new(public_url, settings.trust_proxy, &settings.identity);
    let identity_router = identity::router(ctx.clone(), hasher, identity_config, sms.clone());
    let lodging = lodging::Service::start(
        ctx.stores.clone(),
        provider.keys.clone(),
        settings.lodging.clone(),
        kernel::clock::now_ms,
    );
    let mut health = web::health::Components::default();
    if let Some(nats) = &lodging.nats {
        health = health.with(nats.clone());
    }
    let mut public_services = services::Service::start(
        ctx.stores.clone(),
        provider.keys.clone(),
        public_url,
        &settings.services,
        sms,
        kernel::clock::now_ms(),
    )
    .await?;
    public_services.trust_proxy = settings.trust_proxy;
    // Desk officers open the records of the persons their applications name: the registry asks
    // the services crate, which it cannot depend on.
    let cases: Arc<dyn registry::access::CaseFiles> =
        Arc::new(services::applications::cases::ApplicationCases::new(db.clone()));
    let routers = vec![
        registry::api::router(ctx.clone(), cases.clone()),
        registry::pages::router(ctx.clone(), cases),
        identity_router,
        oidc::router(provider),
        analytics::router(analytics::Service { db: db.clone(), settings: settings.analytics }),
        lodging::router(lodging),
        programs::api::router(ctx.clone()),
        programs::pages::router(ctx.clone()),
        verification::router(verifier),
        services::router(public_services),
        exchange::router(gateway),
    ];
    let exempt = web::csrf::Exempt::new(identity::pages::CSRF_EXEMPT.iter().copied());
    let exposure = web::Exposure {
        trust_proxy: settings.trust_proxy,
        https: public_url.starts_with("https://"),
        metrics_token: settings.metrics_token.clone(),
        health,
    };
    Ok((web::assemble(&ctx, routers, doc, exempt, lodging::api::OWN_IDEMPOTENCY, exposure), ctx))
}

/// The security-event log with the exporters of `[security_events]`; syslog messages name the
/// public URL's host as their HOSTNAME.
async fn start_security_events(
    db: &db::Db,
    settings: &Settings,
    public_url: &str,
) -> anyhow::Result<audit::SecurityLog> {
    let s = &settings.security_events;
    let host = url::Url::parse(public_url).ok().and_then(|u| u.host_str().map(str::to_string));
    let exporters = crate::security_events::exporters(s, &settings.telemetry, host.as_deref().unwrap_or("-"))?;
    let pseudonyms = crate::security_events::pseudonymizer(db, s).await?;
    Ok(audit::SecurityLog::start(db.clone(), pseudonyms, exporters))
}

/// A running server (for tests and the demo).
pub struct Running {
    pub addr: SocketAddr,
    /// The public URL the server was built with.
    pub public_url: String,
    pub ctx: Ctx,
    pub handle: tokio::task::JoinHandle<std::io::Result<()>>,
    /// Cancelling it shuts the server down as SIGTERM does.
    pub shutdown: CancellationToken,
}

/// How clients reach the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// Plain HTTP: loopback, or behind a reverse proxy that terminates TLS (`serve`).
    Plain,
    /// HTTPS with a certificate made at start (`dancu demo --tls-self-signed`).
    SelfSigned,
}

/// A bound listener and the address it is reached at, before the application is built (the demo
/// writes links that must name that address).
pub struct Bound {
    listener: tokio::net::TcpListener,
    pub addr: SocketAddr,
    pub public_url: String,
    /// The certificate of a [`Transport::SelfSigned`] server.
    pub tls: Option<crate::tls::SelfSigned>,
}

/// Binds `settings.listen`. Plain `http://` is served on loopback only: outside it, browsers drop
/// the `__Host-` session cookies (Secure) and the OpenID provider refuses redirects, so a public
/// address is `https://` (the TLS proxy's `public_url`, or the demo's own certificate) and a plain
/// one is refused at once with the way out.
pub async fn bind(settings: &Settings, transport: Transport) -> anyhow::Result<Bound> {
    let listen = &settings.listen;
    let listener =
        tokio::net::TcpListener::bind(listen).await.map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
    let addr = listener.local_addr()?;
    let (public_url, tls) = match transport {
        Transport::Plain => (public_url(settings, addr), None),
        Transport::SelfSigned => {
            let configured = settings.public_url.as_deref().and_then(|u| url::Url::parse(u).ok());
            let host = configured.as_ref().and_then(|u| u.host_str().map(str::to_string));
            let tls = crate::tls::SelfSigned::make(addr, host.as_deref(), kernel::clock::today_vn())?;
            let url = settings.public_url.clone().unwrap_or_else(|| https_url(&tls.host, addr.port()));
            (url, Some(tls))
        }
    };
    refuse_plain_http_on_a_network(&public_url)?;
    Ok(Bound { listener, addr, public_url, tls })
}

fn refuse_plain_http_on_a_network(public_url: &str) -> anyhow::Result<()> {
    let url = url::Url::parse(public_url)?;
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if url.scheme() == "http" && !loopback {
        anyhow::bail!(
            "{public_url}: plain http:// is served on loopback only (sign-in cookies are Secure, OpenID needs \
             https). Set public_url (DANCU_PUBLIC_URL) to the https:// address of the TLS proxy in front of the \
             server, or, for the demo, add --tls-self-signed."
        );
    }
    Ok(())
}

/// `https://host:port`, with an IPv6 address in brackets.
fn https_url(host: &str, port: u16) -> String {
    match host.parse::<std::net::Ipv6Addr>() {
        Ok(ip) => format!("https://[{ip}]:{port}"),
        Err(_) => format!("https://{host}:{port}"),
    }
}

/// Binds `settings.listen` and serves in the background.
pub async fn start(db: db::Db, settings: &Settings) -> anyhow::Result<Running> {
    serve_bound(db, settings, bind(settings, Transport::Plain).await?).await
}

/// Serves the application on a bound listener in the background.
pub async fn serve_bound(db: db::Db, settings: &Settings, bound: Bound) -> anyhow::Result<Running> {
    let Bound { listener, addr, public_url, tls } = bound;
    let (router, ctx) = app(db, settings, &public_url).await?;
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    let limits = fit_to_open_files(settings.http.clone());
    let acceptor = tls.map(|t| t.acceptor);
    let handle = tokio::spawn(async move {
        let stop = async move {
            tokio::select! {
                () = shutdown_signal() => {}
                () = stop.cancelled() => {}
            }
        };
        web::serve(listener, router, &limits, acceptor, stop).await
    });
    Ok(Running { addr, public_url, ctx, handle, shutdown })
}

/// Descriptors kept for everything but client connections: database files and pools, NATS,
/// exports, logs.
const RESERVED_FILES: u64 = 256;

/// Raises the open-files soft limit to the hard limit where the system allows it (the default
/// soft limit of 1,024 is what a thousand idle clients exhausted), then lowers `max_connections`
/// to what the limit leaves room for, so that the cap answers 503 before `accept` fails.
fn fit_to_open_files(mut http: web::ServeSettings) -> web::ServeSettings {
    let limit = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read or raise the open-files limit");
            return http;
        }
    };
    let room = usize::try_from(limit.saturating_sub(RESERVED_FILES).max(1)).unwrap_or(usize::MAX);
    if http.max_connections > room {
        tracing::warn!(
            configured = http.max_connections,
            open_files_limit = limit,
            max_connections = room,
            "http.max_connections lowered to fit the open-files limit"
        );
        http.max_connections = room;
    }
    http
}

/// Settings of a server for tests and benchmarks: defaults, on a free loopback port.
pub fn local_settings() -> Settings {
    Settings { listen: "127.0.0.1:0".into(), ..Settings::default() }
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
    /// Waits until the server stops (Ctrl-C or SIGTERM), then flushes the access log and the
    /// security events.
    pub async fn wait(self) -> anyhow::Result<()> {
        self.handle.await??;
        self.ctx.access_log.flush().await;
        self.ctx.security.flush().await;
        self.ctx.db.close().await;
        Ok(())
    }
}
