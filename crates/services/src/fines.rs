//! Traffic-fine decisions (quyết định xử phạt vi phạm hành chính) and their payment. The traffic
//! police record each decision they issue: number, date, legal basis, violation, plate, amount and
//! the offender's personal id. A citizen pays a fine by naming the decision's number; the amount is
//! the decision's, never one the citizen types, and only the person the decision names can pay it.
//! Submitting reserves the decision for that application (one open payment at a time); the
//! settled payment marks it paid, once; a refund releases it.

use chrono::NaiveDate;
use db::sqlx::{self, AnyConnection, Row};
use db::Db;
use kernel::{Actor, AppError, ErrorCode, Jurisdiction, PersonalId, Role};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::applications::model::status;
use crate::documents::Line;

/// Where a submitted fine payment keeps the decision's amount in its answers (the fee reads it).
pub const AMOUNT_KEY: &str = "fine_amount";

/// Smallest and largest fine a decision may state (Decree 168/2024/NĐ-CP ranges from a few
/// hundred thousand đồng to 75 million for individuals; a 1,000 đ fine is a typing error).
const MIN_AMOUNT: i64 = 50_000;
const MAX_AMOUNT: i64 = 150_000_000;

/// A decision as the traffic police enter it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDecision {
    /// Decision number, e.g. `1234/QĐ-XPHC`.
    pub number: String,
    /// Date of the decision (`YYYY-MM-DD` or `dd/mm/yyyy`).
    pub decision_date: String,
    /// Legal basis, e.g. `Điểm a khoản 5 Điều 7 Nghị định 168/2024/NĐ-CP`.
    pub legal_basis: String,
    /// The violation as the decision states it.
    pub violation: String,
    /// Plate number of the vehicle.
    pub plate: String,
    /// The fine in đồng.
    pub amount_vnd: i64,
    /// Personal id of the person fined.
    pub personal_id: String,
}

/// A recorded decision.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Decision {
    pub number: String,
    /// `YYYY-MM-DD`.
    pub decision_date: String,
    pub legal_basis: String,
    pub violation: String,
    pub plate: String,
    pub amount_vnd: i64,
    pub person_id: String,
    /// Who recorded it (name and role).
    pub issued_by: String,
    pub created_at: i64,
    /// When its payment settled (UTC milliseconds); none while unpaid.
    pub paid_at: Option<i64>,
}

/// A required text of at most `max` characters; `label` names it in (Vietnamese, English).
fn text(field: &str, label: (&str, &str), v: &str, max: usize) -> Result<String, AppError> {
    let t = kernel::text::normalize_name(v);
    if t.is_empty() || t.chars().count() > max || t.chars().any(char::is_control) {
        return Err(AppError::invalid(format!("{field}: 1–{max} characters")).with_message(
            format!("{}: nhập từ 1 đến {max} ký tự.", label.0),
            format!("{}: 1 to {max} characters.", label.1),
        ));
    }
    Ok(t)
}

/// The decision number in its stored form (trimmed, upper case), or why it is not one.
pub fn normalize_number(v: &str) -> Result<String, AppError> {
    let n = text("number", ("Số quyết định", "Decision number"), v, 40)?.to_uppercase();
    if !n.chars().all(|c| c.is_alphanumeric() || matches!(c, '/' | '-' | '.' | ' ')) {
        return Err(AppError::invalid("number: letters, digits and / - . only").with_message(
            "Số quyết định chỉ gồm chữ, số và các dấu / - .",
            "A decision number has letters, digits and / - . only.",
        ));
    }
    Ok(n)
}

