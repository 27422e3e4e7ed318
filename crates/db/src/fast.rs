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

/// Read-only connections to the same SQLite file.
#[derive(Debug)]
pub struct FastReads {
    conns: Vec<Mutex<Connection>>,
    next: AtomicUsize,
}

/// A row from the fast path.
pub type FastRow<'a> = rusqlite::Row<'a>;

/// Column access shared by sqlx rows and fast-path rows, so one mapper serves both paths.
pub trait Columns {
    /// A text column (NULL as `None`).
    fn text(&self, i: usize) -> Option<String>;
    /// An integer column (NULL as 0).
    fn int(&self, i: usize) -> i64;
}

impl Columns for sqlx::any::AnyRow {
    fn text(&self, i: usize) -> Option<String> {
        sqlx::Row::get(self, i)
    }

    fn int(&self, i: usize) -> i64 {
        sqlx::Row::try_get::<Option<i64>, _>(self, i).ok().flatten().unwrap_or(0)
    }
}

impl Columns for FastRow<'_> {
    fn text(&self, i: usize) -> Option<String> {
        self.get::<_, Option<String>>(i).ok().flatten()
    }

    fn int(&self, i: usize) -> i64 {
        self.get::<_, Option<i64>>(i).ok().flatten().unwrap_or(0)
    }
}

impl FastReads {
    /// Opens `n` read-only connections to `path`.
    pub fn open(path: &str, n: usize) -> rusqlite::Result<FastReads> {
        let mut conns = Vec::with_capacity(n);
        for _ in 0..n.max(1) {
            let c = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
            )?;
            c.execute_batch("PRAGMA busy_timeout = 5000; PRAGMA cache_size = -4096; PRAGMA mmap_size = 1073741824; PRAGMA query_only = ON;")?;
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
        map: impl FnOnce(&FastRow<'_>) -> T,
    ) -> rusqlite::Result<Option<T>> {
        self.query(sql, filter, |rows| Ok(rows.next()?.map(map)))
    }

    /// Like [`FastReads::query_one`], mapping every row (for short indexed reads: a person's cards).
    pub fn query_all<T>(
        &self,
        sql: &str,
        filter: &Filter,
        map: impl Fn(&FastRow<'_>) -> T,
    ) -> rusqlite::Result<Vec<T>> {
        self.query(sql, filter, |rows| {
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                out.push(map(r));
            }
            Ok(out)
        })
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
        let fast = FastReads::open(path.to_str().unwrap(), 2).unwrap();
        let mut f = Filter::new();
        f.and("v > ?", Arg::Int(1)).and("k = ?", Arg::Text("b".into()));
        let got = fast
            .query_one(&format!("SELECT k, v FROM t WHERE {}", f.sql()), &f, |r| r.get::<_, i64>(1).unwrap())
            .unwrap();
        assert_eq!(got, Some(2));
        let mut none = Filter::new();
        none.and("k = ?", Arg::Text("z".into()));
        assert_eq!(fast.query_one(&format!("SELECT v FROM t WHERE {}", none.sql()), &none, |_| ()).unwrap(), None);
        let all = fast.query_all("SELECT k FROM t ORDER BY k DESC", &Filter::new(), |r| r.get::<_, String>(0).unwrap());
        assert_eq!(all.unwrap(), ["b", "a"]);
        assert!(fast.query_all(&format!("SELECT v FROM t WHERE {}", none.sql()), &none, |_| ()).unwrap().is_empty());
        // Read-only: writes are refused.
        assert!(fast.conns[0].lock().unwrap().execute("DELETE FROM t", []).is_err());
    }
}
