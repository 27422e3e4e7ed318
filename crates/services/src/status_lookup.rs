//! The public status lookup (tra cứu tình trạng hồ sơ) promised on the kiosk receipt: anyone
//! holding the receipt code and the last four digits of the applicant's personal id learns the
//! procedure, the state and the dates — nothing about the person. The digits are the second
//! factor: a receipt code alone, or codes guessed in series, answer nothing, and the handlers
//! limit how often an address or a code may ask (`api`, `pages`).

use db::sqlx::{self, Row};
use db::Db;
use kernel::AppError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::applications::model::status;

/// How many digits of the personal id the lookup asks for.
pub const TAIL_DIGITS: usize = 4;

/// What the lookup answers.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PublicStatus {
    pub receipt_code: String,
    pub procedure_code: String,
    pub procedure_vi: String,
    pub procedure_en: String,
    /// Status code of the workflow (`submitted`, `processing`, `info_requested`, `approved`,
    /// `rejected`, `withdrawn`).
    pub status: String,
    pub status_vi: String,
    pub status_en: String,
    pub submitted_at: Option<i64>,
    pub due_at: Option<i64>,
    pub decided_at: Option<i64>,
}

/// A receipt code in its stored form (upper case, trimmed), or none when it cannot be one.
pub fn normalize_code(code: &str) -> Option<String> {
    let c = code.trim().to_uppercase();
    let ok = (10..=40).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    ok.then_some(c)
}

/// True when `tail` is exactly [`TAIL_DIGITS`] digits.
pub fn is_tail(tail: &str) -> bool {
    tail.len() == TAIL_DIGITS && tail.bytes().all(|b| b.is_ascii_digit())
}

/// The status of the submitted application with this receipt code whose applicant's personal id
/// ends in `tail`; none when there is no such application or the digits do not match (the two
/// are not told apart).
pub async fn lookup(db: &Db, code: &str, tail: &str) -> Result<Option<PublicStatus>, AppError> {
    let (Some(code), true) = (normalize_code(code), is_tail(tail)) else { return Ok(None) };
    let row = sqlx::query(
        "SELECT procedure_code, status, submitted_at, due_at, decided_at, applicant_person_id FROM svc_applications \
         WHERE receipt_code = $1 AND status <> $2",
    )
    .bind(&code)
    .bind(status::DRAFT)
    .fetch_optional(db.read())
    .await?;
    let Some(r) = row else { return Ok(None) };
    let person: String = r.get(5);
    let own = person.get(person.len().saturating_sub(TAIL_DIGITS)..).unwrap_or_default();
    if !kernel::secret::ct_eq(own.as_bytes(), tail.as_bytes()) {
        return Ok(None);
    }
    let procedure: String = r.get(0);
    let p = crate::catalogue::store::get(db, &procedure).await?;
    let state: String = r.get(1);
    let (svi, sen) = status::label(&state);
    Ok(Some(PublicStatus {
        receipt_code: code,
        procedure_vi: p.as_ref().map(|p| p.name_vi.clone()).unwrap_or_else(|| procedure.clone()),
        procedure_en: p.as_ref().map(|p| p.name_en.clone()).unwrap_or_else(|| procedure.clone()),
        procedure_code: procedure,
        status: state,
        status_vi: svi.into(),
        status_en: sen.into(),
        submitted_at: r.get(2),
        due_at: r.get(3),
        decided_at: r.get(4),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_digits_are_checked_before_any_query() {
        assert_eq!(normalize_code(" 08001-261201-abc234 ").as_deref(), Some("08001-261201-ABC234"));
        assert_eq!(normalize_code("x' OR 1=1 --"), None);
        assert!(is_tail("0123"));
        assert!(!is_tail("123") && !is_tail("12345") && !is_tail("12a4"));
    }
}
