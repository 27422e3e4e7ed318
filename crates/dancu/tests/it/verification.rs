//! Identity verification over HTTP on both backends: card QR, typed data, dynamic identity QR and
//! chip data, with their rejections, the signed receipt, the history and the citizen's access log.

use crate::common;

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
        kernel::clock::now_ms(),
    )
    .await
    .unwrap();
    identity::issue_token(db, &a.id, "test", kernel::clock::now_ms()).await.unwrap().1
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
        kernel::clock::now_ms(),
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

    // The right name in capitals, as cards print it: green.
    let capitals = h.name.to_uppercase();
    let (_, v) = post("/api/v1/verifications", json!({"personal_id": h.id, "full_name": capitals, "birth_date": h.birth.format("%d/%m/%Y").to_string(), "purpose": "hotel_guest", "citizen_present": true})).await;
    assert_eq!(outcome(&v), "green", "{v}");
    // Typed data without diacritics: amber; a wrong birth date: red.
    let folded = kernel::text::fold(&h.name).to_uppercase();
    let (_, v) = post("/api/v1/verifications", json!({"personal_id": h.id, "full_name": folded, "birth_date": h.birth.format("%d/%m/%Y").to_string(), "purpose": "hotel_guest", "citizen_present": true})).await;
    assert_eq!(outcome(&v), "amber", "{v}");
    assert!(reasons(&v).contains(&"name_diacritics".to_string()));
    let (_, v) = post("/api/v1/verifications", json!({"personal_id": h.id, "full_name": h.name, "birth_date": "01/01/1901", "purpose": "hotel_guest", "citizen_present": true})).await;
    assert_eq!(outcome(&v), "red");
    assert_eq!(reasons(&v), ["no_match"], "a failed typed check says no match and nothing else: {v}");

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
        .unwrap()
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

/// A hotel (or any organization) with the given purposes and one staff token.
async fn organization(db: &Db, commune: &str, tax: &str, name: &str, purposes: &[&str]) -> (String, String) {
    let org = identity::organizations::create_organization(
        db,
        identity::organizations::NewOrganization {
            tax_code: tax.into(),
            name: name.into(),
            kind: identity::organizations::OrgKind::Hotel,
            address: "1 Đường Thử".into(),
            commune_code: commune.into(),
        },
        kernel::clock::now_ms(),
    )
    .await
    .unwrap();
    verification::caller::grant_purposes(db, &org.id, purposes).await.unwrap();
    let staff = account(db, &format!("staff.{tax}"), Role::OrgStaff, Jurisdiction::Own(org.id.clone())).await;
    (org.id, staff)
}

async fn history_count(db: &Db) -> i64 {
    sqlx::query("SELECT COUNT(*) FROM verifications").fetch_one(db.read()).await.unwrap().get(0)
}

