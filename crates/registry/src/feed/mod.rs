//! Read-only access for modules that keep figures derived from the registry (the `analytics`
//! crate): the change feed of person events in order, the current state of chosen persons with
//! their residences, and grouped counts over the whole registry. Everything here returns counts or
//! the coded attributes figures are built from (no names, addresses or ids of documents), and never
//! writes.
//!
//! Functions take a connection so a caller can read a consistent snapshot inside its own
//! transaction.

mod counts;
mod events;
mod snapshot;

pub use counts::{tallies, LifeEventCount, MoveCount, ProfileCount, RegistryTallies, TemporaryCount};
pub use events::{events_after, events_of_after, last_event_id, ChangeEvent};
pub use snapshot::{household_members, snapshots, PersonState, ResidenceState};

/// Kind of the event that creates a person (birth registration): before it the person did not
/// exist, so undoing it removes them from every figure.
pub const BORN: &str = "born";

/// `$1, $2, …` placeholders for an `IN (…)` list of `n` values starting at `$first`.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// Largest `IN (…)` list sent in one statement.
const CHUNK: usize = 500;
