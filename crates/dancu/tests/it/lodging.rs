//! Lodging notifications end to end, on SQLite and PostgreSQL: facility approval by the commune
//! police, check-in by staff of the operating organization only, registry auto-fill with access
//! logging, idempotent retries, notifications scoped to the officer's jurisdiction, the live feed.

use crate::common;

use db::sqlx::{self, Row};
use db::Db;
use reqwest::Method;
use serde_json::{json, Value};
use web::{Jurisdiction, Role};

use common::{world, World};

async fn count(db: &Db, table: &str) -> i64 {
    sqlx::query(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(db.read()).await.unwrap().get(0)
}

/// Access-log entries about `subject` with `action` (and `purpose`, when given), after a flush.
async fn logged(w: &World, subject: &str, action: &str, purpose: Option<&str>) -> i64 {
    w.running.ctx.access_log.flush().await;
    sqlx::query(
        "SELECT COUNT(*) FROM access_log WHERE subject_id = $1 AND action = $2 AND purpose = COALESCE($3, purpose)",
    )
    .bind(subject)
    .bind(action)
    .bind(purpose.map(str::to_string))
    .fetch_one(w.db.read())
    .await
    .unwrap()
    .get(0)
}

/// An account with a bearer token.
async fn account(w: &World, login: &str, role: Role, j: Jurisdiction) -> String {
    w.staff_token(login, role, j).await
}

/// An organization and one staff member's token.
pub(crate) async fn staff_of(w: &World, tax_code: &str, commune: &str, login: &str) -> String {
    let org = identity::organizations::create_organization(
        &w.db,
        identity::organizations::NewOrganization {
            tax_code: tax_code.into(),
            name: format!("Công ty {tax_code}"),
            kind: identity::organizations::OrgKind::parse("hotel").unwrap(),
            address: "1 đường Lê Lợi".into(),
            commune_code: commune.into(),
        },
        kernel::clock::now_ms(),
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

pub(crate) async fn facility(w: &World, staff: &str, commune: &str, name: &str) -> String {
    let body = json!({"kind": "hotel", "name": name, "licence_code": "GP-01", "commune_code": commune,
        "address": "5 đường Trần Phú", "rooms": 20, "beds": 40});
    let (s, f) = w.send(Method::POST, staff, "/api/v1/lodging/facilities", body).await;
    assert_eq!(s, 200, "{f}");
    assert_eq!(f["status"], "pending");
    f["id"].as_str().unwrap().to_string()
}

pub(crate) async fn decide(w: &World, officer: &str, id: &str, status: &str) -> u16 {
    w.send(Method::POST, officer, &format!("/api/v1/lodging/facilities/{id}/decision"), json!({"status": status}))
        .await
        .0
}

pub(crate) fn checkin(facility: &str, guests: Value) -> Value {
    json!({"facility_id": facility, "room": "101", "reason": "Du lịch", "guests": guests})
}

pub(crate) async fn post_checkin(w: &World, token: &str, key: Option<&str>, body: Value) -> (u16, Value) {
    let body = w.typed(body).await;
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
    assert_eq!((s, e["error"]["code"].as_str()), (409, Some("lodging.facility_not_approved")), "{e}");
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
        (
            json!([{"personal_id": "099999999999", "full_name": "Nguyễn Văn An", "birth_date": "01/01/1990"}]),
            400,
            "invalid_input",
        ),
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
    let reads = logged(&w, &inside, "lodging.checkin", Some("lodging")).await;
    assert_eq!(reads, 1, "one registry read, not repeated by the retry");

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
    let (s, e) = w.send(Method::POST, &staff_a, &out, json!({})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (409, Some("lodging.already_checked_out")), "{e}");

    // Retries sent at the same moment share one claim: every answer is the first one's.
    let once = checkin(&hotel, json!([{"personal_id": inside}]));
    let calls = (0..5).map(|_| post_checkin(&w, &staff_a, Some("k-2"), once.clone()));
    let answers = futures::future::join_all(calls).await;
    assert!(answers.iter().all(|(s, b)| *s == 200 && b == &answers[0].1), "{answers:?}");
    assert_eq!(count(&w.db, "lodging_checkins").await, 4, "five concurrent retries wrote one stay");
    assert_eq!(logged(&w, &inside, "lodging.checkin", Some("lodging")).await, 2);
    // Suspension stops check-ins.
    assert_eq!(decide(&w, &w.commune_token, &hotel, "suspended").await, 200);
    let (s, _) = post_checkin(&w, &staff_a, None, checkin(&hotel, citizen)).await;
    assert_eq!(s, 409);
    // A retry of a call that succeeded still gets its stored result, without a new stay.
    let (s, again) = post_checkin(&w, &staff_a, Some("k-1"), checkin(&hotel, group)).await;
    assert_eq!((s, &again), (200, &first));
    assert_eq!(count(&w.db, "lodging_checkins").await, 4);
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

/// An approved facility of `kind` run by a new organization in `commune`, with its staff token.
pub(crate) async fn approved(w: &World, tax: &str, login: &str, kind: &str, commune: &str) -> (String, String) {
    let staff = staff_of(w, tax, commune, login).await;
    let body = json!({"kind": kind, "name": format!("Cơ sở {login}"), "licence_code": "GP-02", "commune_code": commune,
        "address": "7 đường Nguyễn Trãi", "rooms": 10, "beds": 20});
    let (s, f) = w.send(Method::POST, &staff, "/api/v1/lodging/facilities", body).await;
    assert_eq!(s, 200, "{f}");
    let id = f["id"].as_str().unwrap().to_string();
    assert_eq!(decide(w, &w.province_token, &id, "approved").await, 200);
    (staff, id)
}

/// Reads SSE frames until an event named `name` arrives.
async fn next_named(r: &mut reqwest::Response, name: &str) -> Value {
    let mut buf = String::new();
    loop {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), r.chunk())
            .await
            .expect("an event within 10 s")
            .unwrap()
            .expect("stream open");
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let frame: String = buf.drain(..end + 2).collect();
            if frame.lines().any(|l| l == format!("event: {name}")) {
                let data = frame.lines().find_map(|l| l.strip_prefix("data:")).unwrap();
                return serde_json::from_str(data.trim()).unwrap();
            }
        }
    }
}

async fn watchlist_and_alerts(db: Db) {
    let w = world(db, 300, false).await;
    let other = other_commune(&w).await;
    let other_officer = account(&w, "xa.khac", Role::CommunePolice, Jurisdiction::Commune(other.clone())).await;
    let (staff, hotel) = approved(&w, "0101234567", "le.tan.a", "hotel", &w.commune).await;
    let (inside, outside) = w.inside_and_outside().await;
    let entry = json!({"personal_id": outside, "category": "wanted", "reason": "Quyết định truy nã số 1"});

    // Only the police manage the list, with valid input, once per unit and person.
    assert_eq!(w.send(Method::POST, &staff, "/api/v1/lodging/watchlist", entry.clone()).await.0, 403);
    for (body, code) in [
        (json!({"personal_id": "123", "category": "wanted", "reason": "x"}), "invalid_personal_id"),
        (json!({"personal_id": outside, "category": "other", "reason": "x"}), "invalid_input"),
        (json!({"personal_id": outside, "category": "wanted", "reason": " "}), "invalid_input"),
        (json!({"passport_number": "M1", "nationality": "VNM", "category": "wanted", "reason": "x"}), "invalid_input"),
    ] {
        let (s, e) = w.send(Method::POST, &w.commune_token, "/api/v1/lodging/watchlist", body).await;
        assert_eq!((s, e["error"]["code"].as_str()), (400, Some(code)), "{e}");
    }
    assert_eq!(count(&w.db, "lodging_watchlist").await, 0);
    let (s, e) = w.send(Method::POST, &w.commune_token, "/api/v1/lodging/watchlist", entry.clone()).await;
    assert_eq!(s, 200, "{e}");
    let entry_id = e["id"].as_str().unwrap().to_string();
    assert_eq!(w.send(Method::POST, &w.commune_token, "/api/v1/lodging/watchlist", entry).await.0, 409);
    let (_, mine) = w.get(&w.commune_token, "/api/v1/lodging/watchlist").await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    let (_, theirs) = w.get(&other_officer, "/api/v1/lodging/watchlist").await;
    assert_eq!(theirs["items"].as_array().unwrap().len(), 0, "another commune does not see our entries");
    let foreigner =
        json!({"passport_number": "x1234567", "nationality": "kor", "category": "interest", "reason": "Cần xác minh"});
    let (s, f) = w.send(Method::POST, &w.province_token, "/api/v1/lodging/watchlist", foreigner).await;
    assert_eq!((s, f["subject_key"].as_str()), (200, Some("passport:KOR:X1234567")), "{f}");

    // A check-in of the listed person raises an alert on the feed; the staff learn nothing.
    let mut feed =
        w.http.get(format!("{}/api/v1/lodging/feed", w.base)).bearer_auth(&w.commune_token).send().await.unwrap();
    let started = std::time::Instant::now();
    let group = json!([{"personal_id": outside}, {"passport": {"number": "X1234567", "nationality": "KOR",
        "full_name": "Lee Ji Eun", "birth_date": "1992-02-02"}}, {"personal_id": inside}]);
    let (s, r) = post_checkin(&w, &staff, None, checkin(&hotel, group)).await;
    assert_eq!(s, 200, "{r}");
    assert!(!r.to_string().contains("alert") && !r.to_string().contains("watch"), "staff see no match: {r}");
    let alert = next_named(&mut feed, "alert").await;
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(alert["category"], "wanted");
    assert_eq!(alert["reason"], "Quyết định truy nã số 1");
    assert_eq!(
        count(&w.db, "lodging_alerts").await,
        2,
        "the citizen and the foreigner match, the third guest does not"
    );

    let (_, list) = w.get(&w.commune_token, "/api/v1/lodging/alerts?status=open").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    let (_, list) = w.get(&w.province_token, "/api/v1/lodging/alerts").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    let (_, list) = w.get(&other_officer, "/api/v1/lodging/alerts").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
    assert_eq!(w.get(&staff, "/api/v1/lodging/alerts").await.0, 403);
    assert_eq!(w.get(&w.commune_token, "/api/v1/lodging/alerts?status=closed").await.0, 400);

    // Acknowledgement: once, by an officer of the area.
    let id = alert["alert_id"].as_str().unwrap();
    let ack = format!("/api/v1/lodging/alerts/{id}/ack");
    assert_eq!(w.send(Method::POST, &other_officer, &ack, json!({"note": "x"})).await.0, 404);
    assert_eq!(w.send(Method::POST, &w.commune_token, &ack, json!({"note": "Đã mời làm việc"})).await.0, 200);
    assert_eq!(w.send(Method::POST, &w.commune_token, &ack, json!({"note": ""})).await.0, 409);
    let (_, open) = w.get(&w.commune_token, "/api/v1/lodging/alerts?status=open").await;
    assert_eq!(open["items"].as_array().unwrap().len(), 1);
    let (_, done) = w.get(&w.commune_token, "/api/v1/lodging/alerts?status=acknowledged").await;
    assert_eq!(done["items"][0]["ack_note"], "Đã mời làm việc");

    // A deactivated entry raises nothing more; another commune cannot deactivate it.
    let off = format!("/api/v1/lodging/watchlist/{entry_id}/deactivate");
    assert_eq!(w.send(Method::POST, &other_officer, &off, json!({})).await.0, 404);
    assert_eq!(w.send(Method::POST, &w.commune_token, &off, json!({})).await.0, 200);
    assert_eq!(w.send(Method::POST, &w.commune_token, &off, json!({})).await.0, 404);
    let (s, _) = post_checkin(&w, &staff, None, checkin(&hotel, json!([{"personal_id": outside}]))).await;
    assert_eq!(s, 200);
    assert_eq!(count(&w.db, "lodging_alerts").await, 2);

    // Changes and reads of the list are audited apart from the citizen's own access log.
    let audited: Vec<String> = sqlx::query("SELECT action FROM lodging_watchlist_audit ORDER BY at, action")
        .fetch_all(w.db.read())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    for action in ["create", "list", "deactivate"] {
        assert!(audited.iter().any(|a| a == action), "{action} audited: {audited:?}");
    }
    w.running.ctx.access_log.flush().await;
    let leaked: i64 = sqlx::query("SELECT COUNT(*) FROM access_log WHERE subject_id = $1 AND action LIKE '%watch%'")
        .bind(&outside)
        .fetch_one(w.db.read())
        .await
        .unwrap()
        .get(0);
    assert_eq!(leaked, 0);
}

async fn qr_stays_exports_and_history(db: Db) {
    let w = world(db, 300, false).await;
    let (staff, hotel) = approved(&w, "0101234567", "le.tan.a", "hotel", &w.commune).await;
    let (staff_b, _) = approved(&w, "0101234568", "le.tan.b", "hotel", &w.commune).await;
    let (inside, outside) = w.inside_and_outside().await;
    let name: String = sqlx::query("SELECT full_name FROM persons WHERE personal_id = $1")
        .bind(&inside)
        .fetch_one(w.db.read())
        .await
        .unwrap()
        .get(0);

    // Card QR: the card's name and birth date must match the registry, which then supplies the data.
    let birth: String = sqlx::query("SELECT birth_date FROM persons WHERE personal_id = $1")
        .bind(&inside)
        .fetch_one(w.db.read())
        .await
        .unwrap()
        .get(0);
    let on_card = kernel::PartialDate::parse(&birth).unwrap().earliest().format("%d%m%Y").to_string();
    let forged = format!("{inside}||Tên In Trên Thẻ|{on_card}|Nam|1 đường Lê Lợi|01012021");
    let (s, e) = post_checkin(&w, &staff, None, checkin(&hotel, json!([{"card_qr": forged}]))).await;
    assert_eq!((s, e["error"]["code"].as_str()), (400, Some("invalid_input")), "{e}");
    assert!(!e.to_string().contains(&name) && !e.to_string().contains(&birth), "a forged card released data: {e}");
    let qr = format!("{inside}||{}|{on_card}|Nam|1 đường Lê Lợi|01012021", name.to_uppercase());
    let (s, r) = post_checkin(&w, &staff, None, checkin(&hotel, json!([{"card_qr": qr}]))).await;
    assert_eq!((s, r["checkins"][0]["full_name"].as_str()), (200, Some(name.as_str())), "{r}");
    assert!(r["checkins"][0]["address"].is_string(), "the card in hand releases the address: {r}");
    let stay = r["checkins"][0]["id"].as_str().unwrap().to_string();
    let (s, e) = post_checkin(&w, &staff, None, checkin(&hotel, json!([{"card_qr": "không phải mã"}]))).await;
    assert_eq!((s, e["error"]["code"].as_str()), (400, Some("invalid_input")), "{e}");
    let both = json!([{"card_qr": format!("{outside}||A|01011990|Nam|x|01012021"), "personal_id": outside}]);
    assert_eq!(post_checkin(&w, &staff, None, checkin(&hotel, both)).await.0, 400);

    // Dynamic identity QR: signed by the platform, single use.
    let ring = keys::KeyRing::load(&w.db, kernel::clock::now_ms).await.unwrap();
    let person = registry::queries::persons::get_self(&w.db, &kernel::PersonalId::parse(&outside).unwrap())
        .await
        .unwrap()
        .unwrap();
    let token =
        verification::dynamic::issue(&ring, &person, 2, Default::default(), kernel::clock::now_ms()).unwrap().token;
    let (s, r) = post_checkin(&w, &staff, None, checkin(&hotel, json!([{"identity_qr": token}]))).await;
    assert_eq!((s, r["checkins"][0]["personal_id"].as_str()), (200, Some(outside.as_str())), "{r}");
    let (s, e) = post_checkin(&w, &staff, None, checkin(&hotel, json!([{"identity_qr": token}]))).await;
    assert_eq!(s, 400, "a replayed identity QR is refused: {e}");
    assert!(e["error"]["detail"].as_str().unwrap().contains("token_replayed"), "{e}");
    let forged = format!("{}x", &token[..token.len() - 1]);
    assert_eq!(post_checkin(&w, &staff, None, checkin(&hotel, json!([{"identity_qr": forged}]))).await.0, 400);

    // Staff see their own guests only, and can search them without diacritics.
    let (_, mine) = w.get(&staff, "/api/v1/lodging/checkins?current=true").await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 2);
    let folded = kernel::text::fold(name.split(' ').next_back().unwrap());
    let (_, found) = w.get(&staff, &format!("/api/v1/lodging/checkins?q={folded}")).await;
    assert!(found["items"].as_array().unwrap().iter().any(|i| i["id"] == stay.as_str()), "{found}");
    let (_, theirs) = w.get(&staff_b, "/api/v1/lodging/checkins").await;
    assert_eq!(theirs["items"].as_array().unwrap().len(), 0);
    assert_eq!(w.get(&w.commune_token, "/api/v1/lodging/checkins").await.0, 403);

    // Room change and extension follow into the notification; nothing changes after check-out.
    let path = format!("/api/v1/lodging/checkins/{stay}");
    let later = (chrono::Utc::now() + chrono::Duration::days(5)).to_rfc3339();
    assert_eq!(w.send(Method::PATCH, &staff_b, &path, json!({"room": "9"})).await.0, 404);
    assert_eq!(w.send(Method::PATCH, &staff, &path, json!({})).await.0, 400);
    let past = (chrono::Utc::now() - chrono::Duration::days(5)).to_rfc3339();
    assert_eq!(w.send(Method::PATCH, &staff, &path, json!({"expected_departure_at": past})).await.0, 400);
    let (s, ch) = w.send(Method::PATCH, &staff, &path, json!({"room": "502", "expected_departure_at": later})).await;
    assert_eq!((s, ch["room"].as_str()), (200, Some("502")), "{ch}");
    let dep: Option<i64> = sqlx::query("SELECT expected_departure_at FROM lodging_notifications WHERE checkin_id = $1")
        .bind(&stay)
        .fetch_one(w.db.read())
        .await
        .unwrap()
        .get(0);
    assert_eq!(dep, ch["expected_departure_at"].as_i64());
    assert_eq!(w.send(Method::POST, &staff, &format!("{path}/checkout"), json!({})).await.0, 200);
    let (s, e) = w.send(Method::PATCH, &staff, &path, json!({"room": "1"})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (409, Some("lodging.already_checked_out")), "{e}");

    // Exports: CSV and JSON with filters, for the police only, every row access-logged.
    let (s, doc) = w.get(&w.commune_token, "/api/v1/lodging/notifications.json?nationality=VNM").await;
    assert_eq!(
        (s, doc["format"].as_str(), doc["count"].as_u64()),
        (200, Some("dancu.lodging.notifications/2"), Some(2))
    );
    assert!(doc["items"][0]["arrival_at"].as_str().unwrap().ends_with("+07:00"));
    let (_, none) = w.get(&w.commune_token, "/api/v1/lodging/notifications.json?nationality=KOR").await;
    assert_eq!(none["count"], 0);
    let csv = w.http.get(format!("{}/api/v1/lodging/notifications.csv", w.base)).bearer_auth(&w.commune_token);
    let csv = csv.send().await.unwrap();
    assert_eq!(csv.status(), 200);
    let text = csv.text().await.unwrap();
    assert!(text.starts_with("\u{feff}Mã thông báo,"), "{text}");
    assert_eq!(text.lines().count(), 3, "header and two notifications");
    assert!(text.contains(&name));
    assert_eq!(w.get(&staff, "/api/v1/lodging/notifications.json").await.0, 403);
    assert_eq!(w.get(&w.commune_token, "/api/v1/lodging/notifications.json?from=2026-13-01").await.0, 400);
    let exported = logged(&w, &inside, "lodging.notification.export", None).await;
    assert_eq!(exported, 2, "one entry per export that carried the guest");

    // History: police need a purpose and it is logged; the citizen sees their own.
    let q = format!("/api/v1/lodging/history?personal_id={inside}");
    assert_eq!(w.get(&w.commune_token, &format!("{q}&purpose=curiosity")).await.0, 400);
    let (s, h) = w.get(&w.commune_token, &format!("{q}&purpose=investigation")).await;
    assert_eq!((s, h["items"].as_array().unwrap().len()), (200, 1));
    assert_eq!(w.get(&staff, &format!("{q}&purpose=investigation")).await.0, 403);
    let reads = logged(&w, &inside, "lodging.history.read", Some("investigation")).await;
    assert_eq!(reads, 1);
    let citizen =
        dancu::accounts_cmd::citizen_account(&w.db, &identity::PasswordHasher::new(2), &inside, common::PASSWORD, 2)
            .await
            .unwrap();
    let citizen_token = identity::issue_token(&w.db, &citizen.id, "test", kernel::clock::now_ms()).await.unwrap().1;
    let (s, own) = w.get(&citizen_token, "/api/v1/me/lodging").await;
    assert_eq!((s, own["items"][0]["id"].as_str()), (200, Some(stay.as_str())));
    assert_eq!(w.get(&citizen_token, &format!("{q}&purpose=investigation")).await.0, 403);
    assert_eq!(w.get(&staff, "/api/v1/me/lodging").await.0, 403);
}

