//! `GET /persons/{id}` and `GET /households/{id}`.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use kernel::{AppError, ErrorCode, PersonalId};
use serde::Deserialize;
use web::layout::render;
use web::{Chrome, CurrentUser, Lang, PageError, PageUser};

use super::labels;
use crate::access::{self, OfficerReads, Reason};
use crate::api::Registry;
use crate::queries::persons::PersonView;

#[derive(Deserialize)]
pub(super) struct Params {
    purpose: Option<String>,
    case_ref: Option<String>,
    as_of: Option<String>,
}

/// A purpose as the form offers it.
struct PurposeOption {
    code: &'static str,
    label: String,
}

/// The question asked before a record opens: the purpose and, where it needs one, the case.
#[derive(Template)]
#[template(path = "person_purpose.html")]
struct PurposePage {
    chrome: Chrome,
    id: String,
    purposes: Vec<PurposeOption>,
    chosen: String,
    case_ref: String,
    as_of: Option<String>,
    error: Option<String>,
}

/// The purpose form for `id`, with the refusal of what was sent (400) if anything was.
fn purpose_form(
    lang: Lang,
    uri: &Uri,
    user: &CurrentUser,
    id: &PersonalId,
    q: &Params,
    error: Option<AppError>,
) -> Response {
    let purposes = access::record_purposes_for(user)
        .into_iter()
        .map(|p| {
            let words = lang.pick(p.vi, p.en);
            let label = if p.needs_case_ref {
                format!("{words} ({})", lang.pick("cần số hồ sơ", "case reference needed"))
            } else {
                words.to_string()
            };
            PurposeOption { code: p.code, label }
        })
        .collect();
    let page = PurposePage {
        chrome: Chrome::for_uri(lang, uri, ("Mục đích mở hồ sơ", "Purpose of access"), Some(user)),
        id: id.as_str().to_string(),
        purposes,
        chosen: q.purpose.clone().unwrap_or_default(),
        case_ref: q.case_ref.clone().unwrap_or_default(),
        as_of: q.as_of.clone().filter(|d| !d.is_empty()),
        error: error.as_ref().map(|e| {
            let (vi, en) = e.message();
            lang.pick(vi, en).to_string()
        }),
    };
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    (status, render(&page, lang)).into_response()
}

/// The query that carries a stated reason to the next record page (household, its members).
fn reason_query(reason: &Reason) -> String {
    let mut q = format!("purpose={}", reason.purpose().code);
    if let Some(c) = reason.case_ref() {
        q.push_str("&case_ref=");
        q.push_str(&web::auth::urlencode(c));
    }
    q
}

