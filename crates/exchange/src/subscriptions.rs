//! Subscriptions to deaths and moves (`person.changes`): the registry's change feed
//! (`registry::feed`, person events in id order) delivered to a member's system — at least once,
//! in order, from a checkpoint — over an HTTP callback or a NATS JetStream subject.
//!
//! Each delivery is one batch of up to [`BATCH`] changes, signed by the platform key as a compact
//! JWS (`typ` [`EVENTS_TYP`]) naming the subscription and the checkpoint it reaches. The checkpoint
//! moves only when the subscriber acknowledged the batch (a 2xx answer, a JetStream publish ack);
//! until then the same batch is sent again, so a subscriber down for an hour receives everything
//! it missed, in order, when it returns — and must treat a change id it has seen as done (the
//! changes carry their ids; JetStream drops a repeated batch by its message id within its
//! duplicate window). Every change delivered releases a person's data: its access-log entry is
//! durable before the batch leaves.
//!
//! Changes are read only once they are [`SETTLE_MS`] old, so a change whose transaction commits
//! after a later-numbered one has is not skipped (ids are UUIDv7, taken before the commit).

use std::sync::Arc;
use std::time::Duration;

use audit::{AccessEntry, Stores};
use db::sqlx::{self, Row};
use db::Db;
use kernel::{Actor, AppError};
use keys::KeyRing;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;

use crate::catalogue::{Service, PERSON_CHANGES};
use crate::members::{admin_event, require_admin};

/// Changes per delivery at most.
pub const BATCH: i64 = 500;
/// Age a change must reach before it is delivered, in milliseconds.
pub const SETTLE_MS: i64 = 2_000;
/// The JWS `typ` of a delivery.
pub const EVENTS_TYP: &str = "dancu-exchange-events+jwt";
/// NATS subjects of deliveries lie under this prefix, captured by the stream [`STREAM`].
pub const NATS_PREFIX: &str = "dancu.exchange.";
/// The JetStream stream holding deliveries (created when missing).
pub const STREAM: &str = "DANCU_EXCHANGE";
/// How long a subscriber has to acknowledge one delivery.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

/// How a subscription is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = ExchangeTransport)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// `POST` of the signed batch (`application/jose`) to the target URL.
    Http,
    /// The signed batch published to the target subject of the platform's NATS JetStream.
    Nats,
}

impl Transport {
    fn code(self) -> &'static str {
        match self {
            Transport::Http => "http",
            Transport::Nats => "nats",
        }
    }

    fn parse(s: &str) -> Result<Transport, AppError> {
        match s {
            "http" => Ok(Transport::Http),
            "nats" => Ok(Transport::Nats),
            other => Err(AppError::internal(format!("stored transport {other:?} is unknown"))),
        }
    }
}

/// A subscription as the administrator creates it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(as = ExchangeNewSubscription)]
pub struct NewSubscription {
    pub member: String,
    pub subsystem: String,
    /// The purpose (legal basis) of a right to `person.changes` covering `kinds`.
    pub purpose: String,
    /// `deceased`, `moved`.
    pub kinds: Vec<String>,
    pub transport: Transport,
    /// An `http(s)://` URL, or a NATS subject (`bhxh.changes`).
    pub target: String,
}

/// A stored subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = ExchangeSubscription)]
pub struct Subscription {
    pub id: String,
    pub member: String,
    pub subsystem: String,
    pub purpose: String,
    pub kinds: Vec<String>,
    pub transport: Transport,
    pub target: String,
    /// The id of the last change delivered and acknowledged.
    pub checkpoint: String,
    /// Changes delivered and acknowledged so far.
    pub delivered: i64,
    pub last_delivered_at: Option<i64>,
    /// The last failure, while deliveries fail.
    pub last_error: Option<String>,
    pub failing_since: Option<i64>,
    pub created_at: i64,
    pub cancelled_at: Option<i64>,
}

fn check_target(transport: Transport, target: &str) -> Result<(), AppError> {
    let ok = match transport {
        Transport::Http => url::Url::parse(target)
            .ok()
            .is_some_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some() && target.len() <= 500),
        Transport::Nats => {
            target.starts_with(NATS_PREFIX)
                && (1..=200).contains(&target.len())
                && !target.starts_with('.')
                && !target.ends_with('.')
                && !target.contains("..")
                && target.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        }
    };
    if ok {
        Ok(())
    } else {
        Err(AppError::invalid(match transport {
            Transport::Http => "target: an http:// or https:// URL",
            Transport::Nats => {
                "target: a NATS subject under dancu.exchange. of letters, digits, '-', '_' and '.' (no wildcards)"
            }
        }))
    }
}

