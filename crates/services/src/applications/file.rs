//! Creating an application, saving it as a draft, and submitting it: answers checked against the
//! procedure, the handling agency chosen, the fee and the statutory deadline fixed, a receipt code
//! issued.

use std::collections::BTreeMap;

use db::sqlx;
use db::Db;
use kernel::{AppError, ErrorCode};
use rand::seq::SliceRandom;
use registry::queries::persons::PersonView;

use super::model::{fee, status, Application, Channel};
use crate::catalogue::{Effect, Procedure};
use crate::forms::{self, FieldErrors};
use crate::prefill::PrefillItem;

/// Why filing failed: field problems to show next to the inputs (with the procedure they belong
/// to, whose labels name them in messages), or any other error.
#[derive(Debug)]
pub enum FileError {
    Fields(FieldErrors, Box<Procedure>),
    App(AppError),
}

impl From<AppError> for FileError {
    fn from(e: AppError) -> Self {
        FileError::App(e)
    }
}

impl From<db::sqlx::Error> for FileError {
    #[track_caller]
    fn from(e: db::sqlx::Error) -> Self {
        FileError::App(e.into())
    }
}

impl From<serde_json::Error> for FileError {
    #[track_caller]
    fn from(e: serde_json::Error) -> Self {
        FileError::App(e.into())
    }
}

impl FileError {
    /// Field problems of an application for `p`.
    pub fn fields(p: &Procedure, errors: FieldErrors) -> FileError {
        FileError::Fields(errors, Box::new(p.clone()))
    }

    /// One API error for either kind.
    pub fn into_app(self) -> AppError {
        match self {
            FileError::Fields(f, p) => forms::to_app_error(&p, &f),
            FileError::App(e) => e,
        }
    }
}

/// Everything needed to file an application.
pub struct Filing<'a> {
    pub procedure: &'a Procedure,
    pub applicant: &'a PersonView,
    pub prefill: &'a [PrefillItem],
    /// The citizen's account (online), or none (kiosk, counter).
    pub account_id: Option<&'a str>,
    /// Who acts, for the history ("Nguyễn Văn A (Công dân)").
    pub actor_id: &'a str,
    pub actor_label: &'a str,
    pub channel: Channel,
    pub by_official: bool,
    pub answers: &'a BTreeMap<String, String>,
    /// Submit now; otherwise keep as a draft (required fields may still be empty).
    pub submit: bool,
    /// UTC milliseconds: the time of filing, passed so tests can fix time.
    pub now: i64,
}

/// The commune whose agency handles the application: the place of the new residence for
/// residence registrations, otherwise where the applicant lives now.
fn route(p: &Procedure, answers: &forms::Answers, applicant: &PersonView) -> Result<String, AppError> {
    if matches!(p.effect, Effect::TemporaryResidence | Effect::PermanentResidence) {
        if let Some(c) = answers.get("commune").and_then(|v| v.as_str()) {
            return Ok(c.to_string());
        }
    }
    applicant
        .current_residence
        .as_ref()
        .map(|r| r.commune_code.clone())
        .ok_or_else(|| AppError::invalid("the applicant has no current residence in the registry"))
}

/// Checks the answers (all required fields when submitting) and, for a submission, the rules that
/// look at the applicant and the records ([`crate::rules`]), which also fill the defaults and a
/// fine's amount. `now` (UTC milliseconds) gives the day dates are checked against.
async fn check_answers(
    db: &Db,
    p: &Procedure,
    applicant: &PersonView,
    raw: &BTreeMap<String, String>,
    submit: bool,
    now: i64,
) -> Result<forms::Answers, FileError> {
    let relaxed;
    let p = if submit {
        p
    } else {
        relaxed = Procedure {
            fields: p
                .fields
                .iter()
                .cloned()
                .map(|mut f| {
                    f.required = false;
                    f
                })
                .collect(),
            ..p.clone()
        };
        &relaxed
    };
    let mut answers = forms::validate(p, raw, kernel::clock::date_vn(now)).map_err(|e| FileError::fields(p, e))?;
    if submit {
        let problems = crate::rules::on_submit(db, p, applicant, &mut answers).await?;
        if !problems.is_empty() {
            return Err(FileError::fields(p, problems));
        }
    }
    Ok(answers)
}

/// Reserves the fine decision a submitted payment names (see [`crate::fines::reserve_in`]).
async fn reserve_fine(
    tx: &mut db::sqlx::AnyConnection,
    p: &Procedure,
    answers: &forms::Answers,
    id: &str,
) -> Result<(), AppError> {
    for f in p.fields.iter().filter(|f| f.kind == crate::catalogue::FieldKind::FineDecision) {
        if let Some(number) = answers.get(&f.name).and_then(|v| v.as_str()) {
            crate::fines::reserve_in(tx, number, id).await?;
        }
    }
    Ok(())
}

