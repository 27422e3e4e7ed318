//! Lodging notifications end to end, on SQLite and PostgreSQL: facility approval by the commune
//! police, check-in by staff of the operating organization only, registry auto-fill with access
//! logging, idempotent retries, notifications scoped to the officer's jurisdiction, the live feed.

mod common;

use db::sqlx::{self, Row};
use db::Db;
use reqwest::Method;
use serde_json::{json, Value};
use web::{Jurisdiction, Role};

use common::{world, World};

async fn count(db: &Db, table: &str) -> i64 {
    sqlx::query(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(db.read()).await.unwrap().get(0)
}

/// An account with a bearer token.
async fn account(w: &World, login: &str, role: Role, j: Jurisdiction) -> String {
    let hasher = identity::PasswordHasher::new(2);
    let new = identity::NewAccount {
        login: login.into(),
        display_name: login.into(),
        role,
        jurisdiction: j,
        password: common::PASSWORD.into(),
    };
    let a = identity::create_account(&w.db, &hasher, new).await.unwrap();
    identity::issue_token(&w.db, &a.id, "test").await.unwrap().1
}

/// An organization and one staff member's token.
async fn staff_of(w: &World, tax_code: &str, commune: &str, login: &str) -> String {
    let org = identity::organizations::create_organization(
        &w.db,
        identity::organizations::NewOrganization {
            tax_code: tax_code.into(),
            name: format!("Công ty {tax_code}"),
            kind: identity::organizations::OrgKind::parse("hotel").unwrap(),
            address: "1 đường Lê Lợi".into(),
            commune_code: commune.into(),
        },
    )
    .await
    .unwrap();
    account(w, login, Role::OrgStaff, Jurisdiction::Own(org.id)).await
}

/// A commune with residents other than the commune officer's.
async fn other_commune(w: &World) -> String {
    sqlx::query("SELECT current_commune FROM persons WHERE current_commune <> $1 ORDER BY current_commune LIMIT 1")
        .bind(&w.commune)
        .fetch_one(w.db.read())
        .await
        .unwrap()
        .get(0)
}

async fn facility(w: &World, staff: &str, commune: &str, name: &str) -> String {
    let body = json!({"kind": "hotel", "name": name, "licence_code": "GP-01", "commune_code": commune,
        "address": "5 đường Trần Phú", "rooms": 20, "beds": 40});
    let (s, f) = w.send(Method::POST, staff, "/api/v1/lodging/facilities", body).await;
    assert_eq!(s, 200, "{f}");
    assert_eq!(f["status"], "pending");
    f["id"].as_str().unwrap().to_string()
}

async fn decide(w: &World, officer: &str, id: &str, status: &str) -> u16 {
    w.send(Method::POST, officer, &format!("/api/v1/lodging/facilities/{id}/decision"), json!({"status": status}))
        .await
        .0
}

fn checkin(facility: &str, guests: Value) -> Value {
    json!({"facility_id": facility, "room": "101", "reason": "Du lịch", "guests": guests})
}

async fn post_checkin(w: &World, token: &str, key: Option<&str>, body: Value) -> (u16, Value) {
    let mut r = w.http.post(format!("{}/api/v1/lodging/checkins", w.base)).bearer_auth(token).json(&body);
    if let Some(k) = key {
        r = r.header("Idempotency-Key", k);
    }
    let r = r.send().await.unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

async fn facilities_checkins_and_scoping(db: Db) {
    let w = world(db, 300, false).await;
    let other = other_commune(&w).await;
    let staff_a = staff_of(&w, "0101234567", &w.commune, "le.tan.a").await;
    let staff_b = staff_of(&w, "0101234568", &other, "le.tan.b").await;
    let other_officer = account(&w, "xa.khac", Role::CommunePolice, Jurisdiction::Commune(other.clone())).await;
    let (inside, _) = w.inside_and_outside().await;
    let hotel = facility(&w, &staff_a, &w.commune, "Khách sạn Sông Lô").await;
    let citizen = json!([{"personal_id": inside}]);

    // Pending facilities take no guests.
    let (s, e) = post_checkin(&w, &staff_a, None, checkin(&hotel, citizen.clone())).await;
    assert_eq!((s, e["error"]["code"].as_str()), (409, Some("conflict")), "{e}");
    // Only the police of the facility's commune decide; staff cannot approve their own facility.
    assert_eq!(decide(&w, &other_officer, &hotel, "approved").await, 404);
    assert_eq!(decide(&w, &staff_a, &hotel, "approved").await, 403);
    assert_eq!(decide(&w, &w.commune_token, &hotel, "approved").await, 200);

    // Staff of another organization neither see nor use the facility.
    assert_eq!(w.get(&staff_b, &format!("/api/v1/lodging/facilities/{hotel}")).await.0, 404);
    let (_, list) = w.get(&staff_b, "/api/v1/lodging/facilities").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
    let (s, _) = post_checkin(&w, &staff_b, None, checkin(&hotel, citizen.clone())).await;
    assert_eq!(s, 404);
    assert_eq!(w.get(&staff_a, &format!("/api/v1/lodging/facilities/{hotel}")).await.0, 200);

    // Bad guests write nothing: invalid id, unknown person, both or neither identity.
    for (guests, status, code) in [
        (json!([{"personal_id": "12345"}]), 400, "invalid_personal_id"),
        (json!([{"personal_id": "099999999999"}]), 404, "not_found"),
        (json!([{}]), 400, "invalid_input"),
        (json!([{"personal_id": inside}, {"personal_id": inside}]), 400, "invalid_input"),
    ] {
        let (s, e) = post_checkin(&w, &staff_a, None, checkin(&hotel, guests)).await;
        assert_eq!((s, e["error"]["code"].as_str()), (status, Some(code)), "{e}");
    }
    assert_eq!(count(&w.db, "lodging_checkins").await, 0);
    assert_eq!(count(&w.db, "lodging_notifications").await, 0);

    // A family with a foreign guest, retried with the same key: one result, no duplicate.
    let group = json!([{"personal_id": inside}, {"passport": {"number": "M1234567", "nationality": "kor",
        "full_name": "Kim Min Jun", "birth_date": "1990-05-01", "visa": "DL123", "entry_date": "2026-01-02",
        "border_gate": "Nội Bài"}}]);
    let (s, first) = post_checkin(&w, &staff_a, Some("k-1"), checkin(&hotel, group.clone())).await;
    assert_eq!(s, 200, "{first}");
    let (s, again) = post_checkin(&w, &staff_a, Some("k-1"), checkin(&hotel, group.clone())).await;
    assert_eq!((s, &again), (200, &first));
    assert_eq!(count(&w.db, "lodging_checkins").await, 2);
    assert_eq!(count(&w.db, "lodging_notifications").await, 2);
    let guests = first["checkins"].as_array().unwrap();
    let name: String = sqlx::query("SELECT full_name FROM persons WHERE personal_id = $1")
        .bind(&inside)
        .fetch_one(w.db.read())
        .await
        .unwrap()
        .get(0);
    assert_eq!(guests[0]["full_name"].as_str(), Some(name.as_str()), "auto-filled from the registry");
    assert_eq!(guests[1]["nationality"], "KOR");
    w.running.ctx.access_log.flush().await;
    let logged: i64 = sqlx::query(
        "SELECT COUNT(*) FROM access_log WHERE subject_id = $1 AND purpose = 'lodging' AND action = 'lodging.checkin'",
    )
    .bind(&inside)
    .fetch_one(w.db.read())
    .await
    .unwrap()
    .get(0);
    assert_eq!(logged, 1, "one registry read, not repeated by the retry");

    // A guest who arrived two days ago is notified late.
    let arrival = (chrono::Utc::now() - chrono::Duration::days(2)).to_rfc3339();
    let mut late = checkin(&hotel, json!([{"personal_id": w.inside_and_outside().await.1}]));
    late["arrival_at"] = json!(arrival);
    let (s, l) = post_checkin(&w, &staff_a, None, late).await;
    assert_eq!((s, l["checkins"][0]["late"].as_bool()), (200, Some(true)), "{l}");
    assert_eq!(guests[0]["late"], false);

    // The commune police see their notifications; another commune's officer sees none of them.
    let (s, n) = w.get(&w.commune_token, "/api/v1/lodging/notifications").await;
    assert_eq!((s, n["items"].as_array().unwrap().len()), (200, 3));
    let (_, n) = w.get(&w.commune_token, "/api/v1/lodging/notifications?late=true").await;
    assert_eq!(n["items"].as_array().unwrap().len(), 1);
    let (_, n) = w.get(&w.commune_token, "/api/v1/lodging/notifications?nationality=KOR").await;
    assert_eq!(n["items"][0]["passport_number"], "M1234567");
    let (_, n) = w.get(&other_officer, "/api/v1/lodging/notifications").await;
    assert_eq!(n["items"].as_array().unwrap().len(), 0);
    let (_, n) = w.get(&w.province_token, &format!("/api/v1/lodging/notifications?facility_id={hotel}")).await;
    assert_eq!(n["items"].as_array().unwrap().len(), 3);
    assert_eq!(w.get(&staff_a, "/api/v1/lodging/notifications").await.0, 403);

    // Check-out once, by the right organization only.
    let stay = guests[0]["id"].as_str().unwrap();
    let out = format!("/api/v1/lodging/checkins/{stay}/checkout");
    assert_eq!(w.send(Method::POST, &staff_b, &out, json!({})).await.0, 404);
    assert_eq!(w.send(Method::POST, &staff_a, &out, json!({})).await.0, 200);
    assert_eq!(w.send(Method::POST, &staff_a, &out, json!({})).await.0, 409);

    // Suspension stops check-ins.
    assert_eq!(decide(&w, &w.commune_token, &hotel, "suspended").await, 200);
    let (s, _) = post_checkin(&w, &staff_a, None, checkin(&hotel, citizen)).await;
    assert_eq!(s, 409);
}

/// Reads SSE frames until one `data:` line arrives.
async fn next_event(r: &mut reqwest::Response) -> Value {
    let mut buf = String::new();
    loop {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), r.chunk())
            .await
            .expect("an event within 10 s")
            .unwrap()
            .expect("stream open");
        buf.push_str(&String::from_utf8_lossy(&chunk));
        if let Some(line) = buf.lines().find(|l| l.starts_with("data:")) {
            return serde_json::from_str(line.trim_start_matches("data:").trim()).unwrap();
        }
    }
}

