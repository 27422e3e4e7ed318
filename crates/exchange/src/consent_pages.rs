//! The citizen's consent pages: the consent screen a member sends the citizen to
//! (`/consents/new?member=…&purpose=…&fields=…&days=…`), the receipt with the code to hand over,
//! and `/account/consents`, where the citizen lists and withdraws what they gave.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use kernel::AppError;
use serde::Deserialize;
use web::layout::render;
use web::{Chrome, CurrentUser, Lang, PageError, PageUser};

use crate::catalogue::Purpose;
use crate::consent::{self, Consent, Request};
use crate::Gateway;

/// The person a citizen's account is; consents are the citizen's own.
fn person_of(user: &CurrentUser, lang: Lang) -> Result<String, PageError> {
    user.citizen_person()
        .map(str::to_owned)
        .ok_or_else(|| PageError::new(AppError::forbidden("only citizens give consents"), lang))
}

/// The words of a service's fields, in the reader's language.
fn field_words(fields: &[String], lang: Lang) -> Vec<String> {
    fields
        .iter()
        .map(|f| {
            crate::catalogue::SERVICES
                .iter()
                .flat_map(|s| s.fields.iter())
                .find(|x| x.code == f)
                .map_or_else(|| f.clone(), |x| lang.pick(x.vi, x.en).to_string())
        })
        .collect()
}

fn purpose_words(code: &str, lang: Lang) -> String {
    Purpose::find(code).map_or_else(|| code.to_string(), |p| lang.pick(p.vi, p.en).to_string())
}

fn day(ms: i64) -> String {
    kernel::clock::date_vn(ms).format("%d/%m/%Y").to_string()
}

/// The screen's query, as the member's link gives it.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct AskQuery {
    #[serde(default)]
    member: String,
    #[serde(default)]
    purpose: String,
    /// Comma-separated service fields.
    #[serde(default)]
    fields: String,
    #[serde(default)]
    days: Option<u32>,
}

impl AskQuery {
    fn request(&self) -> Request {
        Request {
            member: self.member.trim().to_owned(),
            purpose: self.purpose.trim().to_owned(),
            fields: self.fields.split(',').map(str::to_owned).collect(),
            days: self.days.unwrap_or(30),
        }
    }
}

#[derive(Template)]
#[template(path = "consent_new.html")]
struct AskPage {
    chrome: Chrome,
    member: String,
    member_name: String,
    purpose: String,
    purpose_words: String,
    basis: String,
    service_words: String,
    fields: String,
    field_words: Vec<String>,
    days: u32,
    until: String,
}

/// The consent screen: who asks, for what, which answers, how long.
pub(crate) async fn ask(
    State(g): State<Gateway>,
    lang: Lang,
    PageUser(user): PageUser,
    Query(q): Query<AskQuery>,
) -> Result<Response, PageError> {
    person_of(&user, lang)?;
    let request = q.request();
    let c = consent::check_request(&g.stores.db, &request).await.map_err(|e| PageError::new(e, lang))?;
    let now = kernel::clock::now_ms();
    let page = AskPage {
        chrome: Chrome::new(lang, ("Đồng ý chia sẻ dữ liệu", "Consent to share data"), Some(&user), "/consents/new"),
        member: request.member,
        member_name: c.member_name,
        purpose: c.purpose.code.into(),
        purpose_words: lang.pick(c.purpose.vi, c.purpose.en).into(),
        basis: c.purpose.basis.into(),
        service_words: lang.pick(c.service.vi, c.service.en).into(),
        fields: c.fields.join(","),
        field_words: field_words(&c.fields, lang),
        days: c.days,
        until: day(now + i64::from(c.days) * 86_400_000 - 1),
    };
    Ok(render(&page, lang))
}

#[derive(Template)]
#[template(path = "consent_receipt.html")]
struct ReceiptPage {
    chrome: Chrome,
    consent: Consent,
    purpose_words: String,
    field_words: Vec<String>,
    granted: String,
    until: String,
}

/// Gives the consent and shows its receipt.
pub(crate) async fn give(
    State(g): State<Gateway>,
    lang: Lang,
    PageUser(user): PageUser,
    Form(q): Form<AskQuery>,
) -> Result<Response, PageError> {
    let person = person_of(&user, lang)?;
    let now = kernel::clock::now_ms();
    let consent =
        consent::grant(&g.stores.db, &person, &q.request(), now).await.map_err(|e| PageError::new(e, lang))?;
    let page = ReceiptPage {
        chrome: Chrome::new(lang, ("Biên nhận sự đồng ý", "Consent receipt"), Some(&user), "/account/consents"),
        purpose_words: purpose_words(&consent.purpose, lang),
        field_words: field_words(&consent.fields, lang),
        granted: kernel::clock::format_ms_vn(consent.granted_at),
        until: consent::last_day(&consent).format("%d/%m/%Y").to_string(),
        consent,
    };
    Ok((StatusCode::CREATED, render(&page, lang)).into_response())
}

struct ConsentRow {
    id: String,
    member_name: String,
    purpose: String,
    fields: String,
    granted: String,
    until: String,
    state: &'static str,
    in_force: bool,
}

#[derive(Template)]
#[template(path = "consents.html")]
struct ConsentsPage {
    chrome: Chrome,
    rows: Vec<ConsentRow>,
}

/// The citizen's consents, with a withdraw button on those in force.
pub(crate) async fn list(
    State(g): State<Gateway>,
    lang: Lang,
    PageUser(user): PageUser,
) -> Result<Response, PageError> {
    let person = person_of(&user, lang)?;
    let now = kernel::clock::now_ms();
    let consents = consent::list_for_person(&g.stores.db, &person).await.map_err(|e| PageError::new(e, lang))?;
    let rows = consents
        .into_iter()
        .map(|c| ConsentRow {
            in_force: c.in_force(now),
            state: match (c.withdrawn_at, c.in_force(now)) {
                (Some(_), _) => lang.pick("Đã rút", "Withdrawn"),
                (None, true) => lang.pick("Còn hiệu lực", "In force"),
                (None, false) => lang.pick("Hết hạn", "Expired"),
            },
            purpose: purpose_words(&c.purpose, lang),
            fields: field_words(&c.fields, lang).join("; "),
            granted: kernel::clock::format_ms_vn(c.granted_at),
            until: consent::last_day(&c).format("%d/%m/%Y").to_string(),
            member_name: c.member_name,
            id: c.id,
        })
        .collect();
    let page = ConsentsPage {
        chrome: Chrome::new(
            lang,
            ("Sự đồng ý chia sẻ dữ liệu", "Data-sharing consents"),
            Some(&user),
            "/account/consents",
        ),
        rows,
    };
    Ok(render(&page, lang))
}

#[derive(Debug, Deserialize)]
pub(crate) struct WithdrawForm {
    id: String,
}

/// Withdraws a consent: the member's next call naming it is refused.
pub(crate) async fn withdraw(
    State(g): State<Gateway>,
    lang: Lang,
    PageUser(user): PageUser,
    Form(f): Form<WithdrawForm>,
) -> Result<Response, PageError> {
    let person = person_of(&user, lang)?;
    consent::withdraw(&g.stores.db, &person, &f.id, kernel::clock::now_ms())
        .await
        .map_err(|e| PageError::new(e, lang))?;
    Ok(Redirect::to("/account/consents").into_response())
}
