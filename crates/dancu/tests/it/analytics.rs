//! The IOC dashboards through the real server, on both backends: who may see them, filters and
//! their errors, suppression of small cells, CSV export, the HTML pages, figures that follow
//! registry changes once the consumer has run, lodging figures fed from the lodging module
//! (exactly, idempotently, and the same after a rebuild), and the e-ID figure.

use crate::common;

use db::sqlx::{self, Row};
use db::Db;
use reqwest::Method;
use serde_json::{json, Value};
use web::{Jurisdiction, Role};

/// A leader of province 08 with an API token.
async fn leader_token(w: &common::World) -> String {
    w.staff_token("lanhdao.test", Role::Leader, Jurisdiction::Province("08".into())).await
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
    analytics::rebuild(&w.db, |_| {}, kernel::clock::now_ms()).await.unwrap();
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
    assert_eq!(figure(&d, "eid")["available"], false, "e-ID accounts not counted yet");
    // The month under way is marked partial, in the JSON, the table's label and the chart.
    let month = kernel::clock::today_vn().format("%Y-%m").to_string();
    let by_month = figure(&d, "births_deaths");
    assert_eq!(by_month["partial"], month.as_str());
    let row = by_month["rows"].as_array().unwrap().iter().find(|r| r["key"] == month.as_str()).unwrap();
    assert!(row["label"]["vi"].as_str().unwrap().ends_with("(tạm tính)"), "{row}");
    assert!(figure(&d, "density")["partial"].is_null());

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
    analytics::rebuild(&w.db, |_| {}, kernel::clock::now_ms()).await.unwrap();
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
    assert_eq!(analytics::catch_up(&w.db, opts, kernel::clock::now_ms()).await.unwrap(), 6);
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

/// An organization with one staff token and its facility of `kind` in `commune`, approved by the
/// commune police.
async fn approved_facility(w: &common::World, tax: &str, login: &str, kind: &str, beds: i64) -> (String, String) {
    let org = identity::organizations::create_organization(
        &w.db,
        identity::organizations::NewOrganization {
            tax_code: tax.into(),
            name: format!("Công ty {tax}"),
            kind: identity::organizations::OrgKind::parse(if kind == "hotel" { "hotel" } else { "coach_operator" })
                .unwrap(),
            address: "12 đường Quang Trung".into(),
            commune_code: w.commune.clone(),
        },
        kernel::clock::now_ms(),
    )
    .await
    .unwrap();
    let hasher = identity::PasswordHasher::new(2);
    let new = identity::NewAccount {
        login: login.into(),
        display_name: login.into(),
        role: Role::OrgStaff,
        jurisdiction: Jurisdiction::Own(org.id),
        password: common::PASSWORD.into(),
    };
    let a = identity::create_account(&w.db, &hasher, new, kernel::clock::now_ms()).await.unwrap();
    let staff = identity::issue_token(&w.db, &a.id, "test", kernel::clock::now_ms()).await.unwrap().1;
    let body = json!({"kind": kind, "name": format!("Cơ sở {login}"), "licence_code": "GP-09",
        "commune_code": w.commune, "address": "12 đường Quang Trung", "rooms": beds / 2, "beds": beds});
    let (s, f) = w.send(Method::POST, &staff, "/api/v1/lodging/facilities", body).await;
    assert_eq!(s, 200, "{f}");
    let id = f["id"].as_str().unwrap().to_string();
    let (s, d) = w
        .send(
            Method::POST,
            &w.commune_token,
            &format!("/api/v1/lodging/facilities/{id}/decision"),
            json!({"status": "approved"}),
        )
        .await;
    assert_eq!(s, 200, "{d}");
    (staff, id)
}

/// Living residents of the province without an account, in a stable order.
async fn residents(w: &common::World, n: i64) -> Vec<String> {
    sqlx::query(
        "SELECT personal_id FROM persons WHERE status = 'living' AND current_commune IS NOT NULL \
         ORDER BY personal_id LIMIT $1",
    )
    .bind(n)
    .fetch_all(w.db.read())
    .await
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect()
}

/// Every row of the lodging aggregate tables, in a stable order.
async fn lodging_tables(db: &Db) -> Vec<String> {
    let mut out = Vec::new();
    for sql in [
        "SELECT day, commune_code, facility_type, nationality, origin_province, guests, stays_ended, nights \
         FROM analytics_lodging_stays ORDER BY 1, 2, 3, 4, 5",
        "SELECT day, commune_code, kind, value, '', '', '', '' FROM analytics_lodging_flags ORDER BY 1, 2, 3",
        "SELECT month, commune_code, facility_type, nights, '', '', '', '' FROM analytics_lodging_nights ORDER BY 1, 2, 3",
    ] {
        for r in sqlx::query(sql).fetch_all(db.read()).await.unwrap() {
            let text = |i: usize| r.try_get::<String, _>(i).unwrap_or_else(|_| r.get::<i64, _>(i).to_string());
            out.push((0..8).map(text).collect::<Vec<_>>().join("|"));
        }
    }
    out
}

/// A figure's cells in one column, every one shown (none suppressed), summed.
fn column_sum(f: &Value, column: usize) -> f64 {
    f["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let c = &r["cells"][column];
            assert_eq!(c["suppressed"], false, "{} row {} suppressed", f["id"], r["key"]);
            c["value"].as_f64().unwrap_or(0.0)
        })
        .sum()
}

