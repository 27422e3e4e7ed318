//! `/officer/fines`: the provincial traffic police record penalty decisions (number, date, legal
//! basis, violation, plate, amount, the offender's personal id) and see the province's latest with
//! whether they are paid. The list shows no personal ids, so it reads nobody's record.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use web::layout::render;
use web::{Chrome, Lang, PageError, PageUser};

use super::{err, money};
use crate::fines::{self, NewDecision};
use crate::Service;

/// What the form holds (typed values are shown again after a refusal).
#[derive(Default, Deserialize)]
pub(super) struct FineForm {
    #[serde(default)]
    number: String,
    #[serde(default)]
    decision_date: String,
    #[serde(default)]
    personal_id: String,
    #[serde(default)]
    plate: String,
    #[serde(default)]
    violation: String,
    #[serde(default)]
    legal_basis: String,
    #[serde(default)]
    amount_vnd: String,
}

#[derive(Template)]
#[template(path = "services_fines.html")]
struct FinesPage {
    chrome: Chrome,
    form: FineForm,
    error: Option<String>,
    recorded: String,
    /// (number, date, violation, plate, amount, state).
    rows: Vec<(String, String, String, String, String, String)>,
}

#[derive(Deserialize)]
pub(super) struct Shown {
    recorded: Option<String>,
}

async fn page(
    s: &Service,
    lang: Lang,
    user: &web::CurrentUser,
    form: FineForm,
    error: Option<String>,
    recorded: String,
) -> Result<Response, PageError> {
    let province = fines::issuing_province(user).map_err(err(lang))?;
    let rows = fines::of_province(&s.stores.db, &province)
        .await
        .map_err(err(lang))?
        .into_iter()
        .map(|d| {
            let date = chrono::NaiveDate::parse_from_str(&d.decision_date, "%Y-%m-%d")
                .map(|x| x.format("%d/%m/%Y").to_string())
                .unwrap_or(d.decision_date);
            let state =
                if d.paid_at.is_some() { lang.pick("Đã nộp", "Paid") } else { lang.pick("Chưa nộp", "Unpaid") };
            (d.number, date, d.violation, d.plate, money(d.amount_vnd), state.to_string())
        })
        .collect();
    let chrome =
        Chrome::new(lang, ("Quyết định xử phạt giao thông", "Traffic penalty decisions"), Some(user), "/officer/fines");
    let failed = error.is_some();
    let mut r = render(&FinesPage { chrome, form, error, recorded, rows }, lang);
    if failed {
        *r.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(r)
}

pub(super) async fn show(
    State(s): State<Service>,
    lang: Lang,
    PageUser(user): PageUser,
    Query(q): Query<Shown>,
) -> Result<Response, PageError> {
    page(&s, lang, &user, FineForm::default(), None, q.recorded.unwrap_or_default()).await
}

pub(super) async fn record(
    State(s): State<Service>,
    lang: Lang,
    PageUser(user): PageUser,
    Form(f): Form<FineForm>,
) -> Result<Response, PageError> {
    fines::issuing_province(&user).map_err(err(lang))?;
    let amount = f.amount_vnd.replace(['.', ' '], "").parse::<i64>().unwrap_or(0);
    let d = NewDecision {
        number: f.number.clone(),
        decision_date: f.decision_date.clone(),
        legal_basis: f.legal_basis.clone(),
        violation: f.violation.clone(),
        plate: f.plate.clone(),
        amount_vnd: amount,
        personal_id: f.personal_id.clone(),
    };
    match fines::issue(&s.stores.db, &user, &d, kernel::clock::now_ms()).await {
        Ok(done) => {
            let to = format!("/officer/fines?recorded={}", web::auth::urlencode(&done.number));
            Ok(Redirect::to(&to).into_response())
        }
        Err(e) => {
            let (vi, en) = e.message();
            let why = lang.pick(vi, en).to_string();
            page(&s, lang, &user, f, Some(why), String::new()).await
        }
    }
}