/// Creates a subscription; deliveries start with the changes made from now on.
pub async fn create(stores: &Stores, actor: &Actor, s: &NewSubscription, now: i64) -> Result<String, AppError> {
    require_admin(actor)?;
    let service = Service::find(PERSON_CHANGES).ok_or_else(|| AppError::internal("person.changes not in catalogue"))?;
    let mut kinds: Vec<&str> = s.kinds.iter().map(String::as_str).collect();
    kinds.sort_unstable();
    kinds.dedup();
    if kinds.is_empty() {
        return Err(AppError::invalid("kinds: name at least one of deceased, moved"));
    }
    if let Some(k) = kinds.iter().find(|k| !service.has_field(k)) {
        return Err(AppError::invalid(format!("unknown kind {k}")));
    }
    check_target(s.transport, &s.target)?;
    let today = kernel::clock::date_vn(now);
    crate::rights::matching(&stores.db, &s.member, &s.subsystem, PERSON_CHANGES, &s.purpose, &kinds, today)
        .await?
        .ok_or_else(|| {
            AppError::new(
                kernel::ErrorCode::ExchangeNotGranted,
                format!("no right covers person.changes for {} with kinds {}", s.purpose, kinds.join(",")),
            )
        })?;
    let mut conn = stores.db.read().acquire().await?;
    let start = registry::feed::last_event_id(&mut conn).await?;
    drop(conn);
    let id = uuid::Uuid::now_v7().to_string();
    sqlx::query(
        "INSERT INTO exchange_subscriptions (id, member_code, subsystem_code, purpose, kinds, transport, target, \
         checkpoint, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&id)
    .bind(&s.member)
    .bind(&s.subsystem)
    .bind(&s.purpose)
    .bind(kinds.join(","))
    .bind(s.transport.code())
    .bind(&s.target)
    .bind(&start)
    .bind(now)
    .bind(&actor.account_id)
    .execute(stores.db.write())
    .await?;
    admin_event(stores, actor, format!("exchange.subscription_created {id} {}/{}", s.member, s.subsystem), now);
    Ok(id)
}

/// Cancels a subscription: nothing more is delivered.
pub async fn cancel(stores: &Stores, actor: &Actor, id: &str, now: i64) -> Result<(), AppError> {
    require_admin(actor)?;
    let done =
        sqlx::query("UPDATE exchange_subscriptions SET cancelled_at = $1 WHERE id = $2 AND cancelled_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(stores.db.write())
            .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::not_found(format!("subscription {id} (or cancelled already)")));
    }
    admin_event(stores, actor, format!("exchange.subscription_cancelled {id}"), now);
    Ok(())
}

const COLUMNS: &str = "id, member_code, subsystem_code, purpose, kinds, transport, target, checkpoint, delivered, \
                       last_delivered_at, last_error, failing_since, created_at, cancelled_at";

fn subscription_of(r: &db::Row) -> Result<Subscription, AppError> {
    let kinds: String = r.try_get(4)?;
    Ok(Subscription {
        id: r.try_get(0)?,
        member: r.try_get(1)?,
        subsystem: r.try_get(2)?,
        purpose: r.try_get(3)?,
        kinds: kinds.split(',').filter(|k| !k.is_empty()).map(str::to_owned).collect(),
        transport: Transport::parse(&r.try_get::<String, _>(5)?)?,
        target: r.try_get(6)?,
        checkpoint: r.try_get(7)?,
        delivered: r.try_get(8)?,
        last_delivered_at: r.try_get(9)?,
        last_error: r.try_get(10)?,
        failing_since: r.try_get(11)?,
        created_at: r.try_get(12)?,
        cancelled_at: r.try_get(13)?,
    })
}

/// Every subscription (cancelled ones included), for administrators.
pub async fn list(db: &Db, actor: &Actor) -> Result<Vec<Subscription>, AppError> {
    require_admin(actor)?;
    active_or_all(db, false).await
}

