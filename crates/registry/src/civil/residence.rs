//! Temporary residence (đăng ký tạm trú, gia hạn tạm trú) and removal of a permanent residence
//! (xóa đăng ký thường trú), as the Law on Residence 2020 describes them.

use chrono::NaiveDate;
use db::sqlx::{self, AnyConnection, Row};
use kernel::Jurisdiction;
use kernel::{AppError, ErrorCode, PersonalId};
use serde_json::{Map, Value};

use super::{address, text};
use crate::admin_units::AdminUnits;
use crate::queries::scope::{covers, restrict_column};

/// Art. 27: a temporary residence lasts at most two years, and may be extended.
const MAX_TEMPORARY_DAYS: i64 = 2 * 365 + 1;

/// Where and how long a person stays.
#[derive(Debug, Clone)]
pub struct TemporaryStay {
    /// 2025 commune of the stay: the registering police's commune.
    pub commune_code: String,
    pub address: String,
    pub start: NaiveDate,
    pub expiry: NaiveDate,
}

fn check_period(start: NaiveDate, expiry: NaiveDate) -> Result<(), AppError> {
    if expiry <= start {
        return Err(AppError::new(ErrorCode::InvalidDate, "expiry must be after the start")
            .with_message("Ngày hết hạn tạm trú phải sau ngày bắt đầu.", "The expiry must be after the start."));
    }
    if (expiry - start).num_days() > MAX_TEMPORARY_DAYS {
        return Err(AppError::new(ErrorCode::InvalidDate, "a temporary residence lasts at most 2 years")
            .with_message("Thời hạn tạm trú tối đa là 2 năm.", "A temporary residence lasts at most 2 years."));
    }
    Ok(())
}

/// Registers a temporary residence in a commune of `jurisdiction` (the person may live anywhere
/// now). An open temporary residence elsewhere ends on the start date; the stay becomes the
/// person's current place of residence. Returns the residence id.
pub async fn register_temporary_in(
    tx: &mut AnyConnection,
    actor: &str,
    jurisdiction: &Jurisdiction,
    id: &PersonalId,
    stay: &TemporaryStay,
    reason: &str,
    now: i64,
) -> Result<String, AppError> {
    if AdminUnits::get().commune(&stay.commune_code).is_none() {
        return Err(AppError::new(ErrorCode::UnknownCommune, stay.commune_code.clone()));
    }
    if !covers(jurisdiction, &stay.commune_code) {
        return Err(AppError::new(ErrorCode::OutOfJurisdiction, "the stay is outside your jurisdiction")
            .with_message("Nơi tạm trú không thuộc địa bàn của bạn.", "The stay is outside your jurisdiction."));
    }
    if stay.start > kernel::clock::date_vn(now) {
        return Err(AppError::new(ErrorCode::InvalidDate, "start is in the future")
            .with_message("Ngày bắt đầu không được sau hôm nay.", "The start cannot be after today."));
    }
    check_period(stay.start, stay.expiry)?;
    let address = address(&stay.address)?;
    let row = sqlx::query("SELECT status, current_commune, current_address FROM persons WHERE personal_id = $1")
        .bind(id.as_str())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AppError::not_found(format!("no person {id}")))?;
    if row.get::<String, _>(0) != "living" {
        return Err(AppError::new(ErrorCode::Conflict, format!("{id} is not recorded as living")));
    }
    let start = stay.start.format("%Y-%m-%d").to_string();
    let open: Vec<(String, String)> = sqlx::query(
        "SELECT id, start_date FROM residences WHERE personal_id = $1 AND kind = 'temporary' AND end_date IS NULL",
    )
    .bind(id.as_str())
    .fetch_all(&mut *tx)
    .await?
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect();
    if open.iter().any(|(_, s)| *s >= start) {
        return Err(AppError::new(ErrorCode::Conflict, "an open temporary residence starts on or after this date")
            .with_message(
                "Người này đã có đăng ký tạm trú đang hiệu lực bắt đầu từ ngày này trở về sau.",
                "An open temporary residence starts on or after this date.",
            ));
    }
    let ended: Vec<String> = open.into_iter().map(|(i, _)| i).collect();
    sqlx::query(
        "UPDATE residences SET end_date = $1 WHERE personal_id = $2 AND kind = 'temporary' AND end_date IS NULL",
    )
    .bind(&start)
    .bind(id.as_str())
    .execute(&mut *tx)
    .await?;
    let expiry = stay.expiry.format("%Y-%m-%d").to_string();
    let residence_id =
        super::open_residence(tx, id, "temporary", &stay.commune_code, &address, &start, Some(&expiry), now).await?;
    super::set_current(tx, id, &stay.commune_code, &address, now).await?;
    let mut previous = Map::new();
    previous.insert("current_commune".into(), text(row.get(1)));
    previous.insert("current_address".into(), text(row.get(2)));
    let mut current = Map::new();
    current.insert("current_commune".into(), Value::String(stay.commune_code.clone()));
    current.insert("current_address".into(), Value::String(address));
    current.insert("residence_started".into(), Value::String(residence_id.clone()));
    current.insert("residences_ended".into(), Value::String(ended.join(",")));
    crate::history::record(tx, id.as_str(), "temporary_registered", actor, reason, &previous, &current, now).await?;
    Ok(residence_id)
}

