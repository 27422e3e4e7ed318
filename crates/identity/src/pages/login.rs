//! Sign-in (password, then a TOTP or recovery code when two-step verification is on; passkeys are
//! in [`super::passkeys`]), sign-out and `GET /api/v1/me`.
//!
//! Wrong login, wrong password, unknown account and the temporary lockout all get one message, so
//! the form reveals nothing about which accounts exist. Only someone who knows the password learns
//! that the account is locked, suspended or closed, and how to unlock it.

use askama::Template;
use audit::security::{Kind, SecurityEvent};
use axum::extract::{Query, State};
use axum::http::header::USER_AGENT;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use serde::Deserialize;
use web::auth::{cookie, SESSION_COOKIE};
use web::layout::render;
use web::security::note;
use web::{ApiResult, Chrome, CurrentUser, Lang, PageError};

use super::{check_form_csrf, issue_form_csrf, page_err, set_cookie, ClientIp, IdentityState};
use crate::accounts::{Account, AccountStatus};
use crate::challenges::{self, CHALLENGE_COOKIE};
use crate::secrets::random_secret;
use crate::signin::{self, PasswordCheck};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    csrf: String,
    next: String,
    force: bool,
    login: String,
    error: Option<String>,
    notice: Option<String>,
    /// Where passkeys work, when the public address allows them.
    passkey_origin: Option<String>,
}

#[derive(Template)]
#[template(path = "second_factor.html")]
struct SecondFactorPage {
    chrome: Chrome,
    csrf: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct LoginQuery {
    next: Option<String>,
    /// `1` shows the form even to a signed-in user (OpenID Connect `prompt=login`).
    force: Option<String>,
    /// Set after a successful registration or invitation.
    welcome: Option<String>,
}

/// Only same-origin paths are followed after sign-in (no open redirects). The path is judged as
/// the browser will read it: the WHATWG URL parser drops tabs and newlines and reads `\` as `/`,
/// so `/\t/evil.example` and `/\evil.example` are other hosts to a browser even though they
/// start with one slash. Control characters are refused outright; what is followed is the
/// parser's own serialization of the path, query and fragment.
pub(crate) fn safe_next(next: Option<&str>) -> Option<String> {
    let next = next?;
    if !next.starts_with('/') || next.chars().any(char::is_control) {
        return None;
    }
    let base = url::Url::parse("https://dancu.invalid/").ok()?;
    let resolved = base.join(next).ok()?;
    if resolved.origin() != base.origin() {
        return None;
    }
    let mut path = resolved.path().to_string();
    if let Some(q) = resolved.query() {
        path.push('?');
        path.push_str(q);
    }
    if let Some(f) = resolved.fragment() {
        path.push('#');
        path.push_str(f);
    }
    Some(path)
}

/// Where an account lands when no `next` was given.
pub(super) fn home_of(account: &Account) -> &'static str {
    web::menu::start_page(account.role)
}

fn login_form(lang: Lang, form: LoginPage, status: StatusCode) -> Response {
    let mut resp = render(&form, lang);
    *resp.status_mut() = status;
    issue_form_csrf(&mut resp, &form.csrf);
    resp
}

fn form(
    st: &IdentityState,
    lang: Lang,
    next: Option<String>,
    force: bool,
    login: String,
    error: Option<String>,
) -> LoginPage {
    LoginPage {
        passkey_origin: st.passkeys.availability().ok().map(|_| st.passkeys.origin().to_string()),
        chrome: Chrome::new(lang, ("Đăng nhập", "Sign in"), None, "/login"),
        csrf: random_secret(),
        next: next.unwrap_or_default(),
        force,
        login,
        error,
        notice: None,
    }
}

pub(super) async fn login_page(
    State(st): State<IdentityState>,
    lang: Lang,
    user: Option<CurrentUser>,
    Query(q): Query<LoginQuery>,
) -> Response {
    let next = safe_next(q.next.as_deref());
    let force = q.force.as_deref() == Some("1");
    if let (Some(u), false) = (&user, force) {
        return Redirect::to(next.as_deref().unwrap_or(web::menu::start_page(u.role))).into_response();
    }
    let mut page = form(&st, lang, next, force, String::new(), None);
    if q.welcome.is_some() {
        page.notice = Some(
            lang.pick("Tài khoản đã được tạo. Mời bạn đăng nhập.", "Your account has been created. Please sign in.")
                .to_string(),
        );
    }
    login_form(lang, page, StatusCode::OK)
}

#[derive(Deserialize)]
pub(super) struct LoginForm {
    login: String,
    password: String,
    csrf: String,
    next: Option<String>,
    force: Option<String>,
}

/// The message for a right password on an account that may not sign in.
pub(super) fn status_message(lang: Lang, status: AccountStatus) -> String {
    let (vi, en) = status.refusal();
    lang.pick(vi, en).to_string()
}

fn generic_failure(lang: Lang) -> String {
    lang.pick(
        "Tên đăng nhập hoặc mật khẩu không đúng, hoặc tài khoản đang tạm khóa.",
        "Wrong login or password, or the account is temporarily locked.",
    )
    .to_string()
}

