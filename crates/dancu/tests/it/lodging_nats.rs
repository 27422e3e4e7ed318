//! Lodging events reach NATS JetStream through the durable outbox, on SQLite and PostgreSQL: the
//! server starts while NATS is down, reports it in `/healthz` and `/metrics`, keeps the events,
//! and once NATS answers sends each of them exactly once, in commit order, on the commune's
//! subject; the same after NATS goes away and comes back while the server runs.
//!
//! Each test starts its own `nats-server -js` on a free loopback port (the binary is what the CI
//! uses for `DANCU_TEST_NATS_URL`), so it controls when NATS is reachable and reads a stream no
//! other test writes. Without `DANCU_TEST_NATS_URL` the tests are reported as ignored.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use db::Db;
use serde_json::{json, Value};

use crate::common::{self, world_with, World};
use crate::lodging::{checkin, decide, facility, living, post_checkin, staff_of};

/// A `nats-server` with JetStream on a loopback port, stopped when dropped. Its store outlives a
/// restart on the same port when given the same directory.
struct NatsServer(Child);

impl NatsServer {
    fn start(port: u16, store: &std::path::Path) -> NatsServer {
        let bin = if std::path::Path::new("/usr/sbin/nats-server").exists() {
            "/usr/sbin/nats-server"
        } else {
            "nats-server"
        };
        let child = Command::new(bin)
            .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
            .arg(store)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server is installed (the NATS tests start their own)");
        NatsServer(child)
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn healthz(w: &World) -> Value {
    let r = w.http.get(format!("{}/healthz", w.base)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200, "a NATS outage does not make the server unavailable");
    r.json().await.unwrap()
}

/// Waits (up to 30 s) until `/healthz` satisfies `ok`; returns that answer.
async fn healthz_until(w: &World, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let h = healthz(w).await;
        if ok(&h) {
            return h;
        }
        assert!(tokio::time::Instant::now() < deadline, "/healthz never showed {what}: {h}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Checks in `guests` one at a time; returns their notification ids in order.
async fn check_in_each(w: &World, staff: &str, hotel: &str, guests: &[String]) -> Vec<String> {
    let mut ids = Vec::new();
    for g in guests {
        let (s, r) = post_checkin(w, staff, None, checkin(hotel, json!([{"personal_id": g}]))).await;
        assert_eq!(s, 200, "{r}");
        ids.push(r["checkins"][0]["notification_id"].as_str().unwrap().to_string());
    }
    ids
}

/// Every message of the stream, in stream order: (subject, notification id, message id).
async fn stream_contents(port: u16) -> Vec<(String, String, String)> {
    let client = async_nats::connect(format!("127.0.0.1:{port}")).await.unwrap();
    let js = async_nats::jetstream::new(client);
    let mut stream = js.get_stream(lodging::nats::STREAM).await.unwrap();
    let n = stream.info().await.unwrap().state.messages;
    let mut out = Vec::new();
    for seq in 1..=n {
        let m = stream.get_raw_message(seq).await.unwrap();
        let v: Value = serde_json::from_slice(&m.payload).unwrap();
        let msg_id = m.headers.get(async_nats::header::NATS_MESSAGE_ID).map(|h| h.to_string()).unwrap_or_default();
        out.push((m.subject.to_string(), v["notification_id"].as_str().unwrap_or_default().to_string(), msg_id));
    }
    out
}

async fn events_survive_nats_outages(db: Db) {
    let port = free_port();
    let store = tempfile::tempdir().unwrap();
    let mut settings = dancu::server::local_settings();
    settings.lodging.nats_url = Some(format!("nats://127.0.0.1:{port}"));
    let w = world_with(db, 300, false, settings).await;
    let staff = staff_of(&w, "0109876543", &w.commune, "le.tan.nats").await;
    let hotel = facility(&w, &staff, &w.commune, "Khách sạn Tam Đảo").await;
    assert_eq!(decide(&w, &w.commune_token, &hotel, "approved").await, 200);
    let guests = living(&w, 15).await;

    // NATS has never been reachable: the server started anyway and keeps the events.
    let mut expected = check_in_each(&w, &staff, &hotel, &guests[..8]).await;
    let h = healthz_until(&w, "a backlog of 8", |h| h["outbox_backlog"] == 8).await;
    assert_eq!((h["status"].as_str(), h["nats"].as_str()), (Some("degraded"), Some("disconnected")), "{h}");
    let metrics = w.http.get(format!("{}/metrics", w.base)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("dancu_nats_connected "), "{metrics}");
    assert!(metrics.contains("dancu_outbox_backlog "), "{metrics}");

    // NATS comes up: the backlog is sent and the server is healthy again.
    let nats = NatsServer::start(port, store.path());
    healthz_until(&w, "ok with an empty backlog", |h| h["status"] == "ok" && h["outbox_backlog"] == 0).await;
    assert_eq!(healthz(&w).await["nats"], "connected");
    // A check-in while connected is sent at once (the commit wakes the publisher).
    expected.extend(check_in_each(&w, &staff, &hotel, &guests[8..10]).await);
    healthz_until(&w, "an empty backlog", |h| h["outbox_backlog"] == 0).await;

    // NATS goes away while the server runs, and comes back with its store.
    drop(nats);
    healthz_until(&w, "NATS disconnected", |h| h["nats"] == "disconnected").await;
    expected.extend(check_in_each(&w, &staff, &hotel, &guests[10..]).await);
    let h = healthz_until(&w, "a backlog of 5", |h| h["outbox_backlog"] == 5).await;
    assert_eq!(h["status"], "degraded");
    let _nats = NatsServer::start(port, store.path());
    healthz_until(&w, "ok with an empty backlog", |h| h["status"] == "ok" && h["outbox_backlog"] == 0).await;

    // Each event exactly once, in the order of the check-ins, on the facility commune's subject,
    // with its outbox id as the JetStream message id.
    let stored = stream_contents(port).await;
    let subject = lodging::nats::subject(&w.commune, "notification");
    assert!(stored.iter().all(|(s, _, _)| *s == subject), "{stored:?}");
    let ids: Vec<String> = stored.iter().map(|(_, id, _)| id.clone()).collect();
    assert_eq!(ids, expected);
    let mut msg_ids: Vec<i64> = stored.iter().map(|(_, _, m)| m.parse().expect("a numeric Nats-Msg-Id")).collect();
    let sent = msg_ids.clone();
    msg_ids.sort_unstable();
    msg_ids.dedup();
    assert_eq!((msg_ids.len(), msg_ids), (15, sent), "message ids are distinct and rise with the stream");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dancu_nats), ignore = "needs NATS: set DANCU_TEST_NATS_URL")]
async fn events_survive_nats_outages_sqlite() {
    let t = db::testing::TestDb::sqlite(&common::migrations()).await;
    events_survive_nats_outages(t.db().clone()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(all(dancu_nats, dancu_pg)),
    ignore = "needs NATS and PostgreSQL: set DANCU_TEST_NATS_URL and DANCU_TEST_DATABASE_URL"
)]
async fn events_survive_nats_outages_postgres() {
    let t = db::testing::TestDb::postgres(&common::migrations()).await;
    events_survive_nats_outages(t.db().clone()).await;
}
