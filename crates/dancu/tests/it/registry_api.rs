//! The registry's JSON API end to end, on SQLite and PostgreSQL: search, detail, jurisdiction,
//! access logging, corrections with history, errors that change nothing.

use crate::common;

use db::sqlx::{self, Row};
use db::Db;
use kernel::PageRequest;
use reqwest::Method;
use serde_json::json;

use common::world;

async fn access_count(db: &Db, subject: &str) -> i64 {
    sqlx::query("SELECT COUNT(*) FROM access_log WHERE subject_id = $1")
        .bind(subject)
        .fetch_one(db.read())
        .await
        .unwrap()
        .get(0)
}

async fn search_and_read(db: Db) {
    let w = world(db, 1_500, false).await;
    let (s, health) = w.get("", "/healthz").await;
    assert_eq!((s, health["status"].as_str()), (200, Some("ok")));

    // A person to look for, and a folded two-word prefix of their name.
    let row = sqlx::query("SELECT personal_id, full_name, birth_year FROM persons WHERE birth_year IS NOT NULL ORDER BY personal_id LIMIT 1")
        .fetch_one(w.db.read())
        .await
        .unwrap();
    let (id, name, year): (String, String, i64) = (row.get(0), row.get(1), row.get(2));
    let prefix = kernel::text::fold(&name.split(' ').take(2).collect::<Vec<_>>().join(" "));
    let (s, page) =
        w.get(&w.province_token, &format!("/api/v1/persons?q={}&size=50", prefix.replace(' ', "%20"))).await;
    assert_eq!(s, 200);
    let items = page["items"].as_array().unwrap();
    assert!(!items.is_empty());
    for it in items {
        assert!(kernel::text::fold(it["full_name"].as_str().unwrap()).starts_with(&prefix), "{it}");
    }
    // Diacritic-free full name + birth year finds the person.
    let q = kernel::text::fold(&name).replace(' ', "%20");
    let (_, page) = w.get(&w.province_token, &format!("/api/v1/persons?q={q}&birth_year={year}&size=200")).await;
    assert!(page["items"].as_array().unwrap().iter().any(|i| i["personal_id"] == id.as_str()));
    // By id.
    let (_, page) = w.get(&w.province_token, &format!("/api/v1/persons?q={id}")).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["personal_id"], id.as_str());

    // Pagination.
    let (_, p1) = w.get(&w.province_token, "/api/v1/persons?q=nguyen&size=2").await;
    let (_, p2) = w.get(&w.province_token, "/api/v1/persons?q=nguyen&size=2&page=2").await;
    assert_eq!(p1["items"].as_array().unwrap().len(), 2);
    assert_eq!(p1["has_next"], true);
    assert_ne!(p1["items"][0]["personal_id"], p2["items"][0]["personal_id"]);
    for (path, code) in [
        ("/api/v1/persons?q=nguyen&page=0", "bad_pagination"),
        ("/api/v1/persons?q=nguyen&size=500", "bad_pagination"),
        ("/api/v1/persons?q=12345", "invalid_personal_id"),
        ("/api/v1/persons?commune=99999", "unknown_commune"),
        ("/api/v1/persons", "invalid_input"),
        ("/api/v1/persons?q=an&birth_year=abc", "invalid_input"),
        ("/api/v1/persons/12345", "invalid_personal_id"),
        ("/api/v1/persons/0012030123ab", "invalid_personal_id"),
    ] {
        let (s, e) = w.get(&w.province_token, path).await;
        assert_eq!((s, e["error"]["code"].as_str()), (400, Some(code)), "{path}: {e}");
        assert!(e["error"]["message"].as_str().unwrap().len() > 5);
    }
    let (s, _) = w.get(&w.province_token, "/api/v1/persons/999999999999?purpose=administration").await;
    assert_eq!(s, 404);

    // Detail, household, cards, residences.
    let (s, p) = w.get(&w.province_token, &format!("/api/v1/persons/{id}?purpose=administration")).await;
    assert_eq!(s, 200);
    assert_eq!(p["full_name"], name.as_str());
    assert_eq!(p["id_warnings"], json!([]));
    let hh = p["household_id"].as_str().unwrap().to_string();
    let (s, h) = w.get(&w.province_token, &format!("/api/v1/households/{hh}?purpose=administration")).await;
    assert_eq!(s, 200);
    assert!(h["members"].as_array().unwrap().iter().any(|m| m["personal_id"] == id.as_str()));
    assert_eq!(h["members"][0]["relationship"], "head");
    let (s, r) = w.get(&w.province_token, &format!("/api/v1/persons/{id}/residences?purpose=administration")).await;
    assert_eq!(s, 200);
    assert!(!r.as_array().unwrap().is_empty());
    let (s, _) = w.get(&w.province_token, &format!("/api/v1/persons/{id}/cards?purpose=administration")).await;
    assert_eq!(s, 200);

    // Partial birth dates round-trip.
    let partial = sqlx::query("SELECT personal_id, birth_date FROM persons WHERE length(birth_date) = 4 LIMIT 1")
        .fetch_optional(w.db.read())
        .await
        .unwrap();
    if let Some(r) = partial {
        let (pid, bd): (String, String) = (r.get(0), r.get(1));
        let (_, p) = w.get(&w.province_token, &format!("/api/v1/persons/{pid}?purpose=administration")).await;
        assert_eq!(p["birth_date"], bd.as_str());
        assert_eq!(p["birth_date_precision"], "year");
        assert_eq!(p["birth_date_vn"], bd.as_str());
    }

    // Every read is in the access log with purpose and actor; a bad purpose reads nothing.
    w.running.ctx.access_log.flush().await;
    let before = access_count(&w.db, &id).await;
    let log = audit::list_for_subject(&w.db, &id, PageRequest::new(None, Some(50)).unwrap()).await.unwrap();
    assert!(log
        .items
        .iter()
        .any(|e| e.action == "person.read" && e.purpose == "administration" && e.actor_label.contains("tinh.test")));
    assert!(log.items.iter().all(|e| e.case_ref.is_none()), "administration names no case");
    assert!(log.items.iter().any(|e| e.action == "person.search"));
    let (s, e) = w.get(&w.province_token, &format!("/api/v1/persons/{id}?purpose=curiosity")).await;
    assert_eq!((s, e["error"]["code"].as_str()), (400, Some("invalid_input")));
    let (s, _) =
        w.get(&w.province_token, &format!("/api/v1/persons/{id}?purpose=investigation&case_ref=VV-2026-17")).await;
    assert_eq!(s, 200);
    // Durable before the answer: no flush, the entry is committed when the data arrives.
    assert_eq!(access_count(&w.db, &id).await, before + 1);
    assert_eq!(w.running.ctx.access_log.queue_depth(), 0);

    // No credentials, bad credentials.
    let (s, e) = w.get("", &format!("/api/v1/persons/{id}")).await;
    assert_eq!((s, e["error"]["code"].as_str()), (401, Some("unauthenticated")));
    let (s, _) = w.get("dct_not-a-token", &format!("/api/v1/persons/{id}")).await;
    assert_eq!(s, 401);
}

