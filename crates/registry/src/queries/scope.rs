//! Jurisdiction as a SQL condition, so an officer's queries can only return their own area.

use db::{Arg, Filter};
use web::Jurisdiction;

/// Restricts a query on the persons table (alias `p`) to a jurisdiction.
pub fn restrict(filter: &mut Filter, j: &Jurisdiction) {
    match j {
        Jurisdiction::Commune(code) => filter.and("p.current_commune = ?", Arg::Text(code.clone())),
        Jurisdiction::Province(code) => filter.and(
            "p.current_commune IN (SELECT code FROM admin_communes WHERE province_code = ?)",
            Arg::Text(code.clone()),
        ),
    };
}

/// True when a 2025 commune lies inside a jurisdiction.
pub fn covers(j: &Jurisdiction, commune_code: &str) -> bool {
    match j {
        Jurisdiction::Commune(c) => c == commune_code,
        Jurisdiction::Province(p) => {
            crate::admin_units::AdminUnits::get().commune(commune_code).map(|c| &c.province_code == p).unwrap_or(false)
        }
    }
}
