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

#[derive(Template)]
#[template(path = "admin_org_purposes.html")]
struct PurposesPage {
    chrome: Chrome,
    org_id: String,
    org: String,
    /// (code, words, granted)
    purposes: Vec<(&'static str, &'static str, bool)>,
    notice: Option<String>,
    error: Option<String>,
}

/// The organization page's purposes: every purpose, checked when granted.
async fn purposes_page(
    v: &Verifier,
    user: &web::CurrentUser,
    lang: Lang,
    uri: &Uri,
    org_id: &str,
    notice: Option<String>,
) -> Result<Response, kernel::AppError> {
    user.require(&[Role::Admin])?;
    let org = identity::organizations::get_organization(&v.stores().db, org_id)
        .await?
        .ok_or_else(|| kernel::AppError::not_found("no such organization"))?;
    let granted = crate::caller::allowed_purposes(&v.stores().db, org_id).await?;
    let purposes = crate::purpose::PURPOSES
        .iter()
        .map(|p| (p.code, lang.pick(p.vi, p.en), granted.iter().any(|g| g == p.code)))
        .collect();
    let chrome = Chrome::for_uri(lang, uri, ("Mục đích xác minh", "Verification purposes"), Some(user));
    Ok(render(&PurposesPage { chrome, org_id: org.id, org: org.name, purposes, notice, error: None }, lang))
}

/// `GET /admin/organizations/{id}/purposes` (administrators).
pub async fn org_purposes(
    State(v): State<Verifier>,
    PageUser(user): PageUser,
    lang: Lang,
    uri: Uri,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    purposes_page(&v, &user, lang, &uri, &id, None)
        .await
        .unwrap_or_else(|error| PageError { error, lang }.into_response())
}

/// `POST /admin/organizations/{id}/purposes`: the checked purposes become the organization's
/// purposes (granted and revoked at once; the security middleware records the administrator's
/// action).
pub async fn org_purposes_save(
    State(v): State<Verifier>,
    PageUser(user): PageUser,
    lang: Lang,
    uri: Uri,
    axum::extract::Path(id): axum::extract::Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let result = async {
        user.require(&[Role::Admin])?;
        identity::organizations::get_organization(&v.stores().db, &id)
            .await?
            .ok_or_else(|| kernel::AppError::not_found("no such organization"))?;
        let chosen: Vec<String> =
            url::form_urlencoded::parse(&body).filter(|(k, _)| k == "purpose").map(|(_, v)| v.into_owned()).collect();
        let chosen: Vec<&str> = chosen.iter().map(String::as_str).collect();
        let (granted, revoked) = v.set_purposes(&id, &chosen).await?;
        let words = |codes: &[String]| {
            codes
                .iter()
                .filter_map(|c| VerifyPurpose::find(c))
                .map(|p| lang.pick(p.vi, p.en))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let notice = match (granted.is_empty(), revoked.is_empty()) {
            (true, true) => lang.pick("Không có thay đổi.", "Nothing changed.").to_string(),
            _ => format!(
                "{} {} · {} {}",
                lang.pick("Đã cấp:", "Granted:"),
                if granted.is_empty() { "—".into() } else { words(&granted) },
                lang.pick("Đã thu hồi:", "Revoked:"),
                if revoked.is_empty() { "—".into() } else { words(&revoked) },
            ),
        };
        purposes_page(&v, &user, lang, &uri, &id, Some(notice)).await
    }
    .await;
    result.unwrap_or_else(|error| PageError { error, lang }.into_response())
}

#[derive(Template)]
#[template(path = "verify_lists.html")]
struct ListsPage {
    chrome: Chrome,
    org: String,
    /// (kind, words) the organization may upload.
    kinds: Vec<(&'static str, &'static str)>,
    notice: Option<String>,
    errors: Vec<String>,
}

/// The list kinds the caller's organization may upload, in words.
fn list_kinds(caller: &crate::caller::Caller, lang: Lang) -> Vec<(&'static str, &'static str)> {
    [
        ("exam", ("Thí sinh của kỳ thi", "Candidates of an exam")),
        ("ticket", ("Hành khách có vé của chuyến", "Ticket holders of a trip")),
    ]
    .into_iter()
    .filter(|(kind, _)| crate::lists::kind_purpose(kind).is_some_and(|p| caller.purpose(p).is_ok()))
    .map(|(kind, (vi, en))| (kind, lang.pick(vi, en)))
    .collect()
}

/// `GET /verify/lists` (organization staff).
pub async fn lists(State(v): State<Verifier>, PageUser(user): PageUser, lang: Lang, uri: Uri) -> Response {
    match v.caller(&user, kernel::clock::now_ms()).await {
        Ok(c) => {
            let chrome = Chrome::for_uri(lang, &uri, ("Danh sách kiểm tra", "Lists"), Some(&user));
            let kinds = list_kinds(&c, lang);
            render(&ListsPage { chrome, org: c.org_name, kinds, notice: None, errors: Vec::new() }, lang)
        }
        Err(error) => PageError { error, lang }.into_response(),
    }
}

/// `POST /verify/lists`: a multipart form with `kind`, `list_code` and the CSV `file`; bad lines
/// are listed on the page (400) and nothing is stored.
pub async fn lists_upload(
    State(v): State<Verifier>,
    PageUser(user): PageUser,
    lang: Lang,
    uri: Uri,
    mut form: axum::extract::Multipart,
) -> Response {
    let caller = match v.caller(&user, kernel::clock::now_ms()).await {
        Ok(c) => c,
        Err(error) => return PageError { error, lang }.into_response(),
    };
    let (mut kind, mut code, mut file) = (String::new(), String::new(), Vec::new());
    while let Ok(Some(field)) = form.next_field().await {
        match field.name().unwrap_or_default() {
            "kind" => kind = field.text().await.unwrap_or_default(),
            "list_code" => code = field.text().await.unwrap_or_default(),
            "file" => file = field.bytes().await.map(|b| b.to_vec()).unwrap_or_default(),
            _ => {}
        }
    }
    let stored = match crate::lists::parse(&file) {
        Ok(entries) => {
            crate::lists::replace(&v.stores().db, &caller, &kind, &code, &entries).await.map_err(|e| vec![e])
        }
        Err(lines) => Err(lines
            .iter()
            .map(|l| {
                kernel::AppError::invalid(String::new())
                    .with_message(format!("Dòng {}: {}", l.line, l.vi), format!("Line {}: {}", l.line, l.en))
            })
            .collect()),
    };
    let chrome = Chrome::for_uri(lang, &uri, ("Danh sách kiểm tra", "Lists"), Some(&user));
    let kinds = list_kinds(&caller, lang);
    match stored {
        Ok(n) => {
            let notice = format!(
                "{} {} ({n} {})",
                lang.pick("Đã lưu danh sách", "List saved:"),
                code.trim(),
                lang.pick("người", "persons")
            );
            render(&ListsPage { chrome, org: caller.org_name, kinds, notice: Some(notice), errors: Vec::new() }, lang)
        }
        Err(errors) => {
            let errors = errors
                .iter()
                .map(|e| {
                    let (vi, en) = e.message();
                    lang.pick(vi, en).to_string()
                })
                .collect();
            let page = render(&ListsPage { chrome, org: caller.org_name, kinds, notice: None, errors }, lang);
            (axum::http::StatusCode::BAD_REQUEST, page).into_response()
        }
    }
}