async fn active_or_all(db: &Db, active: bool) -> Result<Vec<Subscription>, AppError> {
    let filter = if active { "WHERE cancelled_at IS NULL" } else { "" };
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM exchange_subscriptions {filter} ORDER BY created_at"))
        .fetch_all(db.read())
        .await?;
    rows.iter().map(subscription_of).collect()
}

/// A delivery: the batch the subscriber receives, signed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Delivery {
    /// The platform.
    pub iss: String,
    /// The member.
    pub aud: String,
    pub subscription: String,
    /// The changes, oldest first.
    pub events: Vec<Value>,
    /// The id of the last change of this batch: the subscription's checkpoint once acknowledged.
    pub checkpoint: String,
    pub iat: i64,
}

/// Delivers the subscriptions' pending changes.
#[derive(Clone)]
pub struct Deliverer {
    pub stores: Stores,
    pub ring: Arc<KeyRing>,
    /// The platform's public URL (`iss` of deliveries).
    pub issuer: String,
    pub http: reqwest::Client,
    /// The JetStream of the platform's NATS, for `nats` subscriptions.
    pub nats: Option<async_nats::jetstream::Context>,
    /// Set once the stream [`STREAM`] is known to exist.
    pub stream_ready: Arc<tokio::sync::OnceCell<()>>,
}

/// The JetStream of the NATS server at `url`; connecting goes on in the background when the
/// server is not up yet (deliveries to `nats` subscriptions fail and are retried meanwhile).
pub async fn jetstream(url: &str) -> Result<async_nats::jetstream::Context, AppError> {
    let client = async_nats::ConnectOptions::new()
        .retry_on_initial_connect()
        .connect(url)
        .await
        .map_err(|e| AppError::internal_from("connecting to NATS", e))?;
    Ok(async_nats::jetstream::new(client))
}

impl Deliverer {
    /// One pass: every active subscription gets its next batches until it is caught up or a
    /// delivery fails. Returns the number of changes acknowledged.
    pub async fn deliver_pending(&self, now: i64) -> Result<u64, AppError> {
        let mut total = 0u64;
        for sub in active_or_all(&self.stores.db, true).await? {
            loop {
                match self.deliver_batch(&sub.id, now).await {
                    Ok(Some(n)) => total += n,
                    Ok(None) => break,
                    Err(e) => {
                        tracing::warn!(subscription = %sub.id, error = %e, "delivery failed; retrying at the next pass");
                        break;
                    }
                }
            }
        }
        Ok(total)
    }

    /// Delivers the next batch of one subscription. `Ok(None)` when there was nothing to deliver.
    async fn deliver_batch(&self, id: &str, now: i64) -> Result<Option<u64>, AppError> {
        let db = &self.stores.db;
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM exchange_subscriptions WHERE id = $1"))
            .bind(id)
            .fetch_one(db.read())
            .await?;
        let sub = subscription_of(&row)?;
        let mut conn = db.read().acquire().await?;
        let changes = registry::feed::events_after(&mut conn, &sub.checkpoint, now - SETTLE_MS, BATCH).await?;
        drop(conn);
        let Some(last) = changes.last().map(|c| c.id.clone()) else { return Ok(None) };
        let events: Vec<Value> = changes
            .iter()
            .filter(|c| sub.kinds.contains(&c.kind))
            .map(|c| {
                let mut e = serde_json::Map::new();
                e.insert("id".into(), json!(c.id));
                e.insert("kind".into(), json!(c.kind));
                e.insert("personal_id".into(), json!(c.personal_id));
                e.insert("occurred_at".into(), json!(c.occurred_at));
                for (from, to) in [("death_date", "death_date"), ("current_commune", "commune_code")] {
                    if let Some(v) = c.current.get(from) {
                        e.insert(to.into(), v.clone());
                    }
                }
                Value::Object(e)
            })
            .collect();
        if !events.is_empty() {
            self.log_release(&sub, &events, now).await?;
            let delivery = Delivery {
                iss: self.issuer.clone(),
                aud: sub.member.clone(),
                subscription: sub.id.clone(),
                events: events.clone(),
                checkpoint: last.clone(),
                iat: now.div_euclid(1000),
            };
            let jws = self.ring.sign_typed(&delivery, EVENTS_TYP)?;
            if let Err(e) = self.send(&sub, &jws, &last).await {
                sqlx::query(
                    "UPDATE exchange_subscriptions SET last_error = $1, failing_since = COALESCE(failing_since, $2) \
                     WHERE id = $3",
                )
                .bind(e.chars().take(300).collect::<String>())
                .bind(now)
                .bind(&sub.id)
                .execute(db.write())
                .await?;
                metrics::counter!("dancu_exchange_deliveries_total", "outcome" => "failed").increment(1);
                return Err(AppError::internal(format!("delivery to {}: {e}", sub.target)));
            }
            metrics::counter!("dancu_exchange_deliveries_total", "outcome" => "acknowledged").increment(1);
            metrics::counter!("dancu_exchange_events_delivered_total").increment(events.len() as u64);
        }
        sqlx::query(
            "UPDATE exchange_subscriptions SET checkpoint = $1, delivered = delivered + $2, last_delivered_at = $3, \
             last_error = NULL, failing_since = NULL WHERE id = $4 AND checkpoint = $5",
        )
        .bind(&last)
        .bind(events.len() as i64)
        .bind(now)
        .bind(&sub.id)
        .bind(&sub.checkpoint)
        .execute(db.write())
        .await?;
        Ok(Some(events.len() as u64))
    }

