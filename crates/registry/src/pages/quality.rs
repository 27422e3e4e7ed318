//! `GET /quality` (counts per rule and commune) and `GET /quality/{rule}` (offending records).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::Uri;
use axum::response::Response;
use kernel::{AppError, PageRequest};
use serde::Deserialize;
use web::layout::render;
use web::{Chrome, Ctx, Lang, PageError, PageUser};

use super::labels;
use crate::access::OfficerReads;
use crate::quality::{self, Finding};

#[derive(Deserialize)]
pub(super) struct Params {
    commune: Option<String>,
    page: Option<u32>,
}

#[derive(Template)]
#[template(path = "quality.html")]
struct QualityPage {
    chrome: Chrome,
    commune: String,
    commune_query: String,
    communes: Vec<(String, String)>,
    /// (last run time, persons checked)
    report: Option<(String, i64)>,
    /// (group, rule code, label, count, bar width %)
    rules: Vec<(String, String, String, i64, i64)>,
    /// (commune code, name, findings)
    by_commune: Vec<(String, String, i64)>,
}

fn commune_query(c: &str) -> String {
    if c.is_empty() {
        String::new()
    } else {
        format!("?commune={c}")
    }
}

pub(super) async fn page(
    State(ctx): State<Ctx>,
    PageUser(user): PageUser,
    lang: Lang,
    uri: Uri,
    Query(q): Query<Params>,
) -> Result<Response, PageError> {
    let commune = q.commune.clone().filter(|c| !c.is_empty());
    let report =
        quality::report(&ctx.db, &user.jurisdiction, commune.as_deref()).await.map_err(|e| PageError::new(e, lang))?;
    let max = report.as_ref().and_then(|r| r.rules.iter().map(|x| x.count).max()).unwrap_or(0).max(1);
    let c = commune.clone().unwrap_or_default();
    let page = QualityPage {
        chrome: Chrome::for_uri(lang, &uri, ("Chất lượng dữ liệu", "Data quality"), Some(&user)),
        commune_query: commune_query(&c),
        communes: labels::communes_for(&user.jurisdiction),
        commune: c,
        rules: report
            .as_ref()
            .map(|r| {
                r.rules
                    .iter()
                    .map(|x| {
                        let (gvi, gen) = x.group.label();
                        (
                            lang.pick(gvi, gen).to_string(),
                            x.rule.clone(),
                            lang.pick(&x.vi, &x.en).to_string(),
                            x.count,
                            (x.count * 100 / max).max(i64::from(x.count > 0) * 2),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
        by_commune: report
            .as_ref()
            .map(|r| {
                r.by_commune
                    .iter()
                    .take(20)
                    .map(|c| (c.commune_code.clone(), c.commune_name.clone(), c.findings))
                    .collect()
            })
            .unwrap_or_default(),
        report: report.as_ref().map(|r| (kernel::clock::format_ms_vn(r.finished_at), r.persons_checked)),
    };
    Ok(render(&page, lang))
}

#[derive(Template)]
#[template(path = "findings.html")]
struct FindingsPage {
    chrome: Chrome,
    rule_label: String,
    commune_query: String,
    rows: Vec<Finding>,
    page: u32,
    prev_href: Option<String>,
    next_href: Option<String>,
}

pub(super) async fn findings_page(
    State(ctx): State<Ctx>,
    PageUser(user): PageUser,
    lang: Lang,
    uri: Uri,
    Path(rule): Path<String>,
    Query(q): Query<Params>,
) -> Result<Response, PageError> {
    let err = |e: AppError| PageError::new(e, lang);
    let rule_def =
        quality::RULES.iter().find(|r| r.code == rule).ok_or_else(|| err(AppError::not_found("unknown rule")))?;
    let commune = q.commune.clone().filter(|c| !c.is_empty());
    let page = PageRequest::new(q.page, Some(50)).map_err(err)?;
    let found = OfficerReads::new(&ctx, &user, Some("data_cleaning"), "web", kernel::clock::now_ms())
        .map_err(err)?
        .quality_findings(&rule, commune.as_deref(), page)
        .await
        .map_err(err)?;
    let c = commune.unwrap_or_default();
    let path = format!("/quality/{rule}");
    let params = [("commune", c.clone())];
    let view = FindingsPage {
        chrome: Chrome::for_uri(lang, &uri, (rule_def.vi, rule_def.en), Some(&user)),
        rule_label: lang.pick(rule_def.vi, rule_def.en).to_string(),
        commune_query: commune_query(&c),
        prev_href: (found.page > 1).then(|| super::page_href(&path, &params, found.page - 1)),
        next_href: found.has_next.then(|| super::page_href(&path, &params, found.page + 1)),
        page: found.page,
        rows: found.items,
    };
    Ok(render(&view, lang))
}
