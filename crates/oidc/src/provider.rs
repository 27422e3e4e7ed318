//! The provider's shared state and its routes.

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;
use db::sqlx::{self, AnyConnection, Row};
use db::Db;
use futures::future::BoxFuture;
use kernel::AppError;

use crate::clients::ClientCache;
use crate::error::OAuthError;

/// Everything the provider's handlers need. Cheap to clone.
#[derive(Clone)]
pub struct Provider {
    pub db: Db,
    pub access_log: audit::AccessLog,
    /// The issuer identifier: the public base URL, without a trailing slash.
    pub issuer: Arc<str>,
    pub keys: Arc<keys::KeyRing>,
    /// Secret salt of pairwise subject identifiers.
    pub salt: Arc<str>,
    pub clients: ClientCache,
    /// State of the built-in sample relying party.
    pub sample: Arc<crate::sample_rp::Store>,
    /// Token requests allowed per authenticated client ([`crate::OidcSettings`]).
    pub token_limit: identity::Limit,
    pub token_limiter: identity::RateLimiter,
    /// Group commit of the token endpoint's other grants (client credentials, and the codes and
    /// refresh tokens the batch-shaped writers could not claim): one commit for all the units
    /// waiting at the same moment.
    pub grants: db::Batcher,
    /// Batched redemption of authorization codes, the most frequent grant.
    pub codes: crate::code_exchange::Redeemer,
    /// Batched rotation of refresh tokens.
    pub refreshes: crate::refresh_rotation::Rotator,
    /// Coalesced reads of the access tokens presented at userinfo, with their holders.
    pub access: crate::access_lookup::AccessLookup,
    /// The registry records of the citizens whose claims are released (coalesced on PostgreSQL).
    pub persons: registry::queries::person_lookup::PersonLookup,
}

impl Provider {
    /// Loads (creating on first start) the signing key and the pairwise salt. `clock` is the time
    /// of the background tasks (key refresh, batched grants, token lookups): `kernel::clock::now_ms`
    /// in the binary.
    pub async fn start(
        db: Db,
        access_log: audit::AccessLog,
        issuer: &str,
        settings: &crate::OidcSettings,
        clock: kernel::clock::Clock,
    ) -> Result<Provider, AppError> {
        keys::ensure_key(&db, keys::KeyAlg::Es256, clock()).await?;
        let ring = keys::KeyRing::load(&db, clock).await?;
        // Keys rotated by `dancu keys rotate` (possibly on another process) are picked up.
        ring.spawn_refresh(std::time::Duration::from_secs(60));
        let salt = setting_or_create(&db, "pairwise_salt").await?;
        Ok(Provider {
            grants: db::Batcher::start(db.clone()),
            codes: crate::code_exchange::start(db.clone(), clock),
            refreshes: crate::refresh_rotation::start(db.clone(), clock),
            access: crate::access_lookup::AccessLookup::start(&db, clock),
            persons: registry::queries::person_lookup::PersonLookup::start(&db),
            db,
            access_log,
            issuer: issuer.trim_end_matches('/').into(),
            keys: ring,
            salt: salt.into(),
            clients: ClientCache::default(),
            sample: Arc::default(),
            token_limit: identity::Limit::per_minute(settings.token_rate_per_minute),
            token_limiter: identity::RateLimiter::new(),
        })
    }

    /// Runs a grant's database work in the provider's batch transaction. A protocol refusal is a
    /// result like any other (what it wrote, such as revoking a reused code's tokens, is
    /// committed); only a storage failure rolls the grant's writes back.
    pub async fn in_batch<T, F>(&self, work: F) -> Result<T, OAuthError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Result<T, OAuthError>> + Send + 'static,
    {
        let outcome = self
            .grants
            .run(move |conn: &mut AnyConnection| {
                Box::pin(async move {
                    match work(conn).await {
                        Err(e) if e.error == "server_error" => Err(sqlx::Error::Protocol(e.description)),
                        other => Ok(other),
                    }
                })
            })
            .await;
        outcome.map_err(OAuthError::server_error)?
    }

    /// An absolute URL on this provider.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }
}

/// A provider setting, generated randomly the first time it is read.
pub async fn setting_or_create(db: &Db, name: &str) -> Result<String, AppError> {
    let fresh = identity::secrets::random_secret();
    sqlx::query("INSERT INTO oauth_settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
        .bind(name)
        .bind(&fresh)
        .execute(db.write())
        .await?;
    let row = sqlx::query("SELECT value FROM oauth_settings WHERE name = $1").bind(name).fetch_one(db.write()).await?;
    Ok(row.get(0))
}

/// Routes of the provider, its citizen and administrator pages, and the sample relying party.
pub fn router(p: Provider) -> Router {
    Router::new()
        .route("/.well-known/openid-configuration", get(crate::discovery::configuration))
        .route("/oidc/jwks", get(crate::discovery::jwks))
        .route(
            "/oidc/authorize",
            get(crate::pages::authorize::get_authorize).post(crate::pages::authorize::post_authorize),
        )
        .route("/oidc/authorize/decision", post(crate::pages::authorize::decision))
        .route("/oidc/par", post(crate::token_routes::par))
        .route("/oidc/token", post(crate::token_endpoint::token))
        .route("/oidc/userinfo", get(crate::token_routes::userinfo).post(crate::token_routes::userinfo))
        .route("/oidc/introspect", post(crate::token_routes::introspect))
        .route("/oidc/revoke", post(crate::token_routes::revoke))
        .route("/oidc/logout", get(crate::pages::logout::end_session).post(crate::pages::logout::confirm))
        .route("/account/apps", get(crate::pages::apps::list))
        .route("/account/apps/{client_id}/revoke", post(crate::pages::apps::withdraw))
        .route("/admin/clients", get(crate::pages::admin::list).post(crate::pages::admin::register))
        .route("/admin/clients/{client_id}/disable", post(crate::pages::admin::disable))
        .route("/admin/clients/{client_id}/secret", post(crate::pages::admin::rotate_secret))
        .merge(crate::sample_rp::router())
        .with_state(p)
}
