//! Reading and writing `analytics_counts` and the change-feed checkpoint.

use db::sqlx::{self, AnyConnection, Row};
use db::{Arg, Db, Filter};
use kernel::AppError;

use crate::facts::{Counts, Key};

/// Name of the registry's change feed in `analytics_checkpoints`.
pub const REGISTRY: &str = "registry";

/// Rows per multi-row statement (5 values each, well under both backends' parameter limits).
const ROWS_PER_STATEMENT: usize = 2_000;

/// Cells deleted per statement (an OR of key lookups each).
const ZEROS_PER_STATEMENT: usize = 200;

/// Where a source stands: the last applied event id, and when it was applied and last rebuilt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub position: String,
    pub updated_at: i64,
    pub rebuilt_at: i64,
}

pub async fn checkpoint(conn: &mut AnyConnection, source: &str) -> Result<Option<Checkpoint>, AppError> {
    let row = sqlx::query("SELECT position, updated_at, rebuilt_at FROM analytics_checkpoints WHERE source = $1")
        .bind(source)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|r| Checkpoint { position: r.get(0), updated_at: r.get(1), rebuilt_at: r.get(2) }))
}

/// The checkpoint of the registry feed, read outside any transaction (for pages).
pub async fn registry_checkpoint(db: &Db) -> Result<Option<Checkpoint>, AppError> {
    source_checkpoint(db, REGISTRY).await
}

/// The checkpoint of any source, read outside any transaction.
pub async fn source_checkpoint(db: &Db, source: &str) -> Result<Option<Checkpoint>, AppError> {
    let mut conn = db.read().acquire().await?;
    checkpoint(&mut conn, source).await
}

/// Moves the checkpoint from `expected` to `position`; fails with a conflict when another
/// consumer moved it meanwhile, so two processes never apply the same events twice. `now` (UTC
/// milliseconds) is recorded as the update time.
pub async fn advance(
    conn: &mut AnyConnection,
    source: &str,
    expected: &str,
    position: &str,
    now: i64,
) -> Result<(), AppError> {
    let done = sqlx::query(
        "UPDATE analytics_checkpoints SET position = $1, updated_at = $2 WHERE source = $3 AND position = $4",
    )
    .bind(position)
    .bind(now)
    .bind(source)
    .bind(expected)
    .execute(conn)
    .await?;
    if done.rows_affected() != 1 {
        return Err(AppError::new(kernel::ErrorCode::Conflict, "the analytics checkpoint moved meanwhile"));
    }
    Ok(())
}

/// Replaces every registry-derived count and sets the checkpoint (after a full recompute, at `now`).
pub async fn replace_all(conn: &mut AnyConnection, counts: &Counts, position: &str, now: i64) -> Result<(), AppError> {
    // Only the registry's dimensions: other sources' rows (e-ID accounts, bed capacity) stay.
    let registry = crate::facts::dim::REGISTRY.iter().map(|d| format!("'{d}'")).collect::<Vec<_>>().join(", ");
    sqlx::query(&format!("DELETE FROM analytics_counts WHERE dimension IN ({registry})")).execute(&mut *conn).await?;
    insert_counts(conn, counts).await?;
    set_checkpoint(conn, REGISTRY, position, true, now).await
}

/// Inserts the non-zero counts in key order, in multi-row statements.
async fn insert_counts(conn: &mut AnyConnection, counts: &Counts) -> Result<i64, AppError> {
    let mut rows: Vec<(&Key, i64)> = counts.iter().filter(|(_, n)| **n != 0).map(|(k, n)| (k, *n)).collect();
    rows.sort();
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO analytics_counts (dimension, commune_code, k1, k2, value) VALUES {}",
            db::values(db::backend_of(conn), chunk.len(), 5)
        );
        bind_rows(sqlx::query(&sql), chunk).execute(&mut *conn).await?;
    }
    Ok(rows.iter().map(|(_, n)| n).sum())
}

