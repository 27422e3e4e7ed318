//! Outgoing messages (one-time codes, invitation links). Delivery is pluggable through
//! [`SmsSender`]; the default [`OutboxSender`] only writes them to the `sms_outbox` table, which
//! the demo shows at `/admin/sms-outbox`, so the platform runs without an SMS gateway.

use db::sqlx::{self, Row};
use db::Db;
use futures::future::BoxFuture;
use futures::FutureExt;
use kernel::{AppError, Page, PageRequest};
use serde::Serialize;

/// How a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Sms,
    Email,
}

impl Channel {
    pub fn code(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Email => "email",
        }
    }

    /// E-mail for addresses with an `@`, SMS otherwise.
    pub fn for_contact(contact: &str) -> Channel {
        if contact.contains('@') {
            Channel::Email
        } else {
            Channel::Sms
        }
    }
}

/// Delivers a message to a phone number or e-mail address. Implement this for a real gateway.
pub trait SmsSender: Send + Sync + 'static {
    fn send<'a>(&'a self, channel: Channel, recipient: &'a str, body: &'a str) -> BoxFuture<'a, Result<(), AppError>>;
}

/// The default sender: messages go to the outbox table only, dated by `clock`.
pub struct OutboxSender {
    db: Db,
    clock: kernel::clock::Clock,
}

impl OutboxSender {
    /// An outbox on `db`; `clock` dates the messages (`kernel::clock::now_ms` in the binary).
    pub fn new(db: Db, clock: kernel::clock::Clock) -> Self {
        Self { db, clock }
    }
}

impl SmsSender for OutboxSender {
    fn send<'a>(&'a self, channel: Channel, recipient: &'a str, body: &'a str) -> BoxFuture<'a, Result<(), AppError>> {
        async move {
            sqlx::query(
                "INSERT INTO sms_outbox (id, channel, recipient, body, created_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(kernel::ids::new_id())
            .bind(channel.code())
            .bind(recipient)
            .bind(body)
            .bind((self.clock)())
            .execute(self.db.write())
            .await?;
            Ok(())
        }
        .boxed()
    }
}

/// One message in the outbox.
#[derive(Debug, Clone, Serialize)]
pub struct OutboxMessage {
    pub channel: String,
    pub recipient: String,
    pub body: String,
    pub created_at: i64,
}

/// Newest-first messages of the outbox.
pub async fn list_outbox(db: &Db, page: PageRequest) -> Result<Page<OutboxMessage>, AppError> {
    let rows = sqlx::query(
        "SELECT channel, recipient, body, created_at FROM sms_outbox ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2",
    )
    .bind(page.limit_probe())
    .bind(page.offset())
    .fetch_all(db.read())
    .await?;
    let items = rows
        .iter()
        .map(|r| OutboxMessage { channel: r.get(0), recipient: r.get(1), body: r.get(2), created_at: r.get(3) })
        .collect();
    Ok(Page::from_probe(items, page))
}
