//! The built-in payment gateway (a simulated bank for the demo and tests): shows the amount, and
//! on confirmation signs a callback with the shared secret and delivers it through the same
//! verification path as a real gateway's HTTP callback, then sends the citizen back.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use web::layout::render;
use web::{Chrome, Lang, PageError};

use super::{err, money};
use crate::payments::{self, Callback};
use crate::Service;

#[derive(Template)]
#[template(path = "services_gateway.html")]
struct GatewayPage {
    chrome: Chrome,
    id: String,
    amount: String,
    pending: bool,
}

pub(super) async fn show(State(s): State<Service>, lang: Lang, Path(id): Path<String>) -> Result<Response, PageError> {
    let p = payments::get(&s.stores.db, &id)
        .await
        .map_err(err(lang))?
        .ok_or_else(|| PageError::new(kernel::AppError::not_found("no such payment"), lang))?;
    let chrome = Chrome::new(
        lang,
        ("Cổng thanh toán (mô phỏng)", "Payment gateway (simulated)"),
        None,
        &format!("/payment-gateway/{id}"),
    );
    Ok(render(&GatewayPage { chrome, id, amount: money(p.amount_vnd), pending: p.status == "pending" }, lang))
}

#[derive(Deserialize)]
pub(super) struct Confirm {
    /// `success` or `failed` (the tester may simulate a declined card).
    result: String,
}

pub(super) async fn confirm(
    State(s): State<Service>,
    lang: Lang,
    Path(id): Path<String>,
    Form(f): Form<Confirm>,
) -> Result<Response, PageError> {
    let p = payments::get(&s.stores.db, &id)
        .await
        .map_err(err(lang))?
        .ok_or_else(|| PageError::new(kernel::AppError::not_found("no such payment"), lang))?;
    let cb = Callback {
        payment_id: p.id.clone(),
        amount_vnd: p.amount_vnd,
        result: if f.result == "failed" { "failed".into() } else { "success".into() },
        gateway_ref: format!("SIM-{}", &kernel::ids::new_id()[..12]),
    };
    let body = serde_json::to_vec(&cb).map_err(|e| PageError::new(kernel::AppError::internal(e.to_string()), lang))?;
    let signature = s.gateway.sign(&body);
    payments::handle_callback(&s.stores.db, &s.gateway, &body, &signature, kernel::clock::now_ms())
        .await
        .map_err(err(lang))?;
    Ok(Redirect::to(&format!("/applications/{}", p.application_id)).into_response())
}
