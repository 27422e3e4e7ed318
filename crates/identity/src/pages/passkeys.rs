//! Passkey pages and their JSON calls: `/account/passkeys` (list, add, remove) and the passkey
//! button of the sign-in page. The browser half is `static/passkeys.js`; each ceremony is an
//! options call and a finish call (see [`crate::passkeys`]).

use askama::Template;
use audit::security::{Kind, SecurityEvent};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use kernel::{AppError, ErrorCode};
use serde::Deserialize;
use web::csrf::CSRF_HEADER;
use web::layout::render;
use web::security::note;
use web::{ApiError, ApiResult, Chrome, CurrentUser, Lang, PageError, PageUser};
use webauthn_rs::prelude::{PublicKeyCredential, RegisterPublicKeyCredential};

use super::login::{home_of, open_session, safe_next};
use super::{page_err, ClientIp, IdentityState, FORM_CSRF_COOKIE};
use crate::accounts::AccountStatus;
use crate::passkeys::{Refusal, StoredPasskey};

#[derive(Template)]
#[template(path = "passkeys.html")]
struct PasskeysPage {
    chrome: Chrome,
    unavailable: Option<String>,
    origin: String,
    passkeys: Vec<(StoredPasskey, String, String, String)>,
    active: usize,
    max: i64,
}

/// `GET /account/passkeys`: the account's passkeys (removed ones with their date) and the form
/// that adds one.
pub(super) async fn passkeys_page(
    State(st): State<IdentityState>,
    lang: Lang,
    PageUser(user): PageUser,
) -> Result<Response, PageError> {
    let list = crate::passkeys::list(&st.ctx.db, &user.account_id).await.map_err(page_err(lang))?;
    let when = |ms: Option<i64>| ms.map(super::when).unwrap_or_default();
    let page = PasskeysPage {
        chrome: Chrome::new(lang, ("Khóa truy cập (passkey)", "Passkeys"), Some(&user), "/account/passkeys"),
        unavailable: st.passkeys.availability().err().map(|(vi, en)| lang.pick(vi, en).to_string()),
        origin: st.passkeys.origin().to_string(),
        active: list.iter().filter(|p| p.removed_at.is_none()).count(),
        passkeys: list
            .into_iter()
            .map(|p| {
                let (c, u, r) = (super::when(p.created_at), when(p.last_used_at), when(p.removed_at));
                (p, c, u, r)
            })
            .collect(),
        max: crate::passkeys::MAX_PER_ACCOUNT,
    };
    Ok(render(&page, lang))
}

/// A signed-in browser session (not a bearer token) whose call carries its CSRF header.
fn browser_session(user: &CurrentUser) -> ApiResult<()> {
    if user.csrf.is_none() {
        return Err(kernel::AppError::forbidden("passkeys are managed from a browser session").into());
    }
    Ok(())
}

/// `POST /account/passkeys/options`: starts adding a passkey.
pub(super) async fn register_options(
    State(st): State<IdentityState>,
    user: CurrentUser,
) -> ApiResult<Json<serde_json::Value>> {
    browser_session(&user)?;
    let account = crate::accounts::account_by_id(&st.ctx.db, &user.account_id)
        .await?
        .ok_or_else(|| kernel::AppError::not_found("account"))?;
    let (ticket, options) = st.passkeys.start_registration(&st.ctx.db, &account, kernel::clock::now_ms()).await?;
    Ok(Json(serde_json::json!({ "ticket": ticket, "options": options })))
}

#[derive(Deserialize)]
pub(super) struct RegisterFinish {
    ticket: String,
    name: String,
    credential: RegisterPublicKeyCredential,
}

/// A refused ceremony as JSON, in the shape of the API's errors.
fn refused(why: Refusal, code: ErrorCode) -> ApiError {
    let (vi, en) = why.message();
    AppError::new(code, format!("{why:?}")).with_message(vi, en).into()
}

/// `POST /account/passkeys`: verifies the authenticator's answer and stores the passkey.
pub(super) async fn register_finish(
    State(st): State<IdentityState>,
    user: CurrentUser,
    Json(f): Json<RegisterFinish>,
) -> ApiResult<Response> {
    browser_session(&user)?;
    let outcome = st
        .passkeys
        .finish_registration(&st.ctx.db, &user.account_id, &f.ticket, &f.name, &f.credential, kernel::clock::now_ms())
        .await?;
    Ok(match outcome {
        Ok(p) => {
            let mut resp = (StatusCode::CREATED, Json(serde_json::json!({"id": p.id, "name": p.name}))).into_response();
            note(&mut resp, SecurityEvent::new(Kind::SecondFactorChanged, "passkey_added"));
            resp
        }
        Err(why) => return Err(refused(why, ErrorCode::PasskeyRefused)),
    })
}

