//! Changing a person's record: validated, optimistic-concurrency-checked, and recorded as an event
//! in the same transaction.

use chrono::NaiveDate;
use db::sqlx::{self, Row};
use db::{Arg, Db, Filter};
use kernel::Jurisdiction;
use kernel::{AppError, ErrorCode, PartialDate, PersonalId};
use serde_json::{Map, Value};

use crate::queries::persons::PersonView;
use crate::queries::scope::restrict;

/// Fields an officer may correct, with their storage column names.
pub const EDITABLE_FIELDS: [&str; 9] = [
    "full_name",
    "gender",
    "birth_date",
    "birth_place",
    "hometown",
    "ethnicity",
    "religion",
    "old_id",
    "current_address",
];

/// Validates one field value and returns its storage form.
fn validate(field: &str, value: Option<&str>) -> Result<Option<String>, AppError> {
    let bad = |why: &str| AppError::invalid(format!("{field}: {why}"));
    let Some(v) = value.map(str::trim) else {
        return if field == "full_name" { Err(bad("is required")) } else { Ok(None) };
    };
    let v = match field {
        "full_name" => {
            let n = kernel::text::normalize_name(v);
            if n.is_empty() || n.chars().count() > 100 || n.chars().any(|c| c.is_ascii_digit()) {
                return Err(bad("must be 1–100 letters"));
            }
            n
        }
        "gender" => kernel::Gender::parse(v).ok_or_else(|| bad("must be M or F"))?.code().to_string(),
        "birth_date" => PartialDate::parse(v)?.to_storage(),
        "ethnicity" => kernel::vocab::ethnicity_name(v).map(|_| v.to_string()).ok_or_else(|| bad("unknown code"))?,
        "religion" => kernel::vocab::religion_name(v).map(|_| v.to_string()).ok_or_else(|| bad("unknown code"))?,
        "old_id" if !(v.len() == 9 && v.bytes().all(|b| b.is_ascii_digit())) => return Err(bad("must be 9 digits")),
        "birth_place" | "hometown" | "current_address" if v.chars().count() > 300 => {
            return Err(bad("at most 300 characters"))
        }
        f if !EDITABLE_FIELDS.contains(&f) => return Err(AppError::invalid(format!("{f} cannot be changed here"))),
        _ => kernel::text::normalize_name(v),
    };
    Ok(Some(v))
}

/// Applies a change to a person within `jurisdiction`. `expected_version` must match the stored
/// version (the caller read the record first), so two officers cannot silently overwrite each
/// other. Returns the new version. `now` is UTC milliseconds, the time of the change, passed so
/// tests can fix time.
#[allow(clippy::too_many_arguments)]
pub async fn update_person(
    db: &Db,
    actor: &str,
    jurisdiction: &Jurisdiction,
    id: &PersonalId,
    changes: &Map<String, Value>,
    reason: &str,
    expected_version: i64,
    now: i64,
) -> Result<i64, AppError> {
    if reason.trim().len() < 5 {
        return Err(AppError::invalid("reason: describe why the record changes"));
    }
    if changes.is_empty() {
        return Err(AppError::invalid("no changes given"));
    }
    let mut validated = Vec::new();
    for (field, value) in changes {
        // The row read below holds the version, then the editable fields in this order.
        let Some(column) = EDITABLE_FIELDS.iter().position(|f| *f == field.as_str()).map(|i| i + 1) else {
            return Err(AppError::invalid(format!("{field} cannot be changed here")));
        };
        let v = match value {
            Value::Null => None,
            Value::String(s) => Some(s.as_str()),
            _ => return Err(AppError::invalid(format!("{field}: must be a string or null"))),
        };
        validated.push((field.as_str(), column, validate(field, v)?));
    }
    let mut tx = db.begin().await?;
    let mut f = Filter::new();
    f.and("p.personal_id = ?", Arg::Text(id.to_string()));
    restrict(&mut f, jurisdiction);
    let sql = format!("SELECT p.version, {} FROM persons p WHERE {}", EDITABLE_FIELDS.join(", p."), f.sql()).replacen(
        "p.version, ",
        "p.version, p.",
        1,
    );
    let row = f.bind(sqlx::query(&sql)).fetch_optional(&mut *tx).await?;
    let Some(row) = row else {
        return Err(AppError::not_found("no person with this id in your jurisdiction"));
    };
    let version: i64 = row.get(0);
    if version != expected_version {
        return Err(AppError::new(ErrorCode::StaleVersion, format!("record is at version {version}")));
    }
    let mut previous = Map::new();
    let mut current = Map::new();
    let mut set = Filter::new();
    for (field, column, new) in &validated {
        let old: Option<String> = row.get(*column);
        if old == *new {
            continue;
        }
        previous.insert(field.to_string(), old.map(Value::String).unwrap_or(Value::Null));
        current.insert(field.to_string(), new.clone().map(Value::String).unwrap_or(Value::Null));
        set.and(&format!("{field} = ?"), Arg::opt(new.clone()));
        match *field {
            "full_name" => {
                set.and("name_folded = ?", Arg::Text(kernel::text::fold(new.as_deref().unwrap_or(""))));
            }
            "birth_date" => {
                let year = new.as_deref().and_then(|d| PartialDate::parse(d).ok()).map(|d| d.year_value() as i64);
                set.and("birth_year = ?", year.map(Arg::Int).unwrap_or(Arg::Null));
            }
            _ => {}
        }
    }
    if previous.is_empty() {
        return Err(AppError::invalid("the values given equal the stored ones"));
    }
    set.and("updated_at = ?", Arg::Int(now));
    let n = set.next_placeholder();
    let sql = format!(
        "UPDATE persons SET {}, version = version + 1 WHERE personal_id = ${n} AND version = ${}",
        set.sql().replace(" AND ", ", "),
        n + 1
    );
    let done = set.bind(sqlx::query(&sql)).bind(id.as_str()).bind(version).execute(&mut *tx).await?;
    if done.rows_affected() != 1 {
        return Err(AppError::new(ErrorCode::StaleVersion, "record changed meanwhile"));
    }
    crate::history::record(&mut tx, id.as_str(), "updated", actor, reason.trim(), &previous, &current, now).await?;
    db::idempotency::bind(&mut tx).await?;
    tx.commit().await?;
    Ok(version + 1)
}