    /// Each change delivered tells the member something about a person: in that person's log.
    async fn log_release(&self, sub: &Subscription, events: &[Value], now: i64) -> Result<(), AppError> {
        let entries = events
            .iter()
            .map(|e| AccessEntry {
                at: now,
                actor_id: format!("exchange:{}/{}", sub.member, sub.subsystem),
                actor_label: sub.member.clone(),
                subject_id: e["personal_id"].as_str().unwrap_or_default().to_owned(),
                action: "exchange.person_changes".into(),
                purpose: crate::catalogue::Purpose::find(&sub.purpose)
                    .map_or("administration", |p| p.access_purpose)
                    .into(),
                released: if e["kind"] == "deceased" { "personal_id,status" } else { "personal_id,commune" }.into(),
                channel: "exchange".into(),
            })
            .collect();
        self.stores.access_log.record_for_case(entries, Some(format!("subscription {}", sub.id))).await
    }

    async fn send(&self, sub: &Subscription, jws: &str, last: &str) -> Result<(), String> {
        match sub.transport {
            Transport::Http => {
                let r = self
                    .http
                    .post(&sub.target)
                    .header("content-type", "application/jose")
                    .timeout(DELIVERY_TIMEOUT)
                    .body(jws.to_owned())
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                if r.status().is_success() {
                    Ok(())
                } else {
                    Err(format!("the subscriber answered {}", r.status()))
                }
            }
            Transport::Nats => {
                let js = self.nats.as_ref().ok_or("no NATS server is configured")?;
                self.stream_ready
                    .get_or_try_init(|| async {
                        js.get_or_create_stream(async_nats::jetstream::stream::Config {
                            name: STREAM.into(),
                            subjects: vec![format!("{NATS_PREFIX}>")],
                            max_age: Duration::from_secs(7 * 86_400),
                            duplicate_window: Duration::from_secs(600),
                            ..Default::default()
                        })
                        .await
                        .map(|_| ())
                        .map_err(|e| format!("JetStream stream {STREAM}: {e}"))
                    })
                    .await?;
                let mut headers = async_nats::HeaderMap::new();
                let msg_id = format!("{}:{last}", sub.id);
                headers.insert(async_nats::header::NATS_MESSAGE_ID, msg_id.as_str());
                let ack = js
                    .publish_with_headers(sub.target.clone(), headers, jws.to_owned().into())
                    .await
                    .map_err(|e| e.to_string())?;
                tokio::time::timeout(DELIVERY_TIMEOUT, ack)
                    .await
                    .map_err(|_| "no JetStream acknowledgement".to_string())?
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
        }
    }

    /// Delivers every `period` for as long as the server runs.
    pub fn spawn(self, clock: kernel::clock::Clock, period: Duration) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            loop {
                tick.tick().await;
                if let Err(e) = self.deliver_pending(clock()).await {
                    tracing::warn!(error = %e, "subscription deliveries failed; retrying at the next period");
                }
            }
        })
    }
}
