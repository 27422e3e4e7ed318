//! Vietnam's administrative units: the 2025 two-level system (34 provinces, 3,321 communes), the
//! legacy three-level system (63 provinces, districts, communes) and the conversion between them.
//!
//! The data ships inside the binary (`data/admin-units/`, compiled from the GSO catalogue by the
//! `vietnamadminunits` package, MIT License, © 2025 Tran Ngoc Minh Hieu) and is parsed once.
//! Lookups work by code and by name without diacritics ("tuyen quang", "P. Hồng Hà").

mod data;
mod lookup;
mod store;

pub use data::{AdminUnits, Commune, CommuneKind, LegacyCommune, Province};
pub use lookup::LegacyAddress;
pub use store::ensure_loaded;
