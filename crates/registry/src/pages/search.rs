//! `GET /persons`: resident search.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use kernel::PageRequest;
use serde::Deserialize;
use web::layout::render;
use web::{Chrome, Ctx, Lang, PageUser};

use super::labels;
use crate::access::OfficerReads;
use crate::queries::persons::SearchQuery;

#[derive(Deserialize, Default)]
pub(super) struct Params {
    q: Option<String>,
    birth_year: Option<String>,
    commune: Option<String>,
    page: Option<u32>,
    purpose: Option<String>,
}

pub(super) struct Row {
    personal_id: String,
    full_name: String,
    birth_date_vn: Option<String>,
    gender_label: String,
    commune_name: Option<String>,
    status_label: String,
    status_class: &'static str,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    chrome: Chrome,
    q: String,
    birth_year: String,
    commune: String,
    communes: Vec<(String, String)>,
    searched: bool,
    error: Option<String>,
    rows: Vec<Row>,
    page: u32,
    prev_href: Option<String>,
    next_href: Option<String>,
}

pub(super) async fn page(
    State(ctx): State<Ctx>,
    PageUser(user): PageUser,
    lang: Lang,
    uri: Uri,
    Query(p): Query<Params>,
) -> Response {
    if let Err(e) = crate::access::may_search(&user) {
        return web::PageError::new(e, lang).into_response();
    }
    let chrome = Chrome::for_uri(lang, &uri, ("Tra cứu dân cư", "Resident search"), Some(&user));
    let q = p.q.clone().unwrap_or_default();
    let commune = p.commune.clone().unwrap_or_default();
    let birth_year = p.birth_year.clone().unwrap_or_default();
    let searched = !q.trim().is_empty() || !commune.is_empty();
    let mut view = SearchPage {
        communes: labels::communes_for(&user.jurisdiction),
        chrome,
        q: q.clone(),
        birth_year: birth_year.clone(),
        commune: commune.clone(),
        searched,
        error: None,
        rows: Vec::new(),
        page: p.page.unwrap_or(1),
        prev_href: None,
        next_href: None,
    };
    if searched {
        let result = async {
            let year = match birth_year.trim() {
                "" => None,
                y => Some(y.parse::<i32>().map_err(|_| {
                    kernel::AppError::new(kernel::ErrorCode::InvalidDate, "birth year must be a number").with_message(
                        "Năm sinh phải là một số, ví dụ 1985.",
                        "The birth year must be a number, e.g. 1985.",
                    )
                })?),
            };
            let page = PageRequest::new(p.page, Some(20))?;
            let query = SearchQuery {
                q: Some(q.clone()).filter(|s| !s.trim().is_empty()),
                birth_year: year,
                birth_date: None,
                commune: Some(commune.clone()).filter(|s| !s.is_empty()),
            };
            OfficerReads::new(&ctx, &user, p.purpose.as_deref(), "web", kernel::clock::now_ms())?
                .search(&query, page)
                .await
        }
        .await;
        match result {
            Ok(found) => {
                let params = [("q", q.clone()), ("birth_year", birth_year.clone()), ("commune", commune.clone())];
                view.prev_href = (found.page > 1).then(|| super::page_href("/persons", &params, found.page - 1));
                view.next_href = found.has_next.then(|| super::page_href("/persons", &params, found.page + 1));
                view.rows = found
                    .items
                    .into_iter()
                    .map(|s| {
                        let (status_label, status_class) = labels::person_status(lang, &s.status);
                        Row {
                            gender_label: labels::gender(lang, s.gender.as_deref()),
                            personal_id: s.personal_id,
                            full_name: s.full_name,
                            birth_date_vn: s.birth_date_vn,
                            commune_name: s.commune_name,
                            status_label,
                            status_class,
                        }
                    })
                    .collect();
            }
            Err(e) => {
                view.searched = false;
                view.error = Some(e.message_in(lang).to_string());
            }
        }
    }
    render(&view, lang)
}
