//! Verification and check-in confirm, they do not reveal, on SQLite and PostgreSQL: a typed id is
//! answered match or no match, registry data is released only when the card, token or chip is in
//! hand and matches; foreign guests with impossible data are refused with clear messages and
//! nothing stored; the police export keeps a formula-like name as text.

use crate::common;
use crate::lodging::{approved, checkin, post_checkin};

use db::sqlx::{self, Row};
use db::Db;
use reqwest::Method;
use serde_json::{json, Value};
use web::{Jurisdiction, Role};

use common::World;

/// A living resident with a full birth date: (id, name, birth date `YYYY-MM-DD`, address commune).
async fn resident(w: &World) -> (String, String, String) {
    let r = sqlx::query(
        "SELECT personal_id, full_name, birth_date FROM persons WHERE status = 'living' AND LENGTH(birth_date) = 10 \
         AND current_commune = $1 AND birth_date < '2000-01-01' ORDER BY personal_id LIMIT 1",
    )
    .bind(&w.commune)
    .fetch_one(w.db.read())
    .await
    .unwrap();
    (r.get(0), r.get(1), r.get(2))
}

fn vn(iso: &str) -> String {
    chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d").unwrap().format("%d/%m/%Y").to_string()
}

async fn count(db: &Db, sql: &str) -> i64 {
    sqlx::query(sql).fetch_one(db.read()).await.unwrap().get(0)
}

