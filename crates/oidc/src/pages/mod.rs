//! HTML pages of the provider: the authorization flow (sign-in hand-off, consent, level
//! requirement), RP-initiated logout, the citizen's connected services, client administration.

pub mod admin;
pub mod apps;
pub mod authorize;
pub mod logout;

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use web::{Chrome, CurrentUser, Lang};

#[derive(Template)]
#[template(path = "oidc_message.html")]
struct MessagePage {
    chrome: Chrome,
    heading: String,
    paragraphs: Vec<String>,
    link: Option<(String, String)>,
}

/// A page with a heading, explanation and an optional way forward.
pub fn message(
    lang: Lang,
    user: Option<&CurrentUser>,
    path: &str,
    heading: (&str, &str),
    paragraphs: &[(&str, &str)],
    link: Option<(String, (&str, &str))>,
    status: StatusCode,
) -> Response {
    let page = MessagePage {
        chrome: Chrome::new(lang, heading, user, path),
        heading: lang.pick(heading.0, heading.1).to_string(),
        paragraphs: paragraphs.iter().map(|(vi, en)| lang.pick(vi, en).to_string()).collect(),
        link: link.map(|(href, (vi, en))| (href, lang.pick(vi, en).to_string())),
    };
    let mut resp = web::layout::render(&page, lang);
    *resp.status_mut() = status;
    resp
}
