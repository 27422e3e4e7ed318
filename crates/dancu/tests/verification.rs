//! Identity verification over HTTP on both backends: card QR, typed data, dynamic identity QR and
//! chip data, with their rejections, the signed receipt, the history and the citizen's access log.

mod common;

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::NaiveDate;
use db::sqlx::{self, Row};
use db::Db;
use kernel::{Gender, PersonalId};
use reqwest::Method;
use serde_json::{json, Value};
use verification::cccd_qr::CardQr;
use verification::chip::testkit::{SignerKind, TestCsca};
use verification::chip::{dg1, dg13};
use web::{Jurisdiction, Role};

struct Holder {
    id: String,
    name: String,
    birth: NaiveDate,
    gender: Gender,
    issue: NaiveDate,
}

/// A living resident whose newest card is valid.
async fn holder(db: &Db) -> Holder {
    let today = kernel::clock::today_vn().format("%Y-%m-%d").to_string();
    let r = sqlx::query(
        "SELECT p.personal_id, p.full_name, p.birth_date, p.gender, c.issue_date FROM persons p \
         JOIN identity_cards c ON c.personal_id = p.personal_id \
         WHERE p.status = 'living' AND c.status = 'valid' AND LENGTH(p.birth_date) = 10 AND p.birth_date < '2000-01-01' \
         AND (c.expiry_date IS NULL OR c.expiry_date > $1) \
         AND NOT EXISTS (SELECT 1 FROM identity_cards n WHERE n.personal_id = p.personal_id AND n.issue_date > c.issue_date) \
         ORDER BY p.personal_id LIMIT 1",
    )
    .bind(today)
    .fetch_one(db.read())
    .await
    .unwrap();
    let date = |s: String| NaiveDate::parse_from_str(&s, "%Y-%m-%d").unwrap();
    Holder {
        id: r.get(0),
        name: r.get(1),
        birth: date(r.get(2)),
        gender: Gender::parse(&r.get::<String, _>(3)).unwrap(),
        issue: date(r.get(4)),
    }
}

fn payload(h: &Holder) -> String {
    CardQr {
        personal_id: PersonalId::parse(&h.id).unwrap(),
        old_id: None,
        full_name: h.name.clone(),
        birth_date: h.birth,
        gender: h.gender,
        address: "Tổ 1".into(),
        issue_date: h.issue,
    }
    .to_payload()
}

async fn account(db: &Db, login: &str, role: Role, j: Jurisdiction) -> String {
    let hasher = identity::PasswordHasher::new(2);
    let a = identity::create_account(
        db,
        &hasher,
        identity::NewAccount {
            login: login.into(),
            display_name: format!("Nhân viên {login}"),
            role,
            jurisdiction: j,
            password: common::PASSWORD.into(),
        },
    )
    .await
    .unwrap();
    identity::issue_token(db, &a.id, "test").await.unwrap().1
}

fn outcome(v: &Value) -> &str {
    v["result"]["outcome"].as_str().unwrap_or_else(|| panic!("no outcome: {v}"))
}

fn reasons(v: &Value) -> Vec<String> {
    v["result"]["reasons"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap().to_owned()).collect()
}