pub(super) async fn login_submit(
    State(st): State<IdentityState>,
    lang: Lang,
    ip: ClientIp,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Result<Response, PageError> {
    check_form_csrf(&headers, &f.csrf, lang)?;
    let next = safe_next(f.next.as_deref());
    let force = f.force.as_deref() == Some("1");
    let refuse = |msg: String, status: StatusCode| {
        login_form(lang, form(&st, lang, next.clone(), force, f.login.clone(), Some(msg)), status)
    };
    let login_key = format!("signin:login:{}", crate::accounts::normalize_login(&f.login));
    let limits = st.config.limits;
    if st.limit(&ip.key("signin"), limits.sign_in_per_ip).is_err()
        || st.limit(&login_key, limits.sign_in_per_account).is_err()
    {
        let msg = lang
            .pick("Quá nhiều lần thử, vui lòng thử lại sau ít phút.", "Too many attempts, try again in a few minutes.");
        let mut resp = refuse(msg.to_string(), StatusCode::TOO_MANY_REQUESTS);
        note(&mut resp, SecurityEvent::new(Kind::RateLimited, "sign_in").about(login_subject(&f.login)));
        return Ok(resp);
    }
    let db = &st.ctx.db;
    let now = kernel::clock::now_ms();
    let check = signin::check_password(db, &st.hasher, &f.login, &f.password, now).await.map_err(page_err(lang))?;
    let (account, second_factor) = match check {
        PasswordCheck::Refused(why) => {
            let mut resp = refuse(generic_failure(lang), StatusCode::UNAUTHORIZED);
            let subject = why.account_id.clone().unwrap_or_else(|| login_subject(&f.login));
            note(&mut resp, SecurityEvent::new(Kind::SignInFailed, why.reason).about(subject.clone()));
            if why.locked {
                note(&mut resp, SecurityEvent::new(Kind::AccountLocked, "failed_sign_ins").about(subject));
            }
            return Ok(resp);
        }
        PasswordCheck::Unavailable(status) => return Ok(refuse(status_message(lang, status), StatusCode::FORBIDDEN)),
        PasswordCheck::SecondFactor(account) => (account, true),
        PasswordCheck::Accepted(account) => (account, false),
    };
    let next = next.unwrap_or_else(|| home_of(&account).to_string());
    if second_factor {
        let secret = challenges::create(db, &account.id, "totp", &next, now).await.map_err(page_err(lang))?;
        let mut resp = Redirect::to("/login/second-factor").into_response();
        set_cookie(&mut resp, CHALLENGE_COOKIE, &secret, "Strict", challenges::CHALLENGE_TTL_MS / 1000);
        return Ok(resp);
    }
    start_session(&st, &account, &headers, &["pwd"], &next, lang).await
}

/// The subject of an event about a login that names no account: the login as the form would find
/// it, so that attempts on one login share a pseudonym.
pub(super) fn login_subject(login: &str) -> String {
    format!("login:{}", crate::accounts::normalize_login(login))
}

/// Creates the session and sends the browser on, clearing the sign-in cookies.
async fn start_session(
    st: &IdentityState,
    account: &Account,
    headers: &HeaderMap,
    amr: &[&str],
    next: &str,
    lang: Lang,
) -> Result<Response, PageError> {
    let mut resp = Redirect::to(next).into_response();
    open_session(st, account, headers, amr, &mut resp).await.map_err(page_err(lang))?;
    Ok(resp)
}

/// Creates the session of `account`, signed in by `amr`; sets its cookie on `resp` and clears the
/// sign-in cookies.
pub(super) async fn open_session(
    st: &IdentityState,
    account: &Account,
    headers: &HeaderMap,
    amr: &[&str],
    resp: &mut Response,
) -> Result<(), kernel::AppError> {
    let ua = headers.get(USER_AGENT).and_then(|v| v.to_str().ok());
    let (secret, _csrf) =
        crate::sessions::create_session(&st.ctx.db, &account.id, ua, amr, kernel::clock::now_ms()).await?;
    tracing::info!(account = %account.id, "signed in");
    set_cookie(resp, SESSION_COOKIE, &secret, "Lax", crate::sessions::SESSION_TTL_MS / 1000);
    set_cookie(resp, super::FORM_CSRF_COOKIE, "", "Strict", 0);
    set_cookie(resp, CHALLENGE_COOKIE, "", "Strict", 0);
    Ok(())
}

fn second_factor_form(lang: Lang, error: Option<String>, status: StatusCode) -> Response {
    let page = SecondFactorPage {
        chrome: Chrome::new(lang, ("Xác thực hai bước", "Two-step verification"), None, "/login/second-factor"),
        csrf: random_secret(),
        error,
    };
    let mut resp = render(&page, lang);
    *resp.status_mut() = status;
    issue_form_csrf(&mut resp, &page.csrf);
    resp
}

pub(super) async fn second_factor_page(
    State(st): State<IdentityState>,
    lang: Lang,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    match cookie(&headers, CHALLENGE_COOKIE) {
        Some(c)
            if challenges::find(&st.ctx.db, c, "totp", kernel::clock::now_ms())
                .await
                .map_err(page_err(lang))?
                .is_some() =>
        {
            Ok(second_factor_form(lang, None, StatusCode::OK))
        }
        _ => Ok(Redirect::to("/login").into_response()),
    }
}

#[derive(Deserialize)]
pub(super) struct SecondFactorForm {
    code: String,
    csrf: String,
}

pub(super) async fn second_factor_submit(
    State(st): State<IdentityState>,
    lang: Lang,
    ip: ClientIp,
    headers: HeaderMap,
    Form(f): Form<SecondFactorForm>,
) -> Result<Response, PageError> {
    check_form_csrf(&headers, &f.csrf, lang)?;
    let db = &st.ctx.db;
    let secret = cookie(&headers, CHALLENGE_COOKIE).unwrap_or_default().to_string();
    let Some(ch) = challenges::find(db, &secret, "totp", kernel::clock::now_ms()).await.map_err(page_err(lang))? else {
        return Ok(Redirect::to("/login").into_response());
    };
    if st.limit(&ip.key("signin"), st.config.limits.sign_in_per_ip).is_err() {
        let msg = lang
            .pick("Quá nhiều lần thử, vui lòng thử lại sau ít phút.", "Too many attempts, try again in a few minutes.");
        let mut resp = second_factor_form(lang, Some(msg.into()), StatusCode::TOO_MANY_REQUESTS);
        note(&mut resp, SecurityEvent::new(Kind::RateLimited, "second_factor").about(ch.account_id.clone()));
        return Ok(resp);
    }
    let sealer = st.sealer().await.map_err(page_err(lang))?;
    if !crate::totp::verify_second_factor(db, sealer, &ch.account_id, &f.code, kernel::clock::now_ms())
        .await
        .map_err(page_err(lang))?
    {
        challenges::fail(db, &secret).await.map_err(page_err(lang))?;
        let failed = SecurityEvent::new(Kind::SignInFailed, "wrong_second_factor").about(ch.account_id.clone());
        let left = challenges::CHALLENGE_MAX_ATTEMPTS - ch.attempts - 1;
        if left <= 0 {
            challenges::finish(db, &secret, kernel::clock::now_ms()).await.map_err(page_err(lang))?;
            let mut resp = Redirect::to("/login").into_response();
            note(&mut resp, failed);
            return Ok(resp);
        }
        let msg = match lang {
            Lang::Vi => format!("Mã không đúng, còn {left} lần thử."),
            Lang::En => format!("Wrong code, {left} attempts left."),
        };
        let mut resp = second_factor_form(lang, Some(msg), StatusCode::UNAUTHORIZED);
        note(&mut resp, failed);
        return Ok(resp);
    }
    challenges::finish(db, &secret, kernel::clock::now_ms()).await.map_err(page_err(lang))?;
    let account = crate::accounts::account_by_id(db, &ch.account_id)
        .await
        .map_err(page_err(lang))?
        .filter(Account::is_active)
        .ok_or_else(|| PageError::new(kernel::AppError::forbidden("account not active"), lang))?;
    start_session(&st, &account, &headers, &["pwd", "otp"], &ch.next, lang).await
}

pub(super) async fn logout(
    State(st): State<IdentityState>,
    lang: Lang,
    user: Option<CurrentUser>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    if user.is_none() {
        return Ok(Redirect::to("/login").into_response());
    }
    if let Some(secret) = cookie(&headers, SESSION_COOKIE) {
        crate::sessions::revoke_session(&st.ctx.db, secret, kernel::clock::now_ms()).await.map_err(page_err(lang))?;
    }
    let mut resp = Redirect::to("/login").into_response();
    set_cookie(&mut resp, SESSION_COOKIE, "", "Lax", 0);
    Ok(resp)
}

/// `GET /api/v1/me`: the caller's account, role and jurisdiction.
#[utoipa::path(get, operation_id = "identity.me", path = "/api/v1/me", tag = "identity",
    responses((status = 200, description = "The authenticated account"), (status = 401, description = "Not signed in")))]
pub(super) async fn me(user: CurrentUser) -> ApiResult<Json<CurrentUser>> {
    Ok(Json(user))
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_is_followed_only_to_this_origin() {
        for ok in ["/account", "/oidc/authorize?client_id=a&scope=openid%20profile", "/persons#top"] {
            assert_eq!(safe_next(Some(ok)).as_deref(), Some(ok));
        }
        for bad in [
            "//evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\\evil.example",
            "\\/evil.example",
            "/\r\n/evil.example",
            "https://evil.example/",
            "evil.example",
            "",
            "javascript:alert(1)",
        ] {
            assert_eq!(safe_next(Some(bad)), None, "{bad:?} was accepted");
        }
        assert_eq!(safe_next(None), None);
        // Dot segments resolve inside the site.
        assert_eq!(safe_next(Some("/a/../account")).as_deref(), Some("/account"));
    }
}
