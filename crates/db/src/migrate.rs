//! Per-module, per-backend schema migrations.
//!
//! Each business crate owns its tables and ships its migrations as SQL files for both backends
//! (`migrations/sqlite/NNNN_name.sql`, `migrations/postgres/NNNN_name.sql`). The binary collects them
//! into one [`MigrationSet`] and applies what is missing, each migration in its own transaction.

use sqlx::{Executor, Row};

use crate::handle::{Backend, Db, DbError};

/// One migration of one module, with the SQL for each backend.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub module: &'static str,
    pub version: i64,
    pub name: &'static str,
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

/// The ordered migrations of every module the binary is built with.
#[derive(Debug, Clone, Default)]
pub struct MigrationSet {
    items: Vec<Migration>,
}

const CREATE_TRACKING: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (\
    module TEXT NOT NULL, version BIGINT NOT NULL, name TEXT NOT NULL, applied_at BIGINT NOT NULL, \
    PRIMARY KEY (module, version))";

impl MigrationSet {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a module's migrations; modules are applied in the order they are added, so add a module
    /// after the modules its foreign keys point to.
    pub fn with(mut self, migrations: &[Migration]) -> Self {
        self.items.extend_from_slice(migrations);
        self
    }

    pub fn items(&self) -> &[Migration] {
        &self.items
    }

    /// Applies every migration not yet recorded; returns how many were applied.
    pub async fn run(&self, db: &Db) -> Result<usize, DbError> {
        db.write().execute(CREATE_TRACKING).await?;
        let applied: Vec<(String, i64)> = sqlx::query("SELECT module, version FROM schema_migrations")
            .fetch_all(db.write())
            .await?
            .iter()
            .map(|r| (r.get::<String, _>(0), r.get::<i64, _>(1)))
            .collect();
        let mut count = 0;
        for m in &self.items {
            if applied.iter().any(|(module, v)| module == m.module && *v == m.version) {
                continue;
            }
            let sql = match db.backend() {
                Backend::Sqlite => m.sqlite,
                Backend::Postgres => m.postgres,
            };
            let wrap = |source| DbError::Migration { module: m.module.to_string(), version: m.version, source };
            let mut tx = db.begin().await?;
            tx.execute(sql).await.map_err(wrap)?;
            sqlx::query("INSERT INTO schema_migrations (module, version, name, applied_at) VALUES ($1, $2, $3, $4)")
                .bind(m.module)
                .bind(m.version)
                .bind(m.name)
                .bind(kernel::clock::now_ms())
                .execute(&mut *tx)
                .await
                .map_err(wrap)?;
            tx.commit().await?;
            tracing::info!(module = m.module, version = m.version, name = m.name, "migration applied");
            count += 1;
        }
        Ok(count)
    }
}

/// Declares a module's migrations from its `migrations/{sqlite,postgres}/` folders.
///
/// ```ignore
/// pub const MIGRATIONS: &[db::Migration] = db::migrations!("registry", [(1, "init")]);
/// ```
#[macro_export]
macro_rules! migrations {
    ($module:literal, [$(($version:literal, $name:literal)),+ $(,)?]) => {
        &[$(
            $crate::Migration {
                module: $module,
                version: $version,
                name: $name,
                sqlite: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite/", stringify!($version), "_", $name, ".sql")),
                postgres: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres/", stringify!($version), "_", $name, ".sql")),
            }
        ),+]
    };
}