/// The cells of the row with `key`.
fn row_cells(f: &Value, key: &str) -> Vec<Value> {
    let row = f["rows"].as_array().unwrap().iter().find(|r| r["key"] == key);
    row.unwrap_or_else(|| panic!("{}: no row {key}", f["id"]))["cells"].as_array().unwrap().clone()
}

async fn lodging_reaches_the_dashboards(db: Db) {
    let w = common::world(db, 1_000, false).await;
    analytics::rebuild(&w.db, &|_| {}, kernel::clock::now_ms()).await.unwrap();
    let leader = leader_token(&w).await;
    let (_, tourism) = w.get(&leader, "/api/v1/analytics/tourism").await;
    assert!(tourism["figures"].as_array().unwrap().iter().all(|f| f["available"] == false), "no lodging data yet");

    let (hotel_staff, hotel) = approved_facility(&w, "0109990001", "le.tan.lt", "hotel", 40).await;
    let (coach_staff, coach) = approved_facility(&w, "0109990002", "nha.xe.lt", "coach_operator", 45).await;
    let people = residents(&w, 11).await;
    let citizens = |ids: &[String]| Value::Array(ids.iter().map(|id| json!({"personal_id": id})).collect());
    let checkin = |guests: Value| json!({"facility_id": hotel, "room": "101", "reason": "Du lịch", "guests": guests});
    // Five citizens on time, all on the commune's watchlist.
    for id in &people[0..5] {
        let entry = json!({"personal_id": id, "category": "interest", "reason": "Cần xác minh (thử nghiệm)"});
        assert_eq!(w.send(Method::POST, &w.commune_token, "/api/v1/lodging/watchlist", entry).await.0, 200);
    }
    let (s, on_time) =
        w.send(Method::POST, &hotel_staff, "/api/v1/lodging/checkins", checkin(citizens(&people[0..5]))).await;
    assert_eq!(s, 200, "{on_time}");
    // Five citizens who arrived two days ago: notified late; they leave today after two nights.
    let two_days_ago = chrono::Utc::now() - chrono::Duration::days(2);
    let mut body = checkin(citizens(&people[5..10]));
    body["arrival_at"] = json!(two_days_ago.to_rfc3339());
    let (s, late) = w.send(Method::POST, &hotel_staff, "/api/v1/lodging/checkins", body).await;
    assert_eq!(s, 200, "{late}");
    assert!(late["checkins"].as_array().unwrap().iter().all(|c| c["late"] == true), "{late}");
    // Five Korean tourists, on time.
    let koreans: Vec<Value> = (0..5)
        .map(|i| {
            json!({"passport": {"number": format!("M100000{i}"), "nationality": "KOR",
            "full_name": format!("Kim Min Jun {i}"), "birth_date": "1990-05-01"}})
        })
        .collect();
    let (s, r) = w.send(Method::POST, &hotel_staff, "/api/v1/lodging/checkins", checkin(Value::Array(koreans))).await;
    assert_eq!(s, 200, "{r}");
    for c in late["checkins"].as_array().unwrap() {
        let path = format!("/api/v1/lodging/checkins/{}/checkout", c["id"].as_str().unwrap());
        assert_eq!(w.send(Method::POST, &hotel_staff, &path, json!({})).await.0, 200);
    }
    // A coach passenger is a lodging notification, not a tourist.
    let soon = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let trip =
        json!({"facility_id": coach, "route": "Tuyên Quang – Hà Nội", "plate": "22B-012.34", "departure_at": soon});
    let (s, t) = w.send(Method::POST, &coach_staff, "/api/v1/lodging/trips", trip).await;
    assert_eq!(s, 200, "{t}");
    let boarding = format!("/api/v1/lodging/trips/{}/boardings", t["id"].as_str().unwrap());
    let (s, b) = w.send(Method::POST, &coach_staff, &boarding, json!({"passengers": citizens(&people[10..11])})).await;
    assert_eq!(s, 200, "{b}");

    // Nothing reaches the dashboards until the feed runs; then exactly these counts.
    let (_, before) = w.get(&leader, "/api/v1/analytics/tourism").await;
    assert_eq!(figure(&before, "guests_month")["available"], false);
    // 15 arrivals, 5 late notifications, 5 departures, 5 alerts; the coach boarding adds nothing.
    assert_eq!(dancu::lodging_figures::catch_up(&w.db).await.unwrap(), 30);
    dancu::lodging_figures::recount(&w.db).await.unwrap();
    let (s, tourism) = w.get(&leader, "/api/v1/analytics/tourism").await;
    assert_eq!(s, 200, "{tourism}");
    let guests = figure(&tourism, "guests_month");
    assert_eq!((column_sum(guests, 0), column_sum(guests, 1)), (10.0, 5.0), "domestic, foreign");
    let arrived = two_days_ago.with_timezone(&kernel::clock::vietnam_offset()).date_naive();
    let stays = row_cells(figure(&tourism, "length_of_stay"), &arrived.format("%Y-%m").to_string());
    assert_eq!(
        (stays[0]["value"].as_f64(), stays[1]["value"].as_f64(), stays[2]["value"].as_f64()),
        (Some(5.0), Some(10.0), Some(2.0))
    );
    let types = figure(&tourism, "facility_types");
    assert_eq!(types["rows"].as_array().unwrap().len(), 1, "no coach operator row: {types}");
    assert_eq!(row_cells(types, "hotel")[0]["value"], 15.0);
    assert_eq!(row_cells(figure(&tourism, "nationalities"), "KOR")[0]["value"], 5.0);
    assert_eq!(figure(&tourism, "nationalities")["rows"].as_array().unwrap().len(), 1, "citizens are not foreign");
    assert_eq!(row_cells(figure(&tourism, "origin_provinces"), "08")[0]["value"], 10.0);
    assert_eq!(row_cells(figure(&tourism, "tourism_communes"), &w.commune)[0]["value"], 15.0);
    // Occupancy of this month: the 5 leavers' nights that fall in it over 40 beds × days so far.
    let today = kernel::clock::today_vn();
    let this_month = today.format("%Y-%m").to_string();
    let nights_now =
        5 * (1..=2).filter(|d| (today - chrono::Duration::days(*d)).format("%Y-%m").to_string() == this_month).count();
    let occupancy = figure(&tourism, "occupancy");
    assert_eq!(occupancy["available"], true, "{occupancy}");
    assert!(occupancy["definition"]["vi"].as_str().unwrap().contains("Đếm lại lần cuối"));
    let cells = row_cells(occupancy, &this_month);
    let available = 40.0 * f64::from(chrono::Datelike::day(&today));
    assert_eq!(cells[0]["value"].as_f64(), Some(nights_now as f64));
    assert_eq!(cells[1]["value"].as_f64(), Some(available));
    if nights_now > 0 {
        let rate = cells[2]["value"].as_f64().unwrap();
        assert!((rate - nights_now as f64 * 100.0 / available).abs() < 1e-9, "{rate}");
    }
    let (_, order) = w.get(&leader, "/api/v1/analytics/public-order").await;
    assert_eq!(column_sum(figure(&order, "late_notifications"), 0), 5.0);
    assert_eq!(column_sum(figure(&order, "watchlist_alerts"), 0), 5.0);
    let (_, status) = w.get(&leader, "/api/v1/analytics/status").await;
    assert!(status["lodging_updated_at"].is_i64() && status["beds_recounted_at"].is_i64(), "{status}");

    // Polling again, also re-reading the last minute, changes nothing.
    let tables = lodging_tables(&w.db).await;
    assert!(!tables.is_empty());
    assert_eq!(dancu::lodging_figures::catch_up(&w.db).await.unwrap(), 0);
    let position = analytics::lodging::position(&w.db).await.unwrap().unwrap();
    analytics::lodging::set_position(&w.db, position - 60_000, false, kernel::clock::now_ms()).await.unwrap();
    assert_eq!(dancu::lodging_figures::catch_up(&w.db).await.unwrap(), 0);
    assert_eq!(lodging_tables(&w.db).await, tables);
    let (_, again) = w.get(&leader, "/api/v1/analytics/tourism").await;
    assert_eq!(again["figures"], tourism["figures"]);
    let (_, order_again) = w.get(&leader, "/api/v1/analytics/public-order").await;
    assert_eq!(order_again["figures"], order["figures"]);

    // A rebuild from scratch gives the same tables.
    assert_eq!(dancu::lodging_figures::rebuild(&w.db).await.unwrap(), 30);
    assert_eq!(lodging_tables(&w.db).await, tables);

    // An event with an unknown commune is refused and changes nothing.
    let day = kernel::clock::today_vn();
    let bad = [
        analytics::lodging::LodgingFact {
            id: "in:test-1".into(),
            event: analytics::lodging::LodgingEvent::LateNotification { day, commune_code: w.commune.clone() },
        },
        analytics::lodging::LodgingFact {
            id: "in:test-2".into(),
            event: analytics::lodging::LodgingEvent::WatchlistAlert { day, commune_code: "99999".into() },
        },
    ];
    let e = analytics::lodging::ingest(&w.db, &bad, kernel::clock::now_ms()).await.unwrap_err();
    assert_eq!(e.code.as_str(), "unknown_commune");
    assert_eq!(lodging_tables(&w.db).await, tables);
}

