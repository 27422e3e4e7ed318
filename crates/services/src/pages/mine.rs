//! `/applications`: the citizen's applications, one application's progress, paying the fee,
//! answering a request for information and withdrawing.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use kernel::PageRequest;
use serde::Deserialize;
use web::layout::render;
use web::{Chrome, CurrentUser, Lang, PageError, PageUser};

use super::{err, money, when};
use crate::applications::model::{event_label, fee, status, Application};
use crate::applications::query;
use crate::catalogue::{store, FieldKind};
use crate::Service;

/// An application as a row or a header.
pub(super) struct AppView {
    pub id: String,
    pub receipt_code: String,
    pub procedure: String,
    pub applicant: String,
    pub status: String,
    pub status_label: String,
    pub channel: String,
    pub submitted: String,
    pub due: String,
    pub overdue: bool,
    pub fee: String,
    pub fee_label: String,
    pub unpaid: bool,
    pub result_code: String,
    pub decision_note: String,
}

/// The procedure names by code, for lists.
pub(super) async fn names(
    s: &Service,
    lang: Lang,
) -> Result<std::collections::HashMap<String, String>, kernel::AppError> {
    Ok(store::list(&s.stores.db, None)
        .await?
        .into_iter()
        .map(|p| (p.code.clone(), lang.pick(&p.name_vi, &p.name_en).to_string()))
        .collect())
}

pub(super) fn view(a: &Application, lang: Lang, names: &std::collections::HashMap<String, String>) -> AppView {
    let now = kernel::clock::now_ms();
    let (svi, sen) = status::label(&a.status);
    let (fvi, fen) = fee::label(&a.fee_status);
    let (cvi, cen) = a.channel.label();
    AppView {
        id: a.id.clone(),
        receipt_code: a.receipt_code.clone(),
        procedure: names.get(&a.procedure_code).cloned().unwrap_or_else(|| a.procedure_code.clone()),
        applicant: a.applicant_name.clone(),
        status: a.status.clone(),
        status_label: lang.pick(svi, sen).into(),
        channel: lang.pick(cvi, cen).into(),
        submitted: when(a.submitted_at),
        due: when(a.due_at),
        overdue: a.overdue(now),
        fee: if a.fee_vnd > 0 { money(a.fee_vnd) } else { String::new() },
        fee_label: lang.pick(fvi, fen).into(),
        unpaid: a.fee_status == fee::UNPAID && status::OPEN.contains(&a.status.as_str()),
        result_code: a.result_code.clone().unwrap_or_default(),
        decision_note: a.decision_note.clone().unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "services_mine.html")]
struct ListPage {
    chrome: Chrome,
    /// Notices the citizen has not opened yet.
    unread: i64,
    rows: Vec<AppView>,
    page: u32,
    has_next: bool,
}

#[derive(Deserialize)]
pub(super) struct PageQuery {
    page: Option<u32>,
}

pub(super) async fn list(
    State(s): State<Service>,
    lang: Lang,
    PageUser(user): PageUser,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let person = query::citizen_person(&user).map_err(err(lang))?;
    let page = PageRequest::new(q.page, Some(20)).map_err(err(lang))?;
    let found = query::mine(&s.stores.db, person, page).await.map_err(err(lang))?;
    let names = names(&s, lang).await.map_err(err(lang))?;
    let chrome = Chrome::new(lang, ("Hồ sơ của tôi", "My applications"), Some(&user), "/applications");
    let rows = found.items.iter().map(|a| view(a, lang, &names)).collect();
    let unread = crate::notify::unread(&s.stores.db, &user.account_id).await.map_err(err(lang))?;
    Ok(render(&ListPage { chrome, unread, rows, page: found.page, has_next: found.has_next }, lang))
}

/// One step of the history as shown.
pub(super) struct EventView {
    pub at: String,
    pub actor: String,
    pub what: String,
    pub note: String,
}

pub(super) async fn events(s: &Service, lang: Lang, id: &str) -> Result<Vec<EventView>, kernel::AppError> {
    Ok(crate::applications::events::list(&s.stores.db, id)
        .await?
        .into_iter()
        .map(|e| {
            let (vi, en) = event_label(&e.kind);
            EventView { at: when(Some(e.at)), actor: e.actor_label, what: lang.pick(vi, en).into(), note: e.note }
        })
        .collect())
}

