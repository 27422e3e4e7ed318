//! The `dancu` application: configuration, assembly of every module into one server, and the
//! command-line tools. `main.rs` only parses arguments and calls into here, so integration tests
//! start exactly the server the binary runs.
//!
//! Library crates take the time as a parameter; this crate is where it is read (and, in
//! [`config`] only, where the environment is read).

#![allow(
    clippy::disallowed_methods,
    reason = "the binary is the edge: it reads the clock and hands it to the library crates"
)]

pub mod accounts_cmd;
pub mod analytics_cmd;
pub mod backup_cmd;
pub mod bench;
pub mod bench_checkin;
pub mod bench_exchange;
mod bench_load;
pub mod bench_oidc;
pub mod bench_oidc_provider;
pub mod bench_services;
pub mod bench_verify;
pub mod bench_wrk;
pub mod cli;
pub mod clients_cmd;
pub mod config;
pub mod demo;
pub mod demo_exchange;
pub mod demo_lodging;
pub mod demo_programs;
pub mod demo_services;
pub mod demo_verification;
pub mod generate_cmd;
pub mod io_cmd;
pub mod keys_cmd;
pub mod lodging_cmd;
pub mod lodging_figures;
pub mod log_cmd;
pub mod programs_cmd;
pub mod progress;
pub mod retention;
pub mod security_events;
pub mod server;
pub mod startup;
pub mod telemetry;
pub mod tls;

/// Every module's migrations, in foreign-key order.
pub fn migrations() -> db::MigrationSet {
    db::MigrationSet::new()
        .with(db::idempotency::MIGRATIONS)
        .with(audit::MIGRATIONS)
        .with(registry::MIGRATIONS)
        .with(identity::MIGRATIONS)
        .with(keys::MIGRATIONS)
        .with(translog::MIGRATIONS)
        .with(verification::MIGRATIONS)
        .with(oidc::MIGRATIONS)
        .with(analytics::MIGRATIONS)
        .with(programs::MIGRATIONS)
        .with(lodging::MIGRATIONS)
        .with(services::MIGRATIONS)
        .with(exchange::MIGRATIONS)
}

/// Opens the database, applies pending migrations and makes sure the admin units are loaded.
pub async fn open_db(url: &str) -> anyhow::Result<db::Db> {
    let db = db::Db::connect(url).await?;
    migrations().run(&db, kernel::clock::now_ms()).await?;
    registry::admin_units::ensure_loaded(&db).await?;
    services::init(&db, kernel::clock::now_ms()).await?;
    Ok(db)
}
