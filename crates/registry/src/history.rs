//! History, not overwrite: every change to a person is an event with who, when, why, and the
//! previous and new values of the changed fields, so the record can be shown as of any date.

use db::sqlx::{self, Row};
use db::Db;
use kernel::AppError;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::queries::persons::PersonView;

/// One recorded change.
#[derive(Debug, Clone, Serialize, PartialEq, ToSchema)]
pub struct PersonEvent {
    pub id: String,
    /// `updated`, `deceased`, `moved`, …
    pub kind: String,
    pub actor: String,
    pub reason: String,
    pub occurred_at: i64,
    /// Changed fields before the change (storage names and forms).
    #[schema(value_type = Object)]
    pub previous: Value,
    /// Changed fields after the change.
    #[schema(value_type = Object)]
    pub current: Value,
}

/// Appends an event inside the caller's transaction, occurred at `now` (UTC milliseconds).
#[allow(clippy::too_many_arguments)]
pub async fn record(
    tx: &mut sqlx::AnyConnection,
    personal_id: &str,
    kind: &str,
    actor: &str,
    reason: &str,
    previous: &Map<String, Value>,
    current: &Map<String, Value>,
    now: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO person_events (id, personal_id, kind, actor, reason, occurred_at, previous, current) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(kernel::ids::new_id())
    .bind(personal_id)
    .bind(kind)
    .bind(actor)
    .bind(reason)
    .bind(now)
    .bind(Value::Object(previous.clone()).to_string())
    .bind(Value::Object(current.clone()).to_string())
    .execute(tx)
    .await?;
    Ok(())
}

/// Every event of a person, newest first.
pub async fn list(db: &Db, personal_id: &str) -> Result<Vec<PersonEvent>, AppError> {
    let rows = sqlx::query(
        "SELECT id, kind, actor, reason, occurred_at, previous, current FROM person_events \
         WHERE personal_id = $1 ORDER BY occurred_at DESC, id DESC",
    )
    .bind(personal_id)
    .fetch_all(db.read())
    .await?;
    let json = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or(Value::Null);
    Ok(rows
        .iter()
        .map(|r| PersonEvent {
            id: r.get(0),
            kind: r.get(1),
            actor: r.get(2),
            reason: r.get(3),
            occurred_at: r.get(4),
            previous: json(r.get(5)),
            current: json(r.get(6)),
        })
        .collect())
}

/// The person as they were at `at_ms`: later events are undone, newest first.
pub fn as_of(mut person: PersonView, events: &[PersonEvent], at_ms: i64) -> PersonView {
    for e in events.iter().filter(|e| e.occurred_at > at_ms) {
        if let Value::Object(prev) = &e.previous {
            for (field, value) in prev {
                crate::write::apply_field(&mut person, field, value.as_str());
            }
        }
    }
    person
}
