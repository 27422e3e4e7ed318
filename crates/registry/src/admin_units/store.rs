//! Copying the administrative units into the database, where foreign keys and SQL joins need them.

use db::sqlx::{self, Row};
use db::{Arg, Db};
use kernel::AppError;

use super::data::AdminUnits;

/// Loads provinces and communes once; later calls find them present and do nothing.
pub async fn ensure_loaded(db: &Db) -> Result<bool, AppError> {
    let units = AdminUnits::get();
    let have: i64 = sqlx::query("SELECT COUNT(*) FROM admin_communes").fetch_one(db.read()).await?.get(0);
    if have as usize == units.communes().len() {
        return Ok(false);
    }
    if have > 0 {
        return Err(AppError::internal("admin_communes is partly loaded; restore from backup"));
    }
    let provinces = units
        .provinces()
        .iter()
        .map(|p| vec![Arg::Text(p.code.clone()), Arg::Text(p.name.clone()), Arg::Text(p.short_name.clone())])
        .collect();
    crate::load::insert_rows(db, "admin_provinces", &["code", "name", "short_name"], provinces).await?;
    let real = |v: Option<f64>| v.map(Arg::Real).unwrap_or(Arg::Null);
    let communes = units
        .communes()
        .iter()
        .map(|c| {
            vec![
                Arg::Text(c.code.clone()),
                Arg::Text(c.province_code.clone()),
                Arg::Text(c.name.clone()),
                Arg::Text(c.short_name.clone()),
                Arg::Text(c.kind.label_vi().to_string()),
                real(c.lat),
                real(c.lon),
                real(c.area_km2),
            ]
        })
        .collect();
    crate::load::insert_rows(
        db,
        "admin_communes",
        &["code", "province_code", "name", "short_name", "kind", "lat", "lon", "area_km2"],
        communes,
    )
    .await?;
    Ok(true)
}
