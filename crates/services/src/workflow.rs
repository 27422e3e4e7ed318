//! The one-stop workflow (quy trình một cửa): officers accept, ask for more information, assign,
//! comment, approve or reject; citizens answer requests and withdraw. Each action checks the
//! current status in its `UPDATE`, so a double click or two officers acting at once cannot apply
//! it twice, and writes a history step in the same transaction. Approval runs the registry effect
//! and issues the signed result document in that transaction too.

use db::sqlx::{self, AnyConnection};
use kernel::Actor;
use kernel::{AppError, ErrorCode, PersonalId};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::applications::events;
use crate::applications::model::{fee, status, Application};
use crate::documents::{self, Payload};
use crate::Service;

/// An officer's action on an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Accept,
    RequestInfo,
    Assign,
    Comment,
    Approve,
    Reject,
}

impl Action {
    pub fn parse(s: &str) -> Option<Action> {
        serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
    }
}

/// A refusal of an action in the application's current state, with what to do in both languages.
fn conflict(what: &str, vi: &str, en: &str) -> AppError {
    AppError::new(ErrorCode::Conflict, what.to_string()).with_message(vi, en)
}

async fn set_status(
    tx: &mut AnyConnection,
    app: &Application,
    from: &[&str],
    to: &str,
    now: i64,
) -> Result<(), AppError> {
    let allowed: Vec<String> = from.iter().map(|s| format!("'{s}'")).collect();
    // `from` are constants of this module, never input.
    let sql = format!(
        "UPDATE svc_applications SET status = $1, updated_at = $2, version = version + 1 \
         WHERE id = $3 AND status IN ({})",
        allowed.join(", ")
    );
    let n = sqlx::query(&sql).bind(to).bind(now).bind(&app.id).execute(&mut *tx).await?.rows_affected();
    if n == 0 {
        return Err(conflict(
            "the application is not in a state that allows this action",
            "Hồ sơ đang ở trạng thái không cho phép thao tác này (có thể đã được người khác xử lý); tải lại trang.",
            "The application's state does not allow this action (someone may have acted on it); reload the page.",
        ));
    }
    Ok(())
}

fn note_required(note: &str) -> Result<String, AppError> {
    let n = kernel::text::normalize_name(note);
    if n.chars().count() < 5 || n.chars().count() > 2000 {
        return Err(AppError::invalid("note: give the reason (5–2000 characters)").with_message(
            "Vui lòng ghi lý do hoặc nội dung (từ 5 đến 2000 ký tự).",
            "Please give the reason or content (5 to 2000 characters).",
        ));
    }
    Ok(n)
}

