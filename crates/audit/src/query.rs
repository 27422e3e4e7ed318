//! Reading the access log: a citizen's own log, or what one actor accessed.

use db::sqlx::{self, Row};
use db::Db;
use kernel::{AppError, Page, PageRequest};
use serde::Serialize;

/// One access as shown to the citizen or an auditor.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AccessRecord {
    /// The row's id (its seal in the transparency log is found by it).
    pub id: i64,
    pub at: i64,
    pub actor_id: String,
    pub actor_label: String,
    pub subject_id: String,
    pub action: String,
    pub purpose: String,
    pub released: String,
    pub channel: String,
    /// The case the read served, when its purpose names one ([`crate::Purpose::needs_case_ref`]).
    pub case_ref: Option<String>,
}

const COLUMNS: &str = "id, at, actor_id, actor_label, subject_id, action, purpose, released, channel, case_ref";

fn from_row(r: &db::Row) -> AccessRecord {
    AccessRecord {
        id: r.get(0),
        at: r.get(1),
        actor_id: r.get(2),
        actor_label: r.get(3),
        subject_id: r.get(4),
        action: r.get(5),
        purpose: r.get(6),
        released: r.get(7),
        channel: r.get(8),
        case_ref: r.get(9),
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

/// Conditions on one citizen's access log (their "who read my data" page).
#[derive(Debug, Clone, Default)]
pub struct AccessFilter {
    /// From this instant (UTC ms, inclusive).
    pub from_ms: Option<i64>,
    /// Before this instant (UTC ms, exclusive).
    pub until_ms: Option<i64>,
    /// A purpose code.
    pub purpose: Option<String>,
    /// Only these channels (`web`, `api`, `oidc`…); empty means every channel.
    pub channels: Vec<String>,
    /// Only actions starting with this prefix (`verify.`).
    pub action_prefix: Option<String>,
    /// Leave out actions starting with this prefix.
    pub exclude_action_prefix: Option<String>,
}

/// Newest-first accesses to one citizen's data matching `filter`.
pub async fn search_for_subject(
    db: &Db,
    subject_id: &str,
    filter: &AccessFilter,
    page: PageRequest,
) -> Result<Page<AccessRecord>, AppError> {
    use db::{Arg, Filter};
    let mut f = Filter::new();
    f.and("subject_id = ?", Arg::Text(subject_id.to_string()));
    if let Some(t) = filter.from_ms {
        f.and("at >= ?", Arg::Int(t));
    }
    if let Some(t) = filter.until_ms {
        f.and("at < ?", Arg::Int(t));
    }
    if let Some(p) = &filter.purpose {
        f.and("purpose = ?", Arg::Text(p.clone()));
    }
    if !filter.channels.is_empty() {
        // One bound list: the row's channel must be one of the comma-separated values.
        f.and("(',' || ? || ',') LIKE ('%,' || channel || ',%')", Arg::Text(filter.channels.join(",")));
    }
    if let Some(p) = &filter.action_prefix {
        f.and("action LIKE ?", Arg::Text(format!("{}%", p.replace(['%', '_'], ""))));
    }
    if let Some(p) = &filter.exclude_action_prefix {
        f.and("action NOT LIKE ?", Arg::Text(format!("{}%", p.replace(['%', '_'], ""))));
    }
    let rows = f.fetch_page(db.read(), &format!("SELECT {COLUMNS} FROM access_log"), "at DESC, id DESC", page).await?;
    Ok(Page::from_probe(rows.iter().map(from_row).collect(), page))
}

async fn list_by(
    db: &Db,
    column: &'static str,
    value: &str,
    page: PageRequest,
) -> Result<Page<AccessRecord>, AppError> {
    let sql =
        format!("SELECT {COLUMNS} FROM access_log WHERE {column} = $1 ORDER BY at DESC, id DESC LIMIT $2 OFFSET $3");
    let rows = sqlx::query(&sql).bind(value).bind(page.limit_probe()).bind(page.offset()).fetch_all(db.read()).await?;
    Ok(Page::from_probe(rows.iter().map(from_row).collect(), page))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::{AccessEntry, AccessLog};

    pub(crate) fn migrations() -> db::MigrationSet {
        db::MigrationSet::new().with(translog::MIGRATIONS).with(crate::MIGRATIONS)
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
            log.record(entry(i, if i % 2 == 0 { "001203000001" } else { "001203000002" })).await.unwrap();
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

    async fn filters_a_subjects_log(db: Db) {
        let log = AccessLog::start(db.clone());
        let subject = "001203000009";
        for (i, (channel, action, purpose)) in [
            ("web", "person.read", "administration"),
            ("api", "person.read", "investigation"),
            ("oidc", "oidc.claims", "sign_in"),
            ("api", "verify.card", "identity_verification"),
        ]
        .into_iter()
        .enumerate()
        {
            let mut e = entry(i as i64 * 100, subject);
            e.channel = channel.into();
            e.action = action.into();
            e.purpose = purpose.into();
            log.record(e).await.unwrap();
        }
        log.record(entry(50, "001203000010")).await.unwrap();
        log.flush().await;
        let page = PageRequest::new(None, None).unwrap();
        let run = |f: AccessFilter| {
            let db = db.clone();
            async move { search_for_subject(&db, subject, &f, page).await.unwrap().items }
        };
        assert_eq!(run(AccessFilter::default()).await.len(), 4);
        let officers = run(AccessFilter {
            channels: vec!["web".into(), "api".into()],
            exclude_action_prefix: Some("verify.".into()),
            ..Default::default()
        })
        .await;
        assert_eq!(
            officers.iter().map(|r| r.purpose.as_str()).collect::<Vec<_>>(),
            ["investigation", "administration"]
        );
        let services = run(AccessFilter { channels: vec!["oidc".into()], ..Default::default() }).await;
        assert_eq!(services.len(), 1);
        assert_eq!(services[0].action, "oidc.claims");
        let verifications = run(AccessFilter { action_prefix: Some("verify.".into()), ..Default::default() }).await;
        assert_eq!(verifications.len(), 1);
        let window = run(AccessFilter { from_ms: Some(1_100), until_ms: Some(1_300), ..Default::default() }).await;
        assert_eq!(window.iter().map(|r| r.at).collect::<Vec<_>>(), [1_200, 1_100]);
        let purpose = run(AccessFilter { purpose: Some("sign_in".into()), ..Default::default() }).await;
        assert_eq!(purpose.len(), 1);
    }

    db::dual_tests!(crate::query::tests::migrations(); batched_entries_are_all_written, filters_a_subjects_log);
}
