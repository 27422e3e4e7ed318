//! Reading the access log: a citizen's own log, or what one actor accessed.

use db::sqlx::{self, Row};
use db::Db;
use kernel::{AppError, Page, PageRequest};
use serde::Serialize;

/// One access as shown to the citizen or an auditor.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AccessRecord {
    pub at: i64,
    pub actor_id: String,
    pub actor_label: String,
    pub subject_id: String,
    pub action: String,
    pub purpose: String,
    pub released: String,
    pub channel: String,
}

const COLUMNS: &str = "at, actor_id, actor_label, subject_id, action, purpose, released, channel";

fn from_row(r: &db::Row) -> AccessRecord {
    AccessRecord {
        at: r.get(0),
        actor_id: r.get(1),
        actor_label: r.get(2),
        subject_id: r.get(3),
        action: r.get(4),
        purpose: r.get(5),
        released: r.get(6),
        channel: r.get(7),
    }
}

/// Newest-first accesses to one citizen's data.
pub async fn list_for_subject(db: &Db, subject_id: &str, page: PageRequest) -> Result<Page<AccessRecord>, AppError> {
    list_by(db, "subject_id", subject_id, page).await
}

/// Newest-first accesses made by one actor.
pub async fn list_for_actor(db: &Db, actor_id: &str, page: PageRequest) -> Result<Page<AccessRecord>, AppError> {
    list_by(db, "actor_id", actor_id, page).await
}

async fn list_by(
    db: &Db,
    column: &'static str,
    value: &str,
    page: PageRequest,
) -> Result<Page<AccessRecord>, AppError> {
    let sql =
        format!("SELECT {COLUMNS} FROM access_log WHERE {column} = $1 ORDER BY at DESC, id DESC LIMIT $2 OFFSET $3");
    let rows = sqlx::query(&sql)
        .bind(value)
        .bind(page.limit_probe())
        .bind(page.offset())
        .fetch_all(db.read())
        .await
        .map_err(db::internal)?;
    Ok(Page::from_probe(rows.iter().map(from_row).collect(), page))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::{AccessEntry, AccessLog};

    pub(crate) fn migrations() -> db::MigrationSet {
        db::MigrationSet::new().with(crate::MIGRATIONS)
    }

    fn entry(i: i64, subject: &str) -> AccessEntry {
        AccessEntry {
            at: 1_000 + i,
            actor_id: "officer-1".into(),
            actor_label: "Công an xã".into(),
            subject_id: subject.into(),
            action: "person.read".into(),
            purpose: "administration".into(),
            released: "full_name,birth_date".into(),
            channel: "api".into(),
        }
    }

    async fn batched_entries_are_all_written(db: Db) {
        let log = AccessLog::start(db.clone());
        for i in 0..1_234 {
            log.record(entry(i, if i % 2 == 0 { "001203000001" } else { "001203000002" })).await;
        }
        log.flush().await;
        assert_eq!(log.queue_depth(), 0);
        let first = list_for_subject(&db, "001203000001", PageRequest::new(Some(1), Some(5)).unwrap()).await.unwrap();
        assert_eq!(first.items.len(), 5);
        assert!(first.has_next);
        assert_eq!(first.items[0].at, 1_000 + 1_232, "newest first");
        assert!(first.items.iter().all(|r| r.subject_id == "001203000001"));
        let count: i64 = sqlx::query("SELECT COUNT(*) FROM access_log").fetch_one(db.read()).await.unwrap().get(0);
        assert_eq!(count, 1_234);
        let none = list_for_subject(&db, "999999999999", PageRequest::new(None, None).unwrap()).await.unwrap();
        assert!(none.items.is_empty() && !none.has_next);
    }

    db::dual_tests!(crate::query::tests::migrations(); batched_entries_are_all_written);
}