/// A receipt code: commune, date and six random characters (no 0/O or 1/I to misread).
fn receipt_code(commune: &str, now_ms: i64) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let day = kernel::clock::ms_to_vn(now_ms).format("%y%m%d");
    let mut rng = rand::thread_rng();
    let tail: String = (0..6).filter_map(|_| ALPHABET.choose(&mut rng)).map(|&b| char::from(b)).collect();
    format!("{commune}-{day}-{tail}")
}

/// Creates an application, as a draft or submitted at once (one transaction either way).
pub async fn create(db: &Db, f: &Filing<'_>) -> Result<Application, FileError> {
    let answers = check_answers(db, f.procedure, f.applicant, f.answers, f.submit, f.now).await?;
    let commune = route(f.procedure, &answers, f.applicant)?;
    let province = registry::admin_units::AdminUnits::get()
        .commune(&commune)
        .map(|c| c.province_code.clone())
        .ok_or_else(|| AppError::new(ErrorCode::UnknownCommune, commune.clone()))?;
    let p = f.procedure;
    if f.submit {
        // Files are attached to a draft; a procedure that needs them cannot be submitted in one go.
        let mut missing = FieldErrors::new();
        for slot in p.attachments.iter().filter(|s| s.required) {
            missing.insert(
                slot.name.clone(),
                (
                    "Cần đính kèm tệp này (lưu nháp rồi đính kèm).".into(),
                    "This file is required (save a draft, then attach it).".into(),
                ),
            );
        }
        if !missing.is_empty() {
            return Err(FileError::fields(p, missing));
        }
    }
    let now = f.now;
    let (state, submitted, month, due, amount) = if f.submit {
        let due = crate::sla::Calendar::load(db).await?.due_ms(now, p.processing_days);
        let month = kernel::clock::ms_to_vn(now).format("%Y-%m").to_string();
        (status::SUBMITTED, Some(now), Some(month), Some(due), p.fee_for(&answers))
    } else {
        (status::DRAFT, None, None, None, 0)
    };
    let fee_status = if amount > 0 { fee::UNPAID } else { fee::NONE };
    let answers_text = serde_json::Value::Object(answers.clone()).to_string();
    let prefill_text = serde_json::to_string(f.prefill)?;
    let id = kernel::ids::new_id();
    // Six random characters per commune and day rarely clash; the unique index decides, and a
    // clash is retried with a new code.
    for attempt in 0..3 {
        let code = receipt_code(&commune, now);
        let mut tx = db.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO svc_applications (id, receipt_code, procedure_code, procedure_version, applicant_account_id, \
             applicant_person_id, applicant_name, applicant_name_folded, commune_code, province_code, agency_level, \
             handler_role, channel, by_official, status, answers, prefill, fee_vnd, fee_status, paid_online, \
             assigned_to, submitted_at, submitted_month, due_at, decided_at, decision_note, result_code, created_at, \
             updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
             $18, $19, 0, NULL, $20, $21, $22, NULL, NULL, NULL, $23, $23, 1)",
        )
        .bind(&id)
        .bind(&code)
        .bind(&p.code)
        .bind(p.version)
        .bind(f.account_id)
        .bind(&f.applicant.personal_id)
        .bind(&f.applicant.full_name)
        .bind(kernel::text::fold(&f.applicant.full_name))
        .bind(&commune)
        .bind(&province)
        .bind(&p.agency_level)
        .bind(&p.handler_role)
        .bind(f.channel.code())
        .bind(i64::from(f.by_official))
        .bind(state)
        .bind(&answers_text)
        .bind(&prefill_text)
        .bind(amount)
        .bind(fee_status)
        .bind(submitted)
        .bind(month.as_deref())
        .bind(due)
        .bind(now)
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {}
            Err(e) if attempt < 2 && e.as_database_error().is_some_and(|d| d.is_unique_violation()) => continue,
            Err(e) => return Err(kernel::AppError::from(e).into()),
        }
        super::events::add(&mut tx, &id, f.actor_id, f.actor_label, "created", "", now).await?;
        if f.submit {
            reserve_fine(&mut tx, p, &answers, &id).await?;
            super::events::add(&mut tx, &id, f.actor_id, f.actor_label, "submitted", "", now).await?;
        }
        db::idempotency::bind(&mut tx).await?;
        tx.commit().await?;
        return Ok(super::query::by_id(db, &id).await?.ok_or_else(|| AppError::internal("application vanished"))?);
    }
    Err(AppError::internal("no free receipt code").into())
}

