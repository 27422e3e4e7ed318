//! Storage for dancu: one [`Db`] handle over SQLite (embedded, the default) or PostgreSQL
//! (production), with per-module migrations and helpers for tests that run on both.
//!
//! Queries are written once in portable SQL with `$1` placeholders and run through sqlx's `Any`
//! driver. SQLite gets a single writer connection (SQLite serializes writers anyway; one connection
//! avoids `SQLITE_BUSY` storms) and a pool of readers in WAL mode.

pub mod backup;
mod batch;
mod checkpoint;
pub mod coalesce;
pub mod fast;
mod filter;
mod handle;
pub mod held;
pub mod idempotency;
mod migrate;
pub mod scan;
pub mod testing;
mod values;

pub use batch::Batcher;
pub use filter::{Arg, Filter};
pub use handle::{Backend, CacheBudget, Db, DbError, PoolStats, LOGS_SCHEMA};
pub use migrate::{
    sqlite_schema_state, AppliedMigration, Migration, MigrationSet, SchemaProblem, SchemaState, Sql as MigrationSql,
};
pub use values::{backend_of, param, values, values_after};

/// Re-exported so business crates name one sqlx version.
pub use sqlx;

/// Re-exported for writers with a SQLite connection of their own ([`Db::open_logs_writer`]).
pub use rusqlite;

/// A row from any backend.
pub type Row = sqlx::any::AnyRow;

/// Errors opening or migrating the database reach clients as `internal`, with the cause kept.
impl From<DbError> for kernel::AppError {
    #[track_caller]
    fn from(e: DbError) -> Self {
        kernel::AppError::internal_from("storage error", e)
    }
}
