//! Project 06 programme tracking: the pilot-model catalogue, the units that implement the models
//! and their focal points, registrations with targets and plans approved by the working group,
//! KPIs (reported by units with evidence, or computed from live platform data with a monthly
//! history), periodic reports with a calendar, and the consolidated provincial report (XLSX, PDF).

#[allow(clippy::disallowed_methods, reason = "handlers read the clock and pass it to the domain")]
pub mod api;
pub mod calendar;
pub mod catalogue;
pub mod kpi;
#[allow(clippy::disallowed_methods, reason = "handlers read the clock and pass it to the domain")]
pub mod pages;
pub mod progress;
pub mod registrations;
pub mod reports;
pub mod settings;
mod svg;
mod text;
pub mod units;

/// Migrations of the programme tables.
pub const MIGRATIONS: &[db::Migration] = db::migrations!("programs", [(1, "programs", per_backend)]);

/// Binds an optional float. sqlx 0.8's `Any` driver sends a NULL `f64` to PostgreSQL typed as
/// `float4` (and a NULL `f32` as `float8`), which a `DOUBLE PRECISION` parameter rejects; binding
/// the NULL through `f32` yields a `float8` NULL on PostgreSQL and a plain NULL on SQLite.
pub(crate) fn bind_f64<'q>(
    q: db::sqlx::query::Query<'q, db::sqlx::Any, db::sqlx::any::AnyArguments<'q>>,
    v: Option<f64>,
) -> db::sqlx::query::Query<'q, db::sqlx::Any, db::sqlx::any::AnyArguments<'q>> {
    match v {
        Some(v) => q.bind(v),
        None => q.bind(None::<f32>),
    }
}

/// The password hasher for focal-point accounts created through the API (one bounded pool).
pub(crate) fn hasher() -> &'static identity::PasswordHasher {
    static HASHER: std::sync::OnceLock<identity::PasswordHasher> = std::sync::OnceLock::new();
    HASHER.get_or_init(identity::PasswordHasher::default)
}

/// What [`init`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InitSummary {
    pub models_imported: usize,
    pub units_added: usize,
}

/// Imports the catalogue and creates the province's units, once; safe to run again. `now` (UTC
/// milliseconds) is the time recorded on what is created.
pub async fn init(db: &db::Db, province: &str, now: i64) -> Result<InitSummary, kernel::AppError> {
    let models_imported = catalogue::ensure_imported(db, now).await?;
    let units_added = units::seed(db, province, now).await?;
    Ok(InitSummary { models_imported, units_added })
}
