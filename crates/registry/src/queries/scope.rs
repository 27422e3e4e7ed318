//! Jurisdiction as a SQL condition, so an officer's queries can only return their own area.

use db::{Arg, Filter};
use kernel::Jurisdiction;
use kernel::{AppError, ErrorCode};

/// Restricts a query on the persons table (alias `p`) to a jurisdiction.
pub fn restrict(filter: &mut Filter, j: &Jurisdiction) {
    restrict_column(filter, j, "p.current_commune");
}

/// Restricts a query to rows whose 2025 commune `column` lies in a jurisdiction.
pub fn restrict_column(filter: &mut Filter, j: &Jurisdiction, column: &str) {
    match j {
        Jurisdiction::Commune(code) => filter.and(&format!("{column} = ?"), Arg::Text(code.clone())),
        Jurisdiction::Province(code) => filter.and(
            &format!("{column} IN (SELECT code FROM admin_communes WHERE province_code = ?)"),
            Arg::Text(code.clone()),
        ),
        // Citizens and organization staff never list residents through officer queries.
        Jurisdiction::Own(owner) => filter.and("? IS NULL", Arg::Text(owner.clone())),
    };
}

/// Checks a commune asked for explicitly: it must exist and lie inside the jurisdiction.
pub fn check_commune(j: &Jurisdiction, commune_code: &str) -> Result<(), AppError> {
    if crate::admin_units::AdminUnits::get().commune(commune_code).is_none() {
        return Err(AppError::new(ErrorCode::UnknownCommune, format!("unknown commune code {commune_code}")));
    }
    if !covers(j, commune_code) {
        return Err(AppError::new(ErrorCode::OutOfJurisdiction, "commune outside your jurisdiction"));
    }
    Ok(())
}

/// True when a 2025 commune lies inside a jurisdiction.
pub fn covers(j: &Jurisdiction, commune_code: &str) -> bool {
    match j {
        Jurisdiction::Commune(c) => c == commune_code,
        Jurisdiction::Province(p) => {
            crate::admin_units::AdminUnits::get().commune(commune_code).map(|c| &c.province_code == p).unwrap_or(false)
        }
        Jurisdiction::Own(_) => false,
    }
}
