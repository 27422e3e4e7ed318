//! Whole-table reads for full recomputes: every row of a few queries, in one consistent snapshot,
//! by the fastest path each backend offers.
//!
//! Grouped counts over tens of millions of rows are slow in SQL on this hardware: SQLite sorts
//! each `GROUP BY` into a temporary B-tree on one core, and sqlx's `Any` rows allocate every value.
//! Here rows stream to a [`RowSink`] as borrowed text, on SQLite through read-only `rusqlite`
//! connections on blocking threads, on PostgreSQL through `COPY (…) TO STDOUT`, so the caller can
//! aggregate in hash maps at memory speed.
//!
//! A scan is made of groups; each group's queries run in order on a connection of its own, and the
//! groups run at the same time (one core each). Every connection reads the same snapshot: on
//! PostgreSQL the first transaction exports its snapshot and the others import it; on SQLite the
//! read transactions all start while a short `BEGIN IMMEDIATE` holds writers back, so no commit
//! can fall between them.

use futures::StreamExt;
use sqlx::Connection;

use crate::{Backend, Db, DbError};

/// Receives the rows of a scan. `query` is the index of the query in its group; `cols` are the
/// row's columns as text (`None` for NULL; numbers in their decimal form).
pub trait RowSink: Send + 'static {
    fn row(&mut self, query: usize, cols: &[Option<&str>]);

    /// Called when a query's rows are done, before the group's next query starts.
    fn query_done(&mut self, _query: usize) {}
}

/// Queries that run in order on one connection, and the sink of their rows.
pub struct Group<S> {
    pub queries: Vec<String>,
    pub sink: S,
}

/// Runs every group at once, each on its own connection, all in one read-only snapshot; returns
/// the sinks in the order of the groups.
pub async fn scan<S: RowSink>(db: &Db, groups: Vec<Group<S>>) -> Result<Vec<S>, DbError> {
    match db.backend() {
        Backend::Sqlite => scan_sqlite(db.sqlite_file().unwrap_or_default(), groups).await,
        Backend::Postgres => scan_postgres(db.url(), groups).await,
    }
}

/// Columns a scan query may select (rows are handed over in a fixed array on the stack).
const MAX_COLUMNS: usize = 16;

