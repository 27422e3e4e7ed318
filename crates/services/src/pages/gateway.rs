//! The built-in payment simulator (a simulated bank for the demo and tests), mounted only when the
//! settings choose `payment_provider = "simulator"`. Like a real provider it accepts only a
//! payment request signed by this server, shows the amount, and on confirmation reports the
//! outcome as a signed callback through the same verification code as a provider's HTTP callback
//! ([`crate::payments::Payments::simulate`]), then sends the citizen back.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use web::layout::render;
use web::{Chrome, CurrentUser, Lang, PageError};

use super::{err, money};
use crate::payments::PaymentRequest;
use crate::Service;

#[derive(Template)]
#[template(path = "services_gateway.html")]
struct GatewayPage {
    chrome: Chrome,
    id: String,
    amount: String,
    pending: bool,
    request: PaymentRequest,
}

pub(super) async fn show(
    State(s): State<Service>,
    lang: Lang,
    user: Option<CurrentUser>,
    Path(id): Path<String>,
    Query(mut request): Query<PaymentRequest>,
) -> Result<Response, PageError> {
    request.reference = id.clone();
    let (payment, amount) = s.payments.simulator_request(&s.stores.db, &request).await.map_err(err(lang))?;
    let chrome = Chrome::new(
        lang,
        ("Cổng thanh toán (mô phỏng)", "Payment gateway (simulated)"),
        user.as_ref(),
        &format!("/payment-gateway/{id}"),
    );
    let page = GatewayPage { chrome, id, amount: money(amount), pending: payment.status == "pending", request };
    Ok(render(&page, lang))
}

#[derive(Deserialize)]
pub(super) struct Confirm {
    /// `success` or `failed` (the tester may simulate a declined card).
    #[serde(default)]
    result: String,
    /// The signed request, carried by the page's hidden fields.
    #[serde(flatten)]
    request: PaymentRequest,
}

pub(super) async fn confirm(
    State(s): State<Service>,
    lang: Lang,
    Path(id): Path<String>,
    Form(f): Form<Confirm>,
) -> Result<Response, PageError> {
    let mut request = f.request;
    request.reference = id;
    let approved = f.result != "failed";
    s.payments.simulate(&s.stores.db, &request, approved, kernel::clock::now_ms()).await.map_err(err(lang))?;
    // The return address is the one the verified request carries.
    Ok(Redirect::to(&request.return_url).into_response())
}
