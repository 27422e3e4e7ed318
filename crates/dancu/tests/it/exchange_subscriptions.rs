//! Deaths and moves delivered to a member's subscription, on both backends: over an HTTP callback
//! that is down (the changes wait, the checkpoint stays), then up (every change arrives, in
//! order, signed), with a lost acknowledgement (the batch comes again and an idempotent receiver
//! keeps each change once); each change delivered is in its citizen's access log. With
//! `DANCU_TEST_NATS_URL` the same changes also reach a JetStream subject.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::StatusCode;
use db::sqlx::{self, Row};
use db::Db;
use reqwest::Method;
use serde_json::{json, Value};
use web::{Jurisdiction, Role};

use crate::common;

/// A member's callback: refuses while down, keeps each change id once (idempotent), and can drop
/// one acknowledgement after storing (as a timeout would).
#[derive(Default)]
struct Receiver {
    up: AtomicBool,
    lose_next_ack: AtomicBool,
    posts: AtomicUsize,
    seen: Mutex<Vec<String>>,
    batches: Mutex<Vec<String>>,
}

async fn receive(State(r): State<Arc<Receiver>>, body: String) -> StatusCode {
    r.posts.fetch_add(1, Ordering::SeqCst);
    if !r.up.load(Ordering::SeqCst) {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    r.batches.lock().unwrap().push(body.clone());
    let payload = body.split('.').nth(1).unwrap_or_default().to_string();
    use base64::Engine;
    let claims: Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    let mut seen = r.seen.lock().unwrap();
    for e in claims["events"].as_array().unwrap() {
        let id = e["id"].as_str().unwrap().to_string();
        if !seen.contains(&id) {
            seen.push(id);
        }
    }
    if r.lose_next_ack.swap(false, Ordering::SeqCst) {
        return StatusCode::GATEWAY_TIMEOUT;
    }
    StatusCode::NO_CONTENT
}

async fn subscription(w: &common::World, admin: &str) -> Value {
    let (_, v) = w.get(admin, "/api/v1/exchange/subscriptions").await;
    v.as_array().unwrap().iter().find(|s| s["transport"] == "http").cloned().unwrap()
}

async fn changes_reach_the_subscriber(db: Db) {
    let w = common::world(db.clone(), 300, false).await;
    let admin = w.staff_token("qtv.dang-ky", Role::Admin, Jurisdiction::Province("08".into())).await;
    let today = kernel::clock::today_vn();
    for (path, body) in [
        ("/api/v1/exchange/members", json!({"code": "BHXH-08", "name": "Bảo hiểm xã hội tỉnh", "class": "government"})),
        ("/api/v1/exchange/members/BHXH-08/status", json!({"status": "approved"})),
        ("/api/v1/exchange/members/BHXH-08/subsystems", json!({"code": "chi-tra", "name": "Hệ thống chi trả"})),
        (
            "/api/v1/exchange/rights",
            json!({"member": "BHXH-08", "subsystem": "chi-tra", "service": "person.changes",
            "purpose": "social_insurance", "fields": ["deceased", "moved"], "valid_from": today.to_string(),
            "valid_to": null, "daily_quota": 1000}),
        ),
    ] {
        let (s, v) = w.send(Method::POST, &admin, path, body).await;
        assert!(s == 201 || s == 204, "{path}: {v}");
    }
    let receiver = Arc::new(Receiver::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let target = format!("http://{}/changes", listener.local_addr().unwrap());
    let app = axum::Router::new().route("/changes", axum::routing::post(receive)).with_state(receiver.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });

    // Refused: no right for the purpose, a kind outside the catalogue, a target that is no URL.
    let sub = |purpose: &str, kinds: Value, transport: &str, target: &str| {
        json!({"member": "BHXH-08", "subsystem": "chi-tra", "purpose": purpose, "kinds": kinds,
               "transport": transport, "target": target})
    };
    for (body, code) in [
        (sub("tax_administration", json!(["deceased"]), "http", &target), "exchange.not_granted"),
        (sub("social_insurance", json!(["born"]), "http", &target), "invalid_input"),
        (sub("social_insurance", json!(["deceased"]), "http", "ftp://x/y"), "invalid_input"),
        (sub("social_insurance", json!(["deceased"]), "nats", "other.subject"), "invalid_input"),
    ] {
        let (_, v) = w.send(Method::POST, &admin, "/api/v1/exchange/subscriptions", body).await;
        assert_eq!(v["error"]["code"], code, "{v}");
    }
    let (_, v) = w.get(&admin, "/api/v1/exchange/subscriptions").await;
    assert_eq!(v, json!([]), "refusals create nothing");
    let (s, v) = w
        .send(
            Method::POST,
            &admin,
            "/api/v1/exchange/subscriptions",
            sub("social_insurance", json!(["deceased", "moved"]), "http", &target),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let nats_subject = format!("dancu.exchange.bhxh.{}", kernel::ids::new_id().replace('-', ""));
    let nats = match option_env!("DANCU_TEST_NATS_URL") {
        Some(url) => {
            let (s, v) = w
                .send(
                    Method::POST,
                    &admin,
                    "/api/v1/exchange/subscriptions",
                    sub("social_insurance", json!(["deceased", "moved"]), "nats", &nats_subject),
                )
                .await;
            assert_eq!(s, 201, "{v}");
            Some(exchange::subscriptions::jetstream(url).await.unwrap())
        }
        None => None,
    };

    // Two deaths and a move, with the receiver down.
    let people: Vec<String> = sqlx::query(
        "SELECT personal_id FROM persons WHERE status = 'living' AND current_commune IS NOT NULL ORDER BY personal_id LIMIT 3",
    )
    .fetch_all(db.read())
    .await
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect();
    for id in &people[..2] {
        let body = json!({"death_date": today.format("%Y-%m-%d").to_string(), "reason": "giấy báo tử"});
        let (s, v) = w.send(Method::POST, &w.province_token, &format!("/api/v1/persons/{id}/death"), body).await;
        assert_eq!(s, 200, "{v}");
    }
    registry::moves::record_move(
        &db,
        "test",
        &Jurisdiction::Province("08".into()),
        &kernel::PersonalId::parse(&people[2]).unwrap(),
        &registry::moves::Move {
            commune_code: w.other_commune().await, address: "Số 2 đường Mới".into(), date: today
        },
        "chuyển đến",
        kernel::clock::now_ms(),
    )
    .await
    .unwrap();
    let events: Vec<String> = sqlx::query("SELECT id FROM person_events WHERE personal_id IN ($1, $2, $3) ORDER BY id")
        .bind(&people[0])
        .bind(&people[1])
        .bind(&people[2])
        .fetch_all(db.read())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(events.len(), 3);

    // A deliverer of our own, its clock past the settling time; the server's runs beside it.
    let deliverer = exchange::subscriptions::Deliverer {
        stores: w.running.ctx.stores.clone(),
        ring: keys::KeyRing::load(&db, kernel::clock::now_ms).await.unwrap(),
        issuer: w.running.public_url.clone(),
        http: reqwest::Client::new(),
        nats: nats.clone(),
        stream_ready: Arc::default(),
    };
    let later = || kernel::clock::now_ms() + exchange::subscriptions::SETTLE_MS + 1_000;
    deliverer.deliver_pending(later()).await.unwrap();
    let down = subscription(&w, &admin).await;
    assert!(receiver.posts.load(Ordering::SeqCst) >= 1, "delivery was tried");
    assert!(receiver.seen.lock().unwrap().is_empty());
    assert_eq!(down["delivered"], 0, "{down}");
    assert!(down["last_error"].as_str().unwrap().contains("503"), "{down}");
    assert!(down["failing_since"].is_i64(), "{down}");

    let page = |token: String| {
        let url = format!("{}/admin/exchange", w.base);
        let http = w.http.clone();
        async move { http.get(url).bearer_auth(token).send().await.unwrap().text().await.unwrap() }
    };
    let html = page(admin.clone()).await;
    assert!(html.contains("Đang lỗi từ") && html.contains("503") && html.contains(&target), "{html}");

    // Back up, but the first acknowledgement is lost: the batch comes again.
    receiver.up.store(true, Ordering::SeqCst);
    receiver.lose_next_ack.store(true, Ordering::SeqCst);
    deliverer.deliver_pending(later()).await.unwrap();
    deliverer.deliver_pending(later()).await.unwrap();
    assert_eq!(*receiver.seen.lock().unwrap(), events, "every change once, in order");
    assert!(receiver.batches.lock().unwrap().len() >= 2, "the unacknowledged batch was sent again");
    let up = subscription(&w, &admin).await;
    assert_eq!(
        (up["delivered"].as_i64(), up["checkpoint"].as_str()),
        (Some(3), events.last().map(String::as_str)),
        "{up}"
    );
    assert!(up["last_error"].is_null(), "{up}");
    let html = page(admin.clone()).await;
    assert!(html.contains("Bình thường") && !html.contains("Đang lỗi từ"), "{html}");

    // Each batch is signed by the platform, for this member and subscription.
    let jwks: Value =
        w.http.get(format!("{}/api/v1/exchange/jwks.json", w.base)).send().await.unwrap().json().await.unwrap();
    let verifier = keys::JwksVerifier::from_jwks(&jwks).unwrap();
    let expect = keys::Expect::new().audience("BHXH-08").without_required_exp();
    for jws in receiver.batches.lock().unwrap().iter() {
        let d: exchange::subscriptions::Delivery = verifier.verify(jws, &expect).unwrap();
        assert_eq!((d.subscription.as_str(), d.checkpoint.as_str()), (up["id"].as_str().unwrap(), events[2].as_str()));
        assert_eq!(d.events[0]["kind"], "deceased");
        assert_eq!(d.events[2]["kind"], "moved");
        assert!(d.events[2]["commune_code"].is_string());
    }
    // Each change delivered is in its citizen's access log.
    for id in &people {
        let n: i64 =
            sqlx::query("SELECT COUNT(*) FROM access_log WHERE subject_id = $1 AND action = 'exchange.person_changes'")
                .bind(id)
                .fetch_one(db.read())
                .await
                .unwrap()
                .get(0);
        assert!(n >= 1, "{id}");
    }

    // JetStream: the same changes on the subject, once per batch id however often sent.
    if let Some(js) = nats {
        let stream = js.get_stream(exchange::subscriptions::STREAM).await.unwrap();
        let consumer = stream
            .create_consumer(async_nats::jetstream::consumer::pull::Config {
                filter_subject: nats_subject.clone(),
                ..Default::default()
            })
            .await
            .unwrap();
        use futures::StreamExt;
        let mut batch =
            consumer.fetch().max_messages(10).expires(std::time::Duration::from_secs(2)).messages().await.unwrap();
        let mut got = Vec::new();
        while let Some(Ok(m)) = batch.next().await {
            let d: exchange::subscriptions::Delivery =
                verifier.verify(std::str::from_utf8(&m.payload).unwrap(), &expect).unwrap();
            got.extend(d.events.iter().map(|e| e["id"].as_str().unwrap().to_string()));
        }
        assert_eq!(got, events, "JetStream holds every change once, in order");
    }
}

db::dual_tests!(crate::common::migrations(); changes_reach_the_subscriber);
