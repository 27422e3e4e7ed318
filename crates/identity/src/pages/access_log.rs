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
    /// "3 lần, từ 14:02" when repeats were folded into this row.
    repeat: Option<String>,
    kind: String,
    own: bool,
    sentence: String,
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

/// The entries told as sentences for the citizen whose account is `own_account`; `window_ms`
/// folds repeats (the page) or none (the CSV, one line per access).
fn rows(lang: Lang, records: &[audit::AccessRecord], own_account: &str, window_ms: i64) -> Vec<Row> {
    access_history::tell(records, own_account, lang == Lang::Vi, window_ms)
        .into_iter()
        .map(|t| {
            let (kv, ke) = if t.own { ("Bạn tự xem", "Your own read") } else { t.kind.label() };
            let repeat = (t.count > 1).then(|| match lang {
                Lang::Vi => format!("{} lần, từ {}", t.count, when(t.first_at)),
                Lang::En => format!("{} times, since {}", t.count, when(t.first_at)),
            });
            Row { when: when(t.at), repeat, kind: lang.pick(kv, ke).to_string(), own: t.own, sentence: t.sentence }
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
        rows: rows(lang, &found.items, &user.account_id, access_history::FOLD_WINDOW_MS),
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
        Lang::Vi => ["Thời gian", "Nội dung", "Loại"],
        Lang::En => ["When", "What happened", "Kind"],
    };
    w.row(header_row).map_err(page_err(lang))?;
    for n in 1..=CSV_PAGES {
        let req = PageRequest::new(Some(n), Some(CSV_LIMIT)).map_err(page_err(lang))?;
        let found = access_history::history(&st.ctx.db, &person, &q, req).await.map_err(page_err(lang))?;
        for r in rows(lang, &found.items, &user.account_id, 0) {
            w.row([&r.when, &r.sentence, &r.kind]).map_err(page_err(lang))?;
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