/// The access-log entries of `subject` for `action`: their released fields.
async fn released(db: &Db, subject: &str, action: &str) -> Vec<String> {
    sqlx::query("SELECT released FROM access_log WHERE subject_id = $1 AND action = $2 ORDER BY id")
        .bind(subject)
        .bind(action)
        .fetch_all(db.read())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// Nothing of the person's record in an answer.
fn reveals_nothing(v: &Value, name: &str, birth: &str) {
    let text = v.to_string();
    assert!(!text.contains(name) && !text.contains(birth) && !text.contains(&vn(birth)), "released: {v}");
}

async fn typed_checkins_are_confirmed_not_revealed(db: Db) {
    let w = common::world(db, 300, false).await;
    let (staff, hotel) = approved(&w, "0101234567", "le.tan.a", "hotel", &w.commune).await;
    let (id, name, birth) = resident(&w).await;
    let send = |guest: Value| {
        let body = checkin(&hotel, json!([guest]));
        let (w, staff) = (&w, staff.clone());
        async move {
            let r = w.http.post(format!("{}/api/v1/lodging/checkins", w.base)).bearer_auth(&staff).json(&body);
            let r = r.send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    // An id alone, or with a wrong name or birth date: refused, nothing of the record released.
    for (guest, words) in [
        (json!({"personal_id": id}), "họ tên và ngày sinh"),
        (json!({"personal_id": id, "full_name": "Trần Thị Không Khớp", "birth_date": vn(&birth)}), "không khớp"),
        (json!({"personal_id": id, "full_name": name, "birth_date": "01/01/1901"}), "không khớp"),
        (json!({"personal_id": "099999999999", "full_name": name, "birth_date": vn(&birth)}), "không khớp"),
    ] {
        let (s, e) = send(guest.clone()).await;
        assert_eq!((s, e["error"]["code"].as_str()), (400, Some("invalid_input")), "{guest}: {e}");
        assert!(e["error"]["message"].as_str().unwrap().contains(words), "{e}");
        assert!(!e.to_string().contains(&name) || guest["full_name"] == name.as_str());
        assert!(!e.to_string().contains("address"));
    }
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM lodging_checkins").await, 0);
    // What the guest presents, confirmed: recorded as typed, no address from the registry.
    let typed = name.to_lowercase();
    let (s, r) = send(json!({"personal_id": id, "full_name": typed, "birth_date": vn(&birth)})).await;
    assert_eq!(s, 200, "{r}");
    let c = &r["checkins"][0];
    assert_eq!(
        (c["full_name"].as_str(), c["birth_date"].as_str()),
        (Some(typed.as_str()), Some(birth.as_str())),
        "{r}"
    );
    assert!(c["address"].is_null(), "a typed id released the address: {r}");
    w.running.ctx.access_log.flush().await;
    assert_eq!(released(&w.db, &id, "lodging.checkin").await, ["match_result"]);
}

async fn failed_verifications_reveal_nothing(db: Db) {
    let w = common::world(db, 300, false).await;
    let org = identity::organizations::create_organization(
        &w.db,
        identity::organizations::NewOrganization {
            tax_code: "0109998887".into(),
            name: "Khách sạn Lô Gô".into(),
            kind: identity::organizations::OrgKind::Hotel,
            address: "2 Đường Sông Lô".into(),
            commune_code: w.commune.clone(),
        },
        kernel::clock::now_ms(),
    )
    .await
    .unwrap();
    verification::caller::grant_purposes(&w.db, &org.id, &["hotel_guest"]).await.unwrap();
    let staff = crate::services::officer(&w.db, "le.tan.vf", Role::OrgStaff, Jurisdiction::Own(org.id.clone())).await;
    let (id, name, birth) = resident(&w).await;
    let verify = |body: Value| w.send(Method::POST, &staff, "/api/v1/verifications", body);
    let form = |full_name: &str, birth_date: &str| json!({"personal_id": id, "full_name": full_name, "birth_date": birth_date, "purpose": "hotel_guest", "citizen_present": true});
    // Typed: a wrong birth date is "no match" with no field, card, status or age.
    let (s, v) = verify(form(&name, "01/01/1950")).await;
    assert_eq!(s, 200, "{v}");
    let r = &v["result"];
    assert_eq!((r["outcome"].as_str(), r["person_found"].as_bool()), (Some("red"), Some(false)), "{v}");
    assert!(r["fields"].as_array().unwrap().is_empty() && r["card"].is_null() && r["age_over_18"].is_null(), "{v}");
    reveals_nothing(&v, &name, &birth);
    // Typed and right: match, still without the registry's data.
    let (_, v) = verify(form(&name.to_uppercase(), &vn(&birth))).await;
    assert_eq!(v["result"]["outcome"], "green", "{v}");
    assert_eq!(v["result"]["person"], json!({"full_name": null, "birth_date": null, "gender": null, "address": null}));
    // A card QR whose name differs from the registry: red, and the registry's name stays hidden.
    let on_card = chrono::NaiveDate::parse_from_str(&birth, "%Y-%m-%d").unwrap().format("%d%m%Y").to_string();
    let forged = format!("{id}||NGUYỄN VĂN GIẢ|{on_card}|Nam|1 đường Lê Lợi|01012021");
    let (_, v) = verify(json!({"qr_payload": forged, "purpose": "hotel_guest", "citizen_present": true})).await;
    assert_eq!(v["result"]["outcome"], "red", "{v}");
    assert!(!v.to_string().contains(&name), "the registry's name was released: {v}");
    assert!(v["result"]["person"]["birth_date"].is_null());
    w.running.ctx.access_log.flush().await;
    let logged = released(&w.db, &id, "verification.id_form").await;
    assert_eq!(logged.first().map(String::as_str), Some("match_result"), "{logged:?}");
    assert!(logged.iter().all(|r| !r.contains("full_name")), "{logged:?}");
}

async fn foreign_guests_with_impossible_data_are_refused(db: Db) {
    let w = common::world(db, 200, false).await;
    let (staff, hotel) = approved(&w, "0101234567", "le.tan.a", "hotel", &w.commune).await;
    let passport = |birth: &str, name: &str| json!([{"passport": {"number": "M1234567", "nationality": "KOR", "full_name": name, "birth_date": birth}}]);
    for (guests, code, words_vi, words_en) in [
        (passport("2030-05-01", "Kim Min Ji"), "invalid_date", "sau ngày hôm nay", "after today"),
        (passport("1899-12-31", "Kim Min Ji"), "invalid_date", "trước năm 1900", "before 1900"),
        (passport("1990-02-30", "Kim Min Ji"), "invalid_date", "ngày/tháng/năm", "day/month/year"),
        (passport("1990-05-01", "  "), "invalid_input", "Họ tên", "full name"),
        (
            json!([{"passport": {"number": "", "nationality": "KOR", "full_name": "Kim", "birth_date": "1990-05-01"}}]),
            "invalid_input",
            "Số hộ chiếu",
            "passport number",
        ),
        (
            json!([{"personal_id": "0012030000123", "full_name": "Nguyễn An", "birth_date": "01/01/1990"}]),
            "invalid_personal_id",
            "",
            "",
        ),
    ] {
        let (s, e) = post_checkin(&w, &staff, None, checkin(&hotel, guests.clone())).await;
        assert_eq!((s, e["error"]["code"].as_str()), (400, Some(code)), "{guests}: {e}");
        assert!(e["error"]["message"].as_str().unwrap().contains(words_vi), "{e}");
        assert!(e["error"]["message_en"].as_str().unwrap().contains(words_en), "{e}");
    }
    let mut empty_room = checkin(&hotel, passport("1990-05-01", "Kim Min Ji"));
    empty_room["room"] = " ".into();
    let (s, e) = post_checkin(&w, &staff, None, empty_room).await;
    assert_eq!(s, 400);
    assert!(e["error"]["message"].as_str().unwrap().contains("số phòng"), "{e}");
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM lodging_checkins").await, 0);
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM lodging_notifications").await, 0);
}

async fn police_export_keeps_formulas_as_text(db: Db) {
    let w = common::world(db, 200, false).await;
    let (staff, hotel) = approved(&w, "0101234567", "le.tan.a", "hotel", &w.commune).await;
    let name = "=HYPERLINK(\"http://x\",\"y\")";
    let guests = json!([{"passport": {"number": "M7654321", "nationality": "USA", "full_name": name, "birth_date": "1985-03-04"}}]);
    let (s, r) = post_checkin(&w, &staff, None, checkin(&hotel, guests)).await;
    assert_eq!(s, 200, "{r}");
    let csv = w
        .http
        .get(format!("{}/api/v1/lodging/notifications.csv", w.base))
        .bearer_auth(&w.commune_token)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    let text = csv.text().await.unwrap();
    assert!(text.contains("HYPERLINK"), "{text}");
    for line in text.lines() {
        for cell in line.split(',') {
            let cell = cell.trim_start_matches('"');
            assert!(!cell.starts_with('='), "a live formula in the export: {line}");
        }
    }
    assert!(text.contains("'=HYPERLINK"), "{text}");
}

db::dual_tests!(crate::common::migrations(); typed_checkins_are_confirmed_not_revealed, failed_verifications_reveal_nothing,
    foreign_guests_with_impossible_data_are_refused, police_export_keeps_formulas_as_text);
