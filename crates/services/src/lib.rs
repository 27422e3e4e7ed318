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
pub mod fines;
pub mod forms;
pub mod notify;
pub mod online;
#[allow(clippy::disallowed_methods, reason = "handlers read the clock and pass it to the domain")]
pub mod pages;
pub mod payments;
pub mod prefill;
pub mod rating;
pub mod rules;
pub mod sla;
pub mod stats;
pub mod status_lookup;
pub mod synthetic;
pub mod workflow;

use std::sync::Arc;

pub use api::ApiDoc;

/// Migrations of the services tables.
pub const MIGRATIONS: &[db::Migration] =
    db::migrations!("services", [(1, "init", per_backend), (2, "citizen_follow_up")]);

/// What the handlers share.
#[derive(Clone)]
pub struct Service {
    pub stores: audit::Stores,
    /// Signs result documents and kiosk visits.
    pub keys: Arc<keys::KeyRing>,
    /// The payment provider and the shared secret of its signed messages.
    pub payments: payments::Payments,
    /// Address users reach the server at (printed on documents).
    pub public_url: String,
    /// The SMS/e-mail outbox that tells applicants about their applications.
    pub sms: Arc<dyn identity::sms::SmsSender>,
    /// Counts public status lookups (per address and per receipt code).
    pub lookups: identity::RateLimiter,
    /// Take the client's address from `X-Forwarded-For` (behind the configured proxy) when
    /// counting lookups; set by the server from its `trust_proxy` setting.
    pub trust_proxy: bool,
}

/// The `[services]` section of the configuration.
#[derive(Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServicesSettings {
    /// Where citizens pay fees online: `none` (the default: online payment is refused, fees are
    /// paid at the desk), `external` (`payment_url` and `payment_secret`) or `simulator` (the
    /// built-in simulated bank at `/payment-gateway/{id}`, for the demo and tests only).
    pub payment_provider: payments::ProviderKind,
    /// The external provider's payment page (`https://`), which receives the signed payment
    /// request in its query.
    pub payment_url: Option<String>,
    /// Shared secret of the signed payment requests and callbacks (at least
    /// [`payments::MIN_SECRET_LEN`] characters; required by an external provider); none = a
    /// random one kept in the database, which only the simulator can use.
    pub payment_secret: Option<String>,
}

/// Never prints the secret, so the settings may be logged or shown in errors.
impl std::fmt::Debug for ServicesSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secret = self.payment_secret.as_ref().map(|_| "***");
        f.debug_struct("ServicesSettings")
            .field("payment_provider", &self.payment_provider)
            .field("payment_url", &self.payment_url)
            .field("payment_secret", &secret)
            .finish()
    }
}

impl ServicesSettings {
    /// The unusable combinations, each as the setting under `[services]` and why.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        match (self.payment_provider, self.payment_url.as_deref()) {
            (payments::ProviderKind::External, None) => {
                out.push(("payment_url", "required when payment_provider = \"external\"".to_string()));
            }
            (payments::ProviderKind::External, Some(url)) => {
                if let Err(why) = payments::check_payment_url(url) {
                    out.push(("payment_url", why));
                }
            }
            (_, Some(_)) => {
                out.push(("payment_url", "used only with payment_provider = \"external\"".to_string()));
            }
            (_, None) => {}
        }
        if self.payment_provider == payments::ProviderKind::External && self.payment_secret.is_none() {
            out.push((
                "payment_secret",
                "required when payment_provider = \"external\": the provider signs its callbacks with it".to_string(),
            ));
        }
        out
    }
}

impl Service {
    /// Loads the catalogue and holidays where missing, and the payment provider with its secret;
    /// refuses settings with [`ServicesSettings::problems`]. `now` (UTC milliseconds) is the time
    /// a newly loaded procedure is published; `sms` delivers the applicants' notices.
    pub async fn start(
        stores: audit::Stores,
        keys: Arc<keys::KeyRing>,
        public_url: &str,
        settings: &ServicesSettings,
        sms: Arc<dyn identity::sms::SmsSender>,
        now: i64,
    ) -> Result<Service, kernel::AppError> {
        let problems: Vec<String> =
            settings.problems().into_iter().map(|(key, why)| format!("services.{key}: {why}")).collect();
        if !problems.is_empty() {
            return Err(kernel::AppError::invalid(problems.join("; ")));
        }
        init(&stores.db, now).await?;
        let public_url = public_url.trim_end_matches('/').to_string();
        let payments = payments::Payments::load(&stores.db, settings, &public_url).await?;
        Ok(Service {
            stores,
            keys,
            payments,
            public_url,
            sms,
            lookups: identity::RateLimiter::new(),
            trust_proxy: false,
        })
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

#[cfg(test)]
mod tests {
    use super::payments::ProviderKind;
    use super::ServicesSettings;

    fn keys(s: &ServicesSettings) -> Vec<&'static str> {
        s.problems().into_iter().map(|(k, _)| k).collect()
    }

    #[test]
    fn an_external_provider_needs_its_page_and_secret() {
        assert!(ServicesSettings::default().problems().is_empty(), "no provider is a valid start");
        assert_eq!(ServicesSettings::default().payment_provider, ProviderKind::None);
        let mut s = ServicesSettings { payment_provider: ProviderKind::External, ..Default::default() };
        assert_eq!(keys(&s), ["payment_url", "payment_secret"]);
        s.payment_url = Some("http://pay.example.vn/checkout".into());
        s.payment_secret = Some("0123456789abcdef0123".into());
        assert_eq!(keys(&s), ["payment_url"], "plain http outside loopback");
        s.payment_url = Some("https://pay.example.vn/checkout".into());
        assert!(s.problems().is_empty());
        let sim = ServicesSettings { payment_provider: ProviderKind::Simulator, ..s };
        assert_eq!(keys(&sim), ["payment_url"], "a payment page without an external provider is a mistake");
    }

    #[test]
    fn settings_read_the_provider_by_name_and_hide_the_secret() {
        let s: ServicesSettings =
            serde_json::from_str(r#"{"payment_provider": "simulator", "payment_secret": "0123456789abcdef0123"}"#)
                .unwrap();
        assert_eq!(s.payment_provider, ProviderKind::Simulator);
        assert!(!format!("{s:?}").contains("0123456789"));
        assert!(serde_json::from_str::<ServicesSettings>(r#"{"payment_provider": "bank"}"#).is_err());
    }
}
