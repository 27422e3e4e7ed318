//! `Idempotency-Key` on state-changing requests, on both backends: a retried application is filed
//! once and answered the same; a key reused with another request, a malformed key and a retry
//! while the first request runs are refused and change nothing; after a crash, a claim whose
//! change was committed is never run again while one that changed nothing runs; a page form sent
//! twice does its work once and shows the same answer.

use crate::common;
use crate::services::{citizen, officer};

use db::sqlx::{self, Row};
use db::Db;
use reqwest::header::HeaderMap;
use serde_json::{json, Value};
use web::{Jurisdiction, Role};

use common::World;

const APPLICATIONS: &str = "/api/v1/services/applications";

async fn count(db: &Db, sql: &str) -> i64 {
    sqlx::query(sql).fetch_one(db.read()).await.unwrap().get(0)
}

/// Posts JSON with a bearer token and a key; status, headers, body.
async fn keyed(w: &World, token: &str, path: &str, key: &str, body: &Value) -> (u16, HeaderMap, Value) {
    let r = w
        .http
        .post(format!("{}{path}", w.base))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .unwrap();
    let (status, headers) = (r.status().as_u16(), r.headers().clone());
    (status, headers, r.json().await.unwrap_or(Value::Null))
}

fn birth(w: &World, child: &str) -> Value {
    let born = (kernel::clock::today_vn() - chrono::Duration::days(3)).format("%d/%m/%Y").to_string();
    json!({"procedure": "birth_registration", "submit": true, "answers": {
        "child_name": child, "child_gender": "F", "child_birth_date": born, "birth_commune": w.commune}})
}

/// Makes the claim of `key` look as a process that died before keeping the answer would leave it:
/// no answer, another process, made `age_ms` ago.
async fn orphan(db: &Db, key: &str, age_ms: i64) {
    sqlx::query(
        "UPDATE idempotency_keys SET status = NULL, headers = NULL, body = NULL, boot = 'gone', \
         created_at = created_at - $2 WHERE idem_key = $1",
    )
    .bind(key)
    .bind(age_ms)
    .execute(db.write())
    .await
    .unwrap();
}

async fn a_retried_application_is_filed_once(db: Db) {
    let w = common::world(db, 600, false).await;
    let (_, token) = citizen(&w, "F", true, 2).await;
    let apps = "SELECT COUNT(*) FROM svc_applications";

    let (s, first_headers, first) = keyed(&w, &token, APPLICATIONS, "app-1", &birth(&w, "Nguyễn Minh An")).await;
    assert_eq!(s, 200, "{first}");
    assert!(first_headers.get("idempotent-replayed").is_none());
    let (s, headers, again) = keyed(&w, &token, APPLICATIONS, "app-1", &birth(&w, "Nguyễn Minh An")).await;
    assert_eq!(s, 200, "{again}");
    assert_eq!(headers["idempotent-replayed"], "true");
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["receipt_code"], first["receipt_code"]);
    assert_eq!(count(&w.db, apps).await, 1, "the retry filed nothing");

    // The key with another request: refused, nothing filed.
    let (s, _, e) = keyed(&w, &token, APPLICATIONS, "app-1", &birth(&w, "Nguyễn Minh Anh")).await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["error"]["code"], "idempotency_key_reused");
    // A malformed key: refused, nothing filed.
    let (s, _, e) = keyed(&w, &token, APPLICATIONS, &"k".repeat(101), &birth(&w, "Trần Bảo")).await;
    assert_eq!(s, 400, "{e}");
    assert_eq!(count(&w.db, apps).await, 1);
    // Another key is another application; a key is the caller's own: another citizen's use of
    // "app-1" files theirs.
    let (s, _, second) = keyed(&w, &token, APPLICATIONS, "app-2", &birth(&w, "Nguyễn Minh Châu")).await;
    assert_eq!(s, 200, "{second}");
    assert_ne!(second["id"], first["id"]);
    let (_, other_token) = citizen(&w, "M", true, 2).await;
    let (s, headers, theirs) = keyed(&w, &other_token, APPLICATIONS, "app-1", &birth(&w, "Nguyễn Minh An")).await;
    assert_eq!(s, 200, "{theirs}");
    assert!(headers.get("idempotent-replayed").is_none());
    assert_ne!(theirs["id"], first["id"]);
    assert_eq!(count(&w.db, apps).await, 3);

    // A crash after the filing committed and before its answer was kept: the filing bound the
    // claim in its own transaction, so the retry does not file again.
    let bound: i64 = sqlx::query("SELECT bound FROM idempotency_keys WHERE idem_key = 'app-2'")
        .fetch_one(w.db.read())
        .await
        .unwrap()
        .get(0);
    assert_eq!(bound, 1);
    orphan(&w.db, "app-2", 600_000).await;
    let (s, _, e) = keyed(&w, &token, APPLICATIONS, "app-2", &birth(&w, "Nguyễn Minh Châu")).await;
    assert_eq!(s, 409, "{e}");
    assert_eq!(e["error"]["code"], "conflict");
    assert_eq!(count(&w.db, apps).await, 3, "a committed request never runs twice");

    // A request that changed nothing (refused answers) left by a crash is run again.
    let bad = json!({"procedure": "birth_registration", "submit": true, "answers": {"child_name": ""}});
    let (s, _, _) = keyed(&w, &token, APPLICATIONS, "bad-1", &bad).await;
    assert_eq!(s, 400);
    orphan(&w.db, "bad-1", 600_000).await;
    let (s, headers, e) = keyed(&w, &token, APPLICATIONS, "bad-1", &bad).await;
    assert_eq!(s, 400, "{e}");
    assert!(headers.get("idempotent-replayed").is_none(), "run again, not replayed");
    assert_eq!(e["error"]["code"], "invalid_input");
    // One still running in another process (claimed a moment ago): retry later.
    orphan(&w.db, "bad-1", 0).await;
    let (s, headers, e) = keyed(&w, &token, APPLICATIONS, "bad-1", &bad).await;
    assert_eq!(s, 409, "{e}");
    assert_eq!(e["error"]["code"], "request_in_progress");
    assert_eq!(headers["retry-after"], "1");
    assert_eq!(count(&w.db, apps).await, 3);
}

async fn a_page_form_sent_twice_does_its_work_once(db: Db) {
    let w = common::world(db, 200, false).await;
    let admin = officer(&w.db, "quantri.test", Role::Admin, Jurisdiction::Province("08".into())).await;
    let form = [
        ("tax_code", "0109876543"),
        ("name", "Nhà nghỉ Hoa Sen"),
        ("kind", "hotel"),
        ("address", "12 Lê Lợi"),
        ("commune_code", w.commune.as_str()),
        ("owner_contact", "0912345678"),
        ("idempotency_key", "9f2c4e1a7b3d5f60"),
    ];
    let post = || w.http.post(format!("{}/admin/organizations", w.base)).bearer_auth(&admin).form(&form).send();
    let first = post().await.unwrap();
    assert_eq!(first.status(), 200);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first = first.text().await.unwrap();
    assert!(first.contains("Nhà nghỉ Hoa Sen"), "{first}");
    let again = post().await.unwrap();
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.text().await.unwrap(), first, "the same page again, not a duplicate-tax-code error");
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM organizations WHERE tax_code = '0109876543'").await, 1);
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM org_invitations").await, 1, "one invitation sent");
}

db::dual_tests!(crate::common::migrations(); a_retried_application_is_filed_once, a_page_form_sent_twice_does_its_work_once);
