//! Data exchange for the province (trục liên thông, LGSP): agencies' and companies' information
//! systems call the platform's services through signed messages, within rights granted by purpose,
//! and every exchange is written to the transparency log (`translog`).
//!
//! What X-Road calls the global configuration lives here: members ([`members`]: government
//! agencies, businesses, banks, approved by the administrator), their subsystems and public keys,
//! the catalogue of services and legal bases ([`catalogue`]) and the rights ([`rights`]). The
//! [`gateway`] checks a request (signature, key validity, audience, expiry, replay, size, member
//! status, right, quota, consent), runs the service and signs the response: the yes/no
//! [`person_verify`], and the [`lookup`] services that release data (person lookup by declared
//! fields, residence confirmation, household composition, card validity). The message format is in `docs/EXCHANGE.md`.

pub mod catalogue;
pub mod consent;
pub mod gateway;
pub mod lookup;
pub mod members;
pub mod person_verify;
mod reserve;
pub mod rights;
pub mod subscriptions;

#[allow(clippy::disallowed_methods, reason = "handlers read the clock and pass it to the domain")]
pub mod api;
#[allow(clippy::disallowed_methods, reason = "the pages read the clock for the consent's times")]
mod consent_pages;
#[allow(clippy::disallowed_methods, reason = "the page reads the clock to tell current keys")]
mod pages;

pub use gateway::{Answered, Gateway, LogEntry, Refused, ResponseClaims};

use axum::routing::{get, post};
use axum::Router;

/// Migrations of the exchange's tables. The transparency log's are `translog::MIGRATIONS`.
pub const MIGRATIONS: &[db::Migration] =
    db::migrations!("exchange", [(1, "exchange", per_backend), (2, "consents"), (3, "subscriptions")]);

/// The exchange routes.
pub fn router(gateway: Gateway) -> Router {
    Router::new()
        .route("/api/v1/exchange/services", get(api::services))
        .route("/api/v1/exchange/services/{service}", post(api::call))
        .route("/api/v1/exchange/purposes", get(api::purposes))
        .route("/api/v1/exchange/jwks.json", get(api::jwks))
        .route("/api/v1/exchange/log/head", get(api::log_head))
        .route("/api/v1/exchange/log/proof/inclusion", get(api::log_inclusion))
        .route("/api/v1/exchange/log/proof/consistency", get(api::log_consistency))
        .route("/api/v1/exchange/log/entries/{index}", get(api::log_entry))
        .route("/api/v1/exchange/members", get(api::list_members).post(api::create_member))
        .route("/api/v1/exchange/members/{member}/status", post(api::member_status))
        .route("/api/v1/exchange/members/{member}/subsystems", post(api::create_subsystem))
        .route("/api/v1/exchange/members/{member}/subsystems/{subsystem}/status", post(api::subsystem_status))
        .route("/api/v1/exchange/members/{member}/subsystems/{subsystem}/keys", post(api::create_key))
        .route("/api/v1/exchange/keys/{kid}/retire", post(api::retire_key))
        .route("/api/v1/exchange/rights", get(api::list_rights).post(api::grant_right))
        .route("/api/v1/exchange/rights/{id}/revoke", post(api::revoke_right))
        .route("/api/v1/exchange/subscriptions", get(api::list_subscriptions).post(api::create_subscription))
        .route("/api/v1/exchange/subscriptions/{id}/cancel", post(api::cancel_subscription))
        .route("/admin/exchange", get(pages::admin))
        .route("/consents/new", get(consent_pages::ask).post(consent_pages::give))
        .route("/account/consents", get(consent_pages::list))
        .route("/account/consents/withdraw", post(consent_pages::withdraw))
        .with_state(gateway)
}

#[cfg(test)]
#[allow(clippy::disallowed_methods, reason = "the tests sign requests against the wall clock")]
mod tests;