/// `POST /account/passkeys/{id}/remove`.
pub(super) async fn remove(
    State(st): State<IdentityState>,
    lang: Lang,
    PageUser(user): PageUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    if !crate::passkeys::remove(&st.ctx.db, &user.account_id, &id, kernel::clock::now_ms())
        .await
        .map_err(page_err(lang))?
    {
        return Err(PageError::new(kernel::AppError::not_found("passkey"), lang));
    }
    let mut resp = Redirect::to("/account/passkeys").into_response();
    note(&mut resp, SecurityEvent::new(Kind::SecondFactorChanged, "passkey_removed"));
    Ok(resp)
}

/// The sign-in form's double-submit token, sent by the script as the CSRF header.
fn check_login_csrf(headers: &HeaderMap) -> ApiResult<()> {
    let sent = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
    let cookie = web::auth::cookie(headers, FORM_CSRF_COOKIE).unwrap_or("");
    if cookie.is_empty() || !kernel::secret::ct_eq(cookie, sent) {
        return Err(kernel::AppError::new(kernel::ErrorCode::CsrfFailed, "form token mismatch").into());
    }
    Ok(())
}

#[derive(Deserialize)]
pub(super) struct SignInStart {
    login: String,
}

/// `POST /login/passkey/options`: the challenge for the account named on the sign-in form.
pub(super) async fn sign_in_options(
    State(st): State<IdentityState>,
    ip: ClientIp,
    headers: HeaderMap,
    Json(f): Json<SignInStart>,
) -> ApiResult<Json<serde_json::Value>> {
    check_login_csrf(&headers)?;
    st.limit(&ip.key("signin"), st.config.limits.sign_in_per_ip)?;
    let login = f.login.trim();
    if login.is_empty() || login.chars().count() > 100 {
        return Err(kernel::AppError::invalid("enter the login or personal id first").into());
    }
    let (ticket, options) = st.passkeys.start_sign_in(&st.ctx.db, login, kernel::clock::now_ms()).await?;
    Ok(Json(serde_json::json!({ "ticket": ticket, "options": options })))
}

#[derive(Deserialize)]
pub(super) struct SignInFinish {
    ticket: String,
    credential: PublicKeyCredential,
    next: Option<String>,
}

/// `POST /login/passkey`: verifies the assertion and opens the session; answers
/// `{"redirect": …}` with the session cookie set.
pub(super) async fn sign_in_finish(
    State(st): State<IdentityState>,
    ip: ClientIp,
    headers: HeaderMap,
    Json(f): Json<SignInFinish>,
) -> ApiResult<Response> {
    check_login_csrf(&headers)?;
    st.limit(&ip.key("signin"), st.config.limits.sign_in_per_ip)?;
    let db = &st.ctx.db;
    let account = match st.passkeys.finish_sign_in(db, &f.ticket, &f.credential, kernel::clock::now_ms()).await? {
        Ok(a) => a,
        Err(why) => {
            // The login is unknown until an assertion verifies: the event names no subject.
            let mut resp = refused(why, ErrorCode::Unauthenticated).into_response();
            note(&mut resp, SecurityEvent::new(Kind::SignInFailed, "passkey_refused"));
            return Ok(resp);
        }
    };
    let status = crate::signin::availability(db, &account, kernel::clock::now_ms()).await?;
    if status != AccountStatus::Active {
        let (vi, en) = status.refusal();
        let e = AppError::new(ErrorCode::AccountUnavailable, status.code()).with_message(vi, en);
        return Err(e.into());
    }
    let next = safe_next(f.next.as_deref()).unwrap_or_else(|| home_of(&account).to_string());
    let mut resp = Json(serde_json::json!({ "redirect": next })).into_response();
    open_session(&st, &account, &headers, &["hwk", "user", "mfa"], &mut resp).await?;
    Ok(resp)
}

/// The pages' script.
pub(super) async fn script() -> Response {
    web::assets::script(include_str!("../../static/passkeys.js"))
}