async fn feed_by_jurisdiction(db: Db) {
    let w = world(db, 300, false).await;
    let other = other_commune(&w).await;
    let staff_a = staff_of(&w, "0101234567", &w.commune, "le.tan.a").await;
    let staff_b = staff_of(&w, "0101234568", &other, "le.tan.b").await;
    let other_officer = account(&w, "xa.khac", Role::CommunePolice, Jurisdiction::Commune(other.clone())).await;
    let hotel_a = facility(&w, &staff_a, &w.commune, "Khách sạn A").await;
    let hotel_b = facility(&w, &staff_b, &other, "Nhà nghỉ B").await;
    assert_eq!(decide(&w, &w.province_token, &hotel_a, "approved").await, 200);
    assert_eq!(decide(&w, &w.province_token, &hotel_b, "approved").await, 200);
    let open = |token: String| {
        let req = w.http.get(format!("{}/api/v1/lodging/feed", w.base)).bearer_auth(token);
        async move {
            let r = req.send().await.unwrap();
            assert_eq!(r.status(), 200);
            r
        }
    };
    let mut mine = open(w.commune_token.clone()).await;
    let mut theirs = open(other_officer.clone()).await;
    assert_eq!(w.get(&staff_a, "/api/v1/lodging/feed").await.0, 403);

    let (inside, outside) = w.inside_and_outside().await;
    let (s, _) = post_checkin(&w, &staff_a, None, checkin(&hotel_a, json!([{"personal_id": inside}]))).await;
    assert_eq!(s, 200);
    let (s, _) = post_checkin(&w, &staff_b, None, checkin(&hotel_b, json!([{"personal_id": outside}]))).await;
    assert_eq!(s, 200);
    let ev = next_event(&mut mine).await;
    assert_eq!(ev["facility_id"].as_str(), Some(hotel_a.as_str()));
    // The other commune's client skipped hotel A's event: its first event is its own.
    let ev = next_event(&mut theirs).await;
    assert_eq!(ev["facility_id"].as_str(), Some(hotel_b.as_str()));
}

db::dual_tests!(crate::common::migrations(); facilities_checkins_and_scoping, feed_by_jurisdiction);