async fn long_stays_and_concurrent_retries(db: Db) {
    let w = world(db, 300, false).await;
    let other = other_commune(&w).await;
    let other_officer = account(&w, "xa.khac", Role::CommunePolice, Jurisdiction::Commune(other)).await;
    let (staff, house) = approved(&w, "0101234567", "chu.nhatro", "rental_house", &w.commune).await;
    let (hotel_staff, hotel) = approved(&w, "0101234568", "le.tan.a", "hotel", &w.commune).await;
    let (inside, outside) = w.inside_and_outside().await;
    let month_ago = (chrono::Utc::now() - chrono::Duration::days(31)).to_rfc3339();
    for (token, facility, id) in [(&staff, &house, &inside), (&hotel_staff, &hotel, &outside)] {
        let mut body = checkin(facility, json!([{"personal_id": id}]));
        body["arrival_at"] = json!(month_ago);
        assert_eq!(post_checkin(&w, token, None, body).await.0, 200);
    }
    // Only the rental house's stay prompts temporary-residence registration.
    let (_, prompts) = w.get(&w.commune_token, "/api/v1/lodging/residence-prompts").await;
    let items = prompts["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{prompts}");
    assert_eq!((items[0]["personal_id"].as_str(), items[0]["days"].as_i64()), (Some(inside.as_str()), Some(31)));
    let (_, staff_view) = w.get(&staff, "/api/v1/lodging/checkins?current=true").await;
    assert_eq!(staff_view["items"][0]["residence_prompt"], true);
    let (_, hotel_view) = w.get(&hotel_staff, "/api/v1/lodging/checkins?current=true").await;
    assert_eq!(hotel_view["items"][0]["residence_prompt"], false);
    let (_, none) = w.get(&other_officer, "/api/v1/lodging/residence-prompts").await;
    assert_eq!(none["items"].as_array().unwrap().len(), 0);

    // Concurrent check-ins go through the group-commit writer: 40 with one key write once, 40
    // with their own keys write 40 times.
    let before = count(&w.db, "lodging_checkins").await;
    let same = (0..40)
        .map(|_| post_checkin(&w, &hotel_staff, Some("same-key"), checkin(&hotel, json!([{"personal_id": inside}]))));
    let results = futures::future::join_all(same).await;
    assert!(results.iter().all(|(s, r)| *s == 200 && r["group_id"] == results[0].1["group_id"]), "one result for all");
    assert_eq!(count(&w.db, "lodging_checkins").await, before + 1);
    let keys: Vec<String> = (0..40).map(|i| format!("key-{i}")).collect();
    let distinct =
        keys.iter().map(|k| post_checkin(&w, &hotel_staff, Some(k), checkin(&hotel, json!([{"personal_id": inside}]))));
    let results = futures::future::join_all(distinct).await;
    assert!(results.iter().all(|(s, _)| *s == 200));
    assert_eq!(count(&w.db, "lodging_checkins").await, before + 41);
    assert_eq!(count(&w.db, "lodging_notifications").await, before + 41);
}