/// Extends the open temporary residence the person holds in `jurisdiction` to `expiry`.
pub async fn extend_temporary_in(
    tx: &mut AnyConnection,
    actor: &str,
    jurisdiction: &Jurisdiction,
    id: &PersonalId,
    expiry: NaiveDate,
    reason: &str,
    now: i64,
) -> Result<(), AppError> {
    let mut f = db::Filter::new();
    f.and("r.personal_id = ?", db::Arg::Text(id.to_string()));
    f.and("r.kind = ?", db::Arg::Text("temporary".into()));
    restrict_column(&mut f, jurisdiction, "r.commune_code");
    let sql = format!("SELECT r.id, r.expiry_date FROM residences r WHERE r.end_date IS NULL AND {}", f.sql());
    let row = f.bind(sqlx::query(&sql)).fetch_optional(&mut *tx).await?;
    let Some(row) = row else {
        return Err(AppError::not_found("no open temporary residence of this person in your jurisdiction"));
    };
    let (rid, old): (String, Option<String>) = (row.get(0), row.get(1));
    let today = kernel::clock::date_vn(now);
    if old.as_deref().is_some_and(|o| o >= expiry.format("%Y-%m-%d").to_string().as_str()) {
        return Err(AppError::new(ErrorCode::InvalidDate, "the new expiry must be later than the current one")
            .with_message(
                "Hạn tạm trú mới phải sau hạn hiện tại.",
                "The new expiry must be later than the current one.",
            ));
    }
    check_period(today, expiry)?;
    let new = expiry.format("%Y-%m-%d").to_string();
    sqlx::query("UPDATE residences SET expiry_date = $1 WHERE id = $2").bind(&new).bind(&rid).execute(&mut *tx).await?;
    let mut previous = Map::new();
    previous.insert("expiry_date".into(), text(old));
    let mut current = Map::new();
    current.insert("expiry_date".into(), Value::String(new));
    current.insert("residence".into(), Value::String(rid));
    crate::history::record(tx, id.as_str(), "temporary_extended", actor, reason, &previous, &current, now).await
}

/// Ends the person's open permanent residence in `jurisdiction` on `date` (xóa đăng ký thường
/// trú, e.g. after settling abroad). The current place of residence is left as it is.
pub async fn remove_permanent_in(
    tx: &mut AnyConnection,
    actor: &str,
    jurisdiction: &Jurisdiction,
    id: &PersonalId,
    date: NaiveDate,
    reason: &str,
    now: i64,
) -> Result<(), AppError> {
    if date > kernel::clock::date_vn(now) {
        return Err(AppError::new(ErrorCode::InvalidDate, "date is in the future")
            .with_message("Ngày không được sau hôm nay.", "The date cannot be after today."));
    }
    let mut f = db::Filter::new();
    f.and("r.personal_id = ?", db::Arg::Text(id.to_string()));
    f.and("r.kind = ?", db::Arg::Text("permanent".into()));
    restrict_column(&mut f, jurisdiction, "r.commune_code");
    let sql = format!("SELECT r.id, r.start_date FROM residences r WHERE r.end_date IS NULL AND {}", f.sql());
    let row = f.bind(sqlx::query(&sql)).fetch_optional(&mut *tx).await?;
    let Some(row) = row else {
        return Err(AppError::not_found("no open permanent residence of this person in your jurisdiction"));
    };
    let (rid, start): (String, String) = (row.get(0), row.get(1));
    let day = date.format("%Y-%m-%d").to_string();
    if day < start {
        return Err(AppError::new(ErrorCode::InvalidDate, "date is before the registration began").with_message(
            "Ngày không được trước ngày bắt đầu đăng ký thường trú.",
            "The date is before the registration began.",
        ));
    }
    sqlx::query("UPDATE residences SET end_date = $1 WHERE id = $2").bind(&day).bind(&rid).execute(&mut *tx).await?;
    let mut current = Map::new();
    current.insert("residences_ended".into(), Value::String(rid));
    crate::history::record(tx, id.as_str(), "permanent_removed", actor, reason, &Map::new(), &current, now).await
}
