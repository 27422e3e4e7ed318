//! The IOC dashboards through the real server, on both backends: who may see them, filters and
//! their errors, suppression of small cells, CSV export, the HTML pages, and figures that follow
//! registry changes once the consumer has run.

mod common;

use db::sqlx::{self, Row};
use db::Db;
use web::{Jurisdiction, Role};

/// A leader of province 08 with an API token.
async fn leader_token(w: &common::World) -> String {
    let hasher = identity::PasswordHasher::new(2);
    let a = identity::create_account(
        &w.db,
        &hasher,
        identity::NewAccount {
            login: "lanhdao.test".into(),
            display_name: "Lãnh đạo thử nghiệm".into(),
            role: Role::Leader,
            jurisdiction: Jurisdiction::Province("08".into()),
            password: common::PASSWORD.into(),
        },
    )
    .await
    .unwrap();
    identity::issue_token(&w.db, &a.id, "test").await.unwrap().1
}

fn figure<'a>(d: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    d["figures"].as_array().unwrap().iter().find(|f| f["id"] == id).unwrap_or_else(|| panic!("no figure {id}"))
}

/// Sum of a figure's first column over rows whose cell is shown.
fn shown_total(f: &serde_json::Value) -> f64 {
    f["rows"].as_array().unwrap().iter().filter_map(|r| r["cells"][0]["value"].as_f64()).sum()
}

async fn dashboards_for_leaders(db: Db) {
    let w = common::world(db, 2_000, true).await;
    analytics::rebuild(&w.db, |_| {}).await.unwrap();
    let leader = leader_token(&w).await;
    let living: i64 = sqlx::query(
        "SELECT COUNT(*) FROM persons p JOIN admin_communes c ON c.code = p.current_commune \
         WHERE p.status = 'living' AND c.province_code = '08'",
    )
    .fetch_one(w.db.read())
    .await
    .unwrap()
    .get(0);

    let (status, d) = w.get(&leader, "/api/v1/analytics/population").await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["min_cell"], 5);
    let density = figure(&d, "density");
    assert_eq!(density["chart"], "map");
    // Every shown commune count is at least 5, suppressed ones carry no value, and the shown
    // counts never exceed the real total.
    let mut suppressed = 0;
    for r in density["rows"].as_array().unwrap() {
        let c = &r["cells"][0];
        if c["suppressed"] == true {
            assert!(c["value"].is_null());
            suppressed += 1;
        } else {
            let v = c["value"].as_f64().unwrap();
            assert!(v == 0.0 || v >= 5.0, "cell {v} shown");
        }
    }
    let shown = shown_total(density);
    assert!(shown <= living as f64 && shown >= living as f64 - 4.0 * suppressed as f64, "{shown} vs {living}");
    assert!(figure(&d, "pyramid")["rows"].as_array().unwrap().len() >= 20);
    assert_eq!(figure(&d, "eid")["available"], false, "no e-ID source yet");

    for board in ["labour", "tourism", "public-order"] {
        let (status, d) = w.get(&leader, &format!("/api/v1/analytics/{board}")).await;
        assert_eq!(status, 200, "{board}: {d}");
    }
    let (_, tourism) = w.get(&leader, "/api/v1/analytics/tourism").await;
    assert!(tourism["figures"].as_array().unwrap().iter().all(|f| f["available"] == false), "no lodging data yet");
    let (_, labour) = w.get(&leader, "/api/v1/analytics/labour?bands=15-29,30-64").await;
    assert_eq!(figure(&labour, "working_age_bands")["rows"].as_array().unwrap().len(), 2);

    // One commune: the map has one point and its count matches the registry.
    let (status, one) = w.get(&leader, &format!("/api/v1/analytics/population?commune={}", w.commune)).await;
    assert_eq!(status, 200);
    let rows = figure(&one, "density")["rows"].as_array().unwrap().clone();
    assert_eq!(rows.len(), 1);
    let in_commune: i64 = sqlx::query("SELECT COUNT(*) FROM persons WHERE status = 'living' AND current_commune = $1")
        .bind(&w.commune)
        .fetch_one(w.db.read())
        .await
        .unwrap()
        .get(0);
    assert_eq!(rows[0]["cells"][0]["value"].as_f64().unwrap() as i64, in_commune);

    // Refusals: commune police, a commune outside the province, bad filters, unknown dashboard.
    assert_eq!(w.get(&w.commune_token, "/api/v1/analytics/population").await.0, 403);
    let hanoi = registry::admin_units::AdminUnits::get().communes_of("01")[0].code.clone();
    let (status, e) = w.get(&leader, &format!("/api/v1/analytics/population?commune={hanoi}")).await;
    assert_eq!((status, e["error"]["code"].as_str()), (403, Some("out_of_jurisdiction")));
    let (status, e) = w.get(&leader, "/api/v1/analytics/population?from=2025-13").await;
    assert_eq!((status, e["error"]["code"].as_str()), (400, Some("invalid_date")));
    assert_eq!(w.get(&leader, "/api/v1/analytics/labour?bands=40-20").await.0, 400);
    assert_eq!(w.get(&leader, "/api/v1/analytics/weather").await.0, 404);

    // CSV of one figure.
    let r = w
        .http
        .get(format!("{}/api/v1/analytics/population/religion", w.base))
        .bearer_auth(&leader)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let body = r.text().await.unwrap();
    assert!(body.starts_with("\u{feff}key,Tôn giáo (Religion),Số người (Residents)"), "{body}");

    // The HTML page with its SVG charts and tables.
    let r = w.http.get(format!("{}/analytics/population?lang=en", w.base)).bearer_auth(&leader).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("<svg") && html.contains("data-commune=") && html.contains("Age-sex pyramid"));
    assert!(html.contains("No data source yet"));
}

