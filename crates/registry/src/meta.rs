//! Small key/value facts about the registry's contents (which province was generated, with which
//! seed, when), so a demo can reuse its data.

use db::sqlx::{self, Row};
use db::Db;
use kernel::AppError;

/// Reads one value.
pub async fn get(db: &Db, key: &str) -> Result<Option<String>, AppError> {
    let row = sqlx::query("SELECT value FROM registry_meta WHERE key = $1").bind(key).fetch_optional(db.read()).await?;
    Ok(row.map(|r| r.get(0)))
}

/// Writes one value, replacing any earlier one.
pub async fn set(db: &Db, key: &str, value: &str) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO registry_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(key)
    .bind(value)
    .execute(db.write())
    .await?;
    Ok(())
}

/// Number of persons in the registry.
pub async fn person_count(db: &Db) -> Result<i64, AppError> {
    Ok(sqlx::query("SELECT COUNT(*) FROM persons").fetch_one(db.read()).await?.get(0))
}