#[derive(Template)]
#[template(path = "services_application.html")]
struct ShowPage {
    chrome: Chrome,
    app: AppView,
    answers: Vec<(String, String)>,
    events: Vec<EventView>,
    draft: bool,
    code: String,
    /// A payment provider is configured (otherwise the page says to pay at the desk).
    pay_online: bool,
    /// The applicant's rating, once given; `can_rate` offers the form before.
    rating: Option<crate::rating::Rating>,
    can_rate: bool,
    /// The fine decision a fine payment settles, as (label, value) lines.
    fine: Vec<(String, String)>,
}

/// The answers with their field labels.
pub(super) async fn answers(
    s: &Service,
    lang: Lang,
    a: &Application,
) -> Result<Vec<(String, String)>, kernel::AppError> {
    let p = store::get_version(&s.stores.db, &a.procedure_code, a.procedure_version).await?;
    Ok(p.map(|p| {
        p.fields
            .iter()
            .filter_map(|f| {
                let v = a.answers.get(&f.name)?.as_str()?.to_string();
                let named = match f.kind {
                    FieldKind::Ethnicity => kernel::vocab::ethnicity_name(&v).map(str::to_string),
                    FieldKind::Religion => kernel::vocab::religion_name(&v).map(str::to_string),
                    FieldKind::Commune => registry::admin_units::AdminUnits::get()
                        .commune(&v)
                        .map(|c| super::picker::label(&c.name, &c.code)),
                    _ => f.options.iter().find(|o| o[0] == v).map(|o| lang.pick(&o[1], &o[2]).to_string()),
                };
                let shown = named.unwrap_or(v);
                Some((lang.pick(&f.label_vi, &f.label_en).to_string(), shown))
            })
            .collect()
    })
    .unwrap_or_default())
}

async fn own(s: &Service, user: &CurrentUser, id: &str) -> Result<Application, kernel::AppError> {
    let person = query::citizen_person(user)?;
    query::for_applicant(&s.stores.db, person, id).await
}

pub(super) async fn show(
    State(s): State<Service>,
    lang: Lang,
    PageUser(user): PageUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let a = own(&s, &user, &id).await.map_err(err(lang))?;
    let names = names(&s, lang).await.map_err(err(lang))?;
    let chrome = Chrome::new(lang, ("Hồ sơ", "Application"), Some(&user), &format!("/applications/{id}"));
    let rating = crate::rating::of_application(&s.stores.db, &a.id).await.map_err(err(lang))?;
    let fine = crate::fines::of_application(&s.stores.db, &a.id)
        .await
        .map_err(err(lang))?
        .map(|d| crate::fines::receipt_lines(&d).into_iter().map(|l| (l.label, l.value)).collect())
        .unwrap_or_default();
    let page = ShowPage {
        chrome,
        can_rate: rating.is_none() && crate::rating::can_rate(&a),
        rating,
        fine,
        answers: answers(&s, lang, &a).await.map_err(err(lang))?,
        events: events(&s, lang, &a.id).await.map_err(err(lang))?,
        draft: a.status == status::DRAFT,
        code: a.procedure_code.clone(),
        pay_online: s.payments.online(),
        app: view(&a, lang, &names),
    };
    Ok(render(&page, lang))
}

#[derive(Deserialize)]
pub(super) struct CsrfForm {
    #[serde(default)]
    note: String,
    /// A rating's stars (1–5) and comment.
    #[serde(default)]
    stars: Option<i64>,
    #[serde(default)]
    comment: String,
}

/// `pay`, `answer`, `withdraw` or `rate` on the citizen's own application.
pub(super) async fn act(
    State(s): State<Service>,
    lang: Lang,
    PageUser(user): PageUser,
    Path((id, action)): Path<(String, String)>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    let a = own(&s, &user, &id).await.map_err(err(lang))?;
    let now = kernel::clock::now_ms();
    match action.as_str() {
        "pay" => {
            let back = format!("{}/applications/{}", s.public_url, a.id);
            let started = s.payments.start(&s.stores.db, &a, &back, now).await.map_err(err(lang))?;
            return Ok(Redirect::to(&started.redirect_url).into_response());
        }
        "answer" => crate::workflow::answer(&s, &user, &a, &f.note, now).await.map(drop),
        "withdraw" => crate::workflow::withdraw(&s, &user, &a, now).await.map(drop),
        "rate" => {
            let r = crate::rating::Rating { stars: f.stars.unwrap_or(0), comment: f.comment };
            crate::rating::rate(&s.stores.db, &a, &r, now).await.map(drop)
        }
        _ => Err(kernel::AppError::not_found("no such action")),
    }
    .map_err(err(lang))?;
    Ok(Redirect::to(&format!("/applications/{id}")).into_response())
}
