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

use std::collections::{BTreeMap, BTreeSet};

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

/// Counts the `checksum` column of `schema_migrations` (0 in databases created before checksums).
fn checksum_probe(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "SELECT COUNT(*) FROM pragma_table_info('schema_migrations') WHERE name = 'checksum'",
        Backend::Postgres => {
            "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema() \
             AND table_name = 'schema_migrations' AND column_name = 'checksum'"
        }
    }
}

/// Adds `schema_migrations.checksum` to a database created before checksums were recorded.
async fn add_checksum_column(db: &Db) -> Result<(), DbError> {
    let present: i64 = sqlx::query(checksum_probe(db.backend())).fetch_one(db.write()).await?.get(0);
    if present == 0 {
        db.write().execute("ALTER TABLE schema_migrations ADD COLUMN checksum TEXT").await?;
    }
    Ok(())
}

/// A migration recorded in `schema_migrations`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedMigration {
    pub module: String,
    pub version: i64,
    pub name: String,
    /// `None` in a database migrated before checksums were recorded.
    pub checksum: Option<String>,
}

/// What [`MigrationSet::problems`] compares with the migrations: the bookkeeping and the tables.
#[derive(Debug, Clone, Default)]
pub struct SchemaState {
    /// The rows of `schema_migrations`; `None` when the table does not exist.
    pub applied: Option<Vec<AppliedMigration>>,
    /// Every table of the database, those of the SQLite logs file prefixed with `logs.`.
    pub tables: BTreeSet<String>,
}

/// A way in which a database differs from the schema the binary's migrations make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaProblem {
    /// No `schema_migrations` table: an empty file, a wrong path or not a dancu database.
    NoSchema,
    /// A migration of the binary is not recorded.
    NotApplied { module: String, version: i64, name: String },
    /// Recorded without a checksum (migrated before checksums were recorded).
    NoChecksum { module: String, version: i64 },
    /// Recorded with the checksum of other SQL than the binary's file.
    Changed { module: String, version: i64, file: String },
    /// Recorded, but unknown to the binary: the database was migrated by a newer version.
    Unknown { module: String, version: i64, name: String },
    /// A table that a recorded migration creates (and none drops) is absent.
    MissingTable { module: String, version: i64, table: String },
}

impl std::fmt::Display for SchemaProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SchemaProblem::NoSchema => {
                write!(f, "no schema: the table schema_migrations does not exist (an empty or foreign database)")
            }
            SchemaProblem::NotApplied { module, version, name } => {
                write!(f, "migration {module}/{version} ({name}) is not applied")
            }
            SchemaProblem::NoChecksum { module, version } => {
                write!(f, "migration {module}/{version} has no recorded checksum (migrated by an older dancu)")
            }
            SchemaProblem::Changed { module, version, file } => {
                write!(f, "migration {module}/{version} was applied from other SQL than {file} (checksum differs)")
            }
            SchemaProblem::Unknown { module, version, name } => {
                write!(f, "migration {module}/{version} ({name}) is applied but unknown to this binary (a newer dancu migrated the database)")
            }
            SchemaProblem::MissingTable { module, version, table } => {
                write!(f, "table {table}, created by migration {module}/{version}, is missing")
            }
        }
    }
}

/// Every table of a database: the main file and the attached logs file on SQLite (`logs.` before
/// the names of the latter), the connection's schema on PostgreSQL.
fn tables_query(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => {
            "SELECT name FROM main.sqlite_master WHERE type = 'table' \
             UNION ALL SELECT 'logs.' || name FROM logs.sqlite_master WHERE type = 'table'"
        }
        Backend::Postgres => {
            "SELECT CAST(table_name AS TEXT) FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        }
    }
}

/// The recorded migrations, with or without the checksum column.
fn applied_query(has_checksum: bool) -> &'static str {
    if has_checksum {
        "SELECT module, version, name, checksum FROM schema_migrations"
    } else {
        "SELECT module, version, name, CAST(NULL AS TEXT) FROM schema_migrations"
    }
}

/// What a statement of a migration does to the set of tables.
#[derive(Debug, PartialEq, Eq)]
enum TableChange {
    Create(String),
    Drop(String),
}

