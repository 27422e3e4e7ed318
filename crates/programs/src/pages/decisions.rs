//! The working group's approve/return forms on the dashboard.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use kernel::{AppError, ErrorCode};
use serde::Deserialize;
use web::{Ctx, CurrentUser, Lang, PageError, PageUser};

#[derive(Deserialize)]
pub struct DecisionForm {
    csrf: String,
    version: i64,
    /// `approve` or `return`.
    decision: String,
    #[serde(default)]
    note: String,
}

/// Checks the role and the session's CSRF token; returns whether the decision is an approval.
fn check(user: &CurrentUser, f: &DecisionForm) -> Result<bool, AppError> {
    user.require(crate::api::DECIDERS)?;
    let expected = user.csrf.as_deref().unwrap_or("");
    let ok = !expected.is_empty()
        && expected.len() == f.csrf.len()
        && expected.bytes().zip(f.csrf.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
    if !ok {
        return Err(AppError::new(ErrorCode::CsrfFailed, "form token mismatch"));
    }
    match f.decision.as_str() {
        "approve" => Ok(true),
        "return" => Ok(false),
        _ => Err(AppError::invalid("decision must be approve or return")),
    }
}

pub async fn registration(
    State(ctx): State<Ctx>,
    PageUser(user): PageUser,
    lang: Lang,
    Path(id): Path<String>,
    Form(f): Form<DecisionForm>,
) -> Result<Response, PageError> {
    let err = |e| PageError::new(e, lang);
    let approve = check(&user, &f).map_err(err)?;
    crate::registrations::decide(&ctx.db, &id, approve, &f.note, &user.actor_label(), f.version).await.map_err(err)?;
    Ok(Redirect::to("/programs").into_response())
}

pub async fn report(
    State(ctx): State<Ctx>,
    PageUser(user): PageUser,
    lang: Lang,
    Path(id): Path<String>,
    Form(f): Form<DecisionForm>,
) -> Result<Response, PageError> {
    let err = |e| PageError::new(e, lang);
    let approve = check(&user, &f).map_err(err)?;
    crate::reports::decide(&ctx.db, &id, approve, &f.note, &user.actor_label(), f.version).await.map_err(err)?;
    Ok(Redirect::to("/programs").into_response())
}
