//! The access log (nhật ký truy cập): every read or release of a citizen's data, with who, when,
//! for which purpose and what was released.
//!
//! Readers call [`AccessLog::record`], which only queues the entry; a background task writes queued
//! entries in batched transactions, so logging adds no database round trip to a read. Entries are
//! never updated or deleted by the application.
//!
//! The security events for the SOC ([`security`]) live here too, for the same reason: every layer
//! (the HTTP middleware, the business crates' handlers) records them through [`Stores`].

mod purpose;
mod query;
pub mod seal;
pub mod security;
mod writer;

pub use purpose::{Purpose, PURPOSES};
pub use query::{list_for_actor, list_for_subject, search_for_subject, AccessFilter, AccessRecord};
pub use security::SecurityLog;
pub use writer::{AccessEntry, AccessLog};

/// The handles a domain service works with: the database, the access log that every read of a
/// citizen's data goes through, and the security events for the SOC. The HTTP layer's `web::Ctx`
/// adds the authenticator and derefs to this, so handlers hand `&ctx` to domain code that takes
/// `&Stores`.
#[derive(Clone)]
pub struct Stores {
    pub db: db::Db,
    pub access_log: AccessLog,
    pub security: SecurityLog,
}

/// Migrations of the access-log and security-event tables.
pub const MIGRATIONS: &[db::Migration] = db::migrations!(
    "audit",
    [
        (1, "access_log", per_backend),
        (2, "logs_file", per_backend),
        (3, "security_events", per_backend),
        (4, "case_ref", per_backend),
        (5, "access_seals", per_backend)
    ]
);
