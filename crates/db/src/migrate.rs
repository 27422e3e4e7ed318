//! Per-module, per-backend schema migrations, each recorded with a checksum of its SQL.
//!
//! Each business crate owns its tables and ships its migrations as SQL files. Most are portable and
//! written once (`migrations/common/N_name.sql`); a migration whose SQL must differ per backend has
//! a file for each (`migrations/sqlite/N_name.sql`, `migrations/postgres/N_name.sql`). The binary
//! collects every module's migrations into one [`MigrationSet`] and applies what is missing, each
//! migration in its own transaction.
//!
//! A migration, once applied, is history: its SHA-256 is stored in `schema_migrations`, and a
//! database whose applied migrations no longer match their files is refused before anything runs
//! (a changed file would leave databases migrated before and after the change with different
//! schemas under the same version). Databases migrated before checksums were recorded get the
//! checksums of the files they meet first.

use sha2::{Digest, Sha256};
use sqlx::{Executor, Row};

use crate::handle::{Backend, Db, DbError};

/// The SQL of a migration: one portable text, or one per backend.
#[derive(Debug, Clone, Copy)]
pub enum Sql {
    /// `migrations/common/N_name.sql`, run on both backends.
    Common(&'static str),
    /// `migrations/sqlite/N_name.sql` and `migrations/postgres/N_name.sql`.
    PerBackend { sqlite: &'static str, postgres: &'static str },
}

/// One migration of one module.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub module: &'static str,
    pub version: i64,
    pub name: &'static str,
    pub sql: Sql,
}

impl Migration {
    /// The SQL run on `backend`: its own file if the migration has one, else the common file.
    pub fn sql_for(&self, backend: Backend) -> &'static str {
        match (self.sql, backend) {
            (Sql::Common(sql), _) => sql,
            (Sql::PerBackend { sqlite, .. }, Backend::Sqlite) => sqlite,
            (Sql::PerBackend { postgres, .. }, Backend::Postgres) => postgres,
        }
    }

    /// The file the SQL for `backend` comes from, relative to the module's crate.
    pub fn file(&self, backend: Backend) -> String {
        let dir = match (self.sql, backend) {
            (Sql::Common(_), _) => "common",
            (Sql::PerBackend { .. }, Backend::Sqlite) => "sqlite",
            (Sql::PerBackend { .. }, Backend::Postgres) => "postgres",
        };
        format!("migrations/{dir}/{}_{}.sql", self.version, self.name)
    }

    /// Hex SHA-256 of the SQL run on `backend`.
    pub fn checksum(&self, backend: Backend) -> String {
        hex::encode(Sha256::digest(self.sql_for(backend).as_bytes()))
    }
}

/// The ordered migrations of every module the binary is built with.
#[derive(Debug, Clone, Default)]
pub struct MigrationSet {
    items: Vec<Migration>,
}

const CREATE_TRACKING: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (\
    module TEXT NOT NULL, version BIGINT NOT NULL, name TEXT NOT NULL, applied_at BIGINT NOT NULL, \
    checksum TEXT, PRIMARY KEY (module, version))";