async fn jurisdiction_is_enforced(db: Db) {
    let w = world(db, 1_500, false).await;
    let (inside, outside) = w.inside_and_outside().await;
    let (s, p) = w.get(&w.commune_token, &format!("/api/v1/persons/{inside}?purpose=administration")).await;
    assert_eq!(s, 200);
    assert_eq!(p["current_residence"]["commune_code"], w.commune.as_str());
    for path in [
        format!("/api/v1/persons/{outside}?purpose=administration"),
        format!("/api/v1/persons/{outside}/residences?purpose=administration"),
        format!("/api/v1/persons/{outside}/cards?purpose=administration"),
        format!("/api/v1/persons/{outside}/history?purpose=administration"),
    ] {
        let (s, _) = w.get(&w.commune_token, &path).await;
        assert_eq!(s, 404, "{path}");
    }
    // The provincial officer sees the same person.
    let (s, _) = w.get(&w.province_token, &format!("/api/v1/persons/{outside}?purpose=administration")).await;
    assert_eq!(s, 200);
    // Searches return only the officer's commune.
    let (_, page) = w.get(&w.commune_token, "/api/v1/persons?q=n&size=200").await;
    let items = page["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items.iter().all(|i| i["commune_code"] == w.commune.as_str()));
    let other = w.other_commune().await;
    let (s, e) = w.get(&w.commune_token, &format!("/api/v1/persons?commune={other}")).await;
    assert_eq!((s, e["error"]["code"].as_str()), (403, Some("out_of_jurisdiction")));
    // Nothing was logged for the refused reads.
    w.running.ctx.access_log.flush().await;
    let logged: i64 =
        sqlx::query("SELECT COUNT(*) FROM access_log WHERE subject_id = $1 AND actor_label LIKE '%xa.test%'")
            .bind(&outside)
            .fetch_one(w.db.read())
            .await
            .unwrap()
            .get(0);
    assert_eq!(logged, 0);
}

async fn corrections_keep_history(db: Db) {
    let w = world(db, 1_000, false).await;
    let (inside, outside) = w.inside_and_outside().await;
    let (_, before) = w.get(&w.commune_token, &format!("/api/v1/persons/{inside}?purpose=administration")).await;
    let old_hometown = before["hometown"].clone();
    let path = format!("/api/v1/persons/{inside}");
    let change = |version: i64, hometown: &str, reason: &str| json!({"changes": {"hometown": hometown, "ethnicity": "02"}, "reason": reason, "version": version});
    // Refusals change nothing.
    for (body, status, code) in [
        (change(1, "Xã Mỹ Lâm, Tỉnh Tuyên Quang", "x"), 400, "invalid_input"),
        (
            json!({"changes": {"ethnicity": "99"}, "reason": "sửa theo giấy khai sinh", "version": 1}),
            400,
            "invalid_input",
        ),
        (
            json!({"changes": {"status": "deceased"}, "reason": "sửa theo giấy khai sinh", "version": 1}),
            400,
            "invalid_input",
        ),
        (change(7, "Xã Mỹ Lâm, Tỉnh Tuyên Quang", "sửa theo giấy khai sinh"), 409, "stale_version"),
        // A NUL failed on PostgreSQL with a server error and was stored on SQLite.
        (change(1, "Xã Mỹ\u{0}Lâm, Tỉnh Tuyên Quang", "sửa theo giấy khai sinh"), 400, "invalid_input"),
        (change(1, "Xã Mỹ Lâm, Tỉnh Tuyên Quang", "sửa theo\u{1b}[2J giấy khai sinh"), 400, "invalid_input"),
    ] {
        let (s, e) = w.send(Method::PATCH, &w.commune_token, &path, body).await;
        assert_eq!((s, e["error"]["code"].as_str()), (status, Some(code)), "{e}");
    }
    let (s, _) = w
        .send(
            Method::PATCH,
            &w.commune_token,
            &format!("/api/v1/persons/{outside}"),
            change(1, "Xã A", "sửa theo giấy khai sinh"),
        )
        .await;
    assert_eq!(s, 404);
    let (_, same) = w.get(&w.commune_token, &format!("{path}?purpose=administration")).await;
    assert_eq!(same, before);

    // A valid correction.
    let (s, r) = w
        .send(
            Method::PATCH,
            &w.commune_token,
            &path,
            change(1, "Xã  Mỹ Lâm,  Tỉnh Tuyên Quang", "sửa theo giấy khai sinh"),
        )
        .await;
    assert_eq!((s, r["version"].as_i64()), (200, Some(2)), "{r}");
    let (_, after) = w.get(&w.commune_token, &format!("{path}?purpose=administration")).await;
    assert_eq!(after["hometown"], "Xã Mỹ Lâm, Tỉnh Tuyên Quang");
    assert_eq!(after["ethnicity"]["name"], "Tày");
    assert_eq!(after["version"], 2);
    let (_, hist) = w.get(&w.commune_token, &format!("{path}/history?purpose=administration")).await;
    let hist = hist.as_array().unwrap();
    assert_eq!(hist.len(), 1);
    assert_eq!(hist[0]["previous"]["hometown"], old_hometown);
    assert_eq!(hist[0]["reason"], "sửa theo giấy khai sinh");
    // As of yesterday the record had the old values.
    let yesterday = kernel::clock::today_vn().pred_opt().unwrap();
    let (_, then) = w.get(&w.commune_token, &format!("{path}?as_of={yesterday}&purpose=administration")).await;
    assert_eq!(then["hometown"], old_hometown);
    assert_eq!(then["ethnicity"], before["ethnicity"]);

    // Death registration.
    let death = format!("{path}/death");
    let tomorrow = kernel::clock::today_vn().succ_opt().unwrap();
    let (s, e) = w
        .send(
            Method::POST,
            &w.commune_token,
            &death,
            json!({"death_date": tomorrow.to_string(), "reason": "giấy báo tử"}),
        )
        .await;
    assert_eq!((s, e["error"]["code"].as_str()), (400, Some("invalid_date")));
    let (s, _) = w
        .send(
            Method::POST,
            &w.commune_token,
            &death,
            json!({"death_date": yesterday.to_string(), "reason": "giấy báo tử"}),
        )
        .await;
    assert_eq!(s, 200);
    let (_, dead) = w.get(&w.commune_token, &format!("{path}?purpose=administration")).await;
    assert_eq!(dead["status"], "deceased");
    let (_, cards) = w.get(&w.commune_token, &format!("{path}/cards?purpose=administration")).await;
    assert!(cards.as_array().unwrap().iter().all(|c| c["status"] != "valid"));
    let (s, _) = w
        .send(
            Method::POST,
            &w.commune_token,
            &death,
            json!({"death_date": yesterday.to_string(), "reason": "giấy báo tử"}),
        )
        .await;
    assert_eq!(s, 409);
}

async fn tokens_metrics_and_openapi(db: Db) {
    let w = world(db, 500, false).await;
    let (inside, _) = w.inside_and_outside().await;
    // A revoked token is refused.
    let account: String =
        sqlx::query("SELECT id FROM accounts WHERE login = 'xa.test'").fetch_one(w.db.read()).await.unwrap().get(0);
    let (fresh_id, fresh) =
        identity::issue_token(&w.db, &account, "short-lived", kernel::clock::now_ms()).await.unwrap();
    assert!(identity::revoke_token(&w.db, &fresh_id, kernel::clock::now_ms()).await.unwrap());
    assert!(!identity::revoke_token(&w.db, &fresh_id, kernel::clock::now_ms()).await.unwrap());
    let (s, _) = w.get(&fresh, &format!("/api/v1/persons/{inside}?purpose=administration")).await;
    assert_eq!(s, 401);
    let (s, me) = w.get(&w.commune_token, "/api/v1/me").await;
    assert_eq!((s, me["role"].as_str()), (200, Some("commune_police")));
    assert_eq!(me["jurisdiction"]["code"], w.commune.as_str());

    let metrics = w.http.get(format!("{}/metrics", w.base)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("http_requests_total{"), "{metrics}");
    assert!(metrics.contains("route=\"/api/v1/persons/{id}\""));
    assert!(!metrics.contains(&inside), "personal ids must not become metric labels");
    assert!(metrics.contains("db_pool_connections"));
    assert!(metrics.contains("access_log_queue_depth"));
    assert!(metrics.contains("http_request_duration_seconds_bucket"));

    let (s, doc) = w.get("", "/api/openapi.json").await;
    assert_eq!(s, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for p in [
        "/api/v1/persons",
        "/api/v1/persons/{id}",
        "/api/v1/households/{id}",
        "/api/v1/admin-units/convert",
        "/api/v1/me",
    ] {
        assert!(doc["paths"].get(p).is_some(), "missing {p}");
    }
    // Admin units are public reference data.
    let (s, c) = w.get("", "/api/v1/admin-units/communes?q=ha%20giang%201&province=08").await;
    assert_eq!((s, c[0]["name"].as_str()), (200, Some("Phường Hà Giang 1")));
    let (s, e) = w.get("", "/api/v1/admin-units/provinces/99/communes").await;
    assert_eq!((s, e["error"]["code"].as_str()), (400, Some("unknown_province")));
    let r = w
        .http
        .post(format!("{}/api/v1/admin-units/convert", w.base))
        .json(&json!({"province": "Hà Nội", "district": "Ba Đình", "commune": "Phúc Xá"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["code"], "00097");
}

async fn quality_api_respects_jurisdiction(db: Db) {
    let w = world(db, 2_000, true).await;
    let (s, e) = w.get(&w.province_token, "/api/v1/quality/report").await;
    assert_eq!((s, e["error"]["code"].as_str()), (404, Some("not_found")), "no run yet");
    registry::quality::run(&w.db, kernel::clock::now_ms()).await.unwrap();
    let (s, all) = w.get(&w.province_token, "/api/v1/quality/report").await;
    assert_eq!(s, 200);
    let province_total: i64 = all["rules"].as_array().unwrap().iter().map(|r| r["count"].as_i64().unwrap()).sum();
    assert!(province_total > 0);
    let (_, mine) = w.get(&w.commune_token, "/api/v1/quality/report").await;
    let commune_total: i64 = mine["rules"].as_array().unwrap().iter().map(|r| r["count"].as_i64().unwrap()).sum();
    assert!(commune_total < province_total);
    assert!(mine["by_commune"].as_array().unwrap().iter().all(|c| c["commune_code"] == w.commune.as_str()));
    let rule = all["rules"].as_array().unwrap().iter().find(|r| r["count"].as_i64().unwrap() > 0).unwrap()["rule"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, page) = w.get(&w.province_token, &format!("/api/v1/quality/findings?rule={rule}&size=5")).await;
    assert_eq!(s, 200);
    assert!(!page["items"].as_array().unwrap().is_empty());
    let (_, page) = w.get(&w.commune_token, &format!("/api/v1/quality/findings?rule={rule}&size=200")).await;
    for f in page["items"].as_array().unwrap() {
        assert_eq!(f["commune_code"], w.commune.as_str());
    }
    let (s, e) = w.get(&w.province_token, "/api/v1/quality/findings?rule=made_up").await;
    assert_eq!((s, e["error"]["code"].as_str()), (400, Some("invalid_input")));
}

db::dual_tests!(crate::common::migrations(); search_and_read, jurisdiction_is_enforced, corrections_keep_history, tokens_metrics_and_openapi, quality_api_respects_jurisdiction);