/// Records a death: the person becomes deceased, their active residences end and valid cards are
/// revoked, all in one transaction with an event. `now` is UTC milliseconds, the time of the
/// change (the death date may not be after its day), passed so tests can fix time.
pub async fn record_death(
    db: &Db,
    actor: &str,
    jurisdiction: &Jurisdiction,
    id: &PersonalId,
    death_date: NaiveDate,
    reason: &str,
    now: i64,
) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    record_death_in(&mut tx, actor, jurisdiction, id, death_date, reason, now).await?;
    db::idempotency::bind(&mut tx).await?;
    Ok(tx.commit().await?)
}

/// Same as [`record_death`], inside the caller's transaction.
pub async fn record_death_in(
    tx: &mut sqlx::AnyConnection,
    actor: &str,
    jurisdiction: &Jurisdiction,
    id: &PersonalId,
    death_date: NaiveDate,
    reason: &str,
    now: i64,
) -> Result<(), AppError> {
    if death_date > kernel::clock::date_vn(now) {
        return Err(AppError::new(ErrorCode::InvalidDate, "death date is in the future"));
    }
    let mut f = Filter::new();
    f.and("p.personal_id = ?", Arg::Text(id.to_string()));
    restrict(&mut f, jurisdiction);
    let sql = format!("SELECT p.status, p.death_date, p.birth_date FROM persons p WHERE {}", f.sql());
    let row = f.bind(sqlx::query(&sql)).fetch_optional(&mut *tx).await?;
    let Some(row) = row else {
        return Err(AppError::not_found("no person with this id in your jurisdiction"));
    };
    let status: String = row.get(0);
    if status == "deceased" {
        return Err(AppError::new(ErrorCode::Conflict, "already recorded as deceased"));
    }
    let birth: Option<String> = row.get(2);
    if let Some(b) = birth.as_deref().and_then(|b| PartialDate::parse(b).ok()) {
        if death_date < b.earliest() {
            return Err(AppError::new(ErrorCode::InvalidDate, "death date is before birth"));
        }
    }
    let day = death_date.format("%Y-%m-%d").to_string();
    let ended: Vec<String> = sqlx::query("SELECT id FROM residences WHERE personal_id = $1 AND end_date IS NULL")
        .bind(id.as_str())
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    sqlx::query("UPDATE persons SET status = 'deceased', death_date = $1, updated_at = $2, version = version + 1 WHERE personal_id = $3")
        .bind(&day)
        .bind(now)
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE residences SET end_date = $1 WHERE personal_id = $2 AND end_date IS NULL")
        .bind(&day)
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE identity_cards SET status = 'revoked' WHERE personal_id = $1 AND status = 'valid'")
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
    let mut previous = Map::new();
    previous.insert("status".into(), Value::String(status));
    previous.insert("death_date".into(), row.get::<Option<String>, _>(1).map(Value::String).unwrap_or(Value::Null));
    let mut current = Map::new();
    current.insert("status".into(), Value::String("deceased".into()));
    current.insert("death_date".into(), Value::String(day));
    // Lets readers of the change feed undo the death exactly (see `crate::feed`).
    current.insert("residences_ended".into(), Value::String(ended.join(",")));
    crate::history::record(tx, id.as_str(), "deceased", actor, reason, &previous, &current, now).await?;
    Ok(())
}

/// Sets one stored field on a view (used to rebuild a record as of a past date).
pub(crate) fn apply_field(p: &mut PersonView, field: &str, value: Option<&str>) {
    let s = value.map(str::to_owned);
    match field {
        "full_name" => p.full_name = s.unwrap_or_default(),
        "gender" => p.gender = s,
        "birth_date" => {
            let d = value.and_then(|v| PartialDate::parse(v).ok());
            p.birth_date = d.map(|d| d.to_storage());
            p.birth_date_vn = d.map(|d| d.to_vn());
            p.birth_date_precision = d.map(|d| crate::queries::persons::precision_code(&d).to_string());
        }
        "birth_place" => p.birth_place = s,
        "hometown" => p.hometown = s,
        "ethnicity" => {
            p.ethnicity = s.map(|c| crate::queries::persons::Coded {
                name: kernel::vocab::ethnicity_name(&c).unwrap_or("?").to_string(),
                code: c,
            })
        }
        "religion" => {
            p.religion = s.map(|c| crate::queries::persons::Coded {
                name: kernel::vocab::religion_name(&c).unwrap_or("?").to_string(),
                code: c,
            })
        }
        "old_id" => p.old_id = s,
        "current_address" => {
            if let Some(r) = p.current_residence.as_mut() {
                r.address = s.unwrap_or_default();
            }
        }
        "status" => p.status = s.unwrap_or_else(|| "living".into()),
        "death_date" => p.death_date = s,
        _ => {}
    }
}
