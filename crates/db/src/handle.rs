//! The [`Db`] handle: connection pools for either backend.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::pool::PoolOptions;
use sqlx::ConnectOptions;
use sqlx::{Any, AnyPool, Executor};

use crate::checkpoint::BACKSTOP_PAGES;

/// Which database engine a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Errors opening or migrating a database.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("unsupported database URL (use sqlite:// or postgres://): {0}")]
    UnsupportedUrl(String),
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error("scan failed: {0}")]
    Scan(String),
    #[error("could not start a background thread: {0}")]
    Thread(std::io::Error),
    #[error("migration {module}/{version} failed: {source}")]
    Migration { module: String, version: i64, source: sqlx::Error },
    #[error(
        "migration {module}/{version} ({file}) was changed after it was applied: its SHA-256 differs from the one \
         recorded in schema_migrations; restore the file and put the change in a new migration"
    )]
    MigrationChanged { module: String, version: i64, file: String },
}

/// A cheap-to-clone handle to the database.
#[derive(Clone, Debug)]
pub struct Db {
    backend: Backend,
    url: String,
    read: AnyPool,
    write: AnyPool,
    fast: Option<Arc<crate::fast::FastReads>>,
    sqlite_file: Option<String>,
    _checkpoints: Option<Arc<crate::checkpoint::Checkpointer>>,
}

/// Pragmas of every pooled SQLite connection. `journal_size_limit`: when the write-ahead log
/// starts over after a checkpoint, a log past 512 MiB (a burst far beyond steady load) is cut back
/// to that size; the checkpoint thread truncates it to nothing when writes pause. A lower limit
/// costs the steady state: at 64 MiB the access log's WAL, rewritten at ~70 MB/s under the person
/// lookup benchmark, was cut every few seconds inside the writer's commit, and the lookups'
/// p99 went from ~5 ms to 50–100 ms.
const JOURNAL_SIZE_LIMIT: u64 = 512 * 1024 * 1024;

const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA temp_store = MEMORY; \
     PRAGMA mmap_size = 1073741824;";

/// Page cache of the attached [`LOGS_SCHEMA`] file per connection, in KiB: its tables are
/// appended to and read by indexed ranges, so a small cache suffices.
const LOGS_CACHE_KIB: u32 = 2_048;

/// Page cache of the logs file's own writer ([`Db::open_logs_writer`]), in KiB: it inserts into the
/// access log's indexes at random places (by subject), so it keeps more of their pages than a
/// pooled connection does; pages it does not keep are read through the memory map.
const LOGS_WRITER_CACHE_KIB: u32 = 16_384;

/// How much memory SQLite's page caches may take in total, divided over the connections: a
/// quarter to the writer, half shared by the readers of the pool, a quarter shared by the
/// fast-path readers ([`crate::fast`]). Each connection has its own cache, which grows up to its
/// share as pages are read and is not given back while the connection lives, so the budget is
/// what a long-running server settles at, not what it starts with. The attached logs file adds
/// [`LOGS_CACHE_KIB`] per connection. Pages read through the memory map (`mmap_size`) are the
/// kernel's file cache: they appear in a process's resident size (`RssFile`) but are shared and
/// dropped under memory pressure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheBudget {
    pub mib: u32,
}

impl Default for CacheBudget {
    fn default() -> Self {
        CacheBudget { mib: 256 }
    }
}

impl CacheBudget {
    /// KiB of page cache for the writer, each pool reader and each fast-path reader, when there
    /// are `readers` of each kind; at least 1 MiB each.
    fn split(self, readers: u32) -> (u32, u32, u32) {
        let kib = self.mib.saturating_mul(1024);
        let readers = readers.max(1);
        ((kib / 4).max(1024), (kib / 2 / readers).max(1024), (kib / 4 / readers).max(1024))
    }
}

