//! Retention of the access log, the verification history and the security events, on both
//! backends: rows past the period of their purpose are archived then deleted (a verification's
//! face image with it), rows within their period stay, the archive holds exactly the deleted rows,
//! and the manifest chain finds a changed file.

use std::collections::BTreeSet;

use dancu::retention::{self, RetentionSettings};
use db::sqlx::{self, Row};
use db::Db;

const DAY: i64 = 86_400_000;
/// A fixed "now": 07/12/2026.
const NOW: i64 = 1_796_601_600_000;

async fn log(db: &Db, subject: &str, purpose: &str, at: i64) {
    sqlx::query(
        "INSERT INTO access_log (at, actor_id, actor_label, subject_id, action, purpose, released, channel) \
         VALUES ($1, 'acc', 'Cán bộ (Công an xã)', $2, 'read', $3, 'full_name', 'web')",
    )
    .bind(at)
    .bind(subject)
    .bind(purpose)
    .execute(db.write())
    .await
    .unwrap();
}

async fn verification(db: &Db, id: &str, at: i64, with_face: bool) {
    sqlx::query(
        "INSERT INTO verifications (id, org_id, actor_id, actor_label, method, purpose, subject_id, outcome, \
         card_status, person_status, assurance, summary, created_at) \
         VALUES ($1, 'org', 'acc', 'Lễ tân', 'card_qr', 'hotel_guest', NULL, 'green', 'valid', 'living', 'qr', '', $2)",
    )
    .bind(id)
    .bind(at)
    .execute(db.write())
    .await
    .unwrap();
    if with_face {
        sqlx::query("INSERT INTO verification_faces (verification_id, org_id, image_b64, created_at) VALUES ($1, 'org', 'AAAA', $2)")
            .bind(id)
            .bind(at)
            .execute(db.write())
            .await
            .unwrap();
    }
}

async fn security_event(db: &Db, kind: &str, at: i64) {
    sqlx::query(
        "INSERT INTO security_events (at, kind, severity, outcome, subject, client, route, request_id, detail) \
         VALUES ($1, $2, 4, 'failure', 'ps_1', 'cl_1', '/login', 'r1', '')",
    )
    .bind(at)
    .bind(kind)
    .execute(db.write())
    .await
    .unwrap();
}

async fn column(db: &Db, sql: &str) -> BTreeSet<String> {
    sqlx::query(sql).fetch_all(db.read()).await.unwrap().iter().map(|r| r.get::<String, _>(0)).collect()
}

async fn old_rows_are_archived_then_deleted(db: Db) {
    let six_years = NOW - 6 * 365 * DAY;
    log(&db, "old-admin", "administration", six_years).await;
    log(&db, "old-lodging", "lodging", six_years - DAY).await;
    log(&db, "old-investigation", "investigation", six_years).await;
    log(&db, "recent-admin", "administration", NOW - 30 * DAY).await;
    verification(&db, "v-old", NOW - 3 * 365 * DAY, true).await;
    verification(&db, "v-recent", NOW - DAY, true).await;
    security_event(&db, "sign_in_failed", NOW - 400 * DAY).await;
    security_event(&db, "account_locked", NOW - 300 * DAY).await;

    // The rows are sealed in the transparency log, as the server's sealer does.
    let keys = audit::security::Pseudonymizer::new(&[9u8; 32]).unwrap();
    assert_eq!(audit::seal::seal_pending(&db, &keys, NOW).await.unwrap(), 4);

    let dir = tempfile::tempdir().unwrap();
    let settings = RetentionSettings::default();
    let done = retention::run(&db, &settings, dir.path(), NOW).await.unwrap();
    assert_eq!(
        done.iter().map(|a| (a.table.as_str(), a.rows)).collect::<Vec<_>>(),
        [("access_log", 2), ("verifications", 1), ("security_events", 1)]
    );

    // Within their period: kept (investigation reads are kept ten years).
    let kept = column(&db, "SELECT subject_id FROM access_log").await;
    assert_eq!(kept, BTreeSet::from(["old-investigation".to_string(), "recent-admin".to_string()]));
    // Their seals are marked pruned, so the deletion is lawful, not tampering; the leaves stay.
    let sealed = audit::seal::check_all(&db, &keys, &mut |_| {}).await.unwrap();
    assert!(sealed.ok(), "{sealed:?}");
    assert_eq!((sealed.verified, sealed.pruned), (2, 2));
    let pruned = audit::seal::check_subject(&db, &keys, "old-admin").await.unwrap();
    assert_eq!((pruned.verified, pruned.pruned, pruned.findings.len()), (0, 1, 0));
    assert_eq!(column(&db, "SELECT id FROM verifications").await, BTreeSet::from(["v-recent".to_string()]));
    assert_eq!(
        column(&db, "SELECT verification_id FROM verification_faces").await,
        BTreeSet::from(["v-recent".to_string()])
    );
    // Security events are kept a year, whatever their kind.
    assert_eq!(column(&db, "SELECT kind FROM security_events").await, BTreeSet::from(["account_locked".to_string()]));
    let events = std::fs::read_to_string(dir.path().join(done[2].file.as_ref().unwrap())).unwrap();
    let event: serde_json::Value = serde_json::from_str(events.trim()).unwrap();
    assert_eq!((event["kind"].as_str(), event["severity"].as_i64()), (Some("sign_in_failed"), Some(4)));

    // The archive holds exactly what was deleted, oldest first, and no face image.
    let file = dir.path().join(done[0].file.as_ref().unwrap());
    let lines: Vec<serde_json::Value> =
        std::fs::read_to_string(&file).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let subjects: Vec<&str> = lines.iter().map(|l| l["subject_id"].as_str().unwrap()).collect();
    assert_eq!(subjects, ["old-lodging", "old-admin"]);
    assert_eq!(lines[1]["purpose"], "administration");
    let verifications = std::fs::read_to_string(dir.path().join(done[1].file.as_ref().unwrap())).unwrap();
    assert!(verifications.contains("\"id\":\"v-old\"") && !verifications.contains("AAAA"), "{verifications}");

    // Nothing more to do: no new file, the manifest chain is intact.
    let again = retention::run(&db, &settings, dir.path(), NOW).await.unwrap();
    assert!(again.iter().all(|a| a.rows == 0 && a.file.is_none()));
    assert_eq!(std::fs::read_to_string(dir.path().join("MANIFEST.jsonl")).unwrap().lines().count(), 3);
    assert_eq!(retention::verify_manifest(dir.path()).unwrap(), Vec::<String>::new());

    // A changed archive file is found.
    std::fs::write(&file, std::fs::read_to_string(&file).unwrap().replace("old-admin", "old-admjn")).unwrap();
    let problems = retention::verify_manifest(dir.path()).unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("SHA-256"), "{problems:?}");
}

db::dual_tests!(crate::common::migrations(); old_rows_are_archived_then_deleted);