/// Sets a source's position; with `rebuilt` the time is also recorded as its last full recount,
/// otherwise the previous recount time stays (0 for a source never recounted). `now` is UTC
/// milliseconds, passed so tests can fix time.
pub async fn set_checkpoint(
    conn: &mut AnyConnection,
    source: &str,
    position: &str,
    rebuilt: bool,
    now: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO analytics_checkpoints (source, position, updated_at, rebuilt_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (source) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at, \
         rebuilt_at = CASE WHEN $5 = 1 THEN excluded.rebuilt_at ELSE analytics_checkpoints.rebuilt_at END",
    )
    .bind(source)
    .bind(position)
    .bind(now)
    .bind(if rebuilt { now } else { 0 })
    .bind(i64::from(rebuilt))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Replaces the rows of a dimension recounted from a source other than the registry — all of
/// them, or only those whose first key is `k1` — and records the recount time in the source's
/// checkpoint, in one transaction. `now` (UTC milliseconds) is the recount time.
pub async fn replace_dimension(
    db: &Db,
    dimension: &'static str,
    k1: Option<&str>,
    counts: &Counts,
    source: &str,
    now: i64,
) -> Result<(), AppError> {
    if crate::facts::dim::REGISTRY.contains(&dimension) || counts.keys().any(|k| k.dimension != dimension) {
        return Err(AppError::internal("only a non-registry dimension can be replaced, with its own rows"));
    }
    let mut tx = db.begin().await?;
    let mut f = Filter::new();
    f.and("dimension = ?", Arg::Text(dimension.to_string()));
    if let Some(k1) = k1 {
        f.and("k1 = ?", Arg::Text(k1.to_string()));
    }
    let sql = format!("DELETE FROM analytics_counts WHERE {}", f.sql());
    f.bind(sqlx::query(&sql)).execute(&mut *tx).await?;
    let total = insert_counts(&mut tx, counts).await?;
    set_checkpoint(&mut tx, source, &total.to_string(), true, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Adds deltas to the counts; cells that reach zero are removed, so an incrementally maintained
/// table holds exactly the rows a rebuild would write.
pub async fn apply_deltas(conn: &mut AnyConnection, deltas: &Counts) -> Result<usize, AppError> {
    let mut rows: Vec<(&Key, i64)> = deltas.iter().filter(|(_, n)| **n != 0).map(|(k, n)| (k, *n)).collect();
    rows.sort();
    let mut zeros: Vec<[String; 4]> = Vec::new();
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO analytics_counts (dimension, commune_code, k1, k2, value) VALUES {} \
             ON CONFLICT (dimension, commune_code, k1, k2) DO UPDATE SET value = analytics_counts.value + excluded.value \
             RETURNING dimension, commune_code, k1, k2, value",
            db::values(db::backend_of(conn), chunk.len(), 5)
        );
        let stored = bind_rows(sqlx::query(&sql), chunk).fetch_all(&mut *conn).await?;
        zeros.extend(
            stored.iter().filter(|r| r.get::<i64, _>(4) == 0).map(|r| [r.get(0), r.get(1), r.get(2), r.get(3)]),
        );
    }
    // Delete the cells that reached zero by key (an OR of primary-key lookups: SQLite plans a
    // row-value IN list as a scan of the whole table).
    let backend = db::backend_of(conn);
    for chunk in zeros.chunks(ZEROS_PER_STATEMENT) {
        let p = |n: usize| db::param(backend, n);
        let keys: Vec<String> = (0..chunk.len())
            .map(|i| {
                let b = i * 4;
                format!(
                    "(dimension = {} AND commune_code = {} AND k1 = {} AND k2 = {})",
                    p(b + 1),
                    p(b + 2),
                    p(b + 3),
                    p(b + 4)
                )
            })
            .collect();
        let sql = format!("DELETE FROM analytics_counts WHERE value = 0 AND ({})", keys.join(" OR "));
        let mut q = sqlx::query(&sql);
        for k in chunk {
            q = q.bind(k[0].as_str()).bind(k[1].as_str()).bind(k[2].as_str()).bind(k[3].as_str());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(rows.len())
}

fn bind_rows<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    rows: &'q [(&'q Key, i64)],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for (k, n) in rows {
        q = q.bind(k.dimension).bind(k.commune.as_str()).bind(k.k1.as_str()).bind(k.k2.as_str()).bind(*n);
    }
    q
}

/// One stored count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountRow {
    pub commune: String,
    pub k1: String,
    pub k2: String,
    pub value: i64,
}

/// The counts of one dimension, optionally for one commune and a range of first keys (months).
/// On SQLite the rows come through the synchronous read path on a blocking thread: a dashboard
/// reads tens of thousands of rows, and through sqlx's row conversion that took most of a page's
/// time.
pub async fn read_dimension(
    db: &Db,
    dimension: &str,
    commune: Option<&str>,
    k1_range: Option<(&str, &str)>,
) -> Result<Vec<CountRow>, AppError> {
    let mut f = Filter::new();
    f.and("dimension = ?", Arg::Text(dimension.to_string()));
    if let Some(c) = commune {
        f.and("commune_code = ?", Arg::Text(c.to_string()));
    }
    if let Some((from, to)) = k1_range {
        f.and("k1 >= ?", Arg::Text(from.to_string()));
        f.and("k1 <= ?", Arg::Text(to.to_string()));
    }
    let sql = format!("SELECT commune_code, k1, k2, value FROM analytics_counts WHERE {}", f.sql());
    if db.fast().is_some() {
        let db = db.clone();
        let read = move || {
            let fast = db.fast().ok_or_else(|| AppError::internal("no fast read path"))?;
            fast.query_all(&sql, &f, |r| {
                use db::fast::Columns;
                Ok(CountRow { commune: r.required(0)?, k1: r.required(1)?, k2: r.required(2)?, value: r.int(3)? })
            })
            .map_err(AppError::from)
        };
        return tokio::task::spawn_blocking(read)
            .await
            .map_err(|e| AppError::internal_from("dashboard read task", e))?;
    }
    let rows = f.bind(sqlx::query(&sql)).fetch_all(db.read()).await?;
    Ok(rows.iter().map(|r| CountRow { commune: r.get(0), k1: r.get(1), k2: r.get(2), value: r.get(3) }).collect())
}

/// The whole table, for comparisons in tests and tools.
pub async fn all_counts(db: &Db) -> Result<Vec<(String, String, String, String, i64)>, AppError> {
    let rows = sqlx::query(
        "SELECT dimension, commune_code, k1, k2, value FROM analytics_counts ORDER BY dimension, commune_code, k1, k2",
    )
    .fetch_all(db.read())
    .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4))).collect())
}
