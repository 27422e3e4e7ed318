//! Online public services (dịch vụ công trực tuyến, pilot models 1, 2, 3, 5, BG-1, TH-1): a
//! versioned catalogue of procedures defined as data, applications pre-filled from the population
//! registry, the one-stop officer workflow with statutory deadlines in working days, real effects
//! on the registry when an application is approved, online fee payment through a gateway with
//! signed callbacks, signed result documents anyone can verify, a kiosk mode, and the monthly
//! figures the programme KPIs read.

#[allow(clippy::disallowed_methods, reason = "handlers read the clock and pass it to the domain")]
pub mod api;
pub mod applications;
pub mod attachments;
pub mod catalogue;
pub mod documents;
pub mod effects;
pub mod forms;
pub mod online;
#[allow(clippy::disallowed_methods, reason = "handlers read the clock and pass it to the domain")]
pub mod pages;
pub mod payments;
pub mod prefill;
pub mod sla;
pub mod stats;
pub mod synthetic;
pub mod workflow;

use std::sync::Arc;

pub use api::ApiDoc;

/// Migrations of the services tables.
pub const MIGRATIONS: &[db::Migration] = db::migrations!("services", [(1, "init", per_backend)]);

/// What the handlers share.
#[derive(Clone)]
pub struct Service {
    pub stores: audit::Stores,
    /// Signs result documents and kiosk visits.
    pub keys: Arc<keys::KeyRing>,
    pub gateway: payments::Gateway,
    /// Address users reach the server at (printed on documents).
    pub public_url: String,
}

/// The `[services]` section of the configuration.
#[derive(Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServicesSettings {
    /// Shared secret of the payment gateway's signed callbacks (at least
    /// [`payments::MIN_SECRET_LEN`] characters); none = a random one kept in the database.
    pub payment_secret: Option<String>,
}

/// Never prints the secret, so the settings may be logged or shown in errors.
impl std::fmt::Debug for ServicesSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secret = self.payment_secret.as_ref().map(|_| "***");
        f.debug_struct("ServicesSettings").field("payment_secret", &secret).finish()
    }
}

impl Service {
    /// Loads the catalogue and holidays where missing, and the gateway secret. `now` (UTC
    /// milliseconds) is the time a newly loaded procedure is published.
    pub async fn start(
        stores: audit::Stores,
        keys: Arc<keys::KeyRing>,
        public_url: &str,
        settings: &ServicesSettings,
        now: i64,
    ) -> Result<Service, kernel::AppError> {
        init(&stores.db, now).await?;
        let gateway = payments::Gateway::load(&stores.db, settings.payment_secret.as_deref()).await?;
        Ok(Service { stores, keys, gateway, public_url: public_url.trim_end_matches('/').to_string() })
    }
}

/// Loads the embedded catalogue and the holiday calendar where missing; returns the number of
/// procedures added. `now` (UTC milliseconds) is the time a newly loaded procedure is published.
pub async fn init(db: &db::Db, now: i64) -> Result<usize, kernel::AppError> {
    sla::seed_holidays(db).await?;
    catalogue::store::seed(db, now).await
}

/// Routes of the services module (JSON API and pages).
pub fn router(s: Service) -> axum::Router {
    api::router(s.clone()).merge(pages::router(s))
}
