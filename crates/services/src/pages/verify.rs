//! `/documents/verify`: anyone checks a result document by the code printed on it (the stored
//! document's signature is verified again on every look-up); `/documents/{code}/pdf` downloads it.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use web::layout::render;
use web::{Chrome, CurrentUser, Lang, PageError};

use super::err;
use crate::documents::{self, Payload};
use crate::Service;

#[derive(Template)]
#[template(path = "services_verify.html")]
struct VerifyPage {
    chrome: Chrome,
    code: String,
    doc: Option<Payload>,
    /// Set when a code was looked up: whether the signature verified.
    valid: Option<bool>,
    issued: String,
}

#[derive(Deserialize)]
pub(super) struct CodeQuery {
    code: Option<String>,
}

pub(super) async fn page(
    State(s): State<Service>,
    lang: Lang,
    user: Option<CurrentUser>,
    Query(q): Query<CodeQuery>,
) -> Result<Response, PageError> {
    let code = q.code.unwrap_or_default().trim().to_uppercase();
    let chrome = Chrome::new(
        lang,
        ("Xác minh giấy tờ điện tử", "Verify an electronic document"),
        user.as_ref(),
        "/documents/verify",
    );
    let mut p = VerifyPage { chrome, code: code.clone(), doc: None, valid: None, issued: String::new() };
    if !code.is_empty() {
        match documents::by_code(&s.stores.db, &code).await.map_err(err(lang))? {
            Some(d) => {
                let checked = documents::verify(&s.stores.db, &s.keys, &d.jws).await;
                p.valid = Some(checked.is_ok());
                p.issued = kernel::clock::format_ms_vn(d.payload.iat * 1000);
                p.doc = Some(d.payload);
            }
            None => p.valid = Some(false),
        }
    }
    Ok(render(&p, lang))
}

pub(super) async fn pdf(State(s): State<Service>, lang: Lang, Path(code): Path<String>) -> Result<Response, PageError> {
    let d = documents::by_code(&s.stores.db, &code)
        .await
        .map_err(err(lang))?
        .ok_or_else(|| PageError::new(kernel::AppError::not_found("no such document"), lang))?;
    let bytes = documents::pdf(&d, &format!("{}/documents/verify", s.public_url)).map_err(err(lang))?;
    let name = format!("attachment; filename=\"{}.pdf\"", d.payload.code);
    Ok(([(header::CONTENT_TYPE, "application/pdf".to_string()), (header::CONTENT_DISPOSITION, name)], bytes)
        .into_response())
}