/// A recorded migration.
struct Applied {
    module: String,
    version: i64,
    checksum: Option<String>,
}

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

    /// Checks the applied migrations against their files, then applies every migration not yet
    /// recorded; returns how many were applied. A changed file is refused with
    /// [`DbError::MigrationChanged`] before anything is applied. `now` (UTC milliseconds) is
    /// recorded as each applied migration's `applied_at`.
    pub async fn run(&self, db: &Db, now: i64) -> Result<usize, DbError> {
        db.write().execute(CREATE_TRACKING).await?;
        add_checksum_column(db).await?;
        let applied: Vec<Applied> = sqlx::query("SELECT module, version, checksum FROM schema_migrations")
            .fetch_all(db.write())
            .await?
            .iter()
            .map(|r| Applied { module: r.get(0), version: r.get(1), checksum: r.get(2) })
            .collect();
        let backend = db.backend();
        let recorded = |m: &Migration| applied.iter().find(|a| a.module == m.module && a.version == m.version);
        for m in &self.items {
            let Some(a) = recorded(m) else { continue };
            let checksum = m.checksum(backend);
            match &a.checksum {
                Some(c) if *c == checksum => {}
                Some(_) => {
                    return Err(DbError::MigrationChanged {
                        module: m.module.to_string(),
                        version: m.version,
                        file: m.file(backend),
                    })
                }
                None => {
                    sqlx::query("UPDATE schema_migrations SET checksum = $1 WHERE module = $2 AND version = $3")
                        .bind(&checksum)
                        .bind(m.module)
                        .bind(m.version)
                        .execute(db.write())
                        .await?;
                    tracing::info!(module = m.module, version = m.version, "migration checksum recorded");
                }
            }
        }
        let mut count = 0;
        for m in self.items.iter().filter(|m| recorded(m).is_none()) {
            let wrap = |source| DbError::Migration { module: m.module.to_string(), version: m.version, source };
            let mut tx = db.begin().await?;
            tx.execute(m.sql_for(backend)).await.map_err(wrap)?;
            sqlx::query(
                "INSERT INTO schema_migrations (module, version, name, applied_at, checksum) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(m.module)
            .bind(m.version)
            .bind(m.name)
            .bind(now)
            .bind(m.checksum(backend))
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

/// Adds `schema_migrations.checksum` to a database created before checksums were recorded.
async fn add_checksum_column(db: &Db) -> Result<(), DbError> {
    let probe = match db.backend() {
        Backend::Sqlite => "SELECT COUNT(*) FROM pragma_table_info('schema_migrations') WHERE name = 'checksum'",
        Backend::Postgres => {
            "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema() \
             AND table_name = 'schema_migrations' AND column_name = 'checksum'"
        }
    };
    let present: i64 = sqlx::query(probe).fetch_one(db.write()).await?.get(0);
    if present == 0 {
        db.write().execute("ALTER TABLE schema_migrations ADD COLUMN checksum TEXT").await?;
    }
    Ok(())
}

/// Declares a module's migrations. An entry `(N, "name")` is one portable file,
/// `migrations/common/N_name.sql`; `(N, "name", per_backend)` has a file per backend,
/// `migrations/sqlite/N_name.sql` and `migrations/postgres/N_name.sql`.
///
/// ```ignore
/// pub const MIGRATIONS: &[db::Migration] = db::migrations!("audit", [(1, "access_log", per_backend), (2, "index")]);
/// ```
#[macro_export]
macro_rules! migrations {
    ($module:literal, [$($entry:tt),+ $(,)?]) => {
        &[$($crate::migration!($module, $entry)),+]
    };
}

/// One entry of [`migrations!`].
#[doc(hidden)]
#[macro_export]
macro_rules! migration {
    ($module:literal, ($version:literal, $name:literal)) => {
        $crate::Migration {
            module: $module,
            version: $version,
            name: $name,
            sql: $crate::MigrationSql::Common(include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/migrations/common/",
                stringify!($version),
                "_",
                $name,
                ".sql"
            ))),
        }
    };
    ($module:literal, ($version:literal, $name:literal, per_backend)) => {
        $crate::Migration {
            module: $module,
            version: $version,
            name: $name,
            sql: $crate::MigrationSql::PerBackend {
                sqlite: include_str!(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/migrations/sqlite/",
                    stringify!($version),
                    "_",
                    $name,
                    ".sql"
                )),
                postgres: include_str!(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/migrations/postgres/",
                    stringify!($version),
                    "_",
                    $name,
                    ".sql"
                )),
            },
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fixed time: what `applied_at` records is not under test.
    const NOW: i64 = 1_750_000_000_000;

    const ONE: Migration =
        Migration { module: "m", version: 1, name: "one", sql: Sql::Common("CREATE TABLE m_one (a BIGINT)") };
    const ONE_EDITED: Migration = Migration { sql: Sql::Common("CREATE TABLE m_one (a BIGINT, b BIGINT)"), ..ONE };
    const TWO: Migration = Migration {
        module: "m",
        version: 2,
        name: "two",
        sql: Sql::PerBackend { sqlite: "CREATE TABLE m_two (a INTEGER)", postgres: "CREATE TABLE m_two (a BIGINT)" },
    };

    /// (module, version, checksum) of every recorded migration.
    async fn recorded(db: &Db) -> Vec<(String, i64, Option<String>)> {
        sqlx::query("SELECT module, version, checksum FROM schema_migrations ORDER BY module, version")
            .fetch_all(db.write())
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect()
    }

    async fn has_table(db: &Db, table: &str) -> bool {
        sqlx::query(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(db.write()).await.is_ok()
    }

    fn assert_changed(err: DbError, version: i64, file: &str) {
        let text = err.to_string();
        match err {
            DbError::MigrationChanged { module, version: v, file: f } => {
                assert_eq!((module.as_str(), v, f.as_str()), ("m", version, file))
            }
            other => panic!("expected a changed-migration error, got {other}"),
        }
        assert!(text.contains(&format!("m/{version}")) && text.contains(file), "{text}");
    }

    async fn a_changed_migration_is_refused_and_nothing_runs(db: Db) {
        assert_eq!(MigrationSet::new().with(&[ONE]).run(&db, NOW).await.unwrap(), 1);
        let before = recorded(&db).await;
        assert_eq!(before, [("m".to_string(), 1, Some(ONE.checksum(db.backend())))]);

        let err = MigrationSet::new().with(&[ONE_EDITED, TWO]).run(&db, NOW).await.unwrap_err();
        assert_changed(err, 1, "migrations/common/1_one.sql");
        assert_eq!(recorded(&db).await, before, "nothing recorded");
        assert!(!has_table(&db, "m_two").await, "the next migration did not run");

        // With the file restored, the rest applies.
        assert_eq!(MigrationSet::new().with(&[ONE, TWO]).run(&db, NOW).await.unwrap(), 1);
        assert!(has_table(&db, "m_two").await);
        assert_eq!(recorded(&db).await[1].2, Some(TWO.checksum(db.backend())));
    }

    async fn checksums_are_recorded_for_databases_migrated_before_them(db: Db) {
        // The tracking table as it was before checksums, with one applied migration.
        db.write().execute("DROP TABLE schema_migrations").await.unwrap();
        db.write()
            .execute(
                "CREATE TABLE schema_migrations (module TEXT NOT NULL, version BIGINT NOT NULL, name TEXT NOT NULL, \
                 applied_at BIGINT NOT NULL, PRIMARY KEY (module, version))",
            )
            .await
            .unwrap();
        db.write().execute(ONE.sql_for(db.backend())).await.unwrap();
        db.write()
            .execute("INSERT INTO schema_migrations (module, version, name, applied_at) VALUES ('m', 1, 'one', 0)")
            .await
            .unwrap();

        assert_eq!(MigrationSet::new().with(&[ONE, TWO]).run(&db, NOW).await.unwrap(), 1, "only the new one runs");
        let backend = db.backend();
        assert_eq!(
            recorded(&db).await,
            [("m".to_string(), 1, Some(ONE.checksum(backend))), ("m".to_string(), 2, Some(TWO.checksum(backend)))]
        );
        let err = MigrationSet::new().with(&[ONE_EDITED, TWO]).run(&db, NOW).await.unwrap_err();
        assert_changed(err, 1, "migrations/common/1_one.sql");
    }

    crate::dual_tests!(crate::MigrationSet::new();
        a_changed_migration_is_refused_and_nothing_runs,
        checksums_are_recorded_for_databases_migrated_before_them);

    #[test]
    fn each_backend_gets_its_own_file_or_the_common_one() {
        assert_eq!(TWO.sql_for(Backend::Sqlite), "CREATE TABLE m_two (a INTEGER)");
        assert_eq!(TWO.sql_for(Backend::Postgres), "CREATE TABLE m_two (a BIGINT)");
        assert_eq!(TWO.file(Backend::Postgres), "migrations/postgres/2_two.sql");
        assert_eq!(ONE.sql_for(Backend::Sqlite), ONE.sql_for(Backend::Postgres));
        assert_eq!(ONE.file(Backend::Sqlite), "migrations/common/1_one.sql");
        let empty = Migration { sql: Sql::Common(""), ..ONE };
        assert_eq!(empty.checksum(Backend::Sqlite), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_ne!(TWO.checksum(Backend::Sqlite), TWO.checksum(Backend::Postgres));
    }
}
