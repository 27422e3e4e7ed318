//! A synchronous read path for SQLite's hottest point lookups.
//!
//! sqlx runs every SQLite connection on its own thread, so each query is a round trip through a
//! channel; for a primary-key lookup that hop costs far more than the lookup itself. These
//! read-only `rusqlite` connections answer such queries directly on the calling thread, with
//! prepared statements cached per connection. Use them only for short indexed reads.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use rusqlite::{Connection, OpenFlags};

use crate::filter::{Arg, Filter};
use crate::handle::DbError;

/// Read-only connections to the same SQLite file.
#[derive(Debug)]
pub struct FastReads {
    conns: Vec<Mutex<Connection>>,
    next: AtomicUsize,
}

/// A row from the fast path.
pub type FastRow<'a> = rusqlite::Row<'a>;

/// Column access shared by sqlx rows and fast-path rows, so one mapper serves both paths. A
/// column of the wrong type, or a NULL where a value is required, is an error that names the
/// column, never a silent empty string or 0.
pub trait Columns {
    /// A text column that may be NULL.
    fn text(&self, i: usize) -> Result<Option<String>, DbError>;
    /// An integer column that may not be NULL.
    fn int(&self, i: usize) -> Result<i64, DbError>;

    /// A text column that may not be NULL.
    fn required(&self, i: usize) -> Result<String, DbError> {
        self.text(i)?.ok_or_else(|| DbError::Scan(format!("column {i} is NULL")))
    }
}

impl Columns for sqlx::any::AnyRow {
    fn text(&self, i: usize) -> Result<Option<String>, DbError> {
        Ok(sqlx::Row::try_get(self, i)?)
    }

    fn int(&self, i: usize) -> Result<i64, DbError> {
        Ok(sqlx::Row::try_get(self, i)?)
    }
}

impl Columns for FastRow<'_> {
    fn text(&self, i: usize) -> Result<Option<String>, DbError> {
        Ok(self.get(i)?)
    }

    fn int(&self, i: usize) -> Result<i64, DbError> {
        Ok(self.get(i)?)
    }
}

impl FastReads {
    /// Opens `n` read-only connections to `path`, each with a page cache of `cache_kib`.
    pub fn open(path: &str, n: usize, cache_kib: u32) -> rusqlite::Result<FastReads> {
        let mut conns = Vec::with_capacity(n);
        for _ in 0..n.max(1) {
            let c = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
            )?;
            c.execute_batch(&format!(
                "PRAGMA busy_timeout = 5000; PRAGMA cache_size = -{cache_kib}; PRAGMA mmap_size = 1073741824; \
                 PRAGMA query_only = ON;"
            ))?;
            c.set_prepared_statement_cache_capacity(64);
            conns.push(Mutex::new(c));
        }
        Ok(FastReads { conns, next: AtomicUsize::new(0) })
    }

    /// Runs `SELECT …` built with `$N` placeholders and the filter's values; maps at most one row.
    pub fn query_one<T>(
        &self,
        sql: &str,
        filter: &Filter,
        map: impl FnOnce(&FastRow<'_>) -> Result<T, DbError>,
    ) -> Result<Option<T>, DbError> {
        self.query(sql, filter, |rows| Ok(rows.next()?.map(map)))?.transpose()
    }

    /// Like [`FastReads::query_one`], mapping every row (for short indexed reads: a person's cards).
    pub fn query_all<T>(
        &self,
        sql: &str,
        filter: &Filter,
        map: impl Fn(&FastRow<'_>) -> Result<T, DbError>,
    ) -> Result<Vec<T>, DbError> {
        self.query(sql, filter, |rows| {
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                out.push(map(r));
            }
            Ok(out)
        })?
        .into_iter()
        .collect()
    }

    fn query<T>(
        &self,
        sql: &str,
        filter: &Filter,
        read: impl FnOnce(&mut rusqlite::Rows<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        let sql = numbered_to_sqlite(sql);
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        // Take a free connection if there is one, starting with the next in turn, else wait for that
        // one (`open` makes at least one connection).
        let (before, after) = self.conns.split_at(start.checked_rem(self.conns.len()).unwrap_or(0));
        let guard = match after.iter().chain(before).find_map(|c| c.try_lock().ok()) {
            Some(free) => free,
            None => after
                .first()
                .ok_or_else(|| {
                    rusqlite::Error::SqliteFailure(
                        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_MISUSE),
                        Some("no read connection is open".into()),
                    )
                })?
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
        };
        let mut stmt = guard.prepare_cached(&sql)?;
        let params: Vec<rusqlite::types::Value> = filter.args().iter().map(to_value).collect();
        let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
        read(&mut rows)
    }
}

fn to_value(a: &Arg) -> rusqlite::types::Value {
    use rusqlite::types::Value;
    match a {
        Arg::Null => Value::Null,
        Arg::Text(s) => Value::Text(s.clone()),
        Arg::Int(i) => Value::Integer(*i),
        Arg::Real(f) => Value::Real(*f),
    }
}

/// `$1` → `?1`: SQLite's explicitly numbered form, so values bind by number, not by position.
fn numbered_to_sqlite(sql: &str) -> String {
    sql.replace('$', "?")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_through_the_fast_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let c = Connection::open(&path).unwrap();
        c.execute_batch("PRAGMA journal_mode=WAL; CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER); INSERT INTO t VALUES ('a', 1), ('b', 2);")
            .unwrap();
        let fast = FastReads::open(path.to_str().unwrap(), 2, 1024).unwrap();
        let mut f = Filter::new();
        f.and("v > ?", Arg::Int(1)).and("k = ?", Arg::Text("b".into()));
        let got = fast.query_one(&format!("SELECT k, v FROM t WHERE {}", f.sql()), &f, |r| r.int(1)).unwrap();
        assert_eq!(got, Some(2));
        let mut none = Filter::new();
        none.and("k = ?", Arg::Text("z".into()));
        assert_eq!(fast.query_one(&format!("SELECT v FROM t WHERE {}", none.sql()), &none, |_| Ok(())).unwrap(), None);
        let all = fast.query_all("SELECT k FROM t ORDER BY k DESC", &Filter::new(), |r| r.required(0));
        assert_eq!(all.unwrap(), ["b", "a"]);
        assert!(fast
            .query_all(&format!("SELECT v FROM t WHERE {}", none.sql()), &none, |_| Ok(()))
            .unwrap()
            .is_empty());
        // A NULL or a wrong type is an error, not a silent 0 or empty string.
        let all = Filter::new();
        assert!(fast.query_one("SELECT NULL", &all, |r| r.int(0)).is_err());
        assert!(fast.query_one("SELECT NULL", &all, |r| r.required(0)).is_err());
        assert_eq!(fast.query_one("SELECT NULL", &all, |r| r.text(0)).unwrap(), Some(None));
        assert!(fast.query_one("SELECT 'x'", &all, |r| r.int(0)).is_err());
        assert!(fast.query_all("SELECT k FROM t", &all, |r| r.int(0)).is_err());
        // Read-only: writes are refused.
        assert!(fast.conns[0].lock().unwrap().execute("DELETE FROM t", []).is_err());
    }
}