async fn scan_sqlite<S: RowSink>(path: &str, groups: Vec<Group<S>>) -> Result<Vec<S>, DbError> {
    use rusqlite::OpenFlags;
    let open = |flags: OpenFlags| -> Result<rusqlite::Connection, DbError> {
        let c = rusqlite::Connection::open_with_flags(path, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        // A scan reads each page once: a small page cache, and pages mapped rather than copied.
        c.execute_batch("PRAGMA busy_timeout = 10000; PRAGMA cache_size = -16384; PRAGMA mmap_size = 68719476736;")?;
        Ok(c)
    };
    let gate = open(OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    gate.execute_batch("BEGIN IMMEDIATE;")?;
    let mut conns = Vec::with_capacity(groups.len());
    for _ in &groups {
        let c = open(OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        // The snapshot of a WAL read transaction is fixed by its first read.
        c.execute_batch("BEGIN; SELECT COUNT(*) FROM sqlite_master;")?;
        conns.push(c);
    }
    gate.execute_batch("ROLLBACK;")?;
    drop(gate);
    let tasks: Vec<_> = groups
        .into_iter()
        .zip(conns)
        .map(|(g, c)| tokio::task::spawn_blocking(move || sqlite_group(&c, &g.queries, g.sink)))
        .collect();
    let mut sinks = Vec::with_capacity(tasks.len());
    for t in tasks {
        sinks.push(t.await.map_err(|e| DbError::Scan(e.to_string()))??);
    }
    Ok(sinks)
}

fn sqlite_group<S: RowSink>(conn: &rusqlite::Connection, queries: &[String], mut sink: S) -> Result<S, DbError> {
    use rusqlite::types::ValueRef;
    for (qi, sql) in queries.iter().enumerate() {
        let mut stmt = conn.prepare(sql)?;
        let n = stmt.column_count();
        if n > MAX_COLUMNS {
            return Err(too_many_columns());
        }
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            // Numbers are formatted first so that the borrowed columns below can point at them;
            // an empty vector does not allocate, and the scans read mostly text.
            let mut numbers: Vec<String> = Vec::new();
            for i in 0..n {
                match row.get_ref(i)? {
                    ValueRef::Integer(v) => numbers.push(v.to_string()),
                    ValueRef::Real(v) => numbers.push(v.to_string()),
                    _ => {}
                }
            }
            let mut slots: [Option<&str>; MAX_COLUMNS] = [None; MAX_COLUMNS];
            let cols = slots.get_mut(..n).ok_or_else(too_many_columns)?;
            let mut next_number = numbers.iter();
            for (i, col) in cols.iter_mut().enumerate() {
                *col = match row.get_ref(i)? {
                    ValueRef::Text(t) | ValueRef::Blob(t) => std::str::from_utf8(t).ok(),
                    ValueRef::Integer(_) | ValueRef::Real(_) => next_number.next().map(String::as_str),
                    ValueRef::Null => None,
                };
            }
            sink.row(qi, cols);
        }
        sink.query_done(qi);
    }
    conn.execute_batch("COMMIT;")?;
    Ok(sink)
}

async fn scan_postgres<S: RowSink>(url: &str, groups: Vec<Group<S>>) -> Result<Vec<S>, DbError> {
    let begin = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";
    let mut leader = sqlx::PgConnection::connect(url).await?;
    sqlx::query(begin).execute(&mut leader).await?;
    let snapshot: String = sqlx::query_scalar("SELECT pg_export_snapshot()").fetch_one(&mut leader).await?;
    let mut conns = Vec::with_capacity(groups.len());
    for _ in &groups {
        let mut c = sqlx::PgConnection::connect(url).await?;
        sqlx::query(begin).execute(&mut c).await?;
        // An exported snapshot id is generated by the server: safe to put in the statement.
        sqlx::query(&format!("SET TRANSACTION SNAPSHOT '{snapshot}'")).execute(&mut c).await?;
        conns.push(c);
    }
    let tasks: Vec<_> = groups
        .into_iter()
        .zip(conns)
        .map(|(g, c)| tokio::spawn(async move { postgres_group(c, g.queries, g.sink).await }))
        .collect();
    let mut sinks = Vec::with_capacity(tasks.len());
    for t in tasks {
        sinks.push(t.await.map_err(|e| DbError::Scan(e.to_string()))??);
    }
    sqlx::query("ROLLBACK").execute(&mut leader).await?;
    Ok(sinks)
}

async fn postgres_group<S: RowSink>(
    mut conn: sqlx::PgConnection,
    queries: Vec<String>,
    mut sink: S,
) -> Result<S, DbError> {
    for (qi, sql) in queries.iter().enumerate() {
        let mut stream = conn.copy_out_raw(&format!("COPY ({sql}) TO STDOUT")).await?;
        let mut pending: Vec<u8> = Vec::new();
        while let Some(chunk) = stream.next().await {
            pending.extend_from_slice(&chunk?);
            let complete = match pending.iter().rposition(|b| *b == b'\n') {
                Some(i) => i + 1,
                None => continue,
            };
            // `complete` ends at a newline found in `pending`, so it is within it.
            let (lines, _partial) = pending.split_at(complete);
            for line in lines.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                copy_row(line, |cols| sink.row(qi, cols))?;
            }
            pending.drain(..complete);
        }
        drop(stream);
        sink.query_done(qi);
    }
    sqlx::query("ROLLBACK").execute(&mut conn).await?;
    Ok(sink)
}

/// Splits one line of PostgreSQL's COPY text format into columns: tab-separated, `\N` is NULL,
/// backslash escapes decoded. Columns without escapes are borrowed from the line.
fn copy_row(line: &[u8], f: impl FnOnce(&[Option<&str>])) -> Result<(), DbError> {
    let text = std::str::from_utf8(line).map_err(|e| DbError::Scan(e.to_string()))?;
    let mut raw: [&str; MAX_COLUMNS] = [""; MAX_COLUMNS];
    let mut fields = text.split('\t');
    let mut n = 0;
    for (slot, field) in raw.iter_mut().zip(&mut fields) {
        *slot = field;
        n += 1;
    }
    if fields.next().is_some() {
        return Err(too_many_columns());
    }
    // Only fields with an escape other than NULL are copied; the array itself does not allocate.
    let escaped: [Option<String>; MAX_COLUMNS] =
        std::array::from_fn(|i| raw.get(i).filter(|f| i < n && **f != "\\N" && f.contains('\\')).map(|f| unescape(f)));
    let mut slots: [Option<&str>; MAX_COLUMNS] = [None; MAX_COLUMNS];
    let cols = slots.get_mut(..n).ok_or_else(too_many_columns)?;
    for ((col, escaped), field) in cols.iter_mut().zip(&escaped).zip(raw) {
        *col = match escaped {
            Some(s) => Some(s.as_str()),
            None if field == "\\N" => None,
            None => Some(field),
        };
    }
    f(cols);
    Ok(())
}

fn too_many_columns() -> DbError {
    DbError::Scan(format!("a scan reads at most {MAX_COLUMNS} columns"))
}

fn unescape(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('v') => out.push('\u{b}'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &str) -> Vec<Option<String>> {
        let mut out = Vec::new();
        copy_row(line.as_bytes(), |cols| out = cols.iter().map(|c| c.map(str::to_string)).collect()).unwrap();
        out
    }

    #[test]
    fn copy_text_format_is_split_and_unescaped() {
        assert_eq!(split("a\t\\N\t12"), vec![Some("a".into()), None, Some("12".into())]);
        assert_eq!(
            split("x\\ty\tback\\\\slash\t"),
            vec![Some("x\ty".into()), Some("back\\slash".into()), Some("".into())]
        );
    }

    struct Collect(Vec<(usize, Vec<Option<String>>)>, Vec<usize>);

    impl RowSink for Collect {
        fn row(&mut self, query: usize, cols: &[Option<&str>]) {
            self.0.push((query, cols.iter().map(|c| c.map(str::to_string)).collect()));
        }
        fn query_done(&mut self, query: usize) {
            self.1.push(query);
        }
    }

    async fn rows_of(db: &Db) -> Collect {
        sqlx::query("CREATE TABLE scan_t (id BIGINT, name TEXT, note TEXT)").execute(db.write()).await.unwrap();
        sqlx::query("INSERT INTO scan_t VALUES (1, 'Hà Nội', NULL), (2, 'tab\there', 'x')")
            .execute(db.write())
            .await
            .unwrap();
        let group = |queries: &[&str]| Group {
            queries: queries.iter().map(|q| q.to_string()).collect(),
            sink: Collect(Vec::new(), Vec::new()),
        };
        let groups = vec![
            group(&["SELECT MAX(id) FROM scan_t", "SELECT id, name, note FROM scan_t ORDER BY id"]),
            group(&["SELECT COUNT(*) FROM scan_t"]),
        ];
        let mut sinks = scan(db, groups).await.unwrap();
        assert_eq!(sinks.len(), 2);
        assert_eq!(sinks[1].0, vec![(0, vec![Some("2".to_string())])], "the second group ran on its own");
        sinks.remove(0)
    }

    fn expected() -> Vec<(usize, Vec<Option<String>>)> {
        vec![
            (0, vec![Some("2".into())]),
            (1, vec![Some("1".into()), Some("Hà Nội".into()), None]),
            (1, vec![Some("2".into()), Some("tab\there".into()), Some("x".into())]),
        ]
    }

    #[tokio::test]
    async fn sqlite_rows_arrive_as_text_in_query_order() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&format!("sqlite://{}", dir.path().join("s.db").display())).await.unwrap();
        let got = rows_of(&db).await;
        assert_eq!(got.0, expected());
        assert_eq!(got.1, vec![0, 1]);
    }

    #[tokio::test]
    #[cfg_attr(not(dancu_pg), ignore = "needs PostgreSQL: set DANCU_TEST_DATABASE_URL")]
    async fn postgres_rows_arrive_as_text_in_query_order() {
        let t = crate::testing::TestDb::postgres(&crate::MigrationSet::new()).await;
        let got = rows_of(t.db()).await;
        assert_eq!(got.0, expected());
        assert_eq!(got.1, vec![0, 1]);
    }

    #[tokio::test]
    async fn a_bad_query_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&format!("sqlite://{}", dir.path().join("s.db").display())).await.unwrap();
        let bad = Group { queries: vec!["SELECT nothing FROM nowhere".into()], sink: Collect(Vec::new(), Vec::new()) };
        assert!(scan(&db, vec![bad]).await.is_err());
    }
}
