//! Opaque identifiers for rows that have no natural key: UUIDv7 as text, so they sort by creation time.

/// A new time-ordered identifier.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}