/// The traffic police record a decision: provincial police officers (role `provincial_officer`,
/// the traffic police of the provincial police) and administrators, within their province.
/// `now` (UTC milliseconds) is the time of recording; the decision date may not be after its day.
pub async fn issue(db: &Db, officer: &Actor, d: &NewDecision, now: i64) -> Result<Decision, AppError> {
    let province = issuing_province(officer)?;
    let number = normalize_number(&d.number)?;
    let date = NaiveDate::parse_from_str(d.decision_date.trim(), "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(d.decision_date.trim(), "%d/%m/%Y"))
        .map_err(|_| {
            AppError::new(ErrorCode::InvalidDate, "decision_date: YYYY-MM-DD")
                .with_message("Ngày quyết định không hợp lệ.", "Invalid decision date.")
        })?;
    if date > kernel::clock::date_vn(now) {
        return Err(AppError::new(ErrorCode::InvalidDate, "decision_date is in the future")
            .with_message("Ngày quyết định không được sau ngày hôm nay.", "The decision date cannot be after today."));
    }
    if !(MIN_AMOUNT..=MAX_AMOUNT).contains(&d.amount_vnd) {
        return Err(AppError::invalid(format!("amount_vnd: {MIN_AMOUNT}–{MAX_AMOUNT} đồng")).with_message(
            "Số tiền phạt phải từ 50.000 đến 150.000.000 đồng.",
            "The fine must be 50,000 to 150,000,000 đồng.",
        ));
    }
    let person = PersonalId::parse(&d.personal_id)?;
    let decision = Decision {
        number,
        decision_date: date.format("%Y-%m-%d").to_string(),
        legal_basis: text("legal_basis", ("Căn cứ pháp lý", "Legal basis"), &d.legal_basis, 300)?,
        violation: text("violation", ("Hành vi vi phạm", "Violation"), &d.violation, 500)?,
        plate: text("plate", ("Biển số xe", "Plate number"), &d.plate, 20)?.to_uppercase(),
        amount_vnd: d.amount_vnd,
        person_id: person.to_string(),
        issued_by: officer.actor_label(),
        created_at: now,
        paid_at: None,
    };
    let mut tx = db.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO svc_fine_decisions (number, decision_date, legal_basis, violation, plate, amount_vnd, person_id, \
         province_code, issued_by, issued_by_label, created_at, application_id, paid_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL, NULL)",
    )
    .bind(&decision.number)
    .bind(&decision.decision_date)
    .bind(&decision.legal_basis)
    .bind(&decision.violation)
    .bind(&decision.plate)
    .bind(decision.amount_vnd)
    .bind(&decision.person_id)
    .bind(&province)
    .bind(&officer.account_id)
    .bind(&decision.issued_by)
    .bind(now)
    .execute(&mut *tx)
    .await;
    match inserted {
        Ok(_) => {}
        Err(e) if e.as_database_error().is_some_and(|d| d.is_unique_violation()) => {
            return Err(AppError::new(ErrorCode::Conflict, "a decision with this number is recorded already")
                .with_message(
                    "Số quyết định này đã được ghi nhận.",
                    "A decision with this number is recorded already.",
                ));
        }
        Err(e) => return Err(e.into()),
    }
    db::idempotency::bind(&mut tx).await?;
    tx.commit().await?;
    Ok(decision)
}

const COLUMNS: &str = "number, decision_date, legal_basis, violation, plate, amount_vnd, person_id, issued_by_label, \
    created_at, paid_at";

fn decision(r: &db::sqlx::any::AnyRow) -> Decision {
    Decision {
        number: r.get(0),
        decision_date: r.get(1),
        legal_basis: r.get(2),
        violation: r.get(3),
        plate: r.get(4),
        amount_vnd: r.get(5),
        person_id: r.get(6),
        issued_by: r.get(7),
        created_at: r.get(8),
        paid_at: r.get(9),
    }
}

/// The decision with this number that names `person` (another person's decision is not found).
pub async fn of_person(db: &Db, number: &str, person: &str) -> Result<Option<Decision>, AppError> {
    let Ok(number) = normalize_number(number) else { return Ok(None) };
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM svc_fine_decisions WHERE number = $1 AND person_id = $2"))
        .bind(number)
        .bind(person)
        .fetch_optional(db.read())
        .await?;
    Ok(row.as_ref().map(decision))
}

/// The decisions naming `person`, newest first (the citizen's own list).
pub async fn of_person_all(db: &Db, person: &str) -> Result<Vec<Decision>, AppError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM svc_fine_decisions WHERE person_id = $1 ORDER BY created_at DESC LIMIT 100"
    ))
    .bind(person)
    .fetch_all(db.read())
    .await?;
    Ok(rows.iter().map(decision).collect())
}

