//! Project 06 tracking over HTTP on both backends: a unit focal point registers models 9, 24 and 1
//! with targets, the working group approves, computed KPIs carry real values, the unit submits its
//! monthly report, the working group approves it, and the consolidated XLSX/PDF downloads open.
//! Roles are enforced: a focal point cannot approve, the working group cannot register.

use crate::common;

use db::Db;
use reqwest::Method;
use serde_json::{json, Value};
use web::{Jurisdiction, Role};

use common::world;

async fn token(db: &Db, login: &str, role: Role, j: Jurisdiction) -> (String, String) {
    let a = identity::create_account(
        db,
        &identity::PasswordHasher::new(2),
        identity::NewAccount {
            login: login.into(),
            display_name: format!("Tài khoản {login}"),
            role,
            jurisdiction: j,
            password: common::PASSWORD.into(),
        },
        kernel::clock::now_ms(),
    )
    .await
    .unwrap();
    (a.id.clone(), identity::issue_token(db, &a.id, "test", kernel::clock::now_ms()).await.unwrap().1)
}

fn target(kpi: &str, v: f64) -> Value {
    json!({"kpi_id": kpi, "target_value": v, "deadline": "2030-12-31"})
}

async fn programme_over_http(db: Db) {
    let w = world(db, 1_500, true).await;
    registry::quality::run(&w.db, kernel::clock::now_ms()).await.unwrap();
    programs::init(&w.db, "08", kernel::clock::now_ms()).await.unwrap();
    let unit = programs::units::commune_unit_id(&w.commune);
    let (focal_id, focal) =
        token(&w.db, "daumoi.test", Role::UnitFocal, Jurisdiction::Commune(w.commune.clone())).await;
    programs::units::add_member(&w.db, &unit, &focal_id, kernel::clock::now_ms()).await.unwrap();
    let (_, wg) = token(&w.db, "tct.test", Role::WorkingGroup, Jurisdiction::Province("08".into())).await;

    let (s, models) = w.get(&wg, "/api/v1/programs/models").await;
    assert_eq!((s, models.as_array().unwrap().len()), (200, 47));
    let (s, _) = w.get(&w.commune_token, "/api/v1/programs/units/nope").await;
    assert_eq!(s, 404);

    // The working group cannot register for a unit; the focal point registers 9, 24 and 1.
    let body = |model: &str, targets: Vec<Value>| {
        json!({"model_id": model, "role": "lead", "targets": targets,
               "steps": [{"title": "Bước 1: Lập kế hoạch", "due_date": "2030-01-31"}]})
    };
    let (s, e) =
        w.send(Method::POST, &wg, "/api/v1/programs/registrations", body("9", vec![target("9.1", 100.0)])).await;
    assert_eq!((s, e["error"]["code"].as_str()), (403, Some("forbidden")));
    let mut ids = Vec::new();
    for (model, targets) in [
        ("9", vec![target("9.1", 100.0), target("9.lodging_active_share", 100.0)]),
        (
            "24",
            vec![
                target("24.adults_valid_card_share", 98.0),
                target("24.cards_expired_share", 2.0),
                target("24.eid_level2_share", 70.0),
            ],
        ),
        ("1", vec![target("1.online_applications_share", 50.0)]),
    ] {
        let (s, r) = w.send(Method::POST, &focal, "/api/v1/programs/registrations", body(model, targets)).await;
        assert_eq!(s, 201, "{r}");
        ids.push((r["id"].as_str().unwrap().to_string(), r["version"].as_i64().unwrap()));
    }
    let (s, e) =
        w.send(Method::POST, &focal, "/api/v1/programs/registrations", body("24", vec![target("24.3", 70.0)])).await;
    assert_eq!((s, e["error"]["code"].as_str()), (409, Some("conflict")));
    let (_, missing) = w.get(&wg, "/api/v1/programs/units/not-registered").await;
    assert!(missing.as_array().unwrap().iter().all(|u| u["id"] != unit.as_str()));

    // Only the working group approves.
    let path = format!("/api/v1/programs/registrations/{}/approve", ids[0].0);
    let (s, _) = w.send(Method::POST, &focal, &path, json!({"version": ids[0].1})).await;
    assert_eq!(s, 403);
    for (id, version) in &ids {
        let (s, r) = w
            .send(
                Method::POST,
                &wg,
                &format!("/api/v1/programs/registrations/{id}/approve"),
                json!({"version": version}),
            )
            .await;
        assert_eq!((s, r["status"].as_str()), (200, Some("approved")), "{r}");
    }

    // Computed KPIs: real values for the commune, "no data" where nothing was recorded yet.
    let (s, d) = w.get(&wg, &format!("/api/v1/programs/registrations/{}", ids[1].0)).await;
    assert_eq!(s, 200);
    let line = |code: &str| d["kpis"].as_array().unwrap().iter().find(|l| l["kpi"]["id"] == code).unwrap().clone();
    let adults = line("24.adults_valid_card_share");
    assert_eq!(adults["value"]["reading"]["state"], "value");
    let v = adults["value"]["reading"]["value"].as_f64().unwrap();
    assert!(v > 50.0 && v <= 100.0, "{v}");
    assert!(adults["value"]["definition_vi"].as_str().unwrap().contains("14 tuổi"));
    let eid = line("24.eid_level2_share");
    assert_eq!(
        (eid["value"]["reading"]["state"].as_str(), eid["value"]["reading"]["numerator"].as_f64()),
        (Some("value"), Some(0.0))
    );
    assert_eq!(eid["progress"].as_f64(), Some(0.0), "no level-2 account yet: 0% of the target");
    let (_, d1) = w.get(&wg, &format!("/api/v1/programs/registrations/{}", ids[2].0)).await;
    let online =
        d1["kpis"].as_array().unwrap().iter().find(|l| l["kpi"]["id"] == "1.online_applications_share").unwrap();
    assert_eq!(online["value"]["reading"]["state"], "no_data", "no application filed yet");
    assert!(online["progress"].is_null());

    // The monthly report: opened, written, submitted, approved.
    let period = chrono::Datelike::month(&kernel::clock::today_vn());
    let label = format!("{}-{period:02}", chrono::Datelike::year(&kernel::clock::today_vn()));
    let (s, r) = w
        .send(Method::POST, &focal, "/api/v1/programs/reports", json!({"frequency": "monthly", "period": label}))
        .await;
    assert_eq!(s, 201, "{r}");
    let rid = r["id"].as_str().unwrap().to_string();
    let (s, r) = w
        .send(
            Method::PUT,
            &focal,
            &format!("/api/v1/programs/reports/{rid}"),
            json!({"version": r["version"], "summary": "Đã triển khai 3 mô hình.", "difficulties": ""}),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    let (s, r) = w
        .send(Method::POST, &focal, &format!("/api/v1/programs/reports/{rid}/submit"), json!({"version": r["version"]}))
        .await;
    assert_eq!((s, r["status"].as_str()), (200, Some("submitted")), "{r}");
    let (s, e) = w
        .send(Method::POST, &wg, &format!("/api/v1/programs/reports/{rid}/return"), json!({"version": r["version"]}))
        .await;
    assert_eq!((s, e["error"]["code"].as_str()), (400, Some("invalid_input")));
    let (s, r) = w
        .send(Method::POST, &wg, &format!("/api/v1/programs/reports/{rid}/approve"), json!({"version": r["version"]}))
        .await;
    assert_eq!((s, r["status"].as_str()), (200, Some("approved")), "{r}");

    // Downloads.
    for (ext, magic) in [("xlsx", &b"PK"[..]), ("pdf", &b"%PDF-"[..])] {
        let url = format!("{}/api/v1/programs/reports/consolidated.{ext}?frequency=monthly&period={label}", w.base);
        let resp = w.http.get(&url).bearer_auth(&wg).send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        let bytes = resp.bytes().await.unwrap();
        assert!(bytes.starts_with(magic), "{ext}");
        let denied = w.http.get(&url).bearer_auth(&focal).send().await.unwrap();
        assert_eq!(denied.status().as_u16(), 403);
    }
    let (s, c) = w.get(&wg, &format!("/api/v1/programs/reports/consolidated?period={label}")).await;
    assert_eq!((s, c["units"][0]["report_status"].as_str()), (200, Some("approved")));

    // The dashboard page renders the matrix for a signed-in working-group member (bearer works too).
    let html = w.http.get(format!("{}/programs", w.base)).bearer_auth(&wg).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"matrix\"") && html.contains("chưa có dữ liệu"), "{html}");
    let doc = w.http.get(format!("{}/api/openapi.json", w.base)).send().await.unwrap().json::<Value>().await.unwrap();
    assert!(doc["paths"]["/api/v1/programs/reports/consolidated.pdf"].is_object());
}

db::dual_tests!(crate::common::migrations(); programme_over_http);
