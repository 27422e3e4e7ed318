//! The history of an application: every step with who took it and why.

use db::sqlx::{self, AnyConnection, Row};
use db::Db;
use kernel::AppError;

use super::model::Event;

/// Appends a step taken at `now` (UTC milliseconds) inside the caller's transaction.
pub async fn add(
    tx: &mut AnyConnection,
    application_id: &str,
    actor_id: &str,
    actor_label: &str,
    kind: &str,
    note: &str,
    now: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO svc_events (id, application_id, at, actor_id, actor_label, kind, note) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(kernel::ids::new_id())
    .bind(application_id)
    .bind(now)
    .bind(actor_id)
    .bind(actor_label)
    .bind(kind)
    .bind(note)
    .execute(tx)
    .await?;
    Ok(())
}

/// The steps of an application, oldest first.
pub async fn list(db: &Db, application_id: &str) -> Result<Vec<Event>, AppError> {
    let rows =
        sqlx::query("SELECT at, actor_label, kind, note FROM svc_events WHERE application_id = $1 ORDER BY at, id")
            .bind(application_id)
            .fetch_all(db.read())
            .await?;
    Ok(rows.iter().map(|r| Event { at: r.get(0), actor_label: r.get(1), kind: r.get(2), note: r.get(3) }).collect())
}
