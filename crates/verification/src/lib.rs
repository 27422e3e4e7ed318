//! Identity verification (xác thực danh tính) for businesses and agencies: the card QR code, the
//! citizen's signed dynamic identity QR, chip data with ICAO 9303 passive authentication, each
//! checked online against the population registry, with a signed receipt, the citizen's access log,
//! the organization's history and phone-friendly verifier pages.

pub mod caller;
pub mod cccd_qr;
pub mod check;
pub mod chip;
pub mod dynamic;
pub mod purpose;
pub mod ratelimit;
pub mod result;

/// Migrations of the verification tables.
pub const MIGRATIONS: &[db::Migration] = db::migrations!("verification", [(1, "verification")]);