async fn pages_for_staff_police_and_citizens(db: Db) {
    let w = world(db, 300, false).await;
    let (staff, hotel) = approved(&w, "0101234567", "le.tan.a", "hotel", &w.commune).await;
    let (inside, _) = w.inside_and_outside().await;
    let mut late = checkin(&hotel, json!([{"personal_id": inside}]));
    late["arrival_at"] = json!((chrono::Utc::now() - chrono::Duration::days(2)).to_rfc3339());
    assert_eq!(post_checkin(&w, &staff, None, late).await.0, 200);
    let page = |token: String, path: &str| {
        let req = w.http.get(format!("{}{path}", w.base)).bearer_auth(token);
        async move {
            let r = req.send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let (s, html) = page(staff.clone(), "/lodging").await;
    assert_eq!(s, 200);
    assert!(html.contains("Khai báo lưu trú") && html.contains("Khách đang lưu trú"), "{html}");
    assert!(html.contains("/static/verification/jsQR.js"), "reuses the verification module's QR decoder");
    let (_, en) = page(staff.clone(), "/lodging?lang=en").await;
    assert!(en.contains("Lodging check-in"));
    let (s, html) = page(w.commune_token.clone(), "/lodging/police?late=true").await;
    assert_eq!(s, 200);
    assert!(html.contains("Trễ hạn") && html.contains("notifications.csv?late=true"), "{html}");
    assert_eq!(page(w.commune_token.clone(), "/lodging/police?date=10-03-2026").await.0, 400);
    assert_eq!(page(staff.clone(), "/lodging/police").await.0, 403);
    assert_eq!(page(w.commune_token.clone(), "/lodging").await.0, 403);
    assert_eq!(page(w.commune_token.clone(), "/lodging/watchlist").await.0, 200);
    let js = page(staff, "/static/lodging/lodging.js").await;
    assert!(js.1.contains("Idempotency-Key"));
}

/// A venue scan of `person` at the main gate.
fn scan(venue: &str, direction: &str, person: &str) -> Value {
    json!({"venue_id": venue, "gate": "Cổng chính", "direction": direction, "visitor": {"personal_id": person}})
}

async fn venues_scans_and_aggregates(db: Db) {
    let w = world(db, 300, false).await;
    let other = other_commune(&w).await;
    let other_officer = account(&w, "xa.khac", Role::CommunePolice, Jurisdiction::Commune(other.clone())).await;
    let staff = staff_of(&w, "0101234567", &w.commune, "bql.ditich").await;
    let stranger = staff_of(&w, "0101234568", &w.commune, "le.tan.b").await;
    let (inside, outside) = w.inside_and_outside().await;
    let venue = |kind: &str, commune: &str, gates: Value| {
        json!({"kind": kind, "name": "Khu di tích Đền Hùng", "commune_code": commune, "address": "Núi Nghĩa Lĩnh",
            "gates": gates})
    };

    // Registration: kind, commune and gates are checked; nothing is stored on a refusal.
    for (body, code) in [
        (venue("casino", &w.commune, json!(["Cổng chính"])), "invalid_input"),
        (venue("relic_site", &w.commune, json!([])), "invalid_input"),
        (venue("relic_site", &w.commune, json!([" "])), "invalid_input"),
        (venue("relic_site", "00000", json!(["Cổng chính"])), "unknown_commune"),
    ] {
        let (s, e) = w.send(Method::POST, &staff, "/api/v1/lodging/venues", body).await;
        assert_eq!((s, e["error"]["code"].as_str()), (400, Some(code)), "{e}");
    }
    assert_eq!(count(&w.db, "lodging_venues").await, 0);
    let body = venue("relic_site", &w.commune, json!(["Cổng chính", "Cổng phụ", "Cổng chính"]));
    assert_eq!(w.send(Method::POST, &w.commune_token, "/api/v1/lodging/venues", body.clone()).await.0, 403);
    let (s, v) = w.send(Method::POST, &staff, "/api/v1/lodging/venues", body).await;
    assert_eq!((s, v["status"].as_str(), v["gates"].as_array().map(Vec::len)), (200, Some("pending"), Some(2)), "{v}");
    let id = v["id"].as_str().unwrap().to_string();

    // A pending venue does not scan; only the police of its commune approve it.
    let scans = "/api/v1/lodging/venue-scans";
    let (s, e) = w.send(Method::POST, &staff, scans, scan(&id, "entry", &inside)).await;
    assert_eq!((s, e["error"]["code"].as_str()), (409, Some("lodging.facility_not_approved")), "{e}");
    let decision = format!("/api/v1/lodging/venues/{id}/decision");
    assert_eq!(w.send(Method::POST, &other_officer, &decision, json!({"status": "approved"})).await.0, 404);
    assert_eq!(w.send(Method::POST, &w.commune_token, &decision, json!({"status": "open"})).await.0, 400);
    assert_eq!(w.send(Method::POST, &w.commune_token, &decision, json!({"status": "approved"})).await.0, 200);

    // Bad scans change nothing: wrong direction or gate, another organization, the police.
    let mut bad_gate = scan(&id, "entry", &inside);
    bad_gate["gate"] = json!("Cổng sau");
    for (token, body, status) in [
        (&staff, scan(&id, "in", &inside), 400),
        (&staff, bad_gate, 400),
        (&staff, scan(&id, "entry", "123"), 400),
        (&stranger, scan(&id, "entry", &inside), 404),
        (&w.commune_token, scan(&id, "entry", &inside), 403),
        (&staff, scan(&id, "exit", &inside), 409),
    ] {
        assert_eq!(w.send(Method::POST, token, scans, body).await.0, status);
    }
    assert_eq!(count(&w.db, "lodging_venue_checkins").await, 0);
    assert_eq!(count(&w.db, "lodging_venue_daily").await, 0);

    // Entry, a second entry refused, a watchlisted visitor raises an alert, then an exit.
    let entry = json!({"personal_id": outside, "category": "interest", "reason": "Theo dõi (thử nghiệm)"});
    assert_eq!(w.send(Method::POST, &w.commune_token, "/api/v1/lodging/watchlist", entry).await.0, 200);
    let (s, first) = w.send(Method::POST, &staff, scans, scan(&id, "entry", &inside)).await;
    assert_eq!((s, first["direction"].as_str()), (200, Some("entry")), "{first}");
    assert_eq!(w.send(Method::POST, &staff, scans, scan(&id, "entry", &inside)).await.0, 409);
    assert_eq!(count(&w.db, "lodging_alerts").await, 0, "an unlisted visitor raises nothing");
    assert_eq!(w.send(Method::POST, &staff, scans, scan(&id, "entry", &outside)).await.0, 200);
    let (_, alerts) = w.get(&w.commune_token, "/api/v1/lodging/alerts").await;
    let items = alerts["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{alerts}");
    assert_eq!(
        (items[0]["source"].as_str(), items[0]["facility_id"].as_str()),
        (Some("venue_entry"), Some(id.as_str()))
    );
    let (s, exit) = w.send(Method::POST, &staff, scans, scan(&id, "exit", &inside)).await;
    assert_eq!(s, 200, "{exit}");
    assert!(exit["dwell_ms"].as_i64().is_some_and(|d| d >= 0), "{exit}");
    assert_eq!(logged(&w, &inside, "lodging.venue_scan", Some("venue_checkin")).await, 2);

    // Aggregates for the venue's staff and its police; nobody else; dates checked.
    let stats = format!("/api/v1/lodging/venues/{id}/stats");
    let (s, st) = w.get(&staff, &stats).await;
    assert_eq!(s, 200, "{st}");
    assert_eq!(st["occupancy"], 1, "the watchlisted visitor is still inside: {st}");
    let today = st["days"].as_array().unwrap().last().cloned().unwrap();
    assert_eq!((today["entries"].as_i64(), today["exits"].as_i64()), (Some(2), Some(1)), "{st}");
    assert_eq!(st["hours"].as_array().unwrap().iter().filter_map(Value::as_i64).sum::<i64>(), 2);
    let origins: i64 = st["origins"].as_array().unwrap().iter().filter_map(|o| o["entries"].as_i64()).sum();
    assert_eq!(origins, 2);
    assert!(st["mean_dwell_minutes"].as_f64().is_some());
    assert_eq!(w.get(&w.commune_token, &stats).await.0, 200);
    assert_eq!(w.get(&other_officer, &stats).await.0, 404);
    assert_eq!(w.get(&stranger, &stats).await.0, 404);
    assert_eq!(w.get(&staff, &format!("{stats}?from=2026-13-01")).await.0, 400);
    assert_eq!(w.get(&staff, &format!("{stats}?from=2026-03-10&to=2026-03-01")).await.0, 400);

    // The programme count reads the daily aggregates, which outlive the purge of raw scans.
    let day = kernel::clock::today_vn();
    let kinds = lodging::venue_stats::VISITOR_SITES;
    let tally = lodging::venue_stats::entries_by_commune(&w.db, kinds, day, day).await.unwrap();
    assert_eq!(
        tally.iter().map(|t| (t.commune_code.as_str(), t.matching)).collect::<Vec<_>>(),
        [(w.commune.as_str(), 2)]
    );
    let now = kernel::clock::now_ms();
    assert!(lodging::venue_scans::purge(&w.db, 0, now).await.is_err());
    assert_eq!(lodging::venue_scans::purge(&w.db, 30, now).await.unwrap(), 0, "recent scans are kept");
    assert_eq!(lodging::venue_scans::purge(&w.db, 30, now + 31 * 86_400_000).await.unwrap(), 3);
    assert_eq!(count(&w.db, "lodging_venue_checkins").await, 0);
    let tally = lodging::venue_stats::entries_by_commune(&w.db, kinds, day, day).await.unwrap();
    assert_eq!(tally[0].matching, 2);
    assert!(lodging::venue_stats::entries_by_commune(&w.db, &["station"], day, day).await.unwrap().is_empty());

    // The self-service gate page, for the venue's staff only.
    let page = |token: &str| {
        let req = w.http.get(format!("{}/lodging/gate", w.base)).bearer_auth(token);
        async move {
            let r = req.send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let (s, html) = page(&staff).await;
    assert_eq!(s, 200);
    assert!(html.contains("Khu di tích Đền Hùng") && html.contains("Cổng phụ") && html.contains("gate-form"), "{html}");
    assert!(page(&stranger).await.1.contains("chưa có địa điểm"));
    assert_eq!(page(&w.commune_token).await.0, 403);
}

async fn coach_trips_and_manifest(db: Db) {
    let w = world(db, 300, false).await;
    let other = other_commune(&w).await;
    let other_officer = account(&w, "xa.khac", Role::CommunePolice, Jurisdiction::Commune(other.clone())).await;
    let (staff, operator) = approved(&w, "0101234567", "nha.xe", "coach_operator", &w.commune).await;
    let (hotel_staff, hotel) = approved(&w, "0101234568", "le.tan.a", "hotel", &w.commune).await;
    let (inside, outside) = w.inside_and_outside().await;
    let soon = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let trip = |facility: &str, plate: &str, departure: &str| json!({"facility_id": facility, "route": "Tuyên Quang – Hà Nội", "plate": plate, "departure_at": departure});

    // A trip needs a valid plate and an approved coach operator of the caller's organization.
    for (token, body, status) in [
        (&staff, trip(&operator, "x", &soon), 400),
        (&staff, trip(&operator, "22B-012.34", "ngày mai"), 400),
        (&staff, trip(&hotel, "22B-012.34", &soon), 404),
        (&hotel_staff, trip(&hotel, "22B-012.34", &soon), 400),
        (&w.commune_token, trip(&operator, "22B-012.34", &soon), 403),
    ] {
        assert_eq!(w.send(Method::POST, token, "/api/v1/lodging/trips", body).await.0, status);
    }
    assert_eq!(count(&w.db, "lodging_trips").await, 0);
    let (s, t) = w.send(Method::POST, &staff, "/api/v1/lodging/trips", trip(&operator, "22b-012.34", &soon)).await;
    assert_eq!((s, t["plate"].as_str()), (200, Some("22B-012.34")), "{t}");
    let id = t["id"].as_str().unwrap().to_string();

    // Boarding: each passenger is a notification to the operator's commune police; retries are safe.
    let boarding = format!("{}/api/v1/lodging/trips/{id}/boardings", w.base);
    let passengers =
        w.typed(json!({"seat": "12A", "passengers": [{"personal_id": inside}, {"personal_id": outside}]})).await;
    let board = |token: &str, body: &Value| {
        let r = w.http.post(&boarding).bearer_auth(token).header("Idempotency-Key", "len-xe-1").json(body).send();
        async move {
            let r = r.await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    assert_eq!(board(&hotel_staff, &passengers).await.0, 404, "another organization's trip");
    assert_eq!(board(&staff, &json!({"passengers": []})).await.0, 400);
    assert_eq!(count(&w.db, "lodging_notifications").await, 0);
    let (s, first) = board(&staff, &passengers).await;
    assert_eq!(s, 200, "{first}");
    assert_eq!(first["checkins"].as_array().unwrap().len(), 2);
    let (_, again) = board(&staff, &passengers).await;
    assert_eq!(again["group_id"], first["group_id"]);
    assert_eq!(count(&w.db, "lodging_notifications").await, 2);
    let (_, seen) = w.get(&w.commune_token, &format!("/api/v1/lodging/notifications?facility_id={operator}")).await;
    assert_eq!(seen["items"].as_array().map(Vec::len), Some(2), "{seen}");
    let (_, unseen) = w.get(&other_officer, "/api/v1/lodging/notifications").await;
    assert_eq!(unseen["items"].as_array().map(Vec::len), Some(0));

    // The manifest lists the trip's passengers, for the operator only.
    let manifest = format!("/api/v1/lodging/trips/{id}/manifest");
    let (s, m) = w.get(&staff, &manifest).await;
    assert_eq!(s, 200, "{m}");
    let items = m["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|p| p["room"] == "22B-012.34 — ghế 12A"), "{m}");
    assert_eq!(w.get(&hotel_staff, &manifest).await.0, 404);

    // Boarding closes 12 hours after departure.
    let old = (chrono::Utc::now() - chrono::Duration::days(2)).to_rfc3339();
    let (_, past) = w.send(Method::POST, &staff, "/api/v1/lodging/trips", trip(&operator, "22B-999.99", &old)).await;
    let late = format!("/api/v1/lodging/trips/{}/boardings", past["id"].as_str().unwrap());
    let body = json!({"passengers": [{"personal_id": inside}]});
    assert_eq!(w.send(Method::POST, &staff, &late, body).await.0, 409);
    assert_eq!(count(&w.db, "lodging_notifications").await, 2);
}

async fn citizens_declare_stays_at_private_homes(db: Db) {
    let w = world(db, 300, false).await;
    let other = other_commune(&w).await;
    let other_officer = account(&w, "xa.khac", Role::CommunePolice, Jurisdiction::Commune(other.clone())).await;
    let (inside, outside) = w.inside_and_outside().await;
    let hasher = identity::PasswordHasher::new(2);
    let citizen = dancu::accounts_cmd::citizen_account(&w.db, &hasher, &outside, common::PASSWORD, 2).await.unwrap();
    let token = identity::issue_token(&w.db, &citizen.id, "test", kernel::clock::now_ms()).await.unwrap().1;
    let path = "/api/v1/me/lodging/declarations";
    let body = |commune: &str, host_id: Option<&str>, arrival: Option<String>| {
        json!({"commune_code": commune, "address": "12 ngõ 5 đường Tân Trào", "host_name": "Nguyễn Văn Chủ",
            "host_personal_id": host_id, "reason": "Thăm người thân", "arrival_at": arrival})
    };
    let long_ago = (chrono::Utc::now() - chrono::Duration::days(40)).to_rfc3339();
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();

    // Only a citizen declares, with a real commune, a valid host id (not themselves), a recent arrival.
    assert_eq!(w.send(Method::POST, &w.commune_token, path, body(&w.commune, None, None)).await.0, 403);
    for (b, code) in [
        (body("00000", None, None), "unknown_commune"),
        (body(&w.commune, Some("123"), None), "invalid_personal_id"),
        (body(&w.commune, Some(&outside), None), "invalid_input"),
        (body(&w.commune, None, Some(long_ago)), "invalid_input"),
        (body(&w.commune, None, Some(tomorrow)), "invalid_input"),
        (json!({"commune_code": w.commune, "address": " ", "host_name": "A", "reason": "B"}), "invalid_input"),
    ] {
        let (s, e) = w.send(Method::POST, &token, path, b).await;
        assert_eq!((s, e["error"]["code"].as_str()), (400, Some(code)), "{e}");
    }
    assert_eq!(count(&w.db, "lodging_declarations").await, 0);

    // A declaration two days late reaches the host commune's police, flagged, and no one else; the
    // declarant is on the watchlist, so it raises an alert.
    let entry = json!({"personal_id": outside, "category": "wanted", "reason": "Quyết định truy nã số 7"});
    assert_eq!(w.send(Method::POST, &w.commune_token, "/api/v1/lodging/watchlist", entry).await.0, 200);
    let late = (chrono::Utc::now() - chrono::Duration::days(2)).to_rfc3339();
    let (s, d) = w.send(Method::POST, &token, path, body(&w.commune, Some(&inside), Some(late))).await;
    assert_eq!((s, d["late"].as_bool(), d["personal_id"].as_str()), (200, Some(true), Some(outside.as_str())), "{d}");
    let (s, police) = w.get(&w.commune_token, "/api/v1/lodging/declarations").await;
    assert_eq!((s, police["items"][0]["id"].as_str()), (200, d["id"].as_str()), "{police}");
    assert_eq!(logged(&w, &outside, "lodging.declaration.read", Some("lodging")).await, 1);
    let (_, alerts) = w.get(&w.commune_token, "/api/v1/lodging/alerts").await;
    assert_eq!(alerts["items"].as_array().map(Vec::len), Some(1), "{alerts}");
    assert_eq!(
        (alerts["items"][0]["source"].as_str(), alerts["items"][0]["source_id"].as_str()),
        (Some("declaration"), d["id"].as_str())
    );
    let (_, elsewhere) = w.get(&other_officer, "/api/v1/lodging/declarations").await;
    assert_eq!(elsewhere["items"].as_array().map(Vec::len), Some(0));
    assert_eq!(w.get(&token, "/api/v1/lodging/declarations").await.0, 403);
    let (_, own) = w.get(&token, path).await;
    assert_eq!(own["items"].as_array().map(Vec::len), Some(1));
    let html = w.http.get(format!("{}/me/lodging", w.base)).bearer_auth(&token).send().await.unwrap();
    let html = html.text().await.unwrap();
    assert!(html.contains("declare-form") && html.contains("12 ngõ 5 đường Tân Trào") && html.contains("Trễ hạn"));
}

/// A page's status and HTML.
async fn html(w: &World, token: &str, path: &str) -> (u16, String) {
    let r = w.http.get(format!("{}{path}", w.base)).bearer_auth(token).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// `n` living residents, in a stable order.
pub(crate) async fn living(w: &World, n: i64) -> Vec<String> {
    let rows = sqlx::query("SELECT personal_id FROM persons WHERE status = 'living' ORDER BY personal_id LIMIT $1")
        .bind(n)
        .fetch_all(w.db.read())
        .await
        .unwrap();
    rows.iter().map(|r| r.get(0)).collect()
}

async fn declarations_in_the_police_list_and_exports(db: Db) {
    let w = world(db, 300, false).await;
    let other = other_commune(&w).await;
    let other_officer = account(&w, "xa.khac", Role::CommunePolice, Jurisdiction::Commune(other.clone())).await;
    let (staff, hotel) = approved(&w, "0101234567", "le.tan.a", "hotel", &w.commune).await;
    let (inside, outside) = w.inside_and_outside().await;
    let hasher = identity::PasswordHasher::new(2);
    let citizen = dancu::accounts_cmd::citizen_account(&w.db, &hasher, &outside, common::PASSWORD, 2).await.unwrap();
    let token = identity::issue_token(&w.db, &citizen.id, "test", kernel::clock::now_ms()).await.unwrap().1;

    // A guest checked in on time at a hotel, and a citizen's declaration two days late.
    assert_eq!(post_checkin(&w, &staff, None, checkin(&hotel, json!([{"personal_id": inside}]))).await.0, 200);
    let late = (chrono::Utc::now() - chrono::Duration::days(2)).to_rfc3339();
    let body = json!({"commune_code": w.commune, "address": "12 ngõ 5 đường Tân Trào", "host_name": "Nguyễn Văn Chủ",
        "reason": "Thăm người thân", "arrival_at": late});
    let (s, d) = w.send(Method::POST, &token, "/api/v1/me/lodging/declarations", body).await;
    assert_eq!(s, 200, "{d}");

    // Both are in the host commune's list, with their source; the filters work on both.
    let list = "/api/v1/lodging/notifications";
    let (s, all) = w.get(&w.commune_token, list).await;
    assert_eq!((s, all["items"].as_array().map(Vec::len)), (200, Some(2)), "{all}");
    let decl = all["items"].as_array().unwrap().iter().find(|n| n["source"] == "declaration").cloned().unwrap();
    assert_eq!(
        (decl["id"].as_str(), decl["address"].as_str(), decl["late"].as_bool(), decl["facility_id"].is_null()),
        (d["id"].as_str(), Some("12 ngõ 5 đường Tân Trào"), Some(true), true)
    );
    for (query, ids) in [
        ("?source=declaration", vec![d["id"].clone()]),
        ("?late=true", vec![d["id"].clone()]),
        (&format!("?q={outside}"), vec![d["id"].clone()]),
        ("?late=false&nationality=VNM", vec![]),
        ("?source=declaration&late=false", vec![]),
    ] {
        let (_, found) = w.get(&w.commune_token, &format!("{list}{query}")).await;
        let found: Vec<Value> = found["items"].as_array().unwrap().iter().map(|n| n["id"].clone()).collect();
        if ids.is_empty() {
            assert!(!found.contains(&d["id"]), "{query}: {found:?}");
        } else {
            assert_eq!(found, ids, "{query}");
        }
    }
    let (_, facility_only) = w.get(&w.commune_token, &format!("{list}?source=facility")).await;
    assert_eq!(facility_only["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(facility_only["items"][0]["source"], "facility");
    let (s, e) = w.get(&w.commune_token, &format!("{list}?source=home")).await;
    assert_eq!((s, e["error"]["code"].as_str()), (400, Some("invalid_input")));
    let (_, elsewhere) = w.get(&other_officer, list).await;
    assert_eq!(elsewhere["items"].as_array().map(Vec::len), Some(0), "another commune sees neither");
    assert!(logged(&w, &outside, "lodging.notification.read", Some("lodging")).await >= 1);

    // Exports carry the declaration; the JSON document says where the stay was.
    let (s, doc) = w.get(&w.commune_token, "/api/v1/lodging/notifications.json?late=true").await;
    assert_eq!(
        (s, doc["format"].as_str(), doc["count"].as_u64()),
        (200, Some("dancu.lodging.notifications/2"), Some(1))
    );
    let item = &doc["items"][0];
    assert_eq!(
        (item["source"].as_str(), item["facility"].is_null(), item["private_home"]["host_name"].as_str()),
        (Some("declaration"), true, Some("Nguyễn Văn Chủ"))
    );
    assert_eq!(item["guest"]["personal_id"].as_str(), Some(outside.as_str()));
    let (_, both) = w.get(&w.commune_token, "/api/v1/lodging/notifications.json").await;
    assert_eq!(both["count"], 2);
    let (_, none) = w.get(&other_officer, "/api/v1/lodging/notifications.json").await;
    assert_eq!(none["count"], 0);
    let (s, csv) = html(&w, &w.commune_token, "/api/v1/lodging/notifications.csv?source=declaration").await;
    assert_eq!(s, 200);
    assert_eq!(csv.lines().count(), 2, "header and the declaration: {csv}");
    assert!(csv.contains("Tự khai báo tại nhà riêng") && csv.contains("12 ngõ 5 đường Tân Trào"), "{csv}");
    assert_eq!(logged(&w, &outside, "lodging.notification.export", None).await, 3);

    // The police page shows it with its source, and the source filter hides it.
    let (s, page) = html(&w, &w.commune_token, "/lodging/police").await;
    assert_eq!(s, 200);
    assert!(page.contains(r#"data-source="declaration""#) && page.contains("12 ngõ 5 đường Tân Trào"), "{page}");
    let (_, page) = html(&w, &w.commune_token, "/lodging/police?source=facility").await;
    assert!(!page.contains("12 ngõ 5 đường Tân Trào") && page.contains(r#"data-source="facility""#));
}

async fn hospital_inpatients_and_caregivers(db: Db) {
    let w = world(db, 300, false).await;
    let (staff, ward) = approved(&w, "0101234567", "benh.vien", "hospital_ward", &w.commune).await;
    let (staff_b, ward_b) = approved(&w, "0101234568", "benh.vien.b", "hospital_ward", &w.commune).await;
    let body = json!({"kind": "hospital_ward", "name": "Khoa Ngoại", "licence_code": "GP-03", "commune_code": w.commune,
        "address": "7 đường Nguyễn Trãi", "rooms": 10, "beds": 20});
    let (_, f) = w.send(Method::POST, &staff, "/api/v1/lodging/facilities", body).await;
    let ward2 = f["id"].as_str().unwrap().to_string();
    assert_eq!(decide(&w, &w.province_token, &ward2, "approved").await, 200);
    let people = living(&w, 6).await;
    let admit = |facility: &str, person: &str, bed: &str| {
        json!({"facility_id": facility, "ward": "Buồng 3", "bed": bed, "patient": {"personal_id": person},
            "expected_discharge_at": (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339()})
    };
    let carer = |facility: &str, patient: &str, person: &str| json!({"facility_id": facility, "patient_id": patient, "caregiver": {"personal_id": person}});
    let (inpatients, caregivers) = ("/api/v1/lodging/hospital/inpatients", "/api/v1/lodging/hospital/caregivers");

    // A ward takes no ordinary check-in, an admission needs a bed.
    let (s, e) = post_checkin(&w, &staff, None, checkin(&ward, json!([{"personal_id": people[0]}]))).await;
    assert_eq!((s, e["error"]["code"].as_str()), (400, Some("invalid_input")), "{e}");
    let (s, _) = w.send(Method::POST, &staff, inpatients, admit(&ward, &people[0], " ")).await;
    assert_eq!(s, 400);
    assert_eq!(count(&w.db, "lodging_checkins").await, 0);

    // The admission is a notification to the commune police with the citizen deadline.
    let (s, p) = w.send(Method::POST, &staff, inpatients, admit(&ward, &people[0], "12")).await;
    assert_eq!(s, 200, "{p}");
    let patient = p["checkins"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(p["room"], "Buồng 3 — giường 12");
    let (_, seen) = w.get(&w.commune_token, &format!("/api/v1/lodging/notifications?facility_id={ward}")).await;
    assert_eq!(seen["items"][0]["reason"], "Điều trị nội trú", "{seen}");
    assert_eq!(seen["items"][0]["deadline_at"].as_i64(), p["checkins"][0]["deadline_at"].as_i64());
    let (_, pb) = w.send(Method::POST, &staff_b, inpatients, admit(&ward_b, &people[1], "1")).await;
    let patient_b = pb["checkins"][0]["id"].as_str().unwrap().to_string();
    let (checkins, stays) = (count(&w.db, "lodging_checkins").await, count(&w.db, "lodging_hospital_stays").await);
    assert_eq!((checkins, stays), (2, 2));

    // No caregiver without a patient present at the same facility of the organization, and the
    // patient is not their own caregiver.
    for (body, status, code) in [
        (carer(&ward, "khong-co", &people[2]), 404, "not_found"),
        (carer(&ward_b, &patient_b, &people[2]), 404, "not_found"),
        (carer(&ward2, &patient, &people[2]), 409, "conflict"),
        (carer(&ward, &patient, &people[0]), 409, "conflict"),
        (json!({"facility_id": ward, "patient_id": patient, "caregiver": {}}), 400, "invalid_input"),
    ] {
        let (s, e) = w.send(Method::POST, &staff, caregivers, body).await;
        assert_eq!((s, e["error"]["code"].as_str()), (status, Some(code)), "{e}");
    }
    assert_eq!((count(&w.db, "lodging_checkins").await, count(&w.db, "lodging_hospital_stays").await), (2, 2));

    // Two caregivers; a third is refused and nothing of it is stored.
    for person in &people[2..4] {
        let (s, c) = w.send(Method::POST, &staff, caregivers, carer(&ward, &patient, person)).await;
        assert_eq!((s, c["room"].as_str()), (200, Some("Buồng 3 — giường 12")), "{c}");
    }
    let notifications = count(&w.db, "lodging_notifications").await;
    let (s, e) = w.send(Method::POST, &staff, caregivers, carer(&ward, &patient, &people[4])).await;
    assert_eq!((s, e["error"]["code"].as_str()), (409, Some("conflict")), "{e}");
    assert!(e["error"]["detail"].as_str().unwrap().contains("at most 2"), "{e}");
    assert_eq!(count(&w.db, "lodging_notifications").await, notifications);
    assert_eq!(count(&w.db, "lodging_hospital_stays").await, 4);
    let (_, list) = w.get(&staff, &format!("{inpatients}?facility_id={ward}")).await;
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!((list[0]["bed"].as_str(), list[0]["caregivers"].as_array().map(Vec::len)), (Some("12"), Some(2)));
    let (_, theirs) = w.get(&staff_b, &format!("{inpatients}?facility_id={ward}")).await;
    assert_eq!(theirs.as_array().map(Vec::len), Some(0), "another organization sees nothing");
    let (s, page) = html(&w, &staff, &format!("/lodging/hospital?facility={ward}")).await;
    let name: String = sqlx::query("SELECT full_name FROM persons WHERE personal_id = $1")
        .bind(&people[2])
        .fetch_one(w.db.read())
        .await
        .unwrap()
        .get(0);
    assert!(s == 200 && page.contains(&patient) && page.contains(&name), "{page}");
    assert_eq!(html(&w, &w.commune_token, "/lodging/hospital").await.0, 403);

    // Discharge checks the caregivers out; the discharged patient takes no new caregiver.
    let (s, out) =
        w.send(Method::POST, &staff, &format!("/api/v1/lodging/checkins/{patient}/checkout"), json!({})).await;
    assert_eq!((s, out["caregivers_checked_out"].as_u64()), (200, Some(2)), "{out}");
    let staying: i64 =
        sqlx::query("SELECT COUNT(*) FROM lodging_checkins WHERE facility_id = $1 AND checked_out_at IS NULL")
            .bind(&ward)
            .fetch_one(w.db.read())
            .await
            .unwrap()
            .get(0);
    assert_eq!(staying, 0);
    let (_, list) = w.get(&staff, &format!("{inpatients}?facility_id={ward}")).await;
    assert_eq!(list.as_array().map(Vec::len), Some(0));
    let (s, _) = w.send(Method::POST, &staff, caregivers, carer(&ward, &patient, &people[4])).await;
    assert_eq!(s, 409);
}

async fn pages_for_trips_registration_and_venue_stats(db: Db) {
    let w = world(db, 300, false).await;
    let other = other_commune(&w).await;
    let other_officer = account(&w, "xa.khac", Role::CommunePolice, Jurisdiction::Commune(other.clone())).await;
    let (coach, operator) = approved(&w, "0101234567", "nha.xe", "coach_operator", &w.commune).await;
    let (inside, outside) = w.inside_and_outside().await;

    // Trips: the boarded passenger appears on the manifest page.
    let soon = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let trip =
        json!({"facility_id": operator, "route": "Tuyên Quang – Hà Nội", "plate": "22B-012.34", "departure_at": soon});
    let (_, t) = w.send(Method::POST, &coach, "/api/v1/lodging/trips", trip).await;
    let trip_id = t["id"].as_str().unwrap().to_string();
    let (s, empty) = html(&w, &coach, &format!("/lodging/trips?trip={trip_id}")).await;
    assert!(s == 200 && empty.contains("board-form") && empty.contains("Chưa có hành khách lên xe."), "{empty}");
    let boarding = json!({"seat": "7", "passengers": [{"personal_id": inside}]});
    let (s, b) = w.send(Method::POST, &coach, &format!("/api/v1/lodging/trips/{trip_id}/boardings"), boarding).await;
    assert_eq!(s, 200, "{b}");
    let passenger = b["checkins"][0]["full_name"].as_str().unwrap().to_string();
    let (_, page) = html(&w, &coach, &format!("/lodging/trips?trip={trip_id}&lang=en")).await;
    assert!(page.contains("Passenger manifest") && page.contains(&passenger) && page.contains("22B-012.34 — ghế 7"));
    assert_eq!(html(&w, &w.commune_token, "/lodging/trips").await.0, 403);

    // Registration: a facility and a venue registered from the form's API calls appear pending on
    // the organization's page and on the police page.
    let org = staff_of(&w, "0101234569", &w.commune, "ban.quan.ly").await;
    let (s, form) = html(&w, &org, "/lodging/register").await;
    assert!(s == 200 && form.contains("facility-form") && form.contains("venue-form") && form.contains("csrf"));
    assert!(form.contains("chưa đăng ký cơ sở hay địa điểm nào"), "{form}");
    let body = json!({"kind": "homestay", "name": "Homestay Suối Khoáng", "licence_code": "GP-09", "commune_code": w.commune,
        "address": "9 đường Suối Khoáng", "rooms": 5, "beds": 10});
    let (_, f) = w.send(Method::POST, &org, "/api/v1/lodging/facilities", body).await;
    let body = json!({"kind": "relic_site", "name": "Đình Hồng Thái", "commune_code": w.commune, "address": "Thôn Tân Lập",
        "gates": ["Cổng chính"]});
    let (_, v) = w.send(Method::POST, &org, "/api/v1/lodging/venues", body).await;
    let venue = v["id"].as_str().unwrap().to_string();
    let (_, form) = html(&w, &org, "/lodging/register").await;
    assert!(form.contains("Homestay Suối Khoáng") && form.contains("Đình Hồng Thái") && form.contains("Chờ phê duyệt"));
    let (_, police) = html(&w, &w.commune_token, "/lodging/police").await;
    let facility_item = format!(r#"data-facility="{}""#, f["id"].as_str().unwrap());
    assert!(police.contains(&facility_item) && police.contains(&format!(r#"data-venue="{venue}""#)), "{police}");
    let (_, theirs) = html(&w, &other_officer, "/lodging/police").await;
    assert!(!theirs.contains(&facility_item) && !theirs.contains("Đình Hồng Thái"));
    assert_eq!(html(&w, &w.commune_token, "/lodging/register").await.0, 403);

    // Venue statistics: an empty state, then the entry's occupancy and origin, for the venue's
    // staff and its commune's police only.
    let decision = format!("/api/v1/lodging/venues/{venue}/decision");
    assert_eq!(w.send(Method::POST, &w.commune_token, &decision, json!({"status": "approved"})).await.0, 200);
    let stats = format!("/lodging/venues/stats?venue_id={venue}");
    let (s, page) = html(&w, &org, &stats).await;
    assert!(s == 200 && page.contains("Chưa có lượt ra/vào nào trong khoảng thời gian này."), "{page}");
    assert_eq!(w.send(Method::POST, &org, "/api/v1/lodging/venue-scans", scan(&venue, "entry", &outside)).await.0, 200);
    let home: String = sqlx::query("SELECT current_commune FROM persons WHERE personal_id = $1")
        .bind(&outside)
        .fetch_one(w.db.read())
        .await
        .unwrap()
        .get(0);
    let units = registry::admin_units::AdminUnits::get();
    let province = units.commune(&home).and_then(|c| units.province(&c.province_code)).unwrap().name.clone();
    for token in [&org, &w.commune_token] {
        let (s, page) = html(&w, token, &stats).await;
        assert!(s == 200 && page.contains(r#"<dd class="num" id="occupancy">1</dd>"#), "{page}");
        assert!(!page.contains("Chưa có lượt ra/vào nào") && page.contains(&province), "{page}");
    }
    let (_, theirs) = html(&w, &other_officer, &stats).await;
    assert!(theirs.contains("Không có địa điểm nào trong phạm vi của bạn.") && !theirs.contains("Đình Hồng Thái"));
    assert_eq!(html(&w, &org, &format!("{stats}&from=01-12-2026")).await.0, 400);
}

db::dual_tests!(crate::common::migrations(); facilities_checkins_and_scoping, feed_by_jurisdiction,
    watchlist_and_alerts, qr_stays_exports_and_history, long_stays_and_concurrent_retries,
    pages_for_staff_police_and_citizens, venues_scans_and_aggregates, coach_trips_and_manifest,
    citizens_declare_stays_at_private_homes, declarations_in_the_police_list_and_exports,
    hospital_inpatients_and_caregivers, pages_for_trips_registration_and_venue_stats);
