//! Feed events reach NATS JetStream on the per-commune subject and are stored in the stream. Runs
//! against the local NATS at 127.0.0.1:4222 (`.ci/run` starts it); skipped with a message when
//! nothing listens there.

use std::time::Duration;

use futures::StreamExt;
use lodging::feed::{Feed, FeedEvent};

const URL: &str = "127.0.0.1:4222";

#[tokio::test]
async fn notifications_and_alerts_are_published_per_commune() {
    if tokio::net::TcpStream::connect(URL).await.is_err() {
        eprintln!("SKIPPED: no NATS server at {URL}");
        return;
    }
    // A commune code of this run only, so earlier runs' messages cannot satisfy the test.
    let commune = format!("T{}", kernel::ids::new_id().replace('-', ""));
    let feed = Feed::new(16);
    let publisher = lodging::nats::start(URL, &feed).await.expect("publisher starts");
    let client = async_nats::connect(URL).await.unwrap();
    let mut sub = client.subscribe(format!("dancu.lodging.{commune}.>")).await.unwrap();
    client.flush().await.unwrap();

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
    let mut got = Vec::new();
    for _ in 0..2 {
        let m = tokio::time::timeout(Duration::from_secs(5), sub.next()).await.expect("a message within 5 s").unwrap();
        let v: serde_json::Value = serde_json::from_slice(&m.payload).unwrap();
        got.push((m.subject.to_string(), v));
    }
    assert_eq!(got[0].0, format!("dancu.lodging.{commune}.notification"));
    assert_eq!(got[0].1["notification_id"], "n-1");
    assert_eq!(got[1].0, format!("dancu.lodging.{commune}.alert"));
    assert_eq!(got[1].1["alert_id"], "a-1");

    // JetStream kept it: the stream's last message on the subject is the notification.
    let js = async_nats::jetstream::new(client);
    let stream = js.get_stream(lodging::nats::STREAM).await.unwrap();
    let stored =
        stream.get_last_raw_message_by_subject(&lodging::nats::subject(&commune, "notification")).await.unwrap();
    let v: serde_json::Value = serde_json::from_slice(&stored.payload).unwrap();
    assert_eq!(v["notification_id"], "n-1");
    publisher.abort();
}

#[tokio::test]
async fn an_unreachable_server_is_a_clear_error() {
    // Port 9 (discard) has no NATS server on the test machine.
    let feed = Feed::new(4);
    let err = lodging::nats::start("127.0.0.1:9", &feed).await.expect_err("no NATS on port 9");
    assert!(err.starts_with("NATS connect"), "{err}");
}
