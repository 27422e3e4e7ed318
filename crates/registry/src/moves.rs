//! Registering a change of permanent residence (chuyển hộ khẩu / đăng ký thường trú nơi mới): the
//! open registrations end on the move date, a new permanent residence starts, the person's current
//! commune follows, and a `moved` event records it in the same transaction.

use chrono::NaiveDate;
use db::sqlx::{self, Row};
use db::{Arg, Db, Filter};
use kernel::Jurisdiction;
use kernel::{AppError, ErrorCode, PersonalId};
use serde_json::{Map, Value};

use crate::admin_units::AdminUnits;
use crate::queries::scope::restrict;

/// Where a person moves to.
#[derive(Debug, Clone)]
pub struct Move {
    /// 2025 commune code of the new permanent residence.
    pub commune_code: String,
    /// Street / hamlet part of the new address.
    pub address: String,
    /// Day the new registration starts (and the old ones end).
    pub date: NaiveDate,
}

/// Records a move of a living person within `jurisdiction`. The event's `current` lists the
/// residence it started (`residence_started`) and the ones it ended (`residences_ended`, comma
/// separated) so readers of the change feed can undo it exactly. `now` is UTC milliseconds, the
/// time of the change (the move date may not be after its day), passed so tests can fix time.
pub async fn record_move(
    db: &Db,
    actor: &str,
    jurisdiction: &Jurisdiction,
    id: &PersonalId,
    to: &Move,
    reason: &str,
    now: i64,
) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    record_move_in(&mut tx, actor, jurisdiction, id, to, reason, now).await?;
    db::idempotency::bind(&mut tx).await?;
    Ok(tx.commit().await?)
}

/// Same as [`record_move`], inside the caller's transaction.
pub async fn record_move_in(
    tx: &mut sqlx::AnyConnection,
    actor: &str,
    jurisdiction: &Jurisdiction,
    id: &PersonalId,
    to: &Move,
    reason: &str,
    now: i64,
) -> Result<(), AppError> {
    if reason.trim().len() < 5 {
        return Err(AppError::invalid("reason: describe why the record changes")
            .with_message("Cần ghi lý do thay đổi.", "Describe why the record changes."));
    }
    if to.date > kernel::clock::date_vn(now) {
        return Err(AppError::new(ErrorCode::InvalidDate, "move date is in the future")
            .with_message("Ngày chuyển đến không được sau hôm nay.", "The move date cannot be after today."));
    }
    if AdminUnits::get().commune(&to.commune_code).is_none() {
        return Err(AppError::new(ErrorCode::UnknownCommune, to.commune_code.clone()));
    }
    let address = kernel::text::normalize_name(&to.address);
    if address.is_empty() || address.chars().count() > 300 {
        return Err(AppError::invalid("address: 1–300 characters")
            .with_message("Địa chỉ phải có từ 1 đến 300 ký tự.", "The address must have 1 to 300 characters."));
    }
    let mut f = Filter::new();
    f.and("p.personal_id = ?", Arg::Text(id.to_string()));
    restrict(&mut f, jurisdiction);
    let sql = format!("SELECT p.status, p.current_commune, p.current_address FROM persons p WHERE {}", f.sql());
    let row = f.bind(sqlx::query(&sql)).fetch_optional(&mut *tx).await?;
    let Some(row) = row else {
        return Err(AppError::not_found("no person with this id in your jurisdiction"));
    };
    let status: String = row.get(0);
    if status == "deceased" {
        return Err(AppError::new(ErrorCode::Conflict, "the person is recorded as deceased")
            .with_message("Người này đã được ghi là đã chết.", "The person is recorded as deceased."));
    }
    let day = to.date.format("%Y-%m-%d").to_string();
    let open = sqlx::query("SELECT id, start_date FROM residences WHERE personal_id = $1 AND end_date IS NULL")
        .bind(id.as_str())
        .fetch_all(&mut *tx)
        .await?;
    if open.iter().any(|r| r.get::<String, _>(1) >= day) {
        return Err(AppError::new(ErrorCode::InvalidDate, "move date is not after the current registration began")
            .with_message(
                "Ngày chuyển đến phải sau ngày bắt đầu đăng ký thường trú hiện tại.",
                "The move date must be after the current registration began.",
            ));
    }
    let ended: Vec<String> = open.iter().map(|r| r.get(0)).collect();
    sqlx::query("UPDATE residences SET end_date = $1 WHERE personal_id = $2 AND end_date IS NULL")
        .bind(&day)
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
    let residence_id =
        crate::civil::open_residence(tx, id, "permanent", &to.commune_code, &address, &day, None, now).await?;
    crate::civil::set_current(tx, id, &to.commune_code, &address, now).await?;
    let text = |s: Option<String>| s.map(Value::String).unwrap_or(Value::Null);
    let mut previous = Map::new();
    previous.insert("current_commune".into(), text(row.get(1)));
    previous.insert("current_address".into(), text(row.get(2)));
    let mut current = Map::new();
    current.insert("current_commune".into(), Value::String(to.commune_code.clone()));
    current.insert("current_address".into(), Value::String(address));
    current.insert("residence_started".into(), Value::String(residence_id));
    current.insert("residences_ended".into(), Value::String(ended.join(",")));
    crate::history::record(tx, id.as_str(), "moved", actor, reason.trim(), &previous, &current, now).await?;
    Ok(())
}
