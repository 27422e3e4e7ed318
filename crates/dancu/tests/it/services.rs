//! Online public services over HTTP on both backends: a paperless birth registration whose
//! approval puts the child in the registry and the household, a temporary residence paid online
//! at an external provider through signed callbacks and approved by the commune police, payments
//! refused without a provider, the demo's simulator paying only through signed requests and
//! callbacks, refunds on rejection, filing at the counter, signed result documents, the monthly
//! figures, and the refusals.

use crate::common;

use db::sqlx::{self, Row};
use db::Db;
use reqwest::Method;
use serde_json::{json, Value};
use services::payments::ProviderKind;
use web::{Jurisdiction, Role};

use common::World;

/// An officer account with an API token.
pub(crate) async fn officer(db: &Db, login: &str, role: Role, j: Jurisdiction) -> String {
    let hasher = identity::PasswordHasher::new(2);
    let a = identity::create_account(
        db,
        &hasher,
        identity::NewAccount {
            login: login.into(),
            display_name: format!("Cán bộ {login}"),
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

/// A living adult of `gender` with a household, inside (or outside) the commune; returns the
/// personal id and a citizen token at `level`.
pub(crate) async fn citizen(w: &World, gender: &str, inside: bool, level: u8) -> (String, String) {
    let op = if inside { "=" } else { "<>" };
    let id: String = sqlx::query(&format!(
        "SELECT p.personal_id FROM persons p WHERE p.current_commune {op} $1 AND p.status = 'living' \
         AND p.gender = $2 AND p.household_id IS NOT NULL AND LENGTH(p.birth_date) = 10 \
         AND p.birth_date < '1995-01-01' AND p.birth_date > '1960-01-01' \
         AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.person_id = p.personal_id) ORDER BY p.personal_id LIMIT 1"
    ))
    .bind(&w.commune)
    .bind(gender)
    .fetch_one(w.db.read())
    .await
    .unwrap()
    .get(0);
    let hasher = identity::PasswordHasher::new(2);
    let account = dancu::accounts_cmd::citizen_account(&w.db, &hasher, &id, "mat-khau-cong-dan", level).await.unwrap();
    (id, identity::issue_token(&w.db, &account.id, "test", kernel::clock::now_ms()).await.unwrap().1)
}

pub(crate) async fn count(db: &Db, sql: &str) -> i64 {
    sqlx::query(sql).fetch_one(db.read()).await.unwrap().get(0)
}

pub(crate) fn act(action: &str, note: &str) -> Value {
    json!({"action": action, "note": note})
}

async fn paperless_birth_registration(db: Db) {
    let w = common::world(db, 600, false).await;
    let desk = officer(&w.db, "motcua.test", Role::DeskOfficer, Jurisdiction::Commune(w.commune.clone())).await;
    let (mother, token) = citizen(&w, "F", true, 2).await;
    let (_, level1) = citizen(&w, "M", true, 1).await;

    let (s, all) = w.get(&token, "/api/v1/services/procedures").await;
    assert_eq!(s, 200);
    assert_eq!(all.as_array().unwrap().iter().filter(|p| p["essential"] == true).count(), 25);
    let (_, found) = w.get(&token, "/api/v1/services/procedures?q=khai%20sinh").await;
    assert!(found.as_array().unwrap().iter().any(|p| p["code"] == "birth_registration"));

    // Bad answers: every field named, nothing stored.
    let bad = json!({"procedure": "birth_registration", "submit": true,
        "answers": {"child_name": "", "child_gender": "X", "child_birth_date": "31/02/2026", "birth_commune": "99999"}});
    let (s, e) = w.send(Method::POST, &token, "/api/v1/services/applications", bad).await;
    assert_eq!(s, 400, "{e}");
    let detail = e["error"]["detail"].as_str().unwrap();
    for f in ["child_name", "child_gender", "child_birth_date", "birth_commune"] {
        assert!(detail.contains(f), "{detail}");
    }
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM svc_applications").await, 0);
    // A level-1 e-ID cannot file a level-2 procedure.
    let today = kernel::clock::today_vn();
    let born = (today - chrono::Duration::days(3)).format("%d/%m/%Y").to_string();
    let good = json!({"procedure": "birth_registration", "submit": true, "answers": {
        "child_name": "Nguyễn Minh An", "child_gender": "F", "child_birth_date": born, "birth_commune": w.commune}});
    let (s, _) = w.send(Method::POST, &level1, "/api/v1/services/applications", good.clone()).await;
    assert_eq!(s, 403);
    // An officer token is not a citizen.
    let (s, _) = w.send(Method::POST, &desk, "/api/v1/services/applications", good.clone()).await;
    assert_eq!(s, 403);

    let (s, app) = w.send(Method::POST, &token, "/api/v1/services/applications", good).await;
    assert_eq!(s, 200, "{app}");
    assert_eq!(app["status"], "submitted");
    assert_eq!(app["fee_status"], "none");
    assert_eq!(app["channel"], "online");
    assert_eq!(app["handler_role"], "desk_officer");
    let registry_name: String = sqlx::query("SELECT full_name FROM persons WHERE personal_id = $1")
        .bind(&mother)
        .fetch_one(w.db.read())
        .await
        .unwrap()
        .get(0);
    let prefill = app["prefill"].as_array().unwrap();
    assert!(prefill.iter().any(|i| i["key"] == "full_name" && i["value"] == registry_name.as_str()));
    assert!(prefill.iter().any(|i| i["key"] == "household"));
    assert!(app["due_at"].as_i64().unwrap() > app["submitted_at"].as_i64().unwrap());
    let id = app["id"].as_str().unwrap().to_string();

    // The commune police do not handle civil status; the desk officer does.
    let (_, police_inbox) = w.get(&w.commune_token, "/api/v1/services/inbox?status=open").await;
    assert!(police_inbox["items"].as_array().unwrap().is_empty(), "{police_inbox}");
    let (s, inbox) = w.get(&desk, "/api/v1/services/inbox?status=open").await;
    assert_eq!(s, 200);
    assert_eq!(inbox["items"][0]["id"], id.as_str());
    let (s, _) = w.get(&desk, "/api/v1/services/inbox?status=bogus").await;
    assert_eq!(s, 400);
    let path = format!("/api/v1/services/inbox/{id}/actions");
    let (s, _) = w.send(Method::POST, &desk, &path, act("approve", "")).await;
    assert_eq!(s, 409, "not accepted yet");
    let (s, _) = w.send(Method::POST, &desk, &path, act("reject", "")).await;
    assert_eq!(s, 400, "a rejection needs its reason");
    let persons_before = count(&w.db, "SELECT COUNT(*) FROM persons").await;
    let (s, a) = w.send(Method::POST, &desk, &path, act("accept", "")).await;
    assert_eq!((s, a["status"].as_str()), (200, Some("processing")));
    let (s, a) = w.send(Method::POST, &desk, &path, act("approve", "")).await;
    assert_eq!(s, 200, "{a}");
    assert_eq!(a["status"], "approved");
    let (s, _) = w.send(Method::POST, &desk, &path, act("approve", "")).await;
    assert_eq!(s, 409, "approved once only");
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM persons").await, persons_before + 1);

    // The child is in the registry, in the mother's household, with a well-formed personal id.
    let child = sqlx::query(
        "SELECT c.personal_id, c.full_name, c.mother_id, c.household_id, m.household_id, c.current_commune \
         FROM persons c JOIN persons m ON m.personal_id = c.mother_id WHERE c.mother_id = $1 AND c.full_name = $2",
    )
    .bind(&mother)
    .bind("Nguyễn Minh An")
    .fetch_one(w.db.read())
    .await
    .unwrap();
    let child_id: String = child.get(0);
    assert_eq!(child.get::<Option<String>, _>(3), child.get::<Option<String>, _>(4));
    assert_eq!(child.get::<Option<String>, _>(5).as_deref(), Some(w.commune.as_str()));
    let pid = kernel::PersonalId::parse(&child_id).unwrap();
    let year = chrono::Datelike::year(&(today - chrono::Duration::days(3)));
    assert!(pid.soft_checks(Some(kernel::Gender::Female), Some(year)).is_empty(), "{child_id}");
    let kinds: Vec<String> = sqlx::query("SELECT kind FROM person_events WHERE personal_id = $1")
        .bind(&child_id)
        .fetch_all(w.db.read())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(kinds, ["born"]);

    // The signed result document verifies; a tampered one does not.
    let code = a["result_code"].as_str().unwrap();
    let (s, doc) = w.get("", &format!("/api/v1/services/documents/{code}")).await;
    assert_eq!(s, 200);
    assert!(doc["payload"]["lines"].as_array().unwrap().iter().any(|l| l["value"] == child_id.as_str()));
    let jws = doc["jws"].as_str().unwrap().to_string();
    let (s, v) = w.send(Method::POST, "", "/api/v1/services/documents/verify", json!({"jws": jws})).await;
    assert_eq!((s, v["code"].as_str()), (200, Some(code)));
    let mut parts: Vec<String> = jws.split('.').map(str::to_string).collect();
    parts[2] = parts[2].chars().rev().collect();
    let (s, _) = w.send(Method::POST, "", "/api/v1/services/documents/verify", json!({"jws": parts.join(".")})).await;
    assert_eq!(s, 403);

    // The public verification page and the PDF.
    let page = |path: String| {
        let http = w.http.clone();
        async move { http.get(path).send().await.unwrap() }
    };
    let ok = page(format!("{}/documents/verify?code={}", w.base, code.to_lowercase())).await.text().await.unwrap();
    assert!(ok.contains("data-valid=\"true\"") && ok.contains(&child_id), "verification page");
    let bad = page(format!("{}/documents/verify?code=AAAA-BBBB-CCCC", w.base)).await.text().await.unwrap();
    assert!(bad.contains("data-valid=\"false\""));
    let pdf = page(format!("{}/documents/{code}/pdf", w.base)).await;
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF-"));
    // Pages: the catalogue is public; a form post missing its fields files nothing. (A bearer
    // token sends no cookies, so CSRF does not apply; sessions are covered in programs_forms.)
    let list = page(format!("{}/services?q=tam%20tru", w.base)).await.text().await.unwrap();
    assert!(list.contains("/services/temporary_residence") && !list.contains("/services/birth_registration\""));
    let anon = page(format!("{}/services/birth_registration", w.base)).await.text().await.unwrap();
    assert!(anon.contains("id=\"blocked\""), "anonymous visitors are told to sign in");
    let body = "--b\r\nContent-Disposition: form-data; name=\"action\"\r\n\r\nsubmit\r\n--b--\r\n";
    let r = w
        .http
        .post(format!("{}/services/birth_registration", w.base))
        .bearer_auth(&token)
        .header("content-type", "multipart/form-data; boundary=b")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "an empty form files nothing");
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM svc_applications").await, 1);

    // The citizen sees the application and its history; the prefill is in their access log.
    let (s, mine) = w.get(&token, "/api/v1/services/applications/mine").await;
    assert_eq!((s, mine["items"][0]["status"].as_str()), (200, Some("approved")));
    let (_, d) = w.get(&token, &format!("/api/v1/services/applications/{id}")).await;
    let kinds: Vec<&str> = d["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["created", "submitted", "accepted", "approved"]);
    let (_, other) = w.get(&level1, &format!("/api/v1/services/applications/{id}")).await;
    assert_eq!(other["error"]["code"], "not_found");
    w.running.ctx.access_log.flush().await;
    let logged = sqlx::query("SELECT COUNT(*) FROM access_log WHERE subject_id = $1 AND action = 'services.prefill'")
        .bind(&mother)
        .fetch_one(w.db.read())
        .await
        .unwrap()
        .get::<i64, _>(0);
    assert!(logged >= 1);
}

/// The secret an external provider shares with the server in these tests.
const PROVIDER_SECRET: &str = "a-test-secret-shared-with-the-provider";

/// Default settings with the fees paid at an external provider.
pub(crate) fn external_provider() -> dancu::config::Settings {
    let mut s = dancu::server::local_settings();
    s.services.payment_provider = ProviderKind::External;
    s.services.payment_url = Some("https://thanhtoan.example.vn/pay".into());
    s.services.payment_secret = Some(PROVIDER_SECRET.into());
    s
}

/// Default settings with the built-in payment simulator turned on, as the demo does.
fn simulator() -> dancu::config::Settings {
    let mut s = dancu::server::local_settings();
    s.services.payment_provider = ProviderKind::Simulator;
    s
}

/// Hex HMAC-SHA256 of the documented lines under `key` (written out here, so a change of the
/// signed format fails the tests).
fn sign(key: &[u8], lines: &[&str]) -> String {
    services::payments::Gateway::with_secret(key).unwrap().sign(lines.join("\n").as_bytes())
}

/// Delivers a successful provider callback for `amount`, with a signature of `signed_amount`
/// under `key` (none: unsigned).
async fn callback_as(
    w: &World,
    payment: &str,
    amount: i64,
    signed_amount: i64,
    txn: &str,
    key: Option<&[u8]>,
) -> (u16, Value) {
    let body = json!({"payment_id": payment, "amount_vnd": amount, "result": "success", "gateway_ref": txn});
    let mut req = w.http.post(format!("{}/api/v1/services/payments/callback", w.base)).json(&body);
    if let Some(key) = key {
        let signed = signed_amount.to_string();
        req = req.header("x-signature", sign(key, &["payment-callback", payment, &signed, "success", txn]));
    }
    let r = req.send().await.unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

/// A callback correctly signed with the provider's secret.
pub(crate) async fn callback(w: &World, payment: &str, amount: i64, txn: &str) -> (u16, Value) {
    callback_as(w, payment, amount, amount, txn, Some(PROVIDER_SECRET.as_bytes())).await
}

/// The query of a payment page address as pairs.
fn query_of(url: &str) -> std::collections::BTreeMap<String, String> {
    serde_urlencoded::from_str(url.split_once('?').unwrap().1).unwrap()
}

async fn paid_events(w: &World) -> i64 {
    count(&w.db, "SELECT COUNT(*) FROM svc_events WHERE kind = 'paid'").await
}

/// A submitted temporary-residence application (fee 7,000 đ) of a new citizen; returns its id
/// and the citizen's token.
async fn fee_bearing_application(w: &World) -> (String, String) {
    let (_, token) = citizen(w, "M", false, 2).await;
    let until = (kernel::clock::today_vn() + chrono::Duration::days(180)).format("%Y-%m-%d").to_string();
    let body = json!({"procedure": "temporary_residence", "submit": true, "answers": {
        "commune": w.commune, "address": "Số 5, tổ dân phố 3", "until": until, "reason": "work"}});
    let (s, app) = w.send(Method::POST, &token, "/api/v1/services/applications", body).await;
    assert_eq!(s, 200, "{app}");
    assert_eq!((app["fee_status"].as_str(), app["fee_vnd"].as_i64()), (Some("unpaid"), Some(7000)));
    (app["id"].as_str().unwrap().to_string(), token)
}

async fn fee_status(w: &World, token: &str, id: &str) -> String {
    let (_, d) = w.get(token, &format!("/api/v1/services/applications/{id}")).await;
    d["application"]["fee_status"].as_str().unwrap().to_string()
}

/// Default settings (`dancu serve`): no provider, so no payment starts, and the simulator's
/// pages do not exist: a bare POST to them cannot mark a fee paid.
async fn payments_refused_without_a_provider(db: Db) {
    let w = common::world(db, 400, false).await;
    let (id, token) = fee_bearing_application(&w).await;

    let (s, e) = w.send(Method::POST, &token, &format!("/api/v1/services/applications/{id}/payment"), json!({})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (409, Some("conflict")), "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("Chưa có cổng thanh toán trực tuyến"), "{e}");
    assert!(e["error"]["message_en"].as_str().unwrap().contains("No online payment provider"), "{e}");
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM svc_payments").await, 0, "nothing was started");
    let (_, d) = w.get(&token, &format!("/api/v1/services/applications/{id}")).await;
    assert_eq!(
        (d["application"]["status"].as_str(), d["application"]["fee_status"].as_str()),
        (Some("submitted"), Some("unpaid"))
    );

    // The page offers no online payment, and its form route gives the same refusal.
    let page = w.http.get(format!("{}/applications/{id}", w.base)).bearer_auth(&token).send().await.unwrap();
    let html = page.text().await.unwrap();
    assert!(html.contains("id=\"pay-at-desk\"") && !html.contains("id=\"pay\""), "{html}");
    let r = w
        .http
        .post(format!("{}/applications/{id}/pay", w.base))
        .bearer_auth(&token)
        .form(&[("note", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("nộp lệ phí tại bộ phận một cửa"));

    // A payment left pending (by an earlier version that sent citizens to the simulator): the
    // simulator's unauthenticated POST is gone, and a forged callback is refused.
    let payment = "0000000000000000000000000000beef";
    sqlx::query(
        "INSERT INTO svc_payments (id, application_id, amount_vnd, status, gateway_ref, created_at, paid_at, \
         refunded_at) VALUES ($1, $2, 7000, 'pending', NULL, $3, NULL, NULL)",
    )
    .bind(payment)
    .bind(&id)
    .bind(kernel::clock::now_ms())
    .execute(w.db.write())
    .await
    .unwrap();
    let gateway = format!("{}/payment-gateway/{payment}", w.base);
    let r = w.http.post(&gateway).form(&[("result", "success")]).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(w.http.get(&gateway).send().await.unwrap().status(), 404);
    assert_eq!(callback_as(&w, payment, 7000, 7000, "FORGED-1", Some(b"an attacker's guess of the key")).await.0, 403);
    assert_eq!(callback_as(&w, payment, 7000, 7000, "FORGED-2", None).await.0, 403);
    assert_eq!(fee_status(&w, &token, &id).await, "unpaid");
    assert_eq!(services::payments::get(&w.db, payment).await.unwrap().unwrap().status, "pending");
    assert_eq!(paid_events(&w).await, 0);
}

/// The simulator (demo and tests) accepts only a payment request this server signed, and pays
/// through the signed-callback code: once.
async fn simulator_pays_through_signed_callbacks(db: Db) {
    let w = common::world_with(db, 400, false, simulator()).await;
    let (id, token) = fee_bearing_application(&w).await;
    let (s, p) = w.send(Method::POST, &token, &format!("/api/v1/services/applications/{id}/payment"), json!({})).await;
    assert_eq!(s, 200, "{p}");
    let payment = p["payment"]["id"].as_str().unwrap().to_string();
    let page = p["gateway_url"].as_str().unwrap().to_string();
    assert!(page.starts_with(&format!("{}/payment-gateway/{payment}?", w.base)), "{page}");
    let q = query_of(&page);
    let back = format!("{}/applications/{id}", w.base);
    assert_eq!(
        (q["reference"].as_str(), q["amount"].as_str(), q["return_url"].as_str()),
        (payment.as_str(), "7000", back.as_str())
    );
    let post = |fields: Vec<(&'static str, String)>| {
        let url = format!("{}/payment-gateway/{payment}", w.base);
        let http = w.http.clone();
        async move { http.post(url).form(&fields).send().await.unwrap() }
    };

    // Unsigned, wrongly signed, or with another amount under the real signature: refused.
    assert_eq!(post(vec![("result", "success".into())]).await.status(), 403);
    let forged = vec![
        ("result", "success".to_string()),
        ("amount", "7000".into()),
        ("return_url", back.clone()),
        ("signature", "00".repeat(32)),
    ];
    assert_eq!(post(forged).await.status(), 403);
    let cheaper = vec![
        ("result", "success".to_string()),
        ("amount", "1".into()),
        ("return_url", back.clone()),
        ("signature", q["signature"].clone()),
    ];
    assert_eq!(post(cheaper).await.status(), 403);
    let r = w.http.get(format!("{}/payment-gateway/{payment}", w.base)).send().await.unwrap();
    assert_eq!(r.status(), 403, "the page itself needs the signed request");
    assert_eq!(fee_status(&w, &token, &id).await, "unpaid");
    assert_eq!(paid_events(&w).await, 0);

    // The citizen's way: the signed page, then its confirm form.
    let r = w.http.get(&page).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("7.000 đ") && html.contains("id=\"confirm\""), "{html}");
    assert_eq!(common::hidden(&html, "signature"), q["signature"]);
    let confirm = vec![
        ("result", "success".to_string()),
        ("amount", common::hidden(&html, "amount")),
        ("return_url", q["return_url"].clone()),
        ("signature", common::hidden(&html, "signature")),
    ];
    for _ in 0..2 {
        let r = post(confirm.clone()).await;
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"].to_str().unwrap(), back);
    }
    assert_eq!(fee_status(&w, &token, &id).await, "paid");
    assert_eq!(paid_events(&w).await, 1, "a repeated confirmation changes nothing");
    let settled = services::payments::get(&w.db, &payment).await.unwrap().unwrap();
    assert_eq!(settled.status, "paid");
    assert!(settled.gateway_ref.unwrap().starts_with("SIM-"));
    let html = w.http.get(&page).send().await.unwrap().text().await.unwrap();
    assert!(!html.contains("id=\"confirm\""), "a settled payment is not offered again");
}

async fn temporary_residence_paid_online(db: Db) {
    let w = common::world_with(db, 600, false, external_provider()).await;
    let (mover, token) = citizen(&w, "M", false, 2).await;
    let until = (kernel::clock::today_vn() + chrono::Duration::days(180)).format("%Y-%m-%d").to_string();
    let body = json!({"procedure": "temporary_residence", "submit": true, "answers": {
        "commune": w.commune, "address": "Số 5, tổ dân phố 3", "until": until, "reason": "work"}});
    let (s, app) = w.send(Method::POST, &token, "/api/v1/services/applications", body.clone()).await;
    assert_eq!(s, 200, "{app}");
    assert_eq!(app["commune_code"], w.commune.as_str(), "routed to the commune of the stay");
    assert_eq!((app["fee_status"].as_str(), app["fee_vnd"].as_i64()), (Some("unpaid"), Some(7000)));
    let id = app["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/services/inbox/{id}/actions");
    let (s, _) = w.send(Method::POST, &w.commune_token, &path, act("accept", "")).await;
    assert_eq!(s, 200);
    let (s, e) = w.send(Method::POST, &w.commune_token, &path, act("approve", "")).await;
    assert_eq!(s, 409, "{e}");
    assert!(e["error"]["detail"].as_str().unwrap().contains("fee"));

    // The citizen is sent to the provider with the reference, amount and return address, signed.
    let (s, p) = w.send(Method::POST, &token, &format!("/api/v1/services/applications/{id}/payment"), json!({})).await;
    assert_eq!(s, 200, "{p}");
    let payment = p["payment"]["id"].as_str().unwrap().to_string();
    let page = p["gateway_url"].as_str().unwrap();
    assert!(page.starts_with("https://thanhtoan.example.vn/pay?"), "{page}");
    let q = query_of(page);
    let back = format!("{}/applications/{id}", w.base);
    assert_eq!(
        (q["reference"].as_str(), q["amount"].as_str(), q["return_url"].as_str()),
        (payment.as_str(), "7000", back.as_str())
    );
    let request = ["payment-request", payment.as_str(), "7000", back.as_str()];
    assert_eq!(q["signature"], sign(PROVIDER_SECRET.as_bytes(), &request));
    let (_, again) =
        w.send(Method::POST, &token, &format!("/api/v1/services/applications/{id}/payment"), json!({})).await;
    assert_eq!(again["payment"]["id"], payment.as_str(), "one pending payment, reused");
    let other = w
        .http
        .post(format!("{}/payment-gateway/{payment}", w.base))
        .form(&[("result", "success")])
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404, "no simulator beside a real provider");

    // Forged, unsigned, tampered, wrong-amount and unknown-reference callbacks change nothing.
    let guess: &[u8] = b"an attacker's guess of the key";
    assert_eq!(callback_as(&w, &payment, 7000, 7000, "TXN-1", Some(guess)).await.0, 403);
    assert_eq!(callback_as(&w, &payment, 7000, 7000, "TXN-1", None).await.0, 403);
    assert_eq!(callback_as(&w, &payment, 1, 7000, "TXN-1", Some(PROVIDER_SECRET.as_bytes())).await.0, 403);
    let (s, e) = callback(&w, &payment, 1, "TXN-1").await;
    assert_eq!((s, e["error"]["code"].as_str()), (400, Some("invalid_input")), "{e}");
    assert_eq!(callback(&w, "0000000000000000000000000000dead", 7000, "TXN-1").await.0, 404);
    assert_eq!(callback(&w, &payment, 7000, "TXN\n1").await.0, 400);
    assert_eq!(fee_status(&w, &token, &id).await, "unpaid");
    assert_eq!(services::payments::get(&w.db, &payment).await.unwrap().unwrap().status, "pending");

    // The right callback pays once; the same again answers the same payment and changes
    // nothing; another transaction for the settled payment is refused.
    let (s, first) = callback(&w, &payment, 7000, "TXN-1").await;
    assert_eq!((s, first["outcome"].as_str()), (200, Some("paid")), "{first}");
    let (s, repeat) = callback(&w, &payment, 7000, "TXN-1").await;
    assert_eq!((s, repeat["outcome"].as_str()), (200, Some("already_applied")));
    assert_eq!(repeat["payment"], first["payment"]);
    let (s, e) = callback(&w, &payment, 7000, "TXN-2").await;
    assert_eq!((s, e["error"]["code"].as_str()), (409, Some("conflict")), "{e}");
    assert_eq!(paid_events(&w).await, 1);
    assert_eq!(fee_status(&w, &token, &id).await, "paid");

    let (s, a) = w.send(Method::POST, &w.commune_token, &path, act("approve", "")).await;
    assert_eq!(s, 200, "{a}");
    assert_eq!((a["fee_status"].as_str(), a["paid_online"].as_bool()), (Some("paid"), Some(true)));
    let r = sqlx::query(
        "SELECT p.current_commune, r.expiry_date FROM persons p JOIN residences r ON r.personal_id = p.personal_id \
         WHERE p.personal_id = $1 AND r.kind = 'temporary' AND r.end_date IS NULL",
    )
    .bind(&mover)
    .fetch_one(w.db.read())
    .await
    .unwrap();
    assert_eq!(r.get::<String, _>(0), w.commune);
    assert_eq!(r.get::<String, _>(1), until);

    // A second application, paid then rejected, is refunded.
    let (_, app2) = w.send(Method::POST, &token, "/api/v1/services/applications", body).await;
    let id2 = app2["id"].as_str().unwrap().to_string();
    let (_, p2) =
        w.send(Method::POST, &token, &format!("/api/v1/services/applications/{id2}/payment"), json!({})).await;
    let (s, _) = callback(&w, p2["payment"]["id"].as_str().unwrap(), 7000, "TXN-3").await;
    assert_eq!(s, 200);
    let (s, r) = w
        .send(
            Method::POST,
            &w.commune_token,
            &format!("/api/v1/services/inbox/{id2}/actions"),
            act("reject", "Đã đăng ký tạm trú tại địa chỉ này"),
        )
        .await;
    assert_eq!((s, r["status"].as_str(), r["fee_status"].as_str()), (200, Some("rejected"), Some("refunded")), "{r}");

    // At the counter, for a citizen who came in person.
    let (inside, _) = w.inside_and_outside().await;
    let counter = json!({"procedure": "old_id_confirmation", "personal_id": inside, "answers": {}});
    let (s, c) = w.send(Method::POST, &w.commune_token, "/api/v1/services/counter", counter).await;
    assert_eq!((s, c["channel"].as_str()), (200, Some("counter")), "{c}");
    let (s, _) = w
        .send(Method::POST, &token, "/api/v1/services/counter", json!({"procedure": "x", "personal_id": inside}))
        .await;
    assert_eq!(s, 403);

    // The figures: counts per procedure and commune; KPI tallies read them.
    let (s, rows) = w.get(&w.province_token, "/api/v1/services/stats").await;
    assert_eq!(s, 200);
    let temp = rows.as_array().unwrap().iter().find(|r| r["procedure_code"] == "temporary_residence").unwrap();
    assert_eq!(
        (temp["total"].as_i64(), temp["online"].as_i64(), temp["paid_online"].as_i64()),
        (Some(2), Some(2), Some(2))
    );
    assert_eq!(temp["decided"].as_i64(), Some(2));
    let (s, _) = w.get(&token, "/api/v1/services/stats").await;
    assert_eq!(s, 403);
    let tallies =
        services::stats::commune_tally(&w.db, services::stats::Share::OnlineApplications, kernel::clock::today_vn())
            .await
            .unwrap();
    let t = tallies.iter().find(|t| t.commune_code == w.commune).unwrap();
    assert_eq!((t.total, t.matching), (3, 2), "two online, one at the counter");
}

async fn catalogue_edits_are_versioned(db: Db) {
    let w = common::world(db, 200, false).await;
    let admin = officer(&w.db, "admin.test", Role::Admin, Jurisdiction::Province("08".into())).await;
    let (_, d) = w.get(&admin, "/api/v1/services/procedures/temporary_residence").await;
    let mut p = d["procedure"].clone();
    assert_eq!(p["version"], 1);
    p["fee_vnd"] = json!(8000);
    let (s, e) =
        w.send(Method::PUT, &w.province_token, "/api/v1/services/procedures/temporary_residence", p.clone()).await;
    assert_eq!(s, 403, "{e}");
    let mut broken = p.clone();
    broken["handler_role"] = json!("mayor");
    let (s, _) = w.send(Method::PUT, &admin, "/api/v1/services/procedures/temporary_residence", broken).await;
    assert_eq!(s, 400);
    let (s, v2) = w.send(Method::PUT, &admin, "/api/v1/services/procedures/temporary_residence", p).await;
    assert_eq!((s, v2["version"].as_i64(), v2["fee_vnd"].as_i64()), (200, Some(2), Some(8000)));
    let (_, d) = w.get(&admin, "/api/v1/services/procedures/temporary_residence").await;
    assert_eq!(d["versions"].as_array().unwrap().len(), 2);

    // Holidays: administrators add and remove them; deadlines skip them.
    let (s, _) = w
        .send(
            Method::POST,
            &w.province_token,
            "/api/v1/services/holidays",
            json!({"day": "2026-12-24", "name": "Nghỉ"}),
        )
        .await;
    assert_eq!(s, 403);
    let (s, _) =
        w.send(Method::POST, &admin, "/api/v1/services/holidays", json!({"day": "24/12/2026", "name": "Nghỉ"})).await;
    assert_eq!(s, 400);
    let (s, list) = w
        .send(
            Method::POST,
            &admin,
            "/api/v1/services/holidays",
            json!({"day": "2026-12-24", "name": "Ngày nghỉ của tỉnh"}),
        )
        .await;
    assert_eq!(s, 200);
    assert!(list.as_array().unwrap().iter().any(|h| h["day"] == "2026-12-24"));
    let cal = services::sla::Calendar::load(&w.db).await.unwrap();
    assert!(!cal.is_working(chrono::NaiveDate::from_ymd_opt(2026, 12, 24).unwrap()));
    let (s, _) = w.send(Method::DELETE, &admin, "/api/v1/services/holidays/2026-12-24", json!({})).await;
    assert_eq!(s, 200);
    let (s, _) = w.send(Method::DELETE, &admin, "/api/v1/services/holidays/2026-12-24", json!({})).await;
    assert_eq!(s, 404);
}

db::dual_tests!(crate::common::migrations();
    paperless_birth_registration,
    temporary_residence_paid_online,
    payments_refused_without_a_provider,
    simulator_pays_through_signed_callbacks,
    catalogue_edits_are_versioned,
);