async fn eid_accounts_by_commune(db: Db) {
    let w = common::world(db, 1_000, false).await;
    analytics::rebuild(&w.db, &|_| {}, kernel::clock::now_ms()).await.unwrap();
    let leader = leader_token(&w).await;
    let ids: Vec<String> = sqlx::query(
        "SELECT personal_id FROM persons WHERE status = 'living' AND current_commune = $1 \
         ORDER BY personal_id LIMIT 11",
    )
    .bind(&w.commune)
    .fetch_all(w.db.read())
    .await
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect();
    assert_eq!(ids.len(), 11);
    let hasher = identity::PasswordHasher::new(2);
    let mut accounts = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let level = if i < 5 { 1 } else { 2 };
        accounts.push(dancu::accounts_cmd::citizen_account(&w.db, &hasher, id, common::PASSWORD, level).await.unwrap());
    }
    // One level-2 account suspended by an administrator does not count.
    let actor = identity::levels::LevelActor { id: None, label: "Quản trị (thử nghiệm)".into() };
    assert!(identity::suspension::suspend(&w.db, &accounts[10].id, "Thử nghiệm", &actor, kernel::clock::now_ms())
        .await
        .unwrap());

    let path = format!("/api/v1/analytics/population?commune={}", w.commune);
    let (_, d) = w.get(&leader, &path).await;
    assert_eq!(figure(&d, "eid")["available"], false);
    dancu::lodging_figures::recount(&w.db).await.unwrap();
    let (_, d) = w.get(&leader, &path).await;
    let eid = figure(&d, "eid").clone();
    assert_eq!(eid["available"], true, "{eid}");
    assert!(eid["definition"]["en"].as_str().unwrap().contains("Last recounted"));
    let cells = row_cells(&eid, &w.commune);
    assert_eq!((cells[0]["value"].as_f64(), cells[1]["value"].as_f64()), (Some(5.0), Some(5.0)));
    let population = row_cells(figure(&d, "density"), &w.commune)[0]["value"].as_f64().unwrap();
    assert!((cells[2]["value"].as_f64().unwrap() - 1000.0 / population).abs() < 1e-9);
    let r =
        w.http.get(format!("{}/api/v1/analytics/population/eid", w.base)).bearer_auth(&leader).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let csv = r.text().await.unwrap();
    assert!(csv.contains("Mức 1 (Level 1)") && csv.contains(&w.commune), "{csv}");

    // A registry rebuild leaves the e-ID counts alone.
    analytics::rebuild(&w.db, &|_| {}, kernel::clock::now_ms()).await.unwrap();
    let (_, after) = w.get(&leader, &path).await;
    assert_eq!(figure(&after, "eid")["rows"], eid["rows"]);
}

db::dual_tests!(crate::common::migrations();
    dashboards_for_leaders,
    figures_follow_registry_changes,
    lodging_reaches_the_dashboards,
    eid_accounts_by_commune,
);