/// One identity card as the person page lists it.
struct CardRow {
    kind: String,
    issued: String,
    until: String,
    /// Effective status in the page's language, and its badge class.
    status: String,
    class: &'static str,
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage {
    chrome: Chrome,
    p: PersonView,
    as_of: Option<String>,
    purpose_code: &'static str,
    purpose_label: &'static str,
    case_ref: Option<String>,
    reason_query: String,
    /// Opened through a desk officer's application: no household link.
    through_case: bool,
    status_label: String,
    status_class: &'static str,
    gender_label: String,
    ethnicity: String,
    religion: String,
    nationality: String,
    residence: String,
    relationship: String,
    warnings: Vec<String>,
    /// (kind, issued, valid until, status label, badge class)
    cards: Vec<CardRow>,
    /// (kind, address, from, until, active)
    residences: Vec<(String, String, String, String, bool)>,
    /// (when, by, reason, change)
    history: Vec<(String, String, String, String)>,
}

/// `GET /persons/{id}`: without a purpose, the question; with one, the record (logged with it).
pub(super) async fn page(
    State(st): State<Registry>,
    PageUser(user): PageUser,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
    Query(q): Query<Params>,
) -> Result<Response, PageError> {
    let err = |e: AppError| PageError::new(e, lang);
    access::may_open_records(&user).map_err(err)?;
    let pid = PersonalId::parse(&id).map_err(err)?;
    if q.purpose.as_deref().is_none_or(|p| p.trim().is_empty()) {
        return Ok(purpose_form(lang, &uri, &user, &pid, &q, None));
    }
    let reason = match Reason::stated(q.purpose.as_deref(), q.case_ref.as_deref()) {
        Ok(r) => r,
        Err(e) => return Ok(purpose_form(lang, &uri, &user, &pid, &q, Some(e))),
    };
    let reads =
        OfficerReads::record(&st.ctx, &user, reason, st.cases.clone(), "web", kernel::clock::now_ms()).map_err(err)?;
    let as_of = q.as_of.as_deref().filter(|s| !s.is_empty());
    let p = match as_of {
        Some(d) => {
            let date = NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| err(AppError::new(ErrorCode::InvalidDate, "as_of must be YYYY-MM-DD")))?;
            reads.person_as_of(&id, date).await.map_err(err)?
        }
        None => reads.person(&id).await.map_err(err)?,
    };
    let cards = reads.cards(&id).await.map_err(err)?;
    let residences = reads.residences(&id).await.map_err(err)?;
    let history = reads.history(&id).await.map_err(err)?;
    let (status_label, status_class) = labels::person_status(lang, &p.status);
    let chrome = Chrome::for_uri(lang, &uri, ("Hồ sơ công dân", "Resident record"), Some(&user));
    let reason = reads.reason();
    let page = PersonPage {
        as_of: as_of.map(|d| labels::date_vn(Some(d))),
        purpose_code: reason.purpose().code,
        purpose_label: lang.pick(reason.purpose().vi, reason.purpose().en),
        case_ref: reason.case_ref().map(str::to_string),
        reason_query: reason_query(reason),
        through_case: reads.through_case(),
        status_label,
        status_class,
        gender_label: labels::gender(lang, p.gender.as_deref()),
        ethnicity: p.ethnicity.as_ref().map(|c| c.name.clone()).unwrap_or_else(|| "—".into()),
        religion: p.religion.as_ref().map(|c| c.name.clone()).unwrap_or_else(|| "—".into()),
        nationality: match p.nationality.as_str() {
            "VN" => lang.pick("Việt Nam", "Vietnamese").to_string(),
            other => other.to_string(),
        },
        residence: p
            .current_residence
            .as_ref()
            .map(|r| format!("{}, {}, {}", r.address, r.commune_name, r.province_name))
            .unwrap_or_else(|| "—".into()),
        relationship: p
            .relationship
            .as_deref()
            .map(|r| lang.pick(kernel::vocab::relationship_vi(r), kernel::vocab::relationship_en(r)).to_string())
            .unwrap_or_default(),
        warnings: p
            .id_warnings
            .iter()
            .map(|w| serde_json::to_value(w).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default())
            .collect(),
        cards: cards
            .iter()
            .map(|c| {
                let (label, class) = labels::card_status(lang, &c.status);
                let kind = if c.kind == "cccd_chip" {
                    lang.pick("CCCD gắn chip", "Chip-based citizen ID")
                } else {
                    lang.pick("Thẻ căn cước", "Identity card (2024)")
                };
                let until = c
                    .expiry_date
                    .as_deref()
                    .map(|d| labels::date_vn(Some(d)))
                    .unwrap_or_else(|| lang.pick("Không thời hạn", "No expiry").to_string());
                CardRow {
                    kind: kind.to_string(),
                    issued: labels::date_vn(Some(&c.issue_date)),
                    until,
                    status: label,
                    class,
                }
            })
            .collect(),
        residences: residences
            .iter()
            .map(|r| {
                let (vi, en) = kernel::vocab::residence_kind_label(&r.kind);
                let until = match (&r.end_date, &r.expiry_date) {
                    (Some(e), _) => labels::date_vn(Some(e)),
                    (None, Some(x)) => format!("{} {}", lang.pick("hết hạn", "expires"), labels::date_vn(Some(x))),
                    (None, None) => "—".into(),
                };
                (
                    lang.pick(vi, en).to_string(),
                    format!("{}, {}, {}", r.address, r.commune_name, r.province_name),
                    labels::date_vn(Some(&r.start_date)),
                    until,
                    r.active,
                )
            })
            .collect(),
        history: history
            .iter()
            .map(|e| {
                let change = e
                    .current
                    .as_object()
                    .map(|cur| {
                        cur.iter()
                            .map(|(k, v)| {
                                let before = e.previous.get(k).and_then(|v| v.as_str()).unwrap_or("—");
                                format!("{k}: {before} → {}", v.as_str().unwrap_or("—"))
                            })
                            .collect::<Vec<_>>()
                            .join("; ")
                    })
                    .unwrap_or_default();
                (kernel::clock::format_ms_vn(e.occurred_at), e.actor.clone(), e.reason.clone(), change)
            })
            .collect(),
        chrome,
        p,
    };
    Ok(render(&page, lang))
}

#[derive(Template)]
#[template(path = "household.html")]
struct HouseholdPage {
    chrome: Chrome,
    address: String,
    reason_query: String,
    /// (relationship, name, birth date, personal id, status)
    members: Vec<(String, String, String, String, String)>,
}

/// `GET /households/{id}`: reached from a record, with its purpose (and case reference).
pub(super) async fn household_page(
    State(st): State<Registry>,
    PageUser(user): PageUser,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
    Query(q): Query<Params>,
) -> Result<Response, PageError> {
    let err = |e: AppError| PageError::new(e, lang);
    access::may_open_records(&user).map_err(err)?;
    let reason = Reason::stated(q.purpose.as_deref(), q.case_ref.as_deref()).map_err(err)?;
    let reads =
        OfficerReads::record(&st.ctx, &user, reason, st.cases.clone(), "web", kernel::clock::now_ms()).map_err(err)?;
    let h = reads.household(&id).await.map_err(err)?;
    let page = HouseholdPage {
        reason_query: reason_query(reads.reason()),
        chrome: Chrome::for_uri(lang, &uri, ("Hộ gia đình", "Household"), Some(&user)),
        address: h
            .address
            .as_ref()
            .map(|a| format!("{}, {}, {}", a.address, a.commune_name, a.province_name))
            .unwrap_or_default(),
        members: h
            .members
            .iter()
            .map(|m| {
                let rel = m.relationship.as_deref().unwrap_or("other");
                (
                    lang.pick(kernel::vocab::relationship_vi(rel), kernel::vocab::relationship_en(rel)).to_string(),
                    m.full_name.clone(),
                    m.birth_date_vn.clone().unwrap_or_else(|| "—".into()),
                    m.personal_id.clone(),
                    labels::person_status(lang, &m.status).0,
                )
            })
            .collect(),
    };
    Ok(render(&page, lang))
}
