//! The shared vocabulary of dancu.
//!
//! Everything here is pure: no database, no network, no clock reads except through [`clock`].
//! Business crates build on these types so that a personal id or a partial date of birth means the
//! same thing everywhere.

pub mod clock;
pub mod error;
pub mod gender;
pub mod ids;
pub mod page;
pub mod partial_date;
pub mod personal_id;
pub mod syllable;
pub mod text;
pub mod vocab;

pub use error::{AppError, ErrorCode};
pub use gender::Gender;
pub use page::{Page, PageRequest};
pub use partial_date::PartialDate;
pub use personal_id::PersonalId;
