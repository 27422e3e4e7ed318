//! Applications (hồ sơ): their records, filing and submission, history and queries.

pub mod cases;
pub mod events;
pub mod file;
pub mod model;
pub mod query;

pub use file::{FileError, Filing};
pub use model::{Application, Channel, Event};
