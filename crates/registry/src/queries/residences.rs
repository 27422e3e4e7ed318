//! Residence registration history.

use db::sqlx::{self, Row};
use db::Db;
use kernel::AppError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::admin_units::AdminUnits;

/// One residence registration, current or ended.
#[derive(Debug, Clone, Serialize, PartialEq, ToSchema)]
pub struct ResidenceView {
    /// `permanent`, `temporary` or `current`.
    pub kind: String,
    pub kind_vi: String,
    pub commune_code: String,
    pub commune_name: String,
    pub province_name: String,
    pub address: String,
    pub start_date: String,
    pub end_date: Option<String>,
    pub expiry_date: Option<String>,
    /// Not ended, and (for temporary residence) not past its expiry on `today`.
    pub active: bool,
}

/// Every residence of a person, newest first. The caller has already checked jurisdiction on the
/// person.
pub async fn history(db: &Db, personal_id: &str, today: chrono::NaiveDate) -> Result<Vec<ResidenceView>, AppError> {
    let rows = sqlx::query(
        "SELECT kind, commune_code, address, start_date, end_date, expiry_date FROM residences \
         WHERE personal_id = $1 ORDER BY start_date DESC, id DESC",
    )
    .bind(personal_id)
    .fetch_all(db.read())
    .await?;
    let units = AdminUnits::get();
    let today_s = today.format("%Y-%m-%d").to_string();
    Ok(rows
        .iter()
        .map(|r| {
            let kind: String = r.get(0);
            let code: String = r.get(1);
            let commune = units.commune(&code);
            let end: Option<String> = r.get(4);
            let expiry: Option<String> = r.get(5);
            ResidenceView {
                kind_vi: kernel::vocab::residence_kind_label(&kind).0.to_string(),
                kind,
                commune_name: commune.map(|c| c.name.clone()).unwrap_or_default(),
                province_name: commune
                    .and_then(|c| units.province(&c.province_code))
                    .map(|p| p.name.clone())
                    .unwrap_or_default(),
                commune_code: code,
                address: r.get(2),
                start_date: r.get(3),
                active: end.is_none() && expiry.as_deref().map(|e| e >= today_s.as_str()).unwrap_or(true),
                end_date: end,
                expiry_date: expiry,
            }
        })
        .collect())
}
