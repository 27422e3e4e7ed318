//! Verifier pages for organization staff (phone-friendly) and the citizen's identity QR page.

use askama::Template;
use axum::extract::State;
use axum::http::{header, Uri};
use axum::response::{IntoResponse, Response};
use kernel::PageRequest;
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
}

#[derive(Template)]
#[template(path = "verify_history.html")]
struct HistoryPage {
    chrome: Chrome,
    org: String,
    rows: Vec<(String, crate::history::HistoryRow)>,
}

#[derive(Template)]
#[template(path = "identity_qr.html")]
struct IdentityQrPage {
    chrome: Chrome,
}

/// `GET /verify`.
pub async fn verify(State(v): State<Verifier>, PageUser(user): PageUser, lang: Lang, uri: Uri) -> Response {
    let chrome = Chrome::for_uri(lang, &uri, ("Xác minh danh tính", "Identity verification"), Some(&user));
    match v.caller(&user).await {
        Ok(c) => render(&VerifyPage { chrome, org: c.org_name.clone(), purposes: c.allowed() }, lang),
        Err(error) => PageError { error, lang }.into_response(),
    }
}

/// `GET /verify/history`.
pub async fn history(State(v): State<Verifier>, PageUser(user): PageUser, lang: Lang, uri: Uri) -> Response {
    let chrome = Chrome::for_uri(lang, &uri, ("Lịch sử xác minh", "Verification history"), Some(&user));
    let result = async {
        let c = v.caller(&user).await?;
        let page = crate::history::list(&v.ctx().db, &c.org_id, PageRequest::new(None, Some(100))?).await?;
        Ok::<_, kernel::AppError>((c.org_name, page.items))
    }
    .await;
    match result {
        Ok((org, items)) => {
            let rows = items.into_iter().map(|r| (kernel::clock::format_ms_vn(r.at), r)).collect();
            render(&HistoryPage { chrome, org, rows }, lang)
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
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "max-age=3600")], body)
        .into_response()
}
