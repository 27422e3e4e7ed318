//! The shared vocabulary of dancu.
//!
//! Everything here is pure: no database, no network, no clock reads except through [`clock`].
//! Business crates build on these types so that a personal id or a partial date of birth means the
//! same thing everywhere.

pub mod actor;
pub mod clock;
pub mod csv_export;
pub mod error;
pub mod gender;
pub mod ids;
pub mod lang;
pub mod page;
pub mod partial_date;
pub mod personal_id;
pub mod secret;
pub mod syllable;
pub mod text;
pub mod vocab;

pub use actor::{Actor, Jurisdiction, Role};
pub use error::{AppError, ErrorCode};
pub use gender::Gender;
pub use lang::Lang;
pub use page::{Page, PageRequest};
pub use partial_date::PartialDate;
pub use personal_id::PersonalId;