/// Purpose variants (hospital auto-fill, coach ticket, age only), expired and over-long identity
/// QR tokens, a trusted chip chain, the rate limit, API scopes, and the citizen's own access log.
async fn purposes_tokens_trust_and_limits(db: Db) {
    let w = common::world(db.clone(), 300, false).await;
    let h = holder(&db).await;
    let qr = |purpose: &str| json!({"qr_payload": payload(&h), "purpose": purpose, "citizen_present": true});
    let (org, staff) = organization(
        &db,
        &w.commune,
        "0201234567",
        "Xe khách và Bệnh viện Thử",
        &["hospital_reception", "coach_passenger", "age_check", "hotel_guest"],
    )
    .await;

    // Hospital reception fills the patient's form: name, birth date, gender and current address.
    let (s, v) = w.send(Method::POST, &staff, "/api/v1/verifications", qr("hospital_reception")).await;
    assert_eq!((s, outcome(&v)), (200, "green"), "{v}");
    let person = &v["result"]["person"];
    assert_eq!(person["full_name"], h.name.as_str());
    assert_eq!(person["birth_date"], h.birth.format("%d/%m/%Y").to_string());
    assert!(person["address"].as_str().is_some_and(|a| !a.is_empty()), "{v}");

    // Coach passenger: the ticket bought under the id is checked; only age is revealed.
    let mut coach = qr("coach_passenger");
    coach["list_code"] = "TQ-HN-0730".into();
    let (_, v) = w.send(Method::POST, &staff, "/api/v1/verifications", coach.clone()).await;
    assert_eq!(outcome(&v), "red");
    assert!(reasons(&v).contains(&"not_on_list".to_string()), "{v}");
    verification::caller::add_to_list(&db, &org, "ticket", "TQ-HN-0730", &h.id, "Ghế 12").await.unwrap();
    let (_, v) = w.send(Method::POST, &staff, "/api/v1/verifications", coach).await;
    assert_eq!(outcome(&v), "green", "{v}");
    assert_eq!(v["result"]["list"]["label"], "Ghế 12");
    assert!(v["result"]["person"]["full_name"].is_null() && v["result"]["person"]["birth_date"].is_null());

    // Age check: 18 or over, without name or birth date, also in the signed receipt.
    let (_, v) = w.send(Method::POST, &staff, "/api/v1/verifications", qr("age_check")).await;
    assert_eq!(v["result"]["age_over_18"], true);
    assert_eq!(v["result"]["person"], json!({"full_name": null, "birth_date": null, "gender": null, "address": null}));
    let receipt = v["receipt"].as_str().unwrap().split('.').nth(1).unwrap().to_owned();
    let receipt = String::from_utf8(base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(receipt).unwrap()).unwrap();
    assert!(!receipt.contains(&h.birth.format("%d/%m/%Y").to_string()) && !receipt.contains(&h.name), "{receipt}");

    // Identity QR tokens signed by the platform but expired, or living longer than 120 s.
    let ring = keys::KeyRing::load(&db, kernel::clock::now_ms).await.unwrap();
    let now = (kernel::clock::now_ms() / 1000) as u64;
    let token = |iat: u64, exp: u64, n: &str| {
        let c = verification::dynamic::IdQrClaims {
            pid: h.id.clone(),
            lvl: 2,
            name: None,
            bd: None,
            a18: None,
            n: n.into(),
            iat,
            exp,
        };
        json!({"token": ring.sign_typed(&c, verification::dynamic::TOKEN_TYP).unwrap(), "purpose": "hotel_guest", "citizen_present": true})
    };
    let (_, v) = w.send(Method::POST, &staff, "/api/v1/verifications/dynamic", token(now - 300, now - 210, "a")).await;
    assert_eq!(reasons(&v), vec!["token_expired"]);
    let (_, v) = w.send(Method::POST, &staff, "/api/v1/verifications/dynamic", token(now, now + 600, "b")).await;
    assert_eq!(reasons(&v), vec!["token_lifetime_too_long"]);
    assert!(v["result"]["person_found"] == false && v["result"]["person"]["full_name"].is_null());

    // An organization system's token needs the `verify` scope.
    let (client, secret) = oidc::clients::register(
        &db,
        oidc::NewClient {
            name: "Phần mềm lưu trú".into(),
            auth_method: "client_secret_post".into(),
            allowed_scopes: vec!["verify".into(), "lodging".into()],
            grant_types: vec!["client_credentials".into()],
            min_level: 1,
            organization_id: Some(org.clone()),
            ..Default::default()
        },
        kernel::clock::now_ms(),
    )
    .await
    .unwrap();
    for (scope, status) in [("lodging", 403), ("verify", 200)] {
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", client.id.as_str()),
            ("client_secret", secret.as_deref().unwrap()),
            ("scope", scope),
        ];
        let t: Value =
            w.http.post(format!("{}/oidc/token", w.base)).form(&form).send().await.unwrap().json().await.unwrap();
        let (s, v) =
            w.send(Method::POST, t["access_token"].as_str().unwrap(), "/api/v1/verifications", qr("hotel_guest")).await;
        assert_eq!(s, status, "scope {scope}: {v}");
    }

    // A second server over the same database with a trust store and a limit of 3 calls a minute.
    let csca = TestCsca::new("dancu test CSCA", 2024, 2040);
    let trust = tempfile::tempdir().unwrap();
    std::fs::write(trust.path().join("csca.pem"), &csca.pem).unwrap();
    let mut settings = dancu::server::local_settings();
    settings.verification =
        verification::VerificationSettings { csca_dir: Some(trust.path().to_path_buf()), rate_per_minute: 3 };
    let strict = dancu::server::start(db.clone(), &settings).await.unwrap();
    let strict_url = format!("http://{}/api/v1/verifications", strict.addr);
    let send = |path: &str, body: &Value| {
        let r = w.http.post(format!("{strict_url}{path}")).bearer_auth(&staff).json(body).send();
        async move {
            let r = r.await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let card = CardQr::parse(&payload(&h)).unwrap();
    let chip = csca.document_signer(SignerKind::Rsa2048, 2025, 2035).card_chip(&card);
    let mut body = verification::api::chip_json(&chip);
    body["purpose"] = "hotel_guest".into();
    body["citizen_present"] = true.into();
    let (s, v) = send("/chip", &body).await;
    assert_eq!((s, outcome(&v)), (200, "green"), "{v}");
    assert_eq!(v["result"]["assurance"], "chip");
    assert!(v["result"]["chip"]["csca"].as_str().unwrap().contains("dancu test CSCA"));
    let foreign = TestCsca::new("dancu test CSCA", 2024, 2040).document_signer(SignerKind::EcdsaP256, 2025, 2035);
    let mut impostor = verification::api::chip_json(&foreign.card_chip(&card));
    impostor["purpose"] = "hotel_guest".into();
    impostor["citizen_present"] = true.into();
    let (_, v) = send("/chip", &impostor).await;
    assert_eq!(outcome(&v), "red", "a same-name CSCA that is not trusted: {v}");
    let (s, _) = send("", &qr("hotel_guest")).await;
    assert_eq!(s, 200, "third call of the minute");
    let before = history_count(&db).await;
    let (s, v) = send("", &qr("hotel_guest")).await;
    assert_eq!(s, 429, "{v}");
    assert_eq!(v["error"]["code"], "rate_limited");
    assert_eq!(history_count(&db).await, before, "a refused call leaves no trace in the history");

    // The citizen reads every verification in their own access log, naming the organization.
    w.running.ctx.access_log.flush().await;
    strict.ctx.access_log.flush().await;
    let citizen = account(&db, "cong.dan.2", Role::Citizen, Jurisdiction::Own(h.id.clone())).await;
    let csv = w.http.get(format!("{}/account/access-log.csv", w.base)).bearer_auth(&citizen).send().await.unwrap();
    assert_eq!(csv.status(), 200);
    let csv = csv.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().filter(|l| l.contains("Xe khách và Bệnh viện Thử")).collect();
    assert_eq!(lines.len(), 7, "one entry per check that found the person: {csv}");
    assert!(lines.iter().all(|l| l.contains("Xác thực danh tính") && l.contains("kết quả đối chiếu")), "{csv}");
}

db::dual_tests!(crate::common::migrations(); verifies_every_way, purposes_tokens_trust_and_limits);
