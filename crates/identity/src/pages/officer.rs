//! `/officer/eid`: a police officer raises a citizen's e-ID to level 2 after checking the identity
//! card in person. The citizen must live in the officer's jurisdiction (enforced in SQL by the
//! registry's officer reads, which also write the access log).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use registry::access::OfficerReads;
use registry::queries::cards::CardView;
use registry::queries::persons::PersonView;
use serde::Deserialize;
use web::layout::render;
use web::{Chrome, CurrentUser, Lang, PageError, PageUser, Role};

use super::{page_err, IdentityState};
use crate::accounts::Account;
use crate::levels::{LevelActor, LevelMethod};

/// Roles that raise e-ID levels.
const OFFICERS: &[Role] = &[Role::CommunePolice, Role::ProvincialOfficer];
/// The purpose written to the access log for these reads.
const PURPOSE: &str = "identity_verification";

#[derive(Template)]
#[template(path = "officer_eid.html")]
struct OfficerPage {
    chrome: Chrome,
    person_id: String,
    person: Option<PersonView>,
    cards: Vec<CardView>,
    account: Option<Account>,
    error: Option<String>,
    done: bool,
}

#[derive(Deserialize, Default)]
pub(super) struct FindQuery {
    person_id: Option<String>,
}

fn page(lang: Lang, user: &CurrentUser, person_id: String) -> OfficerPage {
    OfficerPage {
        chrome: Chrome::new(lang, ("Nâng mức định danh điện tử", "Raise e-ID level"), Some(user), "/officer/eid"),
        person_id,
        person: None,
        cards: Vec::new(),
        account: None,
        error: None,
        done: false,
    }
}

/// Reads the person (jurisdiction enforced, read logged), their cards and account into the page.
async fn load(st: &IdentityState, user: &CurrentUser, p: &mut OfficerPage) -> Result<(), kernel::AppError> {
    let reads = OfficerReads::new(&st.ctx, user, Some(PURPOSE), "web", kernel::clock::now_ms())?;
    let person = reads.person(&p.person_id).await?;
    p.cards = reads.cards(&p.person_id).await?;
    p.account = crate::accounts::account_by_person(&st.ctx.db, &person.personal_id).await?;
    p.person = Some(person);
    Ok(())
}

pub(super) async fn find(
    State(st): State<IdentityState>,
    lang: Lang,
    PageUser(user): PageUser,
    Query(q): Query<FindQuery>,
) -> Result<Response, PageError> {
    user.require(OFFICERS).map_err(page_err(lang))?;
    let id = q.person_id.unwrap_or_default().trim().to_string();
    let mut p = page(lang, &user, id.clone());
    let mut status = StatusCode::OK;
    if !id.is_empty() {
        if let Err(e) = load(&st, &user, &mut p).await {
            status = StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
            p.error = Some(lang.pick(e.code.message_vi(), e.code.message_en()).to_string());
        }
    }
    let mut r = render(&p, lang);
    *r.status_mut() = status;
    Ok(r)
}

#[derive(Deserialize)]
pub(super) struct RaiseForm {
    person_id: String,
    card_seen: Option<String>,
    card_number: String,
}

pub(super) async fn raise(
    State(st): State<IdentityState>,
    lang: Lang,
    PageUser(user): PageUser,
    Form(f): Form<RaiseForm>,
) -> Result<Response, PageError> {
    user.require(OFFICERS).map_err(page_err(lang))?;
    let mut p = page(lang, &user, f.person_id.trim().to_string());
    load(&st, &user, &mut p).await.map_err(page_err(lang))?;
    let has_valid_card = p.cards.iter().any(|c| c.status == "valid");
    let problem = if f.card_seen.as_deref() != Some("on") {
        Some(("Cần xác nhận đã kiểm tra thẻ căn cước bản gốc.", "Confirm that you checked the original identity card."))
    } else if f.card_number.trim() != p.person_id || !has_valid_card {
        Some((
            "Số thẻ không khớp, hoặc công dân không có thẻ căn cước còn hiệu lực.",
            "The card number does not match, or the citizen has no valid identity card.",
        ))
    } else if p.account.as_ref().map(|a| a.level != 1).unwrap_or(true) {
        Some(("Công dân chưa có tài khoản mức 1 đang hoạt động.", "The citizen has no active level-1 account."))
    } else {
        None
    };
    if let Some((vi, en)) = problem {
        p.error = Some(lang.pick(vi, en).to_string());
        let mut r = render(&p, lang);
        *r.status_mut() = StatusCode::BAD_REQUEST;
        return Ok(r);
    }
    let account = p.account.as_ref().map(|a| a.id.clone()).unwrap_or_default();
    let actor = LevelActor { id: Some(user.account_id.clone()), label: user.actor_label() };
    let raised = crate::levels::raise_to_level2(
        &st.ctx.db,
        &account,
        LevelMethod::InPersonCard,
        f.card_number.trim(),
        &actor,
        kernel::clock::now_ms(),
    )
    .await
    .map_err(page_err(lang))?;
    st.ctx
        .access_log
        .record(audit::AccessEntry {
            at: kernel::clock::now_ms(),
            actor_id: user.account_id.clone(),
            actor_label: user.actor_label(),
            subject_id: p.person_id.clone(),
            action: "eid.level_raised".into(),
            purpose: PURPOSE.into(),
            released: "identity_cards,level".into(),
            channel: "web".into(),
        })
        .await
        .map_err(page_err(lang))?;
    tracing::info!(account = %raised.id, officer = %user.account_id, "e-ID raised to level 2");
    p.account = Some(raised);
    p.done = true;
    Ok(render(&p, lang))
}
