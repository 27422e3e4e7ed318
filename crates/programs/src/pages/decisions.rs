//! The working group's approve/return forms, on the dashboard and on a report's page.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use kernel::AppError;
use serde::Deserialize;
use web::{Ctx, CurrentUser, Lang, PageError, PageUser};

use super::forms::Problem;

#[derive(Deserialize)]
pub(super) struct DecisionForm {
    version: i64,
    /// `approve` or `return`.
    decision: String,
    #[serde(default)]
    note: String,
    /// `report` when the form was on the report's page (the answer comes back there).
    #[serde(default)]
    back: String,
}

/// Checks the session's CSRF token and the role; returns whether the decision is an approval.
fn check(user: &CurrentUser, f: &DecisionForm, lang: Lang) -> Result<bool, PageError> {
    user.require(crate::api::DECIDERS).map_err(|e| PageError::new(e, lang))?;
    match f.decision.as_str() {
        "approve" => Ok(true),
        "return" => Ok(false),
        _ => Err(PageError::new(AppError::invalid("decision must be approve or return"), lang)),
    }
}

pub(super) async fn registration(
    State(ctx): State<Ctx>,
    PageUser(user): PageUser,
    lang: Lang,
    Path(id): Path<String>,
    Form(f): Form<DecisionForm>,
) -> Result<Response, PageError> {
    let approve = check(&user, &f, lang)?;
    let problem = if !approve && f.note.trim().is_empty() {
        Some(Problem::new(
            "Khi trả lại đăng ký, cần nêu rõ nội dung đơn vị phải điều chỉnh.",
            "When returning a registration, say what the unit must revise.",
        ))
    } else {
        crate::registrations::decide(
            &ctx.db,
            &id,
            approve,
            &f.note,
            &user.actor_label(),
            f.version,
            kernel::clock::now_ms(),
        )
        .await
        .err()
        .map(|e| Problem::from_error(&e))
    };
    match problem {
        Some(p) => super::dashboard::render_dashboard(&ctx, &user, lang, "/programs", Some(p)).await,
        None => Ok(Redirect::to("/programs").into_response()),
    }
}

pub(super) async fn report(
    State(ctx): State<Ctx>,
    PageUser(user): PageUser,
    lang: Lang,
    Path(id): Path<String>,
    Form(f): Form<DecisionForm>,
) -> Result<Response, PageError> {
    let approve = check(&user, &f, lang)?;
    if !approve && f.note.trim().is_empty() {
        let p = Problem::new(
            "Khi trả lại báo cáo, cần nêu rõ nội dung đơn vị phải bổ sung, chỉnh sửa.",
            "When returning a report, say what the unit must add or correct.",
        );
        return super::report::decision_problem(&ctx, &user, &id, lang, p).await;
    }
    if let Err(e) =
        crate::reports::decide(&ctx.db, &id, approve, &f.note, &user.actor_label(), f.version, kernel::clock::now_ms())
            .await
    {
        return super::report::decision_problem(&ctx, &user, &id, lang, Problem::from_error(&e)).await;
    }
    let to = if f.back == "report" { format!("/programs/reports/{id}") } else { "/programs".to_string() };
    Ok(Redirect::to(&to).into_response())
}
