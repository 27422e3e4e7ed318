//! The change feed: person events in id order (ids are UUIDv7, so id order is time order).

use db::sqlx::{self, AnyConnection, Row};
use kernel::AppError;
use serde_json::{Map, Value};

use super::{placeholders, CHUNK};

/// One change to a person, as recorded by `crate::history::record`.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeEvent {
    pub id: String,
    pub personal_id: String,
    /// `updated`, `deceased`, `moved`.
    pub kind: String,
    pub occurred_at: i64,
    /// Changed fields before the change.
    pub previous: Map<String, Value>,
    /// Changed fields after the change, plus residence ids for `moved` and `deceased`.
    pub current: Map<String, Value>,
}

const COLUMNS: &str = "id, personal_id, kind, occurred_at, previous, current";

fn from_row(r: &db::Row) -> ChangeEvent {
    let map = |s: Option<String>| match s.and_then(|s| serde_json::from_str(&s).ok()) {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    ChangeEvent {
        id: r.get(0),
        personal_id: r.get(1),
        kind: r.get(2),
        occurred_at: r.get(3),
        previous: map(r.get(4)),
        current: map(r.get(5)),
    }
}

/// At most `limit` events after the event id `after` (`""` = from the start) that occurred at or
/// before `until_ms`, oldest first.
pub async fn events_after(
    conn: &mut AnyConnection,
    after: &str,
    until_ms: i64,
    limit: i64,
) -> Result<Vec<ChangeEvent>, AppError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM person_events WHERE id > $1 AND occurred_at <= $2 ORDER BY id LIMIT $3"
    ))
    .bind(after)
    .bind(until_ms)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows.iter().map(from_row).collect())
}

/// Every event of these persons after the event id `after`, oldest first.
pub async fn events_of_after(
    conn: &mut AnyConnection,
    personal_ids: &[String],
    after: &str,
) -> Result<Vec<ChangeEvent>, AppError> {
    let mut out = Vec::new();
    for chunk in personal_ids.chunks(CHUNK) {
        let sql = format!(
            "SELECT {COLUMNS} FROM person_events WHERE id > $1 AND personal_id IN ({})",
            placeholders(2, chunk.len())
        );
        let mut q = sqlx::query(&sql).bind(after);
        for id in chunk {
            q = q.bind(id);
        }
        out.extend(q.fetch_all(&mut *conn).await?.iter().map(from_row));
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

/// The id of the newest event (`""` when there is none): where a reader that wants only the
/// changes from now on starts.
pub async fn last_event_id(conn: &mut AnyConnection) -> Result<String, AppError> {
    let row = sqlx::query("SELECT MAX(id) FROM person_events").fetch_one(conn).await?;
    Ok(row.try_get::<Option<String>, _>(0)?.unwrap_or_default())
}