impl Db {
    /// Opens a database from a URL: `sqlite://path/to/file.db` (created if missing) or
    /// `postgres://user@host/db`, with the default [`CacheBudget`].
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        Db::connect_with(url, CacheBudget::default()).await
    }

    /// [`Db::connect`] with SQLite's page caches held to `budget` (PostgreSQL ignores it).
    pub async fn connect_with(url: &str, budget: CacheBudget) -> Result<Db, DbError> {
        sqlx::any::install_default_drivers();
        if url.starts_with("sqlite:") {
            let url = if url.contains('?') { url.to_string() } else { format!("{url}?mode=rwc") };
            let readers = std::thread::available_parallelism().map(|n| n.get() as u32 * 2).unwrap_or(4).max(4);
            let opts = quiet(&url)?;
            let path = sqlite_path(&url);
            let logs = logs_path(&path);
            let (writer_kib, reader_kib, fast_kib) = budget.split(readers);
            let write = sqlite_pool(1, logs.clone(), writer_kib).connect_with(opts.clone()).await?;
            let read = sqlite_pool(readers, logs, reader_kib).connect_with(opts).await?;
            let fast = crate::fast::FastReads::open(&path, readers as usize, fast_kib)?;
            let checkpoints = crate::checkpoint::Checkpointer::start(vec![path.clone(), logs_path(&path)])?;
            Ok(Db {
                backend: Backend::Sqlite,
                url,
                read,
                write,
                fast: Some(Arc::new(fast)),
                sqlite_file: Some(path),
                _checkpoints: Some(Arc::new(checkpoints)),
            })
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = AnyPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(quiet(url)?)
                .await?;
            Ok(Db {
                backend: Backend::Postgres,
                url: url.to_string(),
                read: pool.clone(),
                write: pool,
                fast: None,
                sqlite_file: None,
                _checkpoints: None,
            })
        } else {
            Err(DbError::UnsupportedUrl(url.to_string()))
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The URL the handle was opened with (for tools that need a raw connection, e.g. `COPY`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The main database file on SQLite (for tools that open their own connection).
    pub fn sqlite_file(&self) -> Option<&str> {
        self.sqlite_file.as_deref()
    }

    /// The pool for reads. On SQLite these connections never write.
    pub fn read(&self) -> &AnyPool {
        &self.read
    }

    /// A connection of its own on the logs file ([`LOGS_SCHEMA`]), for a writer that commits at
    /// request rate (the access log): SQLite only, `None` on PostgreSQL. Its tables are named
    /// without a schema. Its commits do not wait for the pool's one writer connection nor for
    /// sqlx's connection thread: they take the logs file's write lock only, so writes to the
    /// registry file never hold them up. Use it on a thread of its own (it blocks), with
    /// `BEGIN IMMEDIATE`; should another connection hold the logs file's write lock, SQLite's
    /// busy handler waits for it (`busy_timeout`).
    pub fn open_logs_writer(&self) -> Result<Option<rusqlite::Connection>, DbError> {
        let Some(main) = self.sqlite_file.as_deref() else {
            return Ok(None);
        };
        let conn = rusqlite::Connection::open_with_flags(
            logs_path(main),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.execute_batch(&format!(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; \
             PRAGMA wal_autocheckpoint = {BACKSTOP_PAGES}; PRAGMA journal_size_limit = {JOURNAL_SIZE_LIMIT}; \
             PRAGMA cache_size = -{LOGS_WRITER_CACHE_KIB}; PRAGMA mmap_size = 1073741824;"
        ))?;
        conn.set_prepared_statement_cache_capacity(16);
        Ok(Some(conn))
    }

    /// Synchronous read-only connections for hot point lookups (SQLite only).
    pub fn fast(&self) -> Option<&crate::fast::FastReads> {
        self.fast.as_deref()
    }

    /// The pool for writes: one connection on SQLite, the shared pool on PostgreSQL.
    pub fn write(&self) -> &AnyPool {
        &self.write
    }

    /// Starts a write transaction.
    pub async fn begin(&self) -> Result<sqlx::Transaction<'static, Any>, sqlx::Error> {
        self.write.begin().await
    }

    /// Connections and idle connections of the read and write pools, for `/metrics`.
    pub fn pool_stats(&self) -> PoolStats {
        PoolStats {
            read_size: self.read.size(),
            read_idle: self.read.num_idle() as u32,
            write_size: self.write.size(),
            write_idle: self.write.num_idle() as u32,
        }
    }

    /// Closes both pools, flushing SQLite's WAL.
    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }
}

/// Pool occupancy numbers.
#[derive(Debug, Clone, Copy)]
pub struct PoolStats {
    pub read_size: u32,
    pub read_idle: u32,
    pub write_size: u32,
    pub write_idle: u32,
}

/// The file path of a `sqlite://PATH?…` URL.
pub(crate) fn sqlite_path(url: &str) -> String {
    let rest = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    rest.split('?').next().unwrap_or(rest).to_string()
}

/// Connection options that never log statements: SQL text can carry personal data in literals
/// and slow-statement warnings would flood logs during bulk loads.
fn quiet(url: &str) -> Result<AnyConnectOptions, DbError> {
    Ok(AnyConnectOptions::from_str(url)?
        .disable_statement_logging()
        .log_slow_statements(tracing::log::LevelFilter::Off, Duration::from_secs(3600)))
}

/// Name of the attached SQLite database that holds the high-rate append-only tables.
pub const LOGS_SCHEMA: &str = "logs";

/// The file of the [`LOGS_SCHEMA`] database next to the main one: `dir/dancu.db` →
/// `dir/dancu-logs.db`.
///
/// In WAL mode every commit makes each reader of the same file drop its whole page cache at its
/// next read. The access log, verification history and single-use nonces are written hundreds of
/// times a second; kept in their own file (attached on every connection, so queries name them
/// without a schema), their commits leave the registry readers' caches warm. A transaction that
/// writes both files is atomic on each file but not across them after a crash, which suits these
/// tables: each is written in transactions of its own.
pub(crate) fn logs_path(main: &str) -> String {
    match main.strip_suffix(".db") {
        Some(stem) => format!("{stem}-logs.db"),
        None => format!("{main}-logs.db"),
    }
}

/// A pool of `max` SQLite connections with the logs file attached, each with a page cache of
/// `cache_kib`.
fn sqlite_pool(max: u32, logs: String, cache_kib: u32) -> PoolOptions<Any> {
    AnyPoolOptions::new()
        .max_connections(max)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(move |conn, _meta| {
            let logs = logs.clone();
            Box::pin(async move {
                conn.execute(SQLITE_PRAGMAS).await?;
                let attach = format!("ATTACH DATABASE $1 AS {LOGS_SCHEMA}");
                sqlx::query(&attach).bind(logs).execute(&mut *conn).await?;
                let pragmas =
                    format!(
                    "PRAGMA {LOGS_SCHEMA}.journal_mode = WAL; PRAGMA {LOGS_SCHEMA}.synchronous = NORMAL; \
                     PRAGMA wal_autocheckpoint = {BACKSTOP_PAGES}; PRAGMA {LOGS_SCHEMA}.wal_autocheckpoint = {BACKSTOP_PAGES}; \
                     PRAGMA cache_size = -{cache_kib}; PRAGMA {LOGS_SCHEMA}.cache_size = -{LOGS_CACHE_KIB}; \
                     PRAGMA journal_size_limit = {JOURNAL_SIZE_LIMIT}; \
                     PRAGMA {LOGS_SCHEMA}.journal_size_limit = {JOURNAL_SIZE_LIMIT};"
                );
                (&mut *conn).execute(pragmas.as_str()).await?;
                Ok(())
            })
        })
}

impl FromStr for Backend {
    type Err = DbError;
    fn from_str(s: &str) -> Result<Self, DbError> {
        if s.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if s.starts_with("postgres") {
            Ok(Backend::Postgres)
        } else {
            Err(DbError::UnsupportedUrl(s.to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::Row;

    /// The budget is divided, not given to every connection: with 4 readers of each kind, 256 MiB
    /// is 64 MiB for the writer, 32 MiB per pool reader and 16 MiB per fast-path reader.
    #[tokio::test]
    async fn page_caches_share_the_budget() {
        assert_eq!(CacheBudget { mib: 256 }.split(4), (65_536, 32_768, 16_384));
        assert_eq!(CacheBudget { mib: 1 }.split(8), (1_024, 1_024, 1_024));
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("m.db").display());
        let db = Db::connect_with(&url, CacheBudget { mib: 64 }).await.unwrap();
        let size = |pool: &AnyPool| {
            let pool = pool.clone();
            async move { sqlx::query("PRAGMA cache_size").fetch_one(&pool).await.unwrap().get::<i64, _>(0) }
        };
        assert_eq!(size(db.write()).await, -16_384);
        let readers = i64::from(db.read().options().get_max_connections());
        assert_eq!(size(db.read()).await, -32_768 / readers);
    }

    /// The logs file's own writer writes the attached file in WAL mode, and the pool's connections
    /// read what it committed; PostgreSQL has none.
    #[tokio::test]
    async fn a_writer_of_its_own_on_the_logs_file() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&format!("sqlite://{}", dir.path().join("w.db").display())).await.unwrap();
        let w = db.open_logs_writer().unwrap().unwrap();
        let mode: String = w.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
        w.execute_batch("CREATE TABLE entries (v INTEGER); INSERT INTO entries VALUES (3);").unwrap();
        let v: i64 = sqlx::query("SELECT v FROM logs.entries").fetch_one(db.read()).await.unwrap().get(0);
        assert_eq!(v, 3);
        let in_main: i64 = sqlx::query("SELECT COUNT(*) FROM main.sqlite_master WHERE name = 'entries'")
            .fetch_one(db.read())
            .await
            .unwrap()
            .get(0);
        assert_eq!(in_main, 0, "the registry file is not written");
    }

    #[test]
    fn logs_file_sits_next_to_the_main_file() {
        assert_eq!(logs_path("/data/dancu.db"), "/data/dancu-logs.db");
        assert_eq!(logs_path("/data/registry"), "/data/registry-logs.db");
    }

    /// Every pooled connection has the logs file attached: a table created there by the writer is
    /// read by the readers without a schema prefix, and the main file does not contain it.
    #[tokio::test]
    async fn every_connection_sees_the_logs_file() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&format!("sqlite://{}", dir.path().join("t.db").display())).await.unwrap();
        db.write().execute("CREATE TABLE logs.entries (v INTEGER); INSERT INTO entries VALUES (7);").await.unwrap();
        let v: i64 = sqlx::query("SELECT v FROM entries").fetch_one(db.read()).await.unwrap().get(0);
        assert_eq!(v, 7);
        let in_main: i64 = sqlx::query("SELECT COUNT(*) FROM main.sqlite_master WHERE name = 'entries'")
            .fetch_one(db.read())
            .await
            .unwrap()
            .get(0);
        assert_eq!(in_main, 0);
        assert!(dir.path().join("t-logs.db").exists());
    }
}
