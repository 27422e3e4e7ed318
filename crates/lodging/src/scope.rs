//! Jurisdiction as a SQL condition on the lodging tables, which all carry the facility's commune,
//! province and (for facilities and check-ins) the operating organization.

use db::{Arg, Filter};
use kernel::Jurisdiction;

/// Restricts a query on a table (alias `alias`) with `commune_code` and `province_code` columns.
/// Organization staff (`Own`) are pinned to the `organization_id` column when `has_org`, and see
/// nothing otherwise.
pub fn restrict(filter: &mut Filter, j: &Jurisdiction, alias: &str, has_org: bool) {
    match j {
        Jurisdiction::Commune(c) => filter.and(&format!("{alias}.commune_code = ?"), Arg::Text(c.clone())),
        Jurisdiction::Province(p) => filter.and(&format!("{alias}.province_code = ?"), Arg::Text(p.clone())),
        Jurisdiction::Own(org) if has_org => {
            filter.and(&format!("{alias}.organization_id = ?"), Arg::Text(org.clone()))
        }
        Jurisdiction::Own(org) => filter.and("? IS NULL", Arg::Text(org.clone())),
    };
}

/// True when a row of a table with an organization (commune, province, organization) passes
/// [`restrict`]: for rows read by key without the caller's jurisdiction, such as the coalesced
/// facility lookups of check-ins.
pub fn admits(j: &Jurisdiction, commune: &str, province: &str, organization: &str) -> bool {
    match j {
        Jurisdiction::Commune(c) => c == commune,
        Jurisdiction::Province(p) => p == province,
        Jurisdiction::Own(org) => org == organization,
    }
}

/// True when an event for `communes`/`province` lies inside a police jurisdiction (for the live
/// feed and the NATS publisher, where no SQL runs per event).
pub fn covers(j: &Jurisdiction, communes: &[String], province: &str) -> bool {
    match j {
        Jurisdiction::Commune(c) => communes.contains(c),
        Jurisdiction::Province(p) => p == province,
        Jurisdiction::Own(_) => false,
    }
}
