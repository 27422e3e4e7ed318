//! The population registry of one province (CSDLQG về dân cư, provincial slice): persons,
//! households, residences, identity cards, their history, the administrative units they live in,
//! data-quality rules, and a synthetic province generator for demos, tests and benchmarks.

pub mod access;
pub mod admin_units;
#[allow(clippy::disallowed_methods, reason = "handlers read the clock and pass it to the domain")]
pub mod api;
pub mod card;
pub mod civil;
pub mod feed;
pub mod generate;
pub mod history;
pub mod io;
pub mod load;
pub mod meta;
pub mod model;
pub mod moves;
#[allow(clippy::disallowed_methods, reason = "handlers read the clock and pass it to the domain")]
pub mod pages;
pub mod quality;
pub mod queries;
pub mod sample;
pub mod write;

/// Migrations of the registry tables.
pub const MIGRATIONS: &[db::Migration] = db::migrations!("registry", [(1, "init", per_backend), (2, "civil")]);
