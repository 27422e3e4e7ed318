//! Programme settings: the province it covers and the header of the consolidated report (issuing
//! body, document number, place), editable by administrators and the working group.

use db::sqlx::{self, Row};
use db::Db;
use kernel::AppError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The consolidated report's header fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReportHeader {
    /// 2025 province code.
    pub province: String,
    /// Governing body, e.g. "ỦY BAN NHÂN DÂN TỈNH TUYÊN QUANG".
    pub issuer: String,
    /// Issuing unit under it, e.g. "TỔ CÔNG TÁC TRIỂN KHAI ĐỀ ÁN 06".
    pub sub_issuer: String,
    /// Document number, e.g. "Số: 15/BC-TCTĐA06".
    pub number: String,
    /// Place written before the date, e.g. "Tuyên Quang".
    pub place: String,
}

const KEYS: [&str; 5] = ["province", "issuer", "sub_issuer", "number", "place"];

/// The province the programme covers (set when units are seeded); `None` before.
pub async fn province(db: &Db) -> Result<Option<String>, AppError> {
    get(db, "province").await
}

/// The province, or an error telling the operator to initialize the programme.
pub async fn require_province(db: &Db) -> Result<String, AppError> {
    province(db).await?.ok_or_else(|| AppError::not_found("programme not initialized: run `dancu programs init`"))
}

async fn get(db: &Db, key: &str) -> Result<Option<String>, AppError> {
    Ok(sqlx::query("SELECT value FROM program_settings WHERE key = $1")
        .bind(key)
        .fetch_optional(db.read())
        .await?
        .map(|r| r.get(0)))
}

pub(crate) async fn set(db: &Db, key: &str, value: &str) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO program_settings (key, value) VALUES ($1, $2) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(key)
    .bind(value)
    .execute(db.write())
    .await?;
    Ok(())
}

/// Defaults derived from the province's name.
fn defaults(province: &str) -> ReportHeader {
    let short =
        registry::admin_units::AdminUnits::get().province(province).map(|p| p.short_name.clone()).unwrap_or_default();
    ReportHeader {
        province: province.to_string(),
        issuer: format!("ỦY BAN NHÂN DÂN TỈNH {}", short.to_uppercase()),
        sub_issuer: "TỔ CÔNG TÁC TRIỂN KHAI ĐỀ ÁN 06".to_string(),
        number: "Số:      /BC-TCTĐA06".to_string(),
        place: short,
    }
}

/// The header, with defaults for keys never set.
pub async fn header(db: &Db) -> Result<ReportHeader, AppError> {
    let province = require_province(db).await?;
    let mut h = defaults(&province);
    for key in KEYS {
        if let Some(v) = get(db, key).await? {
            match key {
                "issuer" => h.issuer = v,
                "sub_issuer" => h.sub_issuer = v,
                "number" => h.number = v,
                "place" => h.place = v,
                _ => {}
            }
        }
    }
    Ok(h)
}

/// Saves the header (the province cannot change once units exist).
pub async fn save_header(db: &Db, h: &ReportHeader) -> Result<ReportHeader, AppError> {
    let province = require_province(db).await?;
    if h.province != province {
        return Err(AppError::invalid(format!("the programme covers province {province}")));
    }
    for (key, value) in
        [("issuer", &h.issuer), ("sub_issuer", &h.sub_issuer), ("number", &h.number), ("place", &h.place)]
    {
        let v = crate::text::required(value, key, 200)?;
        set(db, key, &v).await?;
    }
    header(db).await
}
