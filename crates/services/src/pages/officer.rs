//! `/officer/applications`: the one-stop desk's inbox (filters, search, paging, overdue flags),
//! one application with its files and history, and the action forms.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use kernel::PageRequest;
use serde::Deserialize;
use web::layout::render;
use web::{Chrome, Lang, PageError, PageUser};

use super::err;
use super::mine::{answers, events, names, view, AppView, EventView};
use crate::applications::query::{self, InboxQuery};
use crate::attachments::Attachment;
use crate::workflow::Action;
use crate::Service;

#[derive(Template)]
#[template(path = "services_inbox.html")]
struct InboxPage {
    chrome: Chrome,
    rows: Vec<AppView>,
    status: String,
    q: String,
    overdue: bool,
    page: u32,
    has_next: bool,
    query: String,
}

#[derive(Deserialize)]
pub(super) struct InboxParams {
    status: Option<String>,
    q: Option<String>,
    overdue: Option<String>,
    page: Option<u32>,
}

pub(super) async fn inbox(
    State(s): State<Service>,
    lang: Lang,
    PageUser(user): PageUser,
    Query(p): Query<InboxParams>,
) -> Result<Response, PageError> {
    let page = PageRequest::new(p.page, Some(50)).map_err(err(lang))?;
    let status = p.status.unwrap_or_else(|| "open".into());
    let overdue = p.overdue.as_deref() == Some("on");
    let filters = InboxQuery { status: Some(status.clone()), procedure: None, overdue, q: p.q.clone() };
    let found = query::inbox(&s.stores.db, &user, &filters, page, kernel::clock::now_ms()).await.map_err(err(lang))?;
    let names = names(&s, lang).await.map_err(err(lang))?;
    let q = p.q.unwrap_or_default();
    let query = format!("status={status}&q={}{}", web::auth::urlencode(&q), if overdue { "&overdue=on" } else { "" });
    let chrome =
        Chrome::new(lang, ("Hồ sơ cần giải quyết", "Applications to process"), Some(&user), "/officer/applications");
    let rows = found.items.iter().map(|a| view(a, lang, &names)).collect();
    Ok(render(&InboxPage { chrome, rows, status, q, overdue, page: found.page, has_next: found.has_next, query }, lang))
}

#[derive(Template)]
#[template(path = "services_officer_application.html")]
struct ShowPage {
    chrome: Chrome,
    app: AppView,
    answers: Vec<(String, String)>,
    prefill: Vec<(String, String)>,
    files: Vec<Attachment>,
    events: Vec<EventView>,
    error: Option<String>,
}

async fn show_page(
    s: &Service,
    lang: Lang,
    user: &web::CurrentUser,
    id: &str,
    error: Option<String>,
) -> Result<Response, PageError> {
    let a = query::for_officer(&s.stores.db, user, id).await.map_err(err(lang))?;
    crate::api::log_read(s, user, &a, "web").await.map_err(err(lang))?;
    let names = names(s, lang).await.map_err(err(lang))?;
    let page = ShowPage {
        chrome: Chrome::new(
            lang,
            ("Xử lý hồ sơ", "Process application"),
            Some(user),
            &format!("/officer/applications/{id}"),
        ),
        answers: answers(s, lang, &a).await.map_err(err(lang))?,
        prefill: a.prefill.iter().map(|i| (lang.pick(&i.label_vi, &i.label_en).to_string(), i.value.clone())).collect(),
        files: crate::attachments::list(&s.stores.db, &a.id).await.map_err(err(lang))?,
        events: events(s, lang, &a.id).await.map_err(err(lang))?,
        app: view(&a, lang, &names),
        error,
    };
    let mut r = render(&page, lang);
    if page.error.is_some() {
        *r.status_mut() = axum::http::StatusCode::CONFLICT;
    }
    Ok(r)
}

pub(super) async fn show(
    State(s): State<Service>,
    lang: Lang,
    PageUser(user): PageUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    show_page(&s, lang, &user, &id, None).await
}

#[derive(Deserialize)]
pub(super) struct ActForm {
    action: String,
    #[serde(default)]
    note: String,
}

pub(super) async fn act(
    State(s): State<Service>,
    lang: Lang,
    PageUser(user): PageUser,
    Path(id): Path<String>,
    Form(f): Form<ActForm>,
) -> Result<Response, PageError> {
    let action =
        Action::parse(&f.action).ok_or_else(|| PageError::new(kernel::AppError::invalid("action: unknown"), lang))?;
    let a = query::for_officer(&s.stores.db, &user, &id).await.map_err(err(lang))?;
    match crate::workflow::act(&s, &user, &a, action, &f.note, kernel::clock::now_ms()).await {
        Ok(_) => Ok(Redirect::to(&format!("/officer/applications/{id}")).into_response()),
        Err(e) => {
            // The officer reads one language; the detail (for programs and the log) stays out.
            let (vi, en) = e.message();
            show_page(&s, lang, &user, &id, Some(lang.pick(vi, en).to_string())).await
        }
    }
}

pub(super) async fn file(
    State(s): State<Service>,
    lang: Lang,
    PageUser(user): PageUser,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let a = query::for_officer(&s.stores.db, &user, &id).await.map_err(err(lang))?;
    let (name, kind, bytes) = crate::attachments::content(&s.stores.db, &a.id, &file).await.map_err(err(lang))?;
    let disposition = format!("attachment; filename=\"{}\"", name.replace(['"', '\\'], "_"));
    Ok(([(header::CONTENT_TYPE, kind), (header::CONTENT_DISPOSITION, disposition)], bytes).into_response())
}