/// Applies an officer's action to an application they handle; returns the updated application.
/// `now` is UTC milliseconds, the time of the action, passed so tests can fix time.
#[tracing::instrument(name = "services.workflow_act", skip_all, fields(application_id = %app.id, action = ?action))]
pub async fn act(
    s: &Service,
    officer: &Actor,
    app: &Application,
    action: Action,
    note: &str,
    now: i64,
) -> Result<Application, AppError> {
    let db = &s.stores.db;
    let label = officer.actor_label();
    let recipient = crate::notify::recipient(db, app).await?;
    let mut tx = db.begin().await?;
    let note = match action {
        Action::RequestInfo | Action::Reject | Action::Comment => note_required(note)?,
        _ => kernel::text::normalize_name(note),
    };
    let kind = match action {
        Action::Accept => {
            set_status(&mut tx, app, &[status::SUBMITTED], status::PROCESSING, now).await?;
            "accepted"
        }
        Action::RequestInfo => {
            set_status(&mut tx, app, &[status::SUBMITTED, status::PROCESSING], status::INFO_REQUESTED, now).await?;
            "info_requested"
        }
        Action::Assign => {
            let n = sqlx::query(
                "UPDATE svc_applications SET assigned_to = $1, updated_at = $2, version = version + 1 \
                 WHERE id = $3 AND status = $4",
            )
            .bind(&officer.account_id)
            .bind(now)
            .bind(&app.id)
            .bind(status::PROCESSING)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(conflict(
                    "accept the application before assigning it",
                    "Tiếp nhận hồ sơ trước khi nhận xử lý.",
                    "Accept the application before assigning it.",
                ));
            }
            "assigned"
        }
        Action::Comment => {
            if app.status == status::DRAFT {
                return Err(conflict(
                    "drafts have no history yet",
                    "Hồ sơ nháp chưa có quá trình xử lý.",
                    "Drafts have no history yet.",
                ));
            }
            "comment"
        }
        Action::Reject => {
            crate::payments::refund_in(&mut tx, app, &label, now).await?;
            set_status(
                &mut tx,
                app,
                &[status::SUBMITTED, status::PROCESSING, status::INFO_REQUESTED],
                status::REJECTED,
                now,
            )
            .await?;
            decided(&mut tx, app, &note, now).await?;
            "rejected"
        }
        Action::Approve => {
            approve(s, &mut tx, officer, app, &note, now).await?;
            "approved"
        }
    };
    events::add(&mut tx, &app.id, &officer.account_id, &label, kind, &note, now).await?;
    let notified = recipient.filter(|_| crate::notify::KINDS.contains(&kind));
    if let Some(account) = &notified {
        // A result's content is on the document; the notice carries reasons and requests only.
        let shown = if action == Action::Approve { "" } else { note.as_str() };
        crate::notify::add_in(&mut tx, account, app, kind, shown, now).await?;
    }
    db::idempotency::bind(&mut tx).await?;
    tx.commit().await?;
    if action == Action::Approve {
        tracing::info!(application = %app.id, procedure = %app.procedure_code, "application approved");
    }
    if let Some(account) = notified {
        let name = crate::catalogue::store::get(db, &app.procedure_code).await?.map(|p| p.name_vi).unwrap_or_default();
        let text = crate::notify::message(app, &name, kind, &s.public_url);
        if let Err(e) = crate::notify::send(s.sms.as_ref(), db, &account, &text).await {
            tracing::warn!(application = %app.id, error = %e, "notice not sent to the outbox");
        }
    }
    crate::applications::query::by_id(db, &app.id).await?.ok_or_else(|| AppError::internal("application vanished"))
}

