//! Lodging notifications (thông báo lưu trú): accommodation facilities and their approval by the
//! commune police, guest check-in by facility staff with registry auto-fill, notifications with
//! legal deadlines routed to the police of the facility's commune, and a live police feed.

pub mod alerts;
pub mod api;
mod bulk;
pub mod checkins;
pub mod deadline;
pub mod export;
pub mod facilities;
pub mod feed;
pub mod guests;
pub mod history;
pub mod nats;
pub mod notifications;
pub mod pages;
pub mod scope;
pub mod stats;
pub mod stays;
pub mod watchlist;
pub mod writer;

pub use api::{router, ApiDoc};
pub use feed::Feed;

/// Migrations of the lodging tables.
pub const MIGRATIONS: &[db::Migration] = db::migrations!("lodging", [(1, "init"), (2, "watchlist")]);

/// What the lodging handlers share: the request context, the live feed, the group-commit writer
/// and the platform keys (to check dynamic identity QR codes).
#[derive(Clone)]
pub struct Service {
    pub ctx: web::Ctx,
    pub feed: Feed,
    pub writer: writer::Writer,
    pub keys: std::sync::Arc<keys::KeyRing>,
}

impl Service {
    /// Starts the check-in writer (and the NATS publisher when `DANCU_NATS_URL` is set).
    pub fn start(ctx: web::Ctx, keys: std::sync::Arc<keys::KeyRing>) -> Service {
        let writer = writer::Writer::start(ctx.db.clone());
        let feed = Feed::default();
        nats::from_env(&feed);
        Service { ctx, feed, writer, keys }
    }
}
