//! Feed events reach NATS JetStream on the per-commune subject and are stored in the stream. Runs
//! against the NATS server named by `DANCU_TEST_NATS_URL` (`.ci/run` starts one at 127.0.0.1:4222
//! and sets it); without the variable the test is reported as ignored (`crates/db/test_gates.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::disallowed_methods)]

use std::time::Duration;

use lodging::feed::{Feed, FeedEvent};

#[tokio::test]
#[cfg_attr(not(dancu_nats), ignore = "needs NATS: set DANCU_TEST_NATS_URL")]
async fn notifications_and_alerts_are_published_per_commune() {
    let url = std::env::var("DANCU_TEST_NATS_URL").expect("DANCU_TEST_NATS_URL names the NATS server (host:port)");
    let url = url.as_str();
    // A commune code of this run only, so earlier runs' messages cannot satisfy the test.
    let commune = format!("T{}", kernel::ids::new_id().replace('-', ""));
    let feed = Feed::new(16);
    let publisher = lodging::nats::start(url, &feed).await.expect("publisher starts");
    let client = async_nats::connect(url).await.unwrap();

    feed.publish(FeedEvent {
        kind: "notification",
        communes: vec![commune.clone()],
        province_code: "08".into(),
        data: serde_json::json!({"notification_id": "n-1", "late": false}),
    });
    feed.publish(FeedEvent {
        kind: "alert",
        communes: vec![commune.clone()],
        province_code: "08".into(),
        data: serde_json::json!({"alert_id": "a-1"}),
    });
    // JetStream keeps each event under its commune's subject. The stream is read rather than a
    // live subscription: a subscription made on another connection is not guaranteed to be in
    // place on the server before the publisher's first message arrives.
    let js = async_nats::jetstream::new(client);
    let stream = js.get_stream(lodging::nats::STREAM).await.unwrap();
    for (kind, field, id) in [("notification", "notification_id", "n-1"), ("alert", "alert_id", "a-1")] {
        let subject = lodging::nats::subject(&commune, kind);
        assert_eq!(subject, format!("dancu.lodging.{commune}.{kind}"));
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        let stored = loop {
            match stream.get_last_raw_message_by_subject(&subject).await {
                Ok(m) => break m,
                Err(_) if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(e) => panic!("no {kind} stored under {subject} within 10 s: {e}"),
            }
        };
        let v: serde_json::Value = serde_json::from_slice(&stored.payload).unwrap();
        assert_eq!(v[field], id);
    }
    publisher.abort();
}

#[tokio::test]
async fn an_unreachable_server_is_a_clear_error() {
    // Port 9 (discard) has no NATS server on the test machine.
    let feed = Feed::new(4);
    let err = lodging::nats::start("127.0.0.1:9", &feed).await.expect_err("no NATS on port 9");
    assert!(err.starts_with("NATS connect"), "{err}");
}
