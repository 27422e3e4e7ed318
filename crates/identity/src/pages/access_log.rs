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
    /// The access-log row of the entry's latest access.
    id: i64,
    when: String,
    /// "3 lần, từ 14:02" when repeats were folded into this row.
    repeat: Option<String>,
    kind: String,
    own: bool,
    sentence: String,
    /// Where the entry stands in the transparency log, in words.
    seal: String,
    /// Its inclusion in the signed tree was proven.
    seal_ok: bool,
}

/// What the check of the citizen's rows against their seals found, in the reader's words.
struct Integrity {
    ok: bool,
    summary: String,
    /// One line per finding (time, what happened to the entry).
    problems: Vec<String>,
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
    integrity: Integrity,
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
            Row {
                id: t.newest_id,
                when: when(t.at),
                repeat,
                kind: lang.pick(kv, ke).to_string(),
                own: t.own,
                sentence: t.sentence,
                seal: String::new(),
                seal_ok: false,
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
    user.citizen_person()
        .map(str::to_owned)
        .ok_or_else(|| PageError::new(kernel::AppError::forbidden("only citizens have a personal access log"), lang))
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
    let mut rows = rows(lang, &found.items, &user.account_id, access_history::FOLD_WINDOW_MS);
    let integrity = seal_rows(&st, lang, &person, &mut rows).await.map_err(page_err(lang))?;
    let page = AccessLogPage {
        chrome: Chrome::new(
            lang,
            ("Nhật ký truy cập dữ liệu của tôi", "My data access log"),
            Some(&user),
            "/account/access-log",
        ),
        rows,
        integrity,
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

/// Checks the citizen's whole log against its seals and proves each shown entry's inclusion in the
/// newest signed tree head.
async fn seal_rows(
    st: &IdentityState,
    lang: Lang,
    person: &str,
    rows: &mut [Row],
) -> Result<Integrity, kernel::AppError> {
    let db = &st.ctx.db;
    let keys = st.ctx.security.pseudonymizer();
    let report = audit::seal::check_subject(db, keys, person).await?;
    if !report.ok() {
        // The citizen saw it: the SOC hears of it now, not at the next periodic check.
        let origin = audit::security::Origin {
            at: kernel::clock::now_ms(),
            client: String::new(),
            route: "/account/access-log".into(),
            request_id: String::new(),
        };
        let event = audit::security::SecurityEvent::new(audit::security::Kind::AccessLogTampered, "seen_by_citizen")
            .about(person.to_string());
        st.ctx.security.record(event, origin);
    }
    let head = translog::latest_head(db).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let proofs = audit::seal::prove(db, &ids, head.as_ref()).await?;
    for r in rows.iter_mut() {
        let (text, ok) = match proofs.get(&r.id) {
            Some(audit::seal::Sealed::Proven { log_index, verified: true, .. }) => {
                (lang.pick("Đã kiểm chứng, mục", "Proven, entry").to_string() + &format!(" #{log_index}"), true)
            }
            Some(audit::seal::Sealed::Proven { log_index, .. }) => (
                lang.pick("KHÔNG khớp sổ, mục", "Does NOT match the log, entry").to_string()
                    + &format!(" #{log_index}"),
                false,
            ),
            Some(audit::seal::Sealed::AwaitingHead { log_index }) => (
                lang.pick("Đã niêm phong, chờ ký đầu cây, mục", "Sealed, awaiting the next signed head, entry")
                    .to_string()
                    + &format!(" #{log_index}"),
                false,
            ),
            _ => (lang.pick("Đang niêm phong", "Being sealed").to_string(), false),
        };
        r.seal = text;
        r.seal_ok = ok;
    }
    let head_words = match &head {
        Some(h) => match lang {
            Lang::Vi => format!("đầu cây ký số gần nhất: {} mục, lúc {}", h.tree_size, when(h.timestamp)),
            Lang::En => format!("latest signed tree head: {} entries, at {}", h.tree_size, when(h.timestamp)),
        },
        None => lang.pick("chưa có đầu cây ký số", "no signed tree head yet").to_string(),
    };
    let summary = match lang {
        Lang::Vi => format!(
            "{} lượt truy cập được niêm phong trong sổ nhật ký minh bạch và khớp với sổ ({head_words}); {} lượt mới đang chờ niêm phong; {} lượt đã xoá đúng thời hạn lưu trữ.",
            report.verified, report.pending, report.pruned
        ),
        Lang::En => format!(
            "{} accesses are sealed in the transparency log and match it ({head_words}); {} new ones await sealing; {} were removed at the end of their retention period.",
            report.verified, report.pending, report.pruned
        ),
    };
    let problems = report
        .findings
        .iter()
        .map(|f| {
            use audit::seal::Finding;
            match (f, lang) {
                (Finding::Deleted { at, purpose, log_index, .. }, Lang::Vi) => {
                    format!("Lượt truy cập lúc {} (mục đích: {}) đã bị XOÁ khỏi nhật ký; sổ minh bạch vẫn giữ mục #{log_index}.", when(*at), purpose_words(purpose, lang))
                }
                (Finding::Deleted { at, purpose, log_index, .. }, Lang::En) => {
                    format!("The access at {} (purpose: {}) was DELETED from the log; the transparency log still holds entry #{log_index}.", when(*at), purpose_words(purpose, lang))
                }
                (Finding::Altered { at, log_index, .. }, Lang::Vi) => {
                    format!("Lượt truy cập lúc {} đã bị SỬA sau khi ghi; không còn khớp mục #{log_index}.", when(*at))
                }
                (Finding::Altered { at, log_index, .. }, Lang::En) => {
                    format!("The access at {} was CHANGED after it was written; it no longer matches entry #{log_index}.", when(*at))
                }
                (Finding::BadSeal { log_index, .. }, Lang::Vi) => format!("Mục #{log_index} của sổ minh bạch bị thiếu hoặc sai."),
                (Finding::BadSeal { log_index, .. }, Lang::En) => format!("Entry #{log_index} of the transparency log is missing or wrong."),
                (Finding::Unsealed { at, .. }, Lang::Vi) => {
                    format!("Lượt truy cập lúc {} được thêm vào nhật ký mà không qua sổ minh bạch.", when(*at))
                }
                (Finding::Unsealed { at, .. }, Lang::En) => {
                    format!("The access at {} was added to the log without passing the transparency log.", when(*at))
                }
            }
        })
        .collect();
    Ok(Integrity { ok: report.ok(), summary, problems })
}

fn purpose_words(code: &str, lang: Lang) -> String {
    audit::Purpose::find(code).map_or_else(|| code.to_string(), |p| lang.pick(p.vi, p.en).to_string())
}

/// Entries in a proof download at most (the newest).
const PROOF_LIMIT: u32 = 200;

/// `/account/access-log/proofs.json`: the citizen's newest entries with their seals' leaves and
/// inclusion paths, and the signed tree head they lead to, so that any program holding the
/// platform's published keys (`/api/v1/exchange/jwks.json`) can check them without trusting the
/// page.
pub(super) async fn access_log_proofs(
    State(st): State<IdentityState>,
    lang: Lang,
    PageUser(user): PageUser,
) -> Result<Response, PageError> {
    let person = person_of(&user, lang)?;
    let db = &st.ctx.db;
    let req = PageRequest::new(Some(1), Some(PROOF_LIMIT)).map_err(page_err(lang))?;
    let found = audit::list_for_subject(db, &person, req).await.map_err(page_err(lang))?;
    let head = translog::latest_head(db).await.map_err(page_err(lang))?;
    let ids: Vec<i64> = found.items.iter().map(|r| r.id).collect();
    let mut proofs = audit::seal::prove(db, &ids, head.as_ref()).await.map_err(page_err(lang))?;
    let entries: Vec<serde_json::Value> = found
        .items
        .iter()
        .map(|r| {
            serde_json::json!({
                "access_id": r.id,
                "at": r.at,
                "actor": r.actor_label,
                "purpose": r.purpose,
                "seal": proofs.remove(&r.id).unwrap_or(audit::seal::Sealed::Pending),
            })
        })
        .collect();
    let body = serde_json::json!({
        "tree_head": head,
        "jwks_uri": "/api/v1/exchange/jwks.json",
        "leaf_hash": "SHA-256(0x00 || leaf), RFC 9162",
        "entries": entries,
    });
    Ok((
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"bang-chung-nhat-ky.json\""),
        ],
        body.to_string(),
    )
        .into_response())
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
