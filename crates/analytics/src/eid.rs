//! e-ID adoption (population figure `eid`): citizens' accounts by level and the holder's current
//! commune. The accounts belong to `identity`, which this crate does not depend on: the binary
//! counts them there (`identity::stats::eid_accounts_by_commune`) and hands the counts to
//! [`replace`], periodically and on `dancu analytics update` / `rebuild`.

use kernel::AppError;
use registry::admin_units::AdminUnits;

use crate::facts::{dim, Counts, Key};
use crate::store;

/// Checkpoint recording when the accounts were last recounted.
pub const SOURCE: &str = "eid";

/// Accounts of one level held by residents of one commune.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EidCount {
    pub commune_code: String,
    /// 1 or 2.
    pub level: i64,
    pub accounts: i64,
}

/// Replaces every stored e-ID count with a fresh recount, in one transaction. Refused whole (and
/// nothing changed) when a commune is unknown or a level is not 1 or 2.
/// `now` (UTC milliseconds) is the time of the recount.
pub async fn replace(db: &db::Db, rows: &[EidCount], now: i64) -> Result<(), AppError> {
    let mut counts = Counts::new();
    for r in rows {
        if AdminUnits::get().commune(&r.commune_code).is_none() {
            return Err(AppError::new(kernel::ErrorCode::UnknownCommune, r.commune_code.clone()));
        }
        if !(1..=2).contains(&r.level) || r.accounts < 0 {
            return Err(AppError::invalid("e-ID level must be 1 or 2 and the count not negative"));
        }
        *counts.entry(Key::new(dim::EID, &r.commune_code, &r.level.to_string(), "")).or_insert(0) += r.accounts;
    }
    store::replace_dimension(db, dim::EID, None, &counts, SOURCE, now).await
}
