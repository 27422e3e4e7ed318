//! Need-to-know access to a citizen's record, on SQLite and PostgreSQL: which roles may open one,
//! the purpose (and case reference) asked before it opens and kept in the access log, desk
//! officers limited to the persons of their applications.

use crate::common;
use crate::services::{citizen, officer};

use db::sqlx::{self, Row};
use db::Db;
use reqwest::Method;
use serde_json::json;
use web::{Jurisdiction, Role};

use common::World;

/// The access-log entries about `subject`: (action, purpose, case reference, channel).
async fn log_of(db: &Db, subject: &str) -> Vec<(String, String, Option<String>, String)> {
    sqlx::query("SELECT action, purpose, case_ref, channel FROM access_log WHERE subject_id = $1 ORDER BY id")
        .bind(subject)
        .fetch_all(db.read())
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect()
}

async fn name_of(db: &Db, id: &str) -> String {
    sqlx::query("SELECT full_name FROM persons WHERE personal_id = $1")
        .bind(id)
        .fetch_one(db.read())
        .await
        .unwrap()
        .get(0)
}

/// A page fetched with a bearer token: status and body.
async fn page(w: &World, token: &str, path: &str) -> (u16, String) {
    let r = w.http.get(format!("{}{path}", w.base)).bearer_auth(token).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn aggregate_roles_open_no_record(db: Db) {
    let w = common::world(db, 500, false).await;
    let (inside, _) = w.inside_and_outside().await;
    let name = name_of(&w.db, &inside).await;
    let province = Jurisdiction::Province("08".into());
    for (login, role) in
        [("lanhdao.test", Role::Leader), ("tocongtac.test", Role::WorkingGroup), ("daumoi.test", Role::UnitFocal)]
    {
        let token = officer(&w.db, login, role, province.clone()).await;
        for path in [format!("/persons/{inside}?purpose=administration"), format!("/persons/{inside}")] {
            let (s, html) = page(&w, &token, &path).await;
            assert_eq!(s, 403, "{login} {path}");
            assert!(!html.contains(&name), "{login} saw the name at {path}");
            assert!(html.contains("số liệu tổng hợp"), "{login}: {html}");
        }
        let (s, e) = w.get(&token, &format!("/api/v1/persons/{inside}?purpose=administration")).await;
        assert_eq!((s, e["error"]["code"].as_str()), (403, Some("forbidden")), "{login}");
        assert!(e["error"]["message"].as_str().unwrap().contains("số liệu tổng hợp"), "{e}");
        let (s, _) = page(&w, &token, &format!("/persons?q={inside}")).await;
        assert_eq!(s, 403, "{login} searched");
    }
    w.running.ctx.access_log.flush().await;
    assert!(log_of(&w.db, &inside).await.is_empty(), "a refused read was logged");
}

async fn the_purpose_is_asked_and_logged(db: Db) {
    let w = common::world(db, 500, false).await;
    let (inside, _) = w.inside_and_outside().await;
    let name = name_of(&w.db, &inside).await;
    // The API refuses a read without a purpose, or without the case an investigation serves.
    for (path, words) in [
        (format!("/api/v1/persons/{inside}"), "mục đích"),
        (format!("/api/v1/persons/{inside}/cards"), "mục đích"),
        (format!("/api/v1/persons/{inside}/residences?purpose="), "mục đích"),
        (format!("/api/v1/persons/{inside}/history?purpose=investigation"), "số hồ sơ"),
        (format!("/api/v1/persons/{inside}?purpose=lodging"), "không hợp lệ"),
        (format!("/api/v1/persons/{inside}?purpose=investigation&case_ref=a%20b"), "chỉ gồm chữ"),
    ] {
        let (s, e) = w.get(&w.commune_token, &path).await;
        assert_eq!((s, e["error"]["code"].as_str()), (400, Some("invalid_input")), "{path}: {e}");
        assert!(e["error"]["message"].as_str().unwrap().contains(words), "{path}: {e}");
        assert!(!e.to_string().contains(&name));
    }
    // The page asks first and reads nothing.
    let (s, html) = page(&w, &w.commune_token, &format!("/persons/{inside}")).await;
    assert_eq!(s, 200);
    assert!(html.contains("name=\"purpose\"") && html.contains("name=\"case_ref\""), "{html}");
    assert!(html.contains("value=\"investigation\"") && !html.contains("value=\"lodging\""));
    assert!(!html.contains(&name), "the form showed the record");
    let (s, html) = page(&w, &w.commune_token, &format!("/persons/{inside}?purpose=investigation")).await;
    assert_eq!(s, 400);
    assert!(html.contains("role=\"alert\"") && !html.contains(&name));
    w.running.ctx.access_log.flush().await;
    assert!(log_of(&w.db, &inside).await.is_empty(), "nothing was read yet");

    // With the purpose, the record opens and the log holds that purpose and case.
    let (s, p) =
        w.get(&w.commune_token, &format!("/api/v1/persons/{inside}?purpose=investigation&case_ref=VV-2026-17")).await;
    assert_eq!((s, p["full_name"].as_str()), (200, Some(name.as_str())));
    let (s, html) =
        page(&w, &w.commune_token, &format!("/persons/{inside}?purpose=data_cleaning&case_ref=ignored")).await;
    assert_eq!(s, 200);
    assert!(html.contains(&name) && html.contains("Làm sạch dữ liệu"));
    let log = log_of(&w.db, &inside).await;
    let api: Vec<_> = log.iter().filter(|e| e.3 == "api").collect();
    assert_eq!(api.len(), 1, "{log:?}");
    assert_eq!(
        (api[0].0.as_str(), api[0].1.as_str(), api[0].2.as_deref()),
        ("person.read", "investigation", Some("VV-2026-17"))
    );
    let web: Vec<_> = log.iter().filter(|e| e.3 == "web").collect();
    assert!(web.iter().any(|e| e.0 == "person.read"));
    assert!(web.iter().all(|e| e.1 == "data_cleaning" && e.2.is_none()), "{web:?}");
    assert!(log.iter().all(|e| e.1 != "administration"), "no purpose was assumed: {log:?}");

    // Search results stay minimal.
    let (_, found) = w.get(&w.commune_token, &format!("/api/v1/persons?q={inside}")).await;
    let keys: Vec<&str> = found["items"][0].as_object().unwrap().keys().map(String::as_str).collect();
    let identifying =
        ["personal_id", "full_name", "gender", "birth_date", "birth_date_vn", "status", "commune_code", "commune_name"];
    assert!(keys.iter().all(|k| identifying.contains(k)), "{keys:?}");
}

/// A birth registration filed by a mother naming the child's father; returns (mother, father,
/// receipt code).
async fn birth_application(w: &World) -> (String, String, String) {
    let (mother, token) = citizen(w, "F", true, 2).await;
    let father: String = sqlx::query(
        "SELECT personal_id FROM persons WHERE current_commune = $1 AND gender = 'M' AND status = 'living' \
         AND birth_date < '1995-01-01' AND birth_date > '1960-01-01' ORDER BY personal_id LIMIT 1",
    )
    .bind(&w.commune)
    .fetch_one(w.db.read())
    .await
    .unwrap()
    .get(0);
    let born = (kernel::clock::today_vn() - chrono::Duration::days(3)).format("%d/%m/%Y").to_string();
    let body = json!({"procedure": "birth_registration", "submit": true, "answers": {
        "child_name": "Nguyễn Minh An", "child_gender": "F", "child_birth_date": born, "birth_commune": w.commune,
        "other_parent_id": father}});
    let (s, app) = w.send(Method::POST, &token, "/api/v1/services/applications", body).await;
    assert_eq!(s, 200, "{app}");
    (mother, father, app["receipt_code"].as_str().unwrap().to_string())
}

async fn desk_officers_open_only_their_applications_persons(db: Db) {
    let w = common::world(db, 600, false).await;
    let desk = officer(&w.db, "motcua.test", Role::DeskOfficer, Jurisdiction::Commune(w.commune.clone())).await;
    let elsewhere =
        officer(&w.db, "motcua.khac", Role::DeskOfficer, Jurisdiction::Commune(w.other_commune().await)).await;
    let (mother, father, receipt) = birth_application(&w).await;
    let stranger: String = sqlx::query(
        "SELECT personal_id FROM persons WHERE current_commune = $1 AND personal_id NOT IN ($2, $3) ORDER BY personal_id LIMIT 1",
    )
    .bind(&w.commune)
    .bind(&mother)
    .bind(&father)
    .fetch_one(w.db.read())
    .await
    .unwrap()
    .get(0);
    let read = |id: &str, q: &str| format!("/api/v1/persons/{id}?{q}");
    let case = format!("purpose=public_service&case_ref={receipt}");

    // The applicant and the person the application names.
    for id in [&mother, &father] {
        let (s, p) = w.get(&desk, &read(id, &case)).await;
        assert_eq!((s, p["personal_id"].as_str()), (200, Some(id.as_str())), "{p}");
        let (s, _) = w.get(&desk, &format!("/api/v1/persons/{id}/cards?{case}")).await;
        assert_eq!(s, 200);
    }
    let (s, html) = page(&w, &desk, &format!("/persons/{mother}")).await;
    assert_eq!(s, 200);
    assert!(html.contains("value=\"public_service\"") && !html.contains("value=\"investigation\""), "{html}");
    let (s, html) = page(&w, &desk, &format!("/persons/{mother}?{case}")).await;
    assert_eq!(s, 200);
    assert!(html.contains(&receipt) && !html.contains("/households/"), "{html}");

    // Nobody else, no other purpose, no case from another inbox, no household, no search.
    let refusals: Vec<(String, &str, u16)> = vec![
        (read(&stranger, &case), &desk, 403),
        (read(&mother, "purpose=administration"), &desk, 403),
        (read(&mother, "purpose=public_service"), &desk, 400),
        (read(&mother, "purpose=public_service&case_ref=HS-KHONG-CO"), &desk, 403),
        (read(&mother, &case), &elsewhere, 403),
        (format!("/api/v1/persons?q={mother}"), &desk, 403),
    ];
    for (path, token, status) in &refusals {
        let (s, e) = w.get(token, path).await;
        assert_eq!(s, *status, "{path}: {e}");
        assert!(e["full_name"].is_null(), "{path} released data");
    }
    let (s, e) = w.get(&desk, &read(&stranger, &case)).await;
    assert_eq!(s, 403);
    assert!(e["error"]["message"].as_str().unwrap().contains("không có tên trong hồ sơ"), "{e}");
    let household: String = sqlx::query("SELECT household_id FROM persons WHERE personal_id = $1")
        .bind(&mother)
        .fetch_one(w.db.read())
        .await
        .unwrap()
        .get(0);
    let (s, _) = w.get(&desk, &format!("/api/v1/households/{household}?{case}")).await;
    assert_eq!(s, 403);
    let (s, html) = page(&w, &desk, &format!("/persons/{stranger}?{case}")).await;
    assert_eq!(s, 403);
    assert!(!html.contains(&name_of(&w.db, &stranger).await));

    // The log holds each read with the application as its case; nothing about the stranger.
    w.running.ctx.access_log.flush().await;
    assert!(log_of(&w.db, &stranger).await.is_empty());
    for id in [&mother, &father] {
        let officer_reads: Vec<_> = log_of(&w.db, id)
            .await
            .into_iter()
            .filter(|e| ["person.read", "card.read"].contains(&e.0.as_str()))
            .collect();
        assert!(!officer_reads.is_empty());
        assert!(
            officer_reads.iter().all(|e| e.1 == "public_service" && e.2.as_deref() == Some(receipt.as_str())),
            "{officer_reads:?}"
        );
    }
    let channels: Vec<String> =
        log_of(&w.db, &mother).await.into_iter().filter(|e| e.0 == "person.read").map(|e| e.3).collect();
    assert_eq!(channels, ["api", "web"]);
}

db::dual_tests!(crate::common::migrations(); aggregate_roles_open_no_record, the_purpose_is_asked_and_logged, desk_officers_open_only_their_applications_persons);