async fn decided(tx: &mut AnyConnection, app: &Application, note: &str, now: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE svc_applications SET decided_at = $1, decision_note = $2 WHERE id = $3")
        .bind(now)
        .bind(note)
        .bind(&app.id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// The minimum length of a result's content entered by the officer.
const MIN_CONTENT: usize = 5;

/// The signer's title on a result: the officer's capacity at the issuing body.
fn signer_title(officer: &Actor, issuer: &str) -> String {
    format!("{} — {}", officer.role.label().0, issuer)
}

/// Approves: the registry effect, then the result document. A result with no content of its own
/// (a procedure without a registry effect: a judicial record, a confirmation) takes the officer's
/// `note` as its content, a fine receipt the decision it settles; without either it is refused
/// (`services.result_missing`) rather than issued as a valid empty document.
async fn approve(
    s: &Service,
    tx: &mut AnyConnection,
    officer: &Actor,
    app: &Application,
    note: &str,
    now: i64,
) -> Result<(), AppError> {
    if app.status != status::PROCESSING {
        return Err(conflict(
            "accept the application before approving it",
            "Tiếp nhận hồ sơ trước khi phê duyệt.",
            "Accept the application before approving it.",
        ));
    }
    if app.fee_status == fee::UNPAID {
        return Err(conflict(
            "the fee has not been paid yet",
            "Công dân chưa nộp lệ phí; chỉ phê duyệt sau khi lệ phí đã được thanh toán.",
            "The fee has not been paid yet; approve once it is paid.",
        ));
    }
    let p = crate::catalogue::store::get_version(&s.stores.db, &app.procedure_code, app.procedure_version)
        .await?
        .ok_or_else(|| AppError::internal("procedure version missing"))?;
    let applicant = registry::queries::persons::get_self(&s.stores.db, &PersonalId::parse(&app.applicant_person_id)?)
        .await?
        .ok_or_else(|| AppError::not_found("the applicant is no longer in the registry"))?;
    let fine = crate::fines::of_application(&s.stores.db, &app.id).await?;
    if p.effect == crate::catalogue::Effect::None && fine.is_none() && note.chars().count() < MIN_CONTENT {
        return Err(AppError::new(ErrorCode::ServicesResultMissing, format!("{}: no result content", p.code)));
    }
    set_status(tx, app, &[status::PROCESSING], status::APPROVED, now).await?;
    let mut outcome = crate::effects::apply(tx, &p, app, &applicant, officer, now).await?;
    if let Some(d) = &fine {
        outcome.lines.extend(crate::fines::receipt_lines(d));
    }
    if p.effect == crate::catalogue::Effect::None && !note.is_empty() {
        outcome.lines.push(documents::Line { label: "Nội dung".into(), value: note.to_string() });
    }
    let (holder_name, holder_id) =
        outcome.holder.clone().unwrap_or_else(|| (applicant.full_name.clone(), applicant.personal_id.clone()));
    let units = registry::admin_units::AdminUnits::get();
    let place = units.commune(&app.commune_code).map(|c| c.name.clone()).unwrap_or_default();
    let issuer = if p.agency_level == "commune" { format!("{} {}", p.agency_vi, place) } else { p.agency_vi.clone() };
    let payload = Payload {
        code: String::new(),
        kind: p.code.clone(),
        title: p.result_vi.clone(),
        number: app.receipt_code.clone(),
        signer_title: signer_title(officer, &issuer),
        signer_name: officer.display_name.clone(),
        issuer,
        place,
        holder_name,
        holder_id,
        lines: outcome.lines,
        application: app.receipt_code.clone(),
        iat: 0,
    };
    let doc = documents::issue_in(tx, &s.keys, &app.id, payload, now).await?;
    sqlx::query("UPDATE svc_applications SET result_code = $1 WHERE id = $2")
        .bind(&doc.payload.code)
        .bind(&app.id)
        .execute(&mut *tx)
        .await?;
    decided(tx, app, "", now).await
}

/// The citizen answers a request for more information (the application goes back to the
/// agency); the note says what was added. `now` is UTC milliseconds, the time of the answer.
pub async fn answer(
    s: &Service,
    citizen: &Actor,
    app: &Application,
    note: &str,
    now: i64,
) -> Result<Application, AppError> {
    let note = note_required(note)?;
    let mut tx = s.stores.db.begin().await?;
    set_status(&mut tx, app, &[status::INFO_REQUESTED], status::SUBMITTED, now).await?;
    events::add(&mut tx, &app.id, &citizen.account_id, &citizen.actor_label(), "info_provided", &note, now).await?;
    db::idempotency::bind(&mut tx).await?;
    tx.commit().await?;
    crate::applications::query::by_id(&s.stores.db, &app.id).await?.ok_or_else(|| AppError::internal("vanished"))
}

/// The citizen withdraws an application the agency has not decided yet (a paid fee is refunded).
/// `now` is UTC milliseconds, the time of the withdrawal.
pub async fn withdraw(s: &Service, citizen: &Actor, app: &Application, now: i64) -> Result<Application, AppError> {
    let mut tx = s.stores.db.begin().await?;
    crate::payments::refund_in(&mut tx, app, &citizen.actor_label(), now).await?;
    let open = [status::DRAFT, status::SUBMITTED, status::INFO_REQUESTED];
    set_status(&mut tx, app, &open, status::WITHDRAWN, now).await?;
    events::add(&mut tx, &app.id, &citizen.account_id, &citizen.actor_label(), "withdrawn", "", now).await?;
    db::idempotency::bind(&mut tx).await?;
    tx.commit().await?;
    crate::applications::query::by_id(&s.stores.db, &app.id).await?.ok_or_else(|| AppError::internal("vanished"))
}