/// The tables a migration's SQL creates and drops, in order, read from its `CREATE TABLE` and
/// `DROP TABLE` statements. Names are lower case, `main.` is dropped and `logs.` kept, so they
/// compare with [`SchemaState::tables`].
fn table_changes(sql: &str) -> Vec<TableChange> {
    let text: String = sql.lines().map(|l| l.split("--").next().unwrap_or("")).collect::<Vec<_>>().join("\n");
    let words: Vec<&str> =
        text.split(|c: char| c.is_whitespace() || c == '(' || c == ';' || c == ',').filter(|w| !w.is_empty()).collect();
    let is = |i: usize, k: &str| words.get(i).is_some_and(|w| w.eq_ignore_ascii_case(k));
    let mut out = Vec::new();
    for i in 0..words.len() {
        let create = is(i, "CREATE");
        if !(create || is(i, "DROP")) || !is(i + 1, "TABLE") {
            continue;
        }
        let mut j = i + 2;
        while ["IF", "NOT", "EXISTS"].iter().any(|k| is(j, k)) {
            j += 1;
        }
        let Some(name) = words.get(j) else { continue };
        let name = name.trim_matches('"').to_ascii_lowercase();
        let name = name.strip_prefix("main.").map(str::to_string).unwrap_or(name);
        out.push(if create { TableChange::Create(name) } else { TableChange::Drop(name) });
    }
    out
}

impl MigrationSet {
    /// Compares a database's schema with these migrations: every migration recorded with its
    /// checksum, no recorded migration unknown, and every table the recorded migrations leave in
    /// place present. Empty when the database is ready to serve.
    pub fn problems(&self, backend: Backend, state: &SchemaState) -> Vec<SchemaProblem> {
        let Some(applied) = &state.applied else { return vec![SchemaProblem::NoSchema] };
        let mut problems = Vec::new();
        // Table → the recorded migration that created it and that none after it dropped.
        let mut expected: BTreeMap<String, &Migration> = BTreeMap::new();
        for m in &self.items {
            let (module, version) = (m.module.to_string(), m.version);
            let Some(a) = applied.iter().find(|a| a.module == m.module && a.version == m.version) else {
                problems.push(SchemaProblem::NotApplied { module, version, name: m.name.to_string() });
                continue;
            };
            match &a.checksum {
                Some(c) if *c == m.checksum(backend) => {}
                Some(_) => problems.push(SchemaProblem::Changed { module, version, file: m.file(backend) }),
                None => problems.push(SchemaProblem::NoChecksum { module, version }),
            }
            for change in table_changes(m.sql_for(backend)) {
                match change {
                    TableChange::Create(t) => expected.insert(t, m),
                    TableChange::Drop(t) => expected.remove(&t),
                };
            }
        }
        for a in applied {
            if !self.items.iter().any(|m| a.module == m.module && a.version == m.version) {
                problems.push(SchemaProblem::Unknown {
                    module: a.module.clone(),
                    version: a.version,
                    name: a.name.clone(),
                });
            }
        }
        for (table, m) in expected {
            if !state.tables.contains(&table) {
                problems.push(SchemaProblem::MissingTable { module: m.module.to_string(), version: m.version, table });
            }
        }
        problems
    }

    /// [`MigrationSet::problems`] of an open database; reads only.
    pub async fn check(&self, db: &Db) -> Result<Vec<SchemaProblem>, DbError> {
        let backend = db.backend();
        let tables: BTreeSet<String> =
            sqlx::query(tables_query(backend)).fetch_all(db.read()).await?.iter().map(|r| r.get(0)).collect();
        let applied = if tables.contains("schema_migrations") {
            let has_checksum: i64 = sqlx::query(checksum_probe(backend)).fetch_one(db.read()).await?.get(0);
            let rows = sqlx::query(applied_query(has_checksum > 0)).fetch_all(db.read()).await?;
            Some(
                rows.iter()
                    .map(|r| AppliedMigration {
                        module: r.get(0),
                        version: r.get(1),
                        name: r.get(2),
                        checksum: r.get(3),
                    })
                    .collect(),
            )
        } else {
            None
        };
        Ok(self.problems(backend, &SchemaState { applied, tables }))
    }
}

