//! Lodging notifications (thông báo lưu trú): accommodation facilities and their approval by the
//! commune police, guest check-in by facility staff with registry auto-fill, notifications with
//! legal deadlines routed to the police of the facility's commune, and a live police feed.

pub mod api;
pub mod checkins;
pub mod deadline;
pub mod facilities;
pub mod feed;
pub mod guests;
pub mod notifications;
pub mod scope;
pub mod stats;

pub use api::{router, ApiDoc};
pub use feed::Feed;

/// Migrations of the lodging tables.
pub const MIGRATIONS: &[db::Migration] = db::migrations!("lodging", [(1, "init")]);

/// What the lodging handlers share: the request context and the live feed.
#[derive(Clone)]
pub struct Service {
    pub ctx: web::Ctx,
    pub feed: Feed,
}
