//! `/account/access-log` and its CSV export: who accessed the citizen's data.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use kernel::PageRequest;
use web::layout::render;
use web::{Chrome, Lang, PageError, PageUser};

use super::{page_err, when, IdentityState};
use crate::access_history::{self, ActorKind, HistoryQuery};

/// One entry in the reader's words.
struct Row {
    when: String,
    who: String,
    kind: String,
    purpose: String,
    data: String,
}

#[derive(Template)]
#[template(path = "access_log.html")]
struct AccessLogPage {
    chrome: Chrome,
    q: HistoryQuery,
    rows: Vec<Row>,
    kinds: Vec<(&'static str, String)>,
    purposes: Vec<(&'static str, String)>,
    page: u32,
    prev_href: Option<String>,
    next_href: Option<String>,
    csv_href: String,
}

fn rows(lang: Lang, records: &[audit::AccessRecord]) -> Vec<Row> {
    records
        .iter()
        .map(|r| {
            let (kv, ke) = ActorKind::of(r).label();
            let purpose = audit::Purpose::find(&r.purpose)
                .map(|p| lang.pick(p.vi, p.en).to_string())
                .unwrap_or_else(|| r.purpose.clone());
            Row {
                when: when(r.at),
                who: r.actor_label.clone(),
                kind: lang.pick(kv, ke).to_string(),
                purpose,
                data: access_history::released_words(&r.released, lang == Lang::Vi),
            }
        })
        .collect()
}

fn query_string(q: &HistoryQuery, page: Option<u32>) -> String {
    let mut parts = Vec::new();
    for (k, v) in [("from", &q.from), ("to", &q.to), ("kind", &q.kind), ("purpose", &q.purpose)] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            parts.push(format!("{k}={}", web::auth::urlencode(v)));
        }
    }
    if let Some(p) = page {
        parts.push(format!("page={p}"));
    }
    parts.join("&")
}

fn person_of(user: &web::CurrentUser, lang: Lang) -> Result<String, PageError> {
    match (&user.role, &user.jurisdiction) {
        (web::Role::Citizen, web::Jurisdiction::Own(pid)) => Ok(pid.clone()),
        _ => Err(PageError::new(kernel::AppError::forbidden("only citizens have a personal access log"), lang)),
    }
}

pub(super) async fn access_log_page(
    State(st): State<IdentityState>,
    lang: Lang,
    PageUser(user): PageUser,
    Query(q): Query<HistoryQuery>,
) -> Result<Response, PageError> {
    let person = person_of(&user, lang)?;
    let req = PageRequest::new(q.page, Some(50)).map_err(page_err(lang))?;
    let found = access_history::history(&st.ctx.db, &person, &q, req).await.map_err(page_err(lang))?;
    let page = AccessLogPage {
        chrome: Chrome::new(
            lang,
            ("Nhật ký truy cập dữ liệu của tôi", "My data access log"),
            Some(&user),
            "/account/access-log",
        ),
        rows: rows(lang, &found.items),
        kinds: ActorKind::ALL.iter().map(|k| (k.code(), lang.pick(k.label().0, k.label().1).to_string())).collect(),
        purposes: audit::PURPOSES.iter().map(|p| (p.code, lang.pick(p.vi, p.en).to_string())).collect(),
        page: found.page,
        prev_href: (found.page > 1).then(|| format!("/account/access-log?{}", query_string(&q, Some(found.page - 1)))),
        next_href: found.has_next.then(|| format!("/account/access-log?{}", query_string(&q, Some(found.page + 1)))),
        csv_href: format!("/account/access-log.csv?{}", query_string(&q, None)),
        q,
    };
    Ok(render(&page, lang))
}

/// Rows exported at most (newest first).
const CSV_LIMIT: u32 = 200;
const CSV_PAGES: u32 = 50;

pub(super) async fn access_log_csv(
    State(st): State<IdentityState>,
    lang: Lang,
    PageUser(user): PageUser,
    Query(q): Query<HistoryQuery>,
) -> Result<Response, PageError> {
    let person = person_of(&user, lang)?;
    let mut w = kernel::csv_export::CsvExport::new();
    let header_row = match lang {
        Lang::Vi => ["Thời gian", "Ai truy cập", "Loại", "Mục đích", "Dữ liệu"],
        Lang::En => ["When", "Who", "Kind", "Purpose", "Data"],
    };
    w.row(header_row).map_err(page_err(lang))?;
    for n in 1..=CSV_PAGES {
        let req = PageRequest::new(Some(n), Some(CSV_LIMIT)).map_err(page_err(lang))?;
        let found = access_history::history(&st.ctx.db, &person, &q, req).await.map_err(page_err(lang))?;
        for r in rows(lang, &found.items) {
            w.row([&r.when, &r.who, &r.kind, &r.purpose, &r.data]).map_err(page_err(lang))?;
        }
        if !found.has_next {
            break;
        }
    }
    let body = w.finish().map_err(page_err(lang))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"nhat-ky-truy-cap.csv\""),
        ],
        body,
    )
        .into_response())
}
