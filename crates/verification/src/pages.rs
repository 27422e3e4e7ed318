//! Verifier pages for organization staff (phone-friendly) and the citizen's identity QR page.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use kernel::PageRequest;
use serde::Deserialize;
use web::layout::render;
use web::{Chrome, Lang, PageError, PageUser, Role};

use crate::purpose::VerifyPurpose;
use crate::service::Verifier;

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage {
    chrome: Chrome,
    org: String,
    purposes: Vec<&'static VerifyPurpose>,
    /// Words for every result code in the page's language (read by `verifier.js`).
    labels: String,
}

#[derive(Template)]
#[template(path = "verify_history.html")]
struct HistoryPage {
    chrome: Chrome,
    org: String,
    rows: Vec<HistoryLine>,
    prev: Option<u32>,
    next: Option<u32>,
}

/// A history row with its time and codes in words.
struct HistoryLine {
    at: String,
    method: String,
    purpose: String,
    outcome: String,
    row: crate::history::HistoryRow,
}

#[derive(Template)]
#[template(path = "identity_qr.html")]
struct IdentityQrPage {
    chrome: Chrome,
}

/// `GET /verify`.
pub async fn verify(State(v): State<Verifier>, PageUser(user): PageUser, lang: Lang, uri: Uri) -> Response {
    let chrome = Chrome::for_uri(lang, &uri, ("Xác minh danh tính", "Identity verification"), Some(&user));
    match v.caller(&user, kernel::clock::now_ms()).await {
        Ok(c) => {
            let labels = crate::labels::table_for_script(lang);
            render(&VerifyPage { chrome, org: c.org_name.clone(), purposes: c.allowed(), labels }, lang)
        }
        Err(error) => PageError { error, lang }.into_response(),
    }
}

/// `?page=N` of the history page.
#[derive(Debug, Deserialize)]
pub struct HistoryQuery {
    pub page: Option<u32>,
}

/// `GET /verify/history`: 50 rows a page, newest first.
pub async fn history(
    State(v): State<Verifier>,
    PageUser(user): PageUser,
    lang: Lang,
    uri: Uri,
    Query(q): Query<HistoryQuery>,
) -> Response {
    let chrome = Chrome::for_uri(lang, &uri, ("Lịch sử xác minh", "Verification history"), Some(&user));
    let result = async {
        let c = v.caller(&user, kernel::clock::now_ms()).await?;
        let page = crate::history::list(&v.stores().db, &c.org_id, PageRequest::new(q.page, Some(50))?).await?;
        Ok::<_, kernel::AppError>((c.org_name, page))
    }
    .await;
    match result {
        Ok((org, page)) => {
            let (number, has_next, items) = (page.page, page.has_next, page.items);
            let word = |group: &str, code: &str| crate::labels::pick(lang, group, code);
            let rows = items
                .into_iter()
                .map(|row| HistoryLine {
                    at: kernel::clock::format_ms_vn(row.at),
                    method: word("method", &row.method),
                    purpose: word("purpose", &row.purpose),
                    outcome: word("outcome", &row.outcome),
                    row,
                })
                .collect();
            let prev = (number > 1).then(|| number - 1);
            let next = has_next.then_some(number + 1);
            render(&HistoryPage { chrome, org, rows, prev, next }, lang)
        }
        Err(error) => PageError { error, lang }.into_response(),
    }
}

/// `GET /me/identity-qr`.
pub async fn identity_qr(PageUser(user): PageUser, lang: Lang, uri: Uri) -> Response {
    if let Err(error) = user.require(&[Role::Citizen]) {
        return PageError { error, lang }.into_response();
    }
    render(
        &IdentityQrPage { chrome: Chrome::for_uri(lang, &uri, ("Mã QR định danh", "Identity QR"), Some(&user)) },
        lang,
    )
}

/// Vendored and own scripts.
pub async fn script(uri: Uri) -> Response {
    let body = match uri.path() {
        "/static/verification/jsQR.js" => include_str!("../static/jsQR.js"),
        _ => include_str!("../static/verifier.js"),
    };
    web::assets::script(body)
}
