//! Lodging notifications (thông báo lưu trú): accommodation facilities and their approval by the
//! commune police, guest check-in by facility staff with registry auto-fill, notifications with
//! legal deadlines routed to the police of the facility's commune, and a live police feed.

pub mod access;
pub mod alerts;
#[allow(clippy::disallowed_methods, reason = "handlers read the clock and pass it to the domain")]
pub mod api;
pub mod checkins;
pub mod deadline;
pub mod declarations;
pub mod export;
pub mod facilities;
pub mod feed;
pub mod figures;
pub mod guests;
pub mod history;
pub mod hospital;
pub mod nats;
pub mod notifications;
pub mod outbox;
#[allow(clippy::disallowed_methods, reason = "handlers read the clock and pass it to the domain")]
pub mod pages;
pub mod scope;
pub mod settings;
pub mod stats;
pub mod stays;
pub mod tourism;
pub mod trips;
pub mod venue_scans;
pub mod venue_stats;
pub mod venues;
pub mod watchlist;
pub mod writer;

pub use api::{router, ApiDoc};
pub use feed::Feed;
pub use settings::LodgingSettings;

/// Migrations of the lodging tables.
pub const MIGRATIONS: &[db::Migration] = db::migrations!(
    "lodging",
    [
        (1, "init"),
        (2, "watchlist"),
        (3, "venues"),
        (4, "trips"),
        (5, "declarations"),
        (6, "hospital_wards"),
        (7, "write_time_indexes"),
        (8, "outbox", per_backend),
    ]
);

/// What the lodging handlers share: the request context, the live feed and the NATS outbox, the
/// group-commit writer, the platform keys (to check dynamic identity QR codes) and the lookups that
/// check-ins of concurrent requests share.
#[derive(Clone)]
pub struct Service {
    pub stores: audit::Stores,
    pub feed: Feed,
    pub outbox: outbox::Outbox,
    /// The NATS publisher's state, when a NATS URL is configured.
    pub nats: Option<std::sync::Arc<nats::Status>>,
    pub writer: writer::Writer,
    pub keys: std::sync::Arc<keys::KeyRing>,
    pub persons: registry::queries::person_lookup::PersonLookup,
    pub facilities: facilities::FacilityLookup,
    pub settings: std::sync::Arc<LodgingSettings>,
}

impl Service {
    /// Starts the check-in writer, the hourly purge of venue scans past their retention (on
    /// `clock`, `kernel::clock::now_ms` in the binary), and the NATS publisher when a NATS URL is
    /// configured.
    pub fn start(
        stores: audit::Stores,
        keys: std::sync::Arc<keys::KeyRing>,
        settings: LodgingSettings,
        clock: kernel::clock::Clock,
    ) -> Service {
        let outbox = outbox::Outbox::new(settings.nats_url.is_some());
        let writer = writer::Writer::start(stores.db.clone(), outbox.clone());
        tokio::spawn(purge_venue_scans(stores.db.clone(), settings.venue_retention_days, clock));
        let feed = Feed::default();
        let nats = settings.nats_url.as_ref().map(|url| {
            nats::Publisher {
                url: url.clone(),
                db: stores.db.clone(),
                outbox: outbox.clone(),
                retention_hours: settings.outbox_retention_hours,
                clock,
            }
            .spawn()
        });
        let persons = registry::queries::person_lookup::PersonLookup::start(&stores.db);
        let facilities = facilities::FacilityLookup::start(&stores.db);
        Service {
            stores,
            feed,
            outbox,
            nats,
            writer,
            keys,
            persons,
            facilities,
            settings: std::sync::Arc::new(settings),
        }
    }
}

impl Service {
    /// After the commit of a change: its events go to the live feed, and the NATS publisher is
    /// woken for the outbox rows the transaction wrote.
    pub(crate) fn committed(&self, events: Vec<feed::FeedEvent>) {
        for ev in events {
            self.feed.publish(ev);
        }
        self.outbox.wake();
    }
}

/// Purges raw venue scans older than `retention_days` (by `clock`) every hour.
async fn purge_venue_scans(db: db::Db, retention_days: i64, clock: kernel::clock::Clock) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        tick.tick().await;
        match venue_scans::purge(&db, retention_days, clock()).await {
            Ok(n) if n > 0 => tracing::info!(purged = n, "venue scans past retention purged"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "venue scan purge failed"),
        }
    }
}
