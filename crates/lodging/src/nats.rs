//! Publishing to NATS JetStream for other police systems: with `lodging.nats_url` set, every feed
//! event (notification, alert, stay change) is also published on `dancu.lodging.<commune>.<kind>`
//! to the `DANCU_LODGING` stream, one message per receiving commune, and the publisher waits for
//! JetStream's acknowledgement before the next one. A provincial system subscribes to
//! `dancu.lodging.*.notification`.
//!
//! The publisher reads the in-process feed: events published while NATS is unreachable, or more
//! than the feed's buffer behind, are not sent (a warning says how many); the database stays the
//! record and the JSON export fills gaps.

use async_nats::jetstream;

use crate::feed::Feed;

/// Stream holding the lodging subjects.
pub const STREAM: &str = "DANCU_LODGING";

/// Subject of an event for one commune.
pub fn subject(commune: &str, kind: &str) -> String {
    format!("dancu.lodging.{commune}.{kind}")
}

/// Connects, makes sure the stream exists, subscribes to the feed, then publishes in the
/// background. Returns once events published from now on will be sent.
pub async fn start(url: &str, feed: &Feed) -> Result<tokio::task::JoinHandle<()>, String> {
    let client = async_nats::connect(url).await.map_err(|e| format!("NATS connect: {e}"))?;
    let js = jetstream::new(client);
    js.get_or_create_stream(jetstream::stream::Config {
        name: STREAM.into(),
        subjects: vec!["dancu.lodging.>".into()],
        max_age: std::time::Duration::from_secs(30 * 86_400),
        ..Default::default()
    })
    .await
    .map_err(|e| format!("JetStream stream {STREAM}: {e}"))?;
    let mut rx = feed.subscribe();
    Ok(tokio::spawn(async move {
        loop {
            let ev = match rx.recv().await {
                Ok(ev) => ev,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(skipped = n, "NATS publisher fell behind the lodging feed");
                    continue;
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            };
            let payload = serde_json::to_vec(&ev.data).unwrap_or_default();
            for commune in &ev.communes {
                let sent = match js.publish(subject(commune, ev.kind), payload.clone().into()).await {
                    Ok(ack) => ack.await.map(|_| ()).map_err(|e| e.to_string()),
                    Err(e) => Err(e.to_string()),
                };
                if let Err(e) = sent {
                    tracing::warn!(error = %e, kind = ev.kind, "NATS publish failed");
                }
            }
        }
    }))
}

/// Starts the publisher in the background (a failure is logged; the server runs on).
pub fn spawn(url: String, feed: &Feed) {
    let feed = feed.clone();
    tokio::spawn(async move {
        match start(&url, &feed).await {
            Ok(_) => tracing::info!("publishing lodging events to NATS JetStream"),
            Err(e) => tracing::error!(error = %e, "lodging events will not be published to NATS"),
        }
    });
}