async fn verifies_every_way(db: Db) {
    let w = common::world(db.clone(), 300, false).await;
    let org = identity::organizations::create_organization(
        &db,
        identity::organizations::NewOrganization {
            tax_code: "0101234567".into(),
            name: "Khách sạn Sông Lô".into(),
            kind: identity::organizations::OrgKind::Hotel,
            address: "1 Đường Sông Lô".into(),
            commune_code: w.commune.clone(),
        },
    )
    .await
    .unwrap();
    verification::caller::grant_purposes(&db, &org.id, &["hotel_guest", "exam_candidate", "hospital_reception"])
        .await
        .unwrap();
    let staff = account(&db, "le.tan", Role::OrgStaff, Jurisdiction::Own(org.id.clone())).await;
    let h = holder(&db).await;
    let post = |path: &'static str, body: Value| {
        let w = &w;
        let staff = staff.clone();
        async move { w.send(Method::POST, &staff, path, body).await }
    };

    // Card QR: green, every field matches, receipt verifies offline with the published keys.
    let (s, v) = post(
        "/api/v1/verifications",
        json!({"qr_payload": format!("{}\r\n", payload(&h)), "purpose": "hotel_guest", "citizen_present": true}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(outcome(&v), "green", "{v}");
    assert_eq!(v["result"]["assurance"], "registry_match");
    assert_eq!(v["result"]["person"]["full_name"], h.name.as_str());
    assert!(v["result"]["fields"].as_array().unwrap().iter().all(|f| f["result"] == "match"));
    let (_, jwks) = w.get(&staff, "/api/v1/verifications/jwks.json").await;
    let offline = keys::JwksVerifier::from_jwks(&jwks).unwrap();
    let receipt: Value =
        offline.verify(v["receipt"].as_str().unwrap(), &keys::Expect::new().without_required_exp()).unwrap();
    assert_eq!(receipt["result"]["id"], v["result"]["id"]);
    assert_eq!(receipt["org"], org.id.as_str());

    // Typed data without diacritics: amber; a wrong birth date: red.
    let folded = kernel::text::fold(&h.name).to_uppercase();
    let (_, v) = post("/api/v1/verifications", json!({"personal_id": h.id, "full_name": folded, "birth_date": h.birth.format("%d/%m/%Y").to_string(), "purpose": "hotel_guest", "citizen_present": true})).await;
    assert_eq!(outcome(&v), "amber", "{v}");
    assert!(reasons(&v).contains(&"name_diacritics".to_string()));
    let (_, v) = post("/api/v1/verifications", json!({"personal_id": h.id, "full_name": h.name, "birth_date": "01/01/1901", "purpose": "hotel_guest", "citizen_present": true})).await;
    assert_eq!(outcome(&v), "red");
    assert!(reasons(&v).contains(&"field_mismatch".to_string()));

    // Rejections that change nothing.
    let before: i64 = sqlx::query("SELECT COUNT(*) FROM verifications").fetch_one(db.read()).await.unwrap().get(0);
    let bad_qr = payload(&h).replace(&h.birth.format("%d%m%Y").to_string(), "31021990");
    let (s, v) =
        post("/api/v1/verifications", json!({"qr_payload": bad_qr, "purpose": "hotel_guest", "citizen_present": true}))
            .await;
    assert_eq!(s, 400);
    assert!(v["error"]["detail"].as_str().unwrap().contains("birth_date"), "{v}");
    let (s, _) = post(
        "/api/v1/verifications",
        json!({"qr_payload": payload(&h), "purpose": "pawn_customer", "citizen_present": true}),
    )
    .await;
    assert_eq!(s, 403, "purpose not granted to this organization");
    let (s, _) = post(
        "/api/v1/verifications",
        json!({"qr_payload": payload(&h), "purpose": "hotel_guest", "citizen_present": false}),
    )
    .await;
    assert_eq!(s, 400);
    let (s, _) = w
        .send(
            Method::POST,
            &w.province_token,
            "/api/v1/verifications",
            json!({"qr_payload": payload(&h), "purpose": "hotel_guest", "citizen_present": true}),
        )
        .await;
    assert_eq!(s, 403, "officers are not organization callers");
    let (s, _) = post(
        "/api/v1/verifications",
        json!({"qr_payload": payload(&h), "purpose": "exam_candidate", "citizen_present": true}),
    )
    .await;
    assert_eq!(s, 400, "exam checks need an exam code");
    let after: i64 = sqlx::query("SELECT COUNT(*) FROM verifications").fetch_one(db.read()).await.unwrap().get(0);
    assert_eq!(before, after);

    // Exam list: not registered is red, registered is green and shows no birth date.
    let exam = json!({"qr_payload": payload(&h), "purpose": "exam_candidate", "citizen_present": true, "list_code": "THPT-2026"});
    let (_, v) = post("/api/v1/verifications", exam.clone()).await;
    assert!(reasons(&v).contains(&"not_on_list".to_string()), "{v}");
    verification::caller::add_to_list(&db, &org.id, "exam", "THPT-2026", &h.id, "SBD 0123").await.unwrap();
    let (_, v) = post("/api/v1/verifications", exam).await;
    assert_eq!(outcome(&v), "green", "{v}");
    assert_eq!(v["result"]["list"]["label"], "SBD 0123");
    assert!(v["result"]["person"]["birth_date"].is_null() && v["result"]["age_over_18"] == true);

    // Dynamic identity QR from the citizen's own account.
    let citizen = account(&db, "cong.dan", Role::Citizen, Jurisdiction::Own(h.id.clone())).await;
    let (s, qr) = w.get(&citizen, "/api/v1/me/identity-qr?name=true").await;
    assert_eq!(s, 200, "{qr}");
    assert!(qr["svg"].as_str().unwrap().contains("<svg"));
    let token = qr["token"].as_str().unwrap().to_owned();
    assert!(token.len() < 600, "fits a QR comfortably: {} chars", token.len());
    let (s, _) = w.get(&staff, "/api/v1/me/identity-qr").await;
    assert_eq!(s, 403, "only citizens get identity QR codes");
    let dynamic = |t: String| json!({"token": t, "purpose": "hotel_guest", "citizen_present": true});
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut claims: Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
    claims["exp"] = json!(claims["exp"].as_u64().unwrap() + 3600);
    parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims.to_string());
    let (_, v) = post("/api/v1/verifications/dynamic", dynamic(parts.join("."))).await;
    assert_eq!(reasons(&v), vec!["token_bad_signature"]);
    let (_, v) = post("/api/v1/verifications/dynamic", dynamic(token.clone())).await;
    assert_eq!(outcome(&v), "green", "{v}");
    assert_eq!(v["result"]["assurance"], "dynamic_qr");
    assert_eq!(v["result"]["person"]["full_name"], h.name.as_str());
    assert!(v["result"]["person"]["birth_date"].is_null(), "birth date not shared by the citizen");
    let (_, v) = post("/api/v1/verifications/dynamic", dynamic(token)).await;
    assert_eq!(reasons(&v), vec!["token_replayed"]);
    let (_, v) = post("/api/v1/verifications/dynamic", dynamic(v["receipt"].as_str().unwrap().to_owned())).await;
    assert_eq!(outcome(&v), "red", "a receipt is not an identity token");

    // Chip data: intact but no CSCA configured on the server = amber; a changed DG13 = red.
    let csca = TestCsca::new("dancu test CSCA", 2024, 2040);
    let ds = csca.document_signer(SignerKind::EcdsaP256, 2025, 2035);
    let mut groups = BTreeMap::new();
    groups.insert(
        1,
        dg1::encode(&dg1::Mrz {
            document_code: "ID".into(),
            issuing_state: "VNM".into(),
            document_number: h.id[3..].into(),
            optional_data: h.id.clone(),
            birth_date: h.birth,
            sex: if h.gender == Gender::Male { "M" } else { "F" }.into(),
            expiry_date: None,
            nationality: "VNM".into(),
            name: kernel::text::fold(&h.name).to_uppercase(),
        }),
    );
    let dg13_for = |name: &str| {
        dg13::encode(&dg13::Dg13 {
            personal_id: Some(h.id.clone()),
            full_name: Some(name.into()),
            birth_date: Some(h.birth.format("%d/%m/%Y").to_string()),
            issue_date: Some(h.issue.format("%d/%m/%Y").to_string()),
            ..Default::default()
        })
    };
    groups.insert(13, dg13_for(&h.name));
    let sod = ds.sign_sod(&groups);
    let chip = |groups: &BTreeMap<u8, Vec<u8>>| {
        let dgs: BTreeMap<String, String> = groups.iter().map(|(k, v)| (k.to_string(), STANDARD.encode(v))).collect();
        json!({"sod": STANDARD.encode(&sod), "data_groups": dgs, "purpose": "hotel_guest", "citizen_present": true})
    };
    let (s, v) = post("/api/v1/verifications/chip", chip(&groups)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(outcome(&v), "amber", "{v}");
    assert_eq!(v["result"]["assurance"], "chip_chain_not_verified");
    assert_eq!(reasons(&v), vec!["chip_chain_not_verified"]);
    groups.insert(13, dg13_for("Kẻ Giả Mạo"));
    let (_, v) = post("/api/v1/verifications/chip", chip(&groups)).await;
    assert_eq!(outcome(&v), "red");
    assert!(reasons(&v).contains(&"chip_not_authentic".to_string()));
    let (s, _) = post(
        "/api/v1/verifications/chip",
        json!({"sod": "***", "data_groups": {}, "purpose": "hotel_guest", "citizen_present": true}),
    )
    .await;
    assert_eq!(s, 400);

    // History and CSV for the organization; the citizen's access log names the hotel.
    let (_, hist) = w.get(&staff, "/api/v1/verifications/history?size=100").await;
    assert!(hist["items"].as_array().unwrap().len() >= 9, "{hist}");
    let csv =
        w.http.get(format!("{}/api/v1/verifications/history.csv", w.base)).bearer_auth(&staff).send().await.unwrap();
    let csv = csv.text().await.unwrap();
    assert!(csv.contains("personal_id") && csv.contains(&h.id));
    w.running.ctx.access_log.flush().await;
    let actions: Vec<(String, String)> =
        sqlx::query("SELECT action, actor_label FROM access_log WHERE subject_id = $1")
            .bind(&h.id)
            .fetch_all(db.read())
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
    for a in ["verification.card_qr", "verification.dynamic_qr", "verification.chip"] {
        assert!(actions.iter().any(|(x, who)| x == a && who == "Khách sạn Sông Lô"), "{a}: {actions:?}");
    }
}

db::dual_tests!(crate::common::migrations(); verifies_every_way);
