//! Fresh databases for tests, on SQLite always and on PostgreSQL when `DANCU_TEST_DATABASE_URL` is set.
//!
//! A PostgreSQL test database is a new schema in the configured database, selected through the
//! connection's `search_path` and dropped when the [`TestDb`] is dropped, so tests run in parallel
//! without seeing each other's rows.

use sqlx::Connection;

use crate::handle::Db;
use crate::migrate::MigrationSet;

/// Environment variable that enables the PostgreSQL runs of storage tests.
pub const PG_ENV: &str = "DANCU_TEST_DATABASE_URL";

/// A migrated database that is removed when dropped.
pub struct TestDb {
    db: Db,
    _dir: Option<tempfile::TempDir>,
    pg_schema: Option<(String, String)>,
}

impl TestDb {
    /// A new SQLite file in a temporary directory, migrated.
    pub async fn sqlite(migrations: &MigrationSet) -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        let db = Db::connect(&url).await.expect("open sqlite");
        migrations.run(&db).await.expect("migrate sqlite");
        TestDb { db, _dir: Some(dir), pg_schema: None }
    }

    /// A new schema in the PostgreSQL database named by `DANCU_TEST_DATABASE_URL`, migrated; `None`
    /// (with a note on stderr) when the variable is not set.
    pub async fn postgres(migrations: &MigrationSet) -> Option<TestDb> {
        let Ok(base) = std::env::var(PG_ENV) else {
            eprintln!("PostgreSQL run skipped: {PG_ENV} is not set");
            return None;
        };
        let schema = format!("t_{}", uuid::Uuid::now_v7().simple());
        let mut admin = sqlx::PgConnection::connect(&base).await.expect("connect postgres");
        sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&mut admin).await.expect("create schema");
        admin.close().await.ok();
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
        let db = Db::connect(&url).await.expect("open postgres");
        migrations.run(&db).await.expect("migrate postgres");
        Some(TestDb { db, _dir: None, pg_schema: Some((base, schema)) })
    }

    pub fn db(&self) -> &Db {
        &self.db
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((base, schema)) = self.pg_schema.take() {
            // Dropping runs on its own thread and runtime: Drop cannot await.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
                rt.block_on(async {
                    if let Ok(mut c) = sqlx::PgConnection::connect(&base).await {
                        let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).execute(&mut c).await;
                    }
                });
            })
            .join();
        }
    }
}

/// Runs an async test body once on SQLite and once on PostgreSQL (when configured).
///
/// ```ignore
/// async fn finds_person(db: db::Db) { /* ... */ }
/// db::dual_tests!(crate::test_migrations(); finds_person);
/// ```
#[macro_export]
macro_rules! dual_tests {
    ($migrations:expr; $($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let t = $crate::testing::TestDb::sqlite(&$migrations).await;
                    super::$name(t.db().clone()).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let Some(t) = $crate::testing::TestDb::postgres(&$migrations).await else {
                        return;
                    };
                    super::$name(t.db().clone()).await;
                }
            }
        )+
    };
}