/// The decisions recorded in a province, newest first (at most 50), for the traffic police's page.
pub async fn of_province(db: &Db, province: &str) -> Result<Vec<Decision>, AppError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM svc_fine_decisions WHERE province_code = $1 ORDER BY created_at DESC LIMIT 50"
    ))
    .bind(province)
    .fetch_all(db.read())
    .await?;
    Ok(rows.iter().map(decision).collect())
}

/// The province whose decisions `officer` records: only the provincial traffic police, who issue
/// them under the Law on Handling of Administrative Violations; anyone else is refused.
pub fn issuing_province(officer: &Actor) -> Result<String, AppError> {
    match (&officer.role, &officer.jurisdiction) {
        (Role::TrafficPolice, Jurisdiction::Province(p)) => Ok(p.clone()),
        _ => Err(AppError::forbidden("only the provincial traffic police record fine decisions").with_message(
            "Chỉ Cảnh sát giao thông cấp tỉnh ghi quyết định xử phạt.",
            "Only the provincial traffic police record fine decisions.",
        )),
    }
}

/// The decision an application pays.
pub async fn of_application(db: &Db, application_id: &str) -> Result<Option<Decision>, AppError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM svc_fine_decisions WHERE application_id = $1"))
        .bind(application_id)
        .fetch_optional(db.read())
        .await?;
    Ok(row.as_ref().map(decision))
}

/// Reserves the decision for the submitted application inside its transaction: refused with
/// `services.fine_not_payable` when it is paid or another open application holds it.
pub async fn reserve_in(tx: &mut AnyConnection, number: &str, application_id: &str) -> Result<(), AppError> {
    let n = sqlx::query(
        "UPDATE svc_fine_decisions SET application_id = $1 WHERE number = $2 AND paid_at IS NULL \
         AND (application_id IS NULL OR application_id = $1 OR application_id NOT IN \
         (SELECT id FROM svc_applications WHERE status IN ($3, $4, $5)))",
    )
    .bind(application_id)
    .bind(number)
    .bind(status::SUBMITTED)
    .bind(status::PROCESSING)
    .bind(status::INFO_REQUESTED)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(AppError::new(ErrorCode::ServicesFineNotPayable, number.to_string()));
    }
    Ok(())
}

/// The application's payment settled at `now`: its decision is paid (once).
pub async fn settle_in(tx: &mut AnyConnection, application_id: &str, now: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE svc_fine_decisions SET paid_at = $1 WHERE application_id = $2 AND paid_at IS NULL")
        .bind(now)
        .bind(application_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// The application's payment was refunded: its decision is unpaid and free again.
pub async fn release_in(tx: &mut AnyConnection, application_id: &str) -> Result<(), AppError> {
    sqlx::query("UPDATE svc_fine_decisions SET paid_at = NULL, application_id = NULL WHERE application_id = $1")
        .bind(application_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// What the fine receipt states about the decision it settles.
pub fn receipt_lines(d: &Decision) -> Vec<Line> {
    let date = NaiveDate::parse_from_str(&d.decision_date, "%Y-%m-%d")
        .map(|x| x.format("%d/%m/%Y").to_string())
        .unwrap_or_else(|_| d.decision_date.clone());
    let line = |label: &str, value: String| Line { label: label.into(), value };
    vec![
        line("Quyết định xử phạt số", d.number.clone()),
        line("Ngày quyết định", date),
        line("Hành vi vi phạm", d.violation.clone()),
        line("Căn cứ pháp lý", d.legal_basis.clone()),
        line("Biển số xe", d.plate.clone()),
        line("Số tiền đã nộp", format!("{} đồng", d.amount_vnd)),
    ]
}

#[cfg(test)]
mod tests {
    use super::normalize_number;

    #[test]
    fn decision_numbers_are_compared_in_one_form() {
        assert_eq!(normalize_number("  1234/qđ-xphc ").unwrap(), "1234/QĐ-XPHC");
        assert!(normalize_number("1234;DROP").is_err());
        assert!(normalize_number("").is_err());
        assert!(normalize_number(&"1".repeat(41)).is_err());
    }
}
