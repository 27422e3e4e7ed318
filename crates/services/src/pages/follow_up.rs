//! `/notifications`: the citizen's notices about their applications (opening the page marks them
//! read); `/services/status`: the public status lookup by receipt code and the last four digits
//! of the applicant's personal id.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{Extensions, HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use web::layout::render;
use web::{Chrome, CurrentUser, Lang, PageError, PageUser};

use super::{err, when};
use crate::applications::query;
use crate::status_lookup::PublicStatus;
use crate::Service;

/// One notice as shown.
struct NoticeView {
    at: String,
    application_id: String,
    receipt_code: String,
    procedure: String,
    what: String,
    note: String,
    read: bool,
}

#[derive(Template)]
#[template(path = "services_notifications.html")]
struct NoticesPage {
    chrome: Chrome,
    items: Vec<NoticeView>,
}

pub(super) async fn notifications(
    State(s): State<Service>,
    lang: Lang,
    PageUser(user): PageUser,
) -> Result<Response, PageError> {
    query::citizen_person(&user).map_err(err(lang))?;
    let db = &s.stores.db;
    let names = super::mine::names(&s, lang).await.map_err(err(lang))?;
    let items = crate::notify::list(db, &user.account_id)
        .await
        .map_err(err(lang))?
        .into_iter()
        .map(|n| {
            let (vi, en) = crate::notify::wording(&n.kind);
            NoticeView {
                at: when(Some(n.created_at)),
                procedure: names.get(&n.procedure_code).cloned().unwrap_or(n.procedure_code),
                what: lang.pick(vi, en).to_string(),
                application_id: n.application_id,
                receipt_code: n.receipt_code,
                note: n.note,
                read: n.read,
            }
        })
        .collect();
    // Shown once, then read: the unread count counts what the citizen has not seen yet.
    crate::notify::mark_read(db, &user.account_id, kernel::clock::now_ms()).await.map_err(err(lang))?;
    let chrome = Chrome::new(lang, ("Thông báo", "Notifications"), Some(&user), "/notifications");
    Ok(render(&NoticesPage { chrome, items }, lang))
}

#[derive(Template)]
#[template(path = "services_status.html")]
struct StatusPage {
    chrome: Chrome,
    code: String,
    error: Option<String>,
    found: Option<PublicStatus>,
    procedure: String,
    state: String,
    submitted: String,
    due: String,
    decided: String,
}

#[derive(Deserialize)]
pub(super) struct StatusQuery {
    code: Option<String>,
    digits: Option<String>,
}

pub(super) async fn status(
    State(s): State<Service>,
    lang: Lang,
    user: Option<CurrentUser>,
    headers: HeaderMap,
    extensions: Extensions,
    Query(q): Query<StatusQuery>,
) -> Result<Response, PageError> {
    let chrome = Chrome::new(lang, ("Tra cứu hồ sơ", "Application status"), user.as_ref(), "/services/status");
    let code = q.code.unwrap_or_default().trim().to_uppercase();
    let mut page = StatusPage {
        chrome,
        code: code.clone(),
        error: None,
        found: None,
        procedure: String::new(),
        state: String::new(),
        submitted: String::new(),
        due: String::new(),
        decided: String::new(),
    };
    let mut code_status = StatusCode::OK;
    if !code.is_empty() {
        let digits = q.digits.unwrap_or_default();
        crate::api::allow_lookup(&s, &headers, &extensions, &code).map_err(err(lang))?;
        match crate::status_lookup::lookup(&s.stores.db, &code, digits.trim()).await.map_err(err(lang))? {
            Some(r) => {
                page.procedure = lang.pick(&r.procedure_vi, &r.procedure_en).to_string();
                page.state = lang.pick(&r.status_vi, &r.status_en).to_string();
                page.submitted = when(r.submitted_at);
                page.due = when(r.due_at);
                page.decided = when(r.decided_at);
                page.found = Some(r);
            }
            None => {
                code_status = StatusCode::NOT_FOUND;
                page.error = Some(
                    lang.pick(
                        "Không tìm thấy hồ sơ với mã và 4 chữ số này. Kiểm tra lại mã trên giấy biên nhận.",
                        "No application with this code and these digits. Check the code on your receipt.",
                    )
                    .to_string(),
                );
            }
        }
    }
    let mut r = render(&page, lang);
    *r.status_mut() = code_status;
    Ok(r)
}
