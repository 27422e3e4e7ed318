//! Checks of a submission against the applicant and the records, beyond what each field checks on
//! its own ([`crate::forms`]): a birth registration names the other parent, not the applicant; the
//! child was born after the applicant could be a parent; the same child is not registered twice;
//! the child's ethnic group, religion and nationality are the declared ones or, when left empty,
//! the applicant's (shown on the form as the default and recorded in the answers, so the officer
//! sees what will be registered). A fine payment names a decision of the applicant's that is not
//! paid yet, and its amount becomes the fee.

use chrono::NaiveDate;
use db::sqlx::{self, Row};
use db::Db;
use kernel::{AppError, PersonalId};
use registry::queries::persons::PersonView;
use serde_json::Value;

use crate::applications::model::status;
use crate::catalogue::{Effect, FieldKind, Procedure};
use crate::forms::{Answers, FieldErrors};

/// Youngest age at which the registry accepts someone as a parent.
const MIN_PARENT_AGE: u32 = 12;

fn problem(errors: &mut FieldErrors, field: &str, vi: &str, en: &str) {
    errors.insert(field.to_string(), (vi.to_string(), en.to_string()));
}

fn answer<'a>(answers: &'a Answers, name: &str) -> Option<&'a str> {
    answers.get(name).and_then(Value::as_str).filter(|v| !v.is_empty())
}

/// The applicant's own values offered as defaults for the child's ethnic group, religion and
/// nationality (field name → code).
pub fn birth_defaults(p: &Procedure, applicant: &PersonView) -> Vec<(String, String)> {
    if !matches!(p.effect, Effect::Birth | Effect::BirthResidenceInsurance) {
        return Vec::new();
    }
    p.fields
        .iter()
        .filter_map(|f| {
            let v = match (f.kind, f.name.as_str()) {
                (FieldKind::Ethnicity, _) => applicant.ethnicity.as_ref().map(|c| c.code.clone()),
                (FieldKind::Religion, _) => applicant.religion.as_ref().map(|c| c.code.clone()),
                (FieldKind::Choice, "child_nationality") => {
                    Some(applicant.nationality.clone()).filter(|n| f.options.iter().any(|o| &o[0] == n))
                }
                _ => None,
            }?;
            Some((f.name.clone(), v))
        })
        .collect()
}

/// Runs the checks for a submission; fills the defaults and, for a fine, the
/// amount into `answers`. Field problems come back by field, as the form shows them.
pub async fn on_submit(
    db: &Db,
    p: &Procedure,
    applicant: &PersonView,
    answers: &mut Answers,
) -> Result<FieldErrors, AppError> {
    let mut errors = FieldErrors::new();
    if matches!(p.effect, Effect::Birth | Effect::BirthResidenceInsurance) {
        birth(db, p, applicant, answers, &mut errors).await?;
    }
    for f in p.fields.iter().filter(|f| f.kind == FieldKind::FineDecision) {
        let Some(number) = answer(answers, &f.name) else { continue };
        match crate::fines::of_person(db, number, &applicant.personal_id).await? {
            None => problem(
                &mut errors,
                &f.name,
                "Không tìm thấy quyết định xử phạt có số này đối với bạn; kiểm tra lại số quyết định.",
                "No penalty decision with this number names you; check the number.",
            ),
            Some(d) if d.paid_at.is_some() => problem(
                &mut errors,
                &f.name,
                "Quyết định xử phạt này đã được nộp tiền.",
                "This penalty decision has been paid already.",
            ),
            Some(d) => {
                answers.insert(f.name.clone(), Value::String(d.number.clone()));
                answers.insert(crate::fines::AMOUNT_KEY.into(), Value::String(d.amount_vnd.to_string()));
            }
        }
    }
    Ok(errors)
}

async fn birth(
    db: &Db,
    p: &Procedure,
    applicant: &PersonView,
    answers: &mut Answers,
    errors: &mut FieldErrors,
) -> Result<(), AppError> {
    if answer(answers, "other_parent_id") == Some(applicant.personal_id.as_str()) {
        problem(
            errors,
            "other_parent_id",
            "Bạn là người đi khai sinh (cha hoặc mẹ của trẻ); ô này là số định danh của người còn lại.",
            "You are the applying parent; enter the other parent's personal id here.",
        );
    }
    let born = answer(answers, "child_birth_date").and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    let parent_born =
        applicant.birth_date.as_deref().and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()).or_else(|| {
            let year: i32 = applicant.birth_date.as_deref()?.get(..4)?.parse().ok()?;
            NaiveDate::from_ymd_opt(year, 1, 1)
        });
    if let (Some(born), Some(parent_born)) = (born, parent_born) {
        if born < parent_born + chrono::Months::new(12 * MIN_PARENT_AGE) {
            problem(
                errors,
                "child_birth_date",
                "Ngày sinh của trẻ không hợp lý: khi đó bạn chưa đủ 12 tuổi.",
                "Implausible date of birth: you were not yet 12 then.",
            );
        }
    }
    if let (Some(name), Some(born)) = (answer(answers, "child_name"), born) {
        let day = born.format("%Y-%m-%d").to_string();
        let me = PersonalId::parse(&applicant.personal_id)?;
        if registry::civil::has_child(db, &me, name, &day).await?
            || open_birth_application(db, p, &applicant.personal_id, name, &day).await?
        {
            problem(
                errors,
                "child_name",
                "Trẻ có cùng họ tên và ngày sinh đã được đăng ký khai sinh hoặc đang có hồ sơ khai sinh của bạn.",
                "A child with this name and date of birth is registered already or has an open application of yours.",
            );
        }
    }
    for (field, value) in birth_defaults(p, applicant) {
        if answer(answers, &field).is_none() {
            answers.insert(field, Value::String(value));
        }
    }
    Ok(())
}

/// True when the applicant has an open birth application for a child of this name (without
/// diacritics) and date.
async fn open_birth_application(
    db: &Db,
    p: &Procedure,
    applicant: &str,
    name: &str,
    day: &str,
) -> Result<bool, AppError> {
    let rows = sqlx::query(
        "SELECT answers FROM svc_applications WHERE applicant_person_id = $1 AND procedure_code = $2 \
         AND status IN ($3, $4, $5)",
    )
    .bind(applicant)
    .bind(&p.code)
    .bind(status::SUBMITTED)
    .bind(status::PROCESSING)
    .bind(status::INFO_REQUESTED)
    .fetch_all(db.read())
    .await?;
    let folded = kernel::text::fold(name);
    for r in rows {
        let a: Answers = serde_json::from_str(&r.get::<String, _>(0))?;
        let same_name = answer(&a, "child_name").is_some_and(|n| kernel::text::fold(n) == folded);
        if same_name && answer(&a, "child_birth_date") == Some(day) {
            return Ok(true);
        }
    }
    Ok(false)
}
