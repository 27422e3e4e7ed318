//! Identity verification (xác thực danh tính) for businesses and agencies: the card QR code, the
//! citizen's signed dynamic identity QR, chip data with ICAO 9303 passive authentication, each
//! checked online against the population registry, with a signed receipt, the citizen's access log,
//! the organization's history and phone-friendly verifier pages.

pub mod caller;
pub mod cccd_qr;
pub mod check;
pub mod chip;
pub mod dynamic;
pub mod history;
pub mod labels;
pub mod lists;
pub mod purpose;
pub mod ratelimit;
pub mod result;
pub mod service;
pub mod writer;

/// Migrations of the verification tables.
pub const MIGRATIONS: &[db::Migration] =
    db::migrations!("verification", [(1, "verification"), (2, "logs_file", per_backend)]);

#[allow(clippy::disallowed_methods, reason = "handlers read the clock and pass it to the domain")]
pub mod api;
#[allow(clippy::disallowed_methods, reason = "handlers read the clock and pass it to the domain")]
pub mod pages;

pub use service::{VerificationSettings, Verifier};

use axum::routing::{get, post};
use axum::Router;

/// The verification routes (API and pages).
pub fn router(verifier: Verifier) -> Router {
    Router::new()
        .route("/api/v1/verifications", post(api::verify))
        .route("/api/v1/verifications/dynamic", post(api::verify_dynamic))
        .route("/api/v1/verifications/chip", post(api::verify_chip))
        .route("/api/v1/verifications/purposes", get(api::purposes))
        .route("/api/v1/verifications/history", get(api::history))
        .route("/api/v1/verifications/history.csv", get(api::history_csv))
        .route("/api/v1/verifications/jwks.json", get(api::jwks))
        .route("/api/v1/me/identity-qr", get(api::identity_qr))
        .route("/verify", get(pages::verify))
        .route("/verify/history", get(pages::history))
        .route("/verify/lists", get(pages::lists).post(pages::lists_upload))
        .route("/admin/organizations/{id}/purposes", get(pages::org_purposes).post(pages::org_purposes_save))
        .route("/api/v1/verifications/lists/{kind}/{list_code}", axum::routing::put(api::replace_list))
        .route("/me/identity-qr", get(pages::identity_qr))
        .route("/static/verification/jsQR.js", get(pages::script))
        .route("/static/verification/verifier.js", get(pages::script))
        .with_state(verifier)
}
