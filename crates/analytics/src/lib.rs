//! IOC dashboards for leaders (pilot models 38–41): population, labour, tourism through lodging
//! and public order.
//!
//! Pages never scan the registry: they read pre-aggregated counts per 2025 commune
//! (`analytics_counts`), kept up to date by [`consume`] from the registry's change feed and
//! recomputable from scratch by [`rebuild`] with exactly the same result. Lodging figures come in
//! through [`lodging::ingest`], e-ID accounts through [`eid::replace`] and lodging bed capacity
//! through [`lodging::replace_capacity`] (the binary reads those modules and calls these). Every
//! displayed cell below a minimum count is suppressed.

#[allow(clippy::disallowed_methods, reason = "handlers read the clock and pass it to the domain")]
pub mod api;
pub mod consume;
pub mod eid;
pub mod facts;
pub mod figures;
pub mod lodging;
#[allow(clippy::disallowed_methods, reason = "handlers read the clock and pass it to the domain")]
pub mod pages;
pub mod rebuild;
pub mod scope;
pub mod store;
pub mod svg;

pub use consume::{catch_up, consume_batch, spawn_consumer, ConsumeOptions};
pub use rebuild::{rebuild, RebuildStats};

/// Migrations of the analytics tables.
pub const MIGRATIONS: &[db::Migration] = db::migrations!("analytics", [(1, "init"), (2, "lodging_feed")]);

/// Settings of the dashboards (the `[analytics]` section of the configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Displayed cells with a count below this (and above zero) are suppressed (at least 1).
    pub min_cell: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { min_cell: 5 }
    }
}

/// What the routers need: the database and the dashboard settings.
#[derive(Clone)]
pub struct Service {
    pub db: db::Db,
    pub settings: Settings,
}

/// HTML and JSON routes of the dashboards.
pub fn router(service: Service) -> axum::Router {
    api::router(service.clone()).merge(pages::router(service))
}
