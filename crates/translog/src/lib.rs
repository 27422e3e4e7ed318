//! The transparency log (sổ nhật ký minh bạch): an append-only Merkle tree as RFC 9162 defines it,
//! kept in the database, with signed tree heads, inclusion and consistency proofs and an offline
//! verifier.
//!
//! Why: a log that is only rows in a table can be edited without trace (rows deleted from the
//! access log went unnoticed). Here every entry is a leaf of a hash tree whose root the platform
//! signs from time to time ([`head`]); a client keeps the heads it saw and the proofs it got, and
//! [`verify::verify_log`] recomputes the tree from the stored entries, so a deleted, altered or
//! reordered entry shows as a root that no longer matches a signed head.
//!
//! The crate sits low in the graph (kernel, db, keys) so that the exchange gateway and the access
//! log can both write to it. Entries are opaque bytes: the caller decides what goes in (digests,
//! never personal data in clear).

pub mod head;
pub mod merkle;
pub mod store;
pub mod verify;
mod writer;

pub use head::{latest_head, sign_head, SignedHead};
pub use merkle::Hash;
pub use verify::{verify_log, Problem, Report};
pub use writer::TransLog;

/// Migrations of the log's tables (in the logs file on SQLite).
pub const MIGRATIONS: &[db::Migration] = db::migrations!("translog", [(1, "translog", per_backend)]);

#[cfg(test)]
mod tests;
