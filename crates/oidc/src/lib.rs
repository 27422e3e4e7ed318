//! The OpenID Connect provider (nhà cung cấp định danh): agencies' services sign citizens in with
//! their e-ID through the authorization code flow with PKCE, receive only the claims the citizen
//! consented to, and see the e-ID level as `acr`. Organizations' own systems call the platform's
//! APIs with client-credentials tokens limited to scopes.
//!
//! Every release of a citizen's claims to a client is written to the access log, so the citizen can
//! see which service received which data and when.

pub mod access_lookup;
#[allow(clippy::disallowed_methods, reason = "handlers read the clock and pass it to the domain")]
pub mod api;
pub mod claims;
pub mod client_auth;
pub mod clients;
pub mod code_exchange;
pub mod consents;
pub mod discovery;
pub mod error;
pub mod grant_batch;
pub mod grants;
pub mod id_token;
pub mod logout;
#[allow(clippy::disallowed_methods, reason = "handlers read the clock and pass it to the domain")]
pub mod pages;
pub mod pkce;
pub mod provider;
pub mod refresh_rotation;
pub mod request;
pub mod sample_rp;
pub mod scopes;
pub mod settings;
#[allow(
    clippy::disallowed_methods,
    reason = "HTTP handlers of the token endpoints read the clock and pass it to the domain"
)]
pub mod token_endpoint;
#[allow(
    clippy::disallowed_methods,
    reason = "HTTP handlers of the token endpoints read the clock and pass it to the domain"
)]
pub mod token_routes;

pub use api::OAuthAuthenticator;
pub use clients::{Client, NewClient};
pub use provider::{router, Provider};
pub use settings::OidcSettings;

/// OpenAPI description of the provider's JSON endpoints.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    discovery::configuration,
    discovery::jwks,
    token_endpoint::token,
    token_routes::par,
    token_routes::userinfo,
    token_routes::introspect,
    token_routes::revoke
))]
pub struct ApiDoc;

/// Migrations of the OpenID Connect tables.
pub const MIGRATIONS: &[db::Migration] = db::migrations!("oidc", [(1, "oidc")]);

/// `acr` value of a level-1 e-ID sign-in (Decree 69/2024: identity checked against the registry).
pub const ACR_LEVEL1: &str = "urn:dancu:eid:level1";
/// `acr` value of a level-2 e-ID sign-in (identity checked in person or from the card's chip).
pub const ACR_LEVEL2: &str = "urn:dancu:eid:level2";

/// The `acr` value for an e-ID level. Accounts without a level (officers, organization staff) have
/// none and cannot sign in to relying parties.
pub fn acr_for_level(level: u8) -> Option<&'static str> {
    match level {
        1 => Some(ACR_LEVEL1),
        2 => Some(ACR_LEVEL2),
        _ => None,
    }
}

/// The level an `acr` value stands for.
pub fn level_of_acr(acr: &str) -> Option<u8> {
    match acr {
        ACR_LEVEL1 => Some(1),
        ACR_LEVEL2 => Some(2),
        _ => None,
    }
}