async fn figures_follow_registry_changes(db: Db) {
    let w = common::world(db, 1_000, false).await;
    analytics::rebuild(&w.db, |_| {}).await.unwrap();
    let leader = leader_token(&w).await;
    let month = kernel::clock::today_vn().format("%Y-%m").to_string();
    let deaths_now = |d: &serde_json::Value| {
        figure(d, "births_deaths")["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["key"] == month.as_str())
            .map(|r| r["cells"][1].clone())
            .unwrap()
    };
    let (_, before) = w.get(&leader, "/api/v1/analytics/population").await;
    let ids: Vec<String> =
        sqlx::query("SELECT personal_id FROM persons WHERE status = 'living' ORDER BY personal_id LIMIT 6")
            .fetch_all(w.db.read())
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
    let today = kernel::clock::today_vn();
    for id in &ids {
        let (status, body) = w
            .send(
                reqwest::Method::POST,
                &w.province_token,
                &format!("/api/v1/persons/{id}/death"),
                serde_json::json!({"death_date": today.format("%Y-%m-%d").to_string(), "reason": "giấy báo tử"}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let (_, stale) = w.get(&leader, "/api/v1/analytics/population").await;
    assert_eq!(deaths_now(&stale), deaths_now(&before), "figures change only when the consumer runs");
    let opts = analytics::ConsumeOptions { batch: 100, settle_ms: 0 };
    assert_eq!(analytics::catch_up(&w.db, opts).await.unwrap(), 6);
    let (_, after) = w.get(&leader, "/api/v1/analytics/population").await;
    let expected: i64 = sqlx::query(
        "SELECT COUNT(*) FROM persons p JOIN admin_communes c ON c.code = p.current_commune \
         WHERE p.status = 'deceased' AND substr(p.death_date, 1, 7) = $1 AND c.province_code = '08'",
    )
    .bind(&month)
    .fetch_one(w.db.read())
    .await
    .unwrap()
    .get(0);
    assert!(expected >= 6);
    assert_eq!(deaths_now(&after)["value"].as_f64().unwrap() as i64, expected);
}

db::dual_tests!(crate::common::migrations(); dashboards_for_leaders, figures_follow_registry_changes);