/// The [`SchemaState`] of a SQLite connection that has the logs file attached as `logs` (the
/// files of a backup, read without the pools).
pub fn sqlite_schema_state(conn: &rusqlite::Connection) -> rusqlite::Result<SchemaState> {
    let mut stmt = conn.prepare(tables_query(Backend::Sqlite))?;
    let tables = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<BTreeSet<_>>>()?;
    if !tables.contains("schema_migrations") {
        return Ok(SchemaState { applied: None, tables });
    }
    let has_checksum: i64 = conn.query_row(checksum_probe(Backend::Sqlite), [], |r| r.get(0))?;
    let mut stmt = conn.prepare(applied_query(has_checksum > 0))?;
    let applied = stmt
        .query_map([], |r| {
            Ok(AppliedMigration { module: r.get(0)?, version: r.get(1)?, name: r.get(2)?, checksum: r.get(3)? })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(SchemaState { applied: Some(applied), tables })
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

    /// A schema check of a database migrated with ONE and TWO, after `damage`.
    async fn problems_after(db: &Db, damage: &str) -> Vec<SchemaProblem> {
        let set = MigrationSet::new().with(&[ONE, TWO]);
        set.run(&db.clone(), NOW).await.unwrap();
        if !damage.is_empty() {
            db.write().execute(damage).await.unwrap();
        }
        set.check(db).await.unwrap()
    }

    async fn a_complete_schema_has_no_problems(db: Db) {
        assert_eq!(problems_after(&db, "").await, []);
    }

    async fn a_database_without_bookkeeping_has_no_schema(db: Db) {
        assert_eq!(problems_after(&db, "DROP TABLE schema_migrations").await, [SchemaProblem::NoSchema]);
        assert_eq!(MigrationSet::new().with(&[ONE]).check(&db).await.unwrap(), [SchemaProblem::NoSchema]);
    }

    async fn a_missing_migration_row_is_named(db: Db) {
        let problems = problems_after(&db, "DELETE FROM schema_migrations WHERE module = 'm' AND version = 2").await;
        assert_eq!(problems, [SchemaProblem::NotApplied { module: "m".into(), version: 2, name: "two".into() }]);
        assert_eq!(problems[0].to_string(), "migration m/2 (two) is not applied");
    }

    async fn a_dropped_table_of_a_recorded_migration_is_named(db: Db) {
        let problems = problems_after(&db, "DROP TABLE m_two").await;
        assert_eq!(problems, [SchemaProblem::MissingTable { module: "m".into(), version: 2, table: "m_two".into() }]);
    }

    async fn a_migration_unknown_to_the_binary_is_named(db: Db) {
        let problems = problems_after(
            &db,
            "INSERT INTO schema_migrations (module, version, name, applied_at, checksum) VALUES ('m', 3, 'three', 0, 'x')",
        )
        .await;
        assert_eq!(problems, [SchemaProblem::Unknown { module: "m".into(), version: 3, name: "three".into() }]);
    }

    crate::dual_tests!(crate::MigrationSet::new();
        a_changed_migration_is_refused_and_nothing_runs,
        checksums_are_recorded_for_databases_migrated_before_them,
        a_complete_schema_has_no_problems,
        a_database_without_bookkeeping_has_no_schema,
        a_missing_migration_row_is_named,
        a_dropped_table_of_a_recorded_migration_is_named,
        a_migration_unknown_to_the_binary_is_named);

    /// A table moved to the logs file is expected there, not in the main file (SQLite's
    /// `2_logs_file` of audit creates `logs.access_log` and drops `main.access_log`).
    #[test]
    fn tables_follow_create_and_drop_in_order() {
        let sql = "-- CREATE TABLE not_this (a INT)\nCREATE TABLE IF NOT EXISTS Logs_Moved (a INT);\n\
                   CREATE TABLE logs.access_log (id INTEGER PRIMARY KEY);\nDROP TABLE main.access_log;\n\
                   CREATE INDEX logs.access_log_at ON access_log (at);";
        assert_eq!(
            table_changes(sql),
            [
                TableChange::Create("logs_moved".into()),
                TableChange::Create("logs.access_log".into()),
                TableChange::Drop("access_log".into())
            ]
        );
        let first = Migration { sql: Sql::Common("CREATE TABLE access_log (id BIGINT)"), ..ONE };
        let moved = Migration { version: 2, sql: Sql::Common(sql), ..ONE };
        let set = MigrationSet::new().with(&[first, moved]);
        let applied = [&first, &moved]
            .iter()
            .map(|m| AppliedMigration {
                module: m.module.into(),
                version: m.version,
                name: m.name.into(),
                checksum: Some(m.checksum(Backend::Sqlite)),
            })
            .collect();
        let tables = ["schema_migrations", "logs_moved", "access_log"].map(String::from).into();
        let state = SchemaState { applied: Some(applied), tables };
        assert_eq!(
            set.problems(Backend::Sqlite, &state),
            [SchemaProblem::MissingTable { module: "m".into(), version: 2, table: "logs.access_log".into() }]
        );
    }

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
