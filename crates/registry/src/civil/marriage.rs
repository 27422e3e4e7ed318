//! Marriage registration (đăng ký kết hôn): links the two spouses, after the conditions of the
//! Law on Marriage and Family 2014 Art. 8 that the registry can check (a man of at least 20, a
//! woman of at least 18, neither married, not the same person).

use chrono::NaiveDate;
use db::sqlx::{self, AnyConnection};
use kernel::Jurisdiction;
use kernel::{AppError, ErrorCode, PartialDate, PersonalId};
use serde_json::{Map, Value};

use super::{living_subject, Subject};
use crate::queries::scope::covers;

fn old_enough(s: &Subject, who: &PersonalId, on: NaiveDate) -> Result<(), AppError> {
    let min = match s.gender.as_deref() {
        Some("M") => 20,
        Some("F") => 18,
        _ => {
            return Err(AppError::invalid(format!("{who}: gender is not recorded")).with_message(
                "Sổ hộ tịch chưa ghi giới tính của một bên.",
                "The registry does not record one party's gender.",
            ))
        }
    };
    // With a partial birth date the latest possible day decides, so no one under age passes.
    let birth = s.birth_date.as_deref().and_then(|b| PartialDate::parse(b).ok());
    let Some(birth) = birth else {
        return Err(AppError::invalid(format!("{who}: date of birth is not recorded")).with_message(
            "Sổ hộ tịch chưa ghi ngày sinh của một bên.",
            "The registry does not record one party's date of birth.",
        ));
    };
    if kernel::clock::age_on(birth.latest(), on) < min {
        return Err(AppError::invalid(format!("{who}: below the legal age of marriage ({min})")).with_message(
            format!("Một bên chưa đủ tuổi kết hôn ({min} tuổi)."),
            format!("One party is below the legal age of marriage ({min})."),
        ));
    }
    Ok(())
}

/// Registers the marriage of `a` and `b` on `date`; at least one of them must live in
/// `jurisdiction` (the commune of either party registers it).
#[allow(clippy::too_many_arguments)]
pub async fn record_marriage_in(
    tx: &mut AnyConnection,
    actor: &str,
    jurisdiction: &Jurisdiction,
    a: &PersonalId,
    b: &PersonalId,
    date: NaiveDate,
    reason: &str,
    now: i64,
) -> Result<(), AppError> {
    if a == b {
        return Err(AppError::invalid("the two parties must be different persons").with_message(
            "Hai bên kết hôn phải là hai người khác nhau.",
            "The two parties must be different persons.",
        ));
    }
    if date > kernel::clock::date_vn(now) {
        return Err(AppError::new(ErrorCode::InvalidDate, "marriage date is in the future")
            .with_message("Ngày kết hôn không được sau hôm nay.", "The marriage date cannot be after today."));
    }
    let sa = living_subject(tx, a, None).await?;
    let sb = living_subject(tx, b, None).await?;
    let local = |s: &Subject| s.current_commune.as_deref().is_some_and(|c| covers(jurisdiction, c));
    if !local(&sa) && !local(&sb) {
        return Err(AppError::new(ErrorCode::OutOfJurisdiction, "neither party lives in your jurisdiction")
            .with_message("Không bên nào cư trú trên địa bàn của bạn.", "Neither party lives in your jurisdiction."));
    }
    for (s, id) in [(&sa, a), (&sb, b)] {
        if s.spouse_id.is_some() {
            return Err(AppError::new(ErrorCode::Conflict, format!("{id} is already recorded as married"))
                .with_message("Một bên đang được ghi là đã kết hôn.", "One party is already recorded as married."));
        }
        old_enough(s, id, date)?;
    }
    if sa.gender == sb.gender {
        return Err(AppError::invalid("the law recognizes marriage between a man and a woman").with_message(
            "Luật Hôn nhân và gia đình công nhận hôn nhân giữa nam và nữ.",
            "The Law on Marriage and Family recognizes marriage between a man and a woman.",
        ));
    }
    let day = date.format("%Y-%m-%d").to_string();
    for (me, other) in [(a, b), (b, a)] {
        sqlx::query("UPDATE persons SET spouse_id = $1, updated_at = $2, version = version + 1 WHERE personal_id = $3")
            .bind(other.as_str())
            .bind(now)
            .bind(me.as_str())
            .execute(&mut *tx)
            .await?;
        let mut previous = Map::new();
        previous.insert("spouse_id".into(), Value::Null);
        let mut current = Map::new();
        current.insert("spouse_id".into(), Value::String(other.to_string()));
        current.insert("marriage_date".into(), Value::String(day.clone()));
        crate::history::record(tx, me.as_str(), "married", actor, reason, &previous, &current, now).await?;
    }
    Ok(())
}
