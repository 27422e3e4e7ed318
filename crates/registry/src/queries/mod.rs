//! Reading the registry, always within the caller's jurisdiction.

pub mod cards;
pub mod households;
pub mod person_lookup;
pub mod persons;
pub mod residences;
pub mod scope;
pub mod stats;
