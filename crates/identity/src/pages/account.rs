//! `/account`: the signed-in user's profile (e-ID level and when it was raised, phone, state),
//! active sessions and devices with revocation, locking the account, and children's accounts.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use web::auth::{cookie, SESSION_COOKIE};
use web::layout::render;
use web::{Chrome, Lang, PageError, PageUser};

use super::register::{RegisterForm, RegisterPage};
use super::{message, page_err, set_cookie, when, IdentityState};
use crate::accounts::Account;
use crate::levels::{level_history, LevelMethod};
use crate::registration::{self, ChildRegistration, IdentityClaim};
use crate::sessions::SessionView;

/// A level change as shown to the citizen.
struct LevelRow {
    when: String,
    method: String,
    by: String,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    chrome: Chrome,
    account: Account,
    status: String,
    level_raised: Option<String>,
    levels: Vec<LevelRow>,
    sessions: Vec<(SessionView, String, String)>,
    children: Vec<Account>,
}

async fn current_account(st: &IdentityState, user: &web::CurrentUser, lang: Lang) -> Result<Account, PageError> {
    crate::accounts::account_by_id(&st.ctx.db, &user.account_id)
        .await
        .map_err(page_err(lang))?
        .ok_or_else(|| PageError::new(kernel::AppError::not_found("account"), lang))
}

pub(super) async fn account_page(
    State(st): State<IdentityState>,
    lang: Lang,
    PageUser(user): PageUser,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let db = &st.ctx.db;
    let account = current_account(&st, &user, lang).await?;
    let sessions =
        crate::sessions::list_sessions(db, &account.id, cookie(&headers, SESSION_COOKIE), kernel::clock::now_ms())
            .await
            .map_err(page_err(lang))?
            .into_iter()
            .map(|s| {
                let (c, l) = (when(s.created_at), when(s.last_seen_at));
                (s, c, l)
            })
            .collect();
    let levels = level_history(db, &account.id)
        .await
        .map_err(page_err(lang))?
        .into_iter()
        .map(|c| {
            let (vi, en) = LevelMethod::label(&c.method);
            LevelRow { when: when(c.created_at), method: lang.pick(vi, en).to_string(), by: c.actor_label }
        })
        .collect();
    let children = registration::children_of(db, &account.id).await.map_err(page_err(lang))?;
    let (vi, en) = account.status.label();
    let page = AccountPage {
        chrome: Chrome::new(lang, ("Tài khoản của tôi", "My account"), Some(&user), "/account"),
        status: lang.pick(vi, en).to_string(),
        level_raised: account.level_raised_at.map(when),
        levels,
        sessions,
        children,
        account,
    };
    Ok(render(&page, lang))
}

#[derive(Deserialize)]
pub(super) struct RevokeForm {
    id: String,
}

pub(super) async fn revoke_session(
    State(st): State<IdentityState>,
    lang: Lang,
    PageUser(user): PageUser,
    Form(f): Form<RevokeForm>,
) -> Result<Response, PageError> {
    crate::sessions::revoke_session_by_id(&st.ctx.db, &user.account_id, &f.id, kernel::clock::now_ms())
        .await
        .map_err(page_err(lang))?;
    Ok(Redirect::to("/account#sessions").into_response())
}

pub(super) async fn revoke_others(
    State(st): State<IdentityState>,
    lang: Lang,
    PageUser(user): PageUser,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    crate::sessions::revoke_other_sessions(
        &st.ctx.db,
        &user.account_id,
        cookie(&headers, SESSION_COOKIE),
        kernel::clock::now_ms(),
    )
    .await
    .map_err(page_err(lang))?;
    Ok(Redirect::to("/account#sessions").into_response())
}

/// Locks the citizen's own account (like locking the e-ID in VNeID): every session ends at once;
/// unlocking needs the password and a code sent to the registered phone.
pub(super) async fn lock(
    State(st): State<IdentityState>,
    lang: Lang,
    PageUser(user): PageUser,
) -> Result<Response, PageError> {
    let account = current_account(&st, &user, lang).await?;
    crate::self_lock::lock(&st.ctx.db, &account, kernel::clock::now_ms()).await.map_err(page_err(lang))?;
    let mut resp = message(
        lang,
        ("Đã khóa tài khoản", "Account locked"),
        vec![lang
            .pick(
                "Tài khoản đã bị khóa và mọi phiên đăng nhập đã kết thúc. Để mở khóa, dùng mật khẩu và mã xác nhận gửi tới điện thoại.",
                "The account is locked and every session has ended. To unlock it, use your password and a code sent to your phone.",
            )
            .to_string()],
        Some(("/account/unlock", lang.pick("Mở khóa tài khoản", "Unlock the account"))),
    );
    set_cookie(&mut resp, SESSION_COOKIE, "", "Lax", 0);
    Ok(resp)
}

fn child_form(
    lang: Lang,
    user: &web::CurrentUser,
    f: &RegisterForm,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let page = RegisterPage {
        chrome: Chrome::new(
            lang,
            ("Đăng ký tài khoản cho con dưới 14 tuổi", "Register a child under 14"),
            Some(user),
            "/account/children/new",
        ),
        action: "/account/children/new",
        csrf: user.csrf.clone().unwrap_or_default(),
        ask_phone: false,
        person_id: f.person_id.clone(),
        full_name: f.full_name.clone(),
        birth_date: f.birth_date.clone(),
        phone: String::new(),
        error,
    };
    let mut r = render(&page, lang);
    *r.status_mut() = status;
    r
}

async fn guardian(st: &IdentityState, user: &web::CurrentUser, lang: Lang) -> Result<Account, PageError> {
    let account = current_account(st, user, lang).await?;
    if !registration::may_register_children(&account) {
        return Err(PageError::new(kernel::AppError::forbidden("a level-2 citizen account is needed"), lang));
    }
    Ok(account)
}

pub(super) async fn child_page(
    State(st): State<IdentityState>,
    lang: Lang,
    PageUser(user): PageUser,
) -> Result<Response, PageError> {
    guardian(&st, &user, lang).await?;
    Ok(child_form(lang, &user, &RegisterForm::default(), None, StatusCode::OK))
}

pub(super) async fn child_submit(
    State(st): State<IdentityState>,
    lang: Lang,
    PageUser(user): PageUser,
    Form(f): Form<RegisterForm>,
) -> Result<Response, PageError> {
    let g = guardian(&st, &user, lang).await?;
    let req = ChildRegistration {
        claim: IdentityClaim {
            person_id: f.person_id.clone(),
            full_name: f.full_name.clone(),
            birth_date: f.birth_date.clone(),
        },
        password: f.password.clone(),
        password_again: f.password2.clone(),
    };
    match registration::register_child(&st.ctx.db, &st.hasher, &g, &req, kernel::clock::now_ms())
        .await
        .map_err(page_err(lang))?
    {
        Ok(_) => Ok(Redirect::to("/account#children").into_response()),
        Err(e) => {
            let (vi, en) = e.message();
            Ok(child_form(lang, &user, &f, Some(lang.pick(vi, en).to_string()), StatusCode::BAD_REQUEST))
        }
    }
}