/// Replaces a draft's answers (the applicant's own draft only), optionally submitting it.
pub async fn update_draft(db: &Db, app: &Application, f: &Filing<'_>) -> Result<Application, FileError> {
    if app.status != status::DRAFT {
        return Err(AppError::new(ErrorCode::Conflict, "only a draft can be edited").into());
    }
    // The submission's checks run in `submit`, on what is stored here.
    let answers = check_answers(db, f.procedure, f.applicant, f.answers, false, f.now).await?;
    let commune = route(f.procedure, &answers, f.applicant)?;
    let province = registry::admin_units::AdminUnits::get()
        .commune(&commune)
        .map(|c| c.province_code.clone())
        .ok_or_else(|| AppError::new(ErrorCode::UnknownCommune, commune.clone()))?;
    let n = sqlx::query(
        "UPDATE svc_applications SET answers = $1, commune_code = $2, province_code = $3, by_official = $4, \
         updated_at = $5, version = version + 1 WHERE id = $6 AND status = $7",
    )
    .bind(serde_json::Value::Object(answers).to_string())
    .bind(&commune)
    .bind(&province)
    .bind(i64::from(f.by_official))
    .bind(f.now)
    .bind(&app.id)
    .bind(status::DRAFT)
    .execute(db.write())
    .await?
    .rows_affected();
    if n == 0 {
        return Err(AppError::new(ErrorCode::Conflict, "only a draft can be edited").into());
    }
    if f.submit {
        return submit(db, &app.id, f.applicant, f.actor_id, f.actor_label, f.now).await;
    }
    Ok(super::query::by_id(db, &app.id).await?.ok_or_else(|| AppError::internal("application vanished"))?)
}

/// Submits a draft of `applicant`: every required field and attachment must be there and the
/// submission's rules hold; the fee and the statutory deadline are fixed at `now` (UTC
/// milliseconds).
pub async fn submit(
    db: &Db,
    id: &str,
    applicant: &PersonView,
    actor_id: &str,
    actor_label: &str,
    now: i64,
) -> Result<Application, FileError> {
    let app = super::query::by_id(db, id).await?.ok_or_else(|| AppError::not_found("no such application"))?;
    if app.status != status::DRAFT {
        return Err(AppError::new(ErrorCode::Conflict, "the application was already submitted").into());
    }
    let p = crate::catalogue::store::get_version(db, &app.procedure_code, app.procedure_version)
        .await?
        .ok_or_else(|| AppError::internal("procedure version missing"))?;
    let raw: BTreeMap<String, String> =
        app.answers.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())).collect();
    let answers = check_answers(db, &p, applicant, &raw, true, now).await?;
    let have = crate::attachments::slots_of(db, id).await?;
    let mut missing = FieldErrors::new();
    for slot in p.attachments.iter().filter(|s| s.required && !have.contains(&s.name)) {
        missing.insert(slot.name.clone(), ("Cần đính kèm tệp này.".into(), "This file is required.".into()));
    }
    if !missing.is_empty() {
        return Err(FileError::fields(&p, missing));
    }
    let due = crate::sla::Calendar::load(db).await?.due_ms(now, p.processing_days);
    let amount = p.fee_for(&answers);
    let mut tx = db.begin().await?;
    let n = sqlx::query(
        "UPDATE svc_applications SET status = $1, submitted_at = $2, due_at = $3, fee_vnd = $4, fee_status = $5, \
         submitted_month = $8, answers = $9, updated_at = $2, version = version + 1 WHERE id = $6 AND status = $7",
    )
    .bind(status::SUBMITTED)
    .bind(now)
    .bind(due)
    .bind(amount)
    .bind(if amount > 0 { fee::UNPAID } else { fee::NONE })
    .bind(id)
    .bind(status::DRAFT)
    .bind(kernel::clock::ms_to_vn(now).format("%Y-%m").to_string())
    .bind(serde_json::Value::Object(answers.clone()).to_string())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(AppError::new(ErrorCode::Conflict, "the application was already submitted").into());
    }
    reserve_fine(&mut tx, &p, &answers, id).await?;
    super::events::add(&mut tx, id, actor_id, actor_label, "submitted", "", now).await?;
    db::idempotency::bind(&mut tx).await?;
    tx.commit().await?;
    Ok(super::query::by_id(db, id).await?.ok_or_else(|| AppError::internal("application vanished"))?)
}

/// Reads the stored answers back as form input (to show a draft again).
pub fn raw_answers(app: &Application) -> BTreeMap<String, String> {
    app.answers.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())).collect()
}
