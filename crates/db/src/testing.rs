//! Fresh databases for tests, on SQLite always and on PostgreSQL when `DANCU_TEST_DATABASE_URL` is set.
//!
//! Whether the PostgreSQL tests run is decided when they are compiled (`test_gates.rs`, the build
//! script of every crate with storage tests, sets `cfg(dancu_pg)` from the variable): without it
//! they are compiled `#[ignore]`d, so `cargo test` counts them as ignored instead of passing tests
//! that did nothing. A PostgreSQL test of its own marks itself the same way:
//!
//! ```ignore
//! #[tokio::test]
//! #[cfg_attr(not(dancu_pg), ignore = "needs PostgreSQL: set DANCU_TEST_DATABASE_URL")]
//! async fn on_postgres() { let t = db::testing::TestDb::postgres(&migrations).await; /* ... */ }
//! ```
//!
//! A PostgreSQL test database is a new schema in the configured database, selected through the
//! connection's `search_path` and dropped when the [`TestDb`] is dropped, so tests run in parallel
//! without seeing each other's rows.

#![allow(clippy::disallowed_methods, reason = "test support: reads its database URL and the clock")]
#![allow(clippy::expect_used, reason = "test support: a test database that cannot be set up fails the test at once")]

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
        migrations.run(&db, kernel::clock::now_ms()).await.expect("migrate sqlite");
        TestDb { db, _dir: Some(dir), pg_schema: None }
    }

    /// A new schema in the PostgreSQL database named by `DANCU_TEST_DATABASE_URL`, migrated.
    ///
    /// # Panics
    /// When the variable is not set: a test that calls this was compiled to run on PostgreSQL
    /// (or was asked for with `--include-ignored`), and passing without a database would hide that
    /// it did not run.
    pub async fn postgres(migrations: &MigrationSet) -> TestDb {
        let base = std::env::var(PG_ENV).unwrap_or_else(|_| {
            panic!("{PG_ENV} is not set: this test needs PostgreSQL (e.g. {PG_ENV}=postgres://postgres@127.0.0.1:5432/test)")
        });
        let schema = format!("t_{}", uuid::Uuid::now_v7().simple());
        let mut admin = sqlx::PgConnection::connect(&base).await.expect("connect postgres");
        sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&mut admin).await.expect("create schema");
        admin.close().await.ok();
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
        let db = Db::connect(&url).await.expect("open postgres");
        migrations.run(&db, kernel::clock::now_ms()).await.expect("migrate postgres");
        TestDb { db, _dir: None, pg_schema: Some((base, schema)) }
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

/// Runs an async test body once on SQLite and once on PostgreSQL. The PostgreSQL half is ignored,
/// with the reason, unless the crate was compiled with `DANCU_TEST_DATABASE_URL` set (the calling
/// crate needs `build = "../db/test_gates.rs"`).
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
                #[cfg_attr(not(dancu_pg), ignore = "needs PostgreSQL: set DANCU_TEST_DATABASE_URL")]
                async fn postgres() {
                    let t = $crate::testing::TestDb::postgres(&$migrations).await;
                    super::$name(t.db().clone()).await;
                }
            }
        )+
    };
}
