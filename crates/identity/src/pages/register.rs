//! `/register`: level-1 self-registration (identity checked against the registry, phone confirmed
//! by a one-time code), and `/account/unlock`: unlocking an account the citizen locked themself
//! (password, then a code sent to the registered phone).

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use web::layout::render;
use web::{Chrome, Lang, PageError};

use super::{check_form_csrf, issue_form_csrf, message, page_err, ClientIp, IdentityState};
use crate::otp::{self, OtpError};
use crate::registration::{self, ClaimError, IdentityClaim, PendingRegistration, RegistrationRequest};
use crate::secrets::random_secret;
use crate::self_lock;

#[derive(Template)]
#[template(path = "register.html")]
pub(super) struct RegisterPage {
    pub chrome: Chrome,
    pub action: &'static str,
    pub csrf: String,
    pub ask_phone: bool,
    pub person_id: String,
    pub full_name: String,
    pub birth_date: String,
    pub phone: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "otp_confirm.html")]
struct OtpPage {
    chrome: Chrome,
    action: &'static str,
    csrf: String,
    flow: String,
    phone_hint: String,
    error: Option<String>,
}

/// Shows only the last three digits of a phone number.
pub(super) fn phone_hint(phone: &str) -> String {
    let tail: String = phone.chars().rev().take(3).collect::<Vec<_>>().into_iter().rev().collect();
    format!("*******{tail}")
}

pub(super) fn with_form_cookie(page: &impl Template, csrf: &str, lang: Lang, status: StatusCode) -> Response {
    let mut resp = render(page, lang);
    *resp.status_mut() = status;
    issue_form_csrf(&mut resp, csrf);
    resp
}

#[derive(Deserialize, Default)]
pub(super) struct RegisterForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub person_id: String,
    #[serde(default)]
    pub full_name: String,
    #[serde(default)]
    pub birth_date: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub password2: String,
}

fn register_form(lang: Lang, f: &RegisterForm, error: Option<String>, status: StatusCode) -> Response {
    let page = RegisterPage {
        chrome: Chrome::new(
            lang,
            ("Đăng ký tài khoản định danh điện tử", "Register an e-ID account"),
            None,
            "/register",
        ),
        action: "/register",
        csrf: random_secret(),
        ask_phone: true,
        person_id: f.person_id.clone(),
        full_name: f.full_name.clone(),
        birth_date: f.birth_date.clone(),
        phone: f.phone.clone(),
        error,
    };
    with_form_cookie(&page, &page.csrf, lang, status)
}

pub(super) async fn register_page(lang: Lang) -> Response {
    register_form(lang, &RegisterForm::default(), None, StatusCode::OK)
}

fn claim_error(lang: Lang, e: &ClaimError) -> String {
    let (vi, en) = e.message();
    lang.pick(vi, en).to_string()
}

pub(super) async fn register_submit(
    State(st): State<IdentityState>,
    lang: Lang,
    ip: ClientIp,
    headers: HeaderMap,
    Form(f): Form<RegisterForm>,
) -> Result<Response, PageError> {
    check_form_csrf(&headers, &f.csrf, lang)?;
    st.limit(&ip.key("register"), st.config.limits.register_per_ip).map_err(page_err(lang))?;
    let req = RegistrationRequest {
        claim: IdentityClaim {
            person_id: f.person_id.clone(),
            full_name: f.full_name.clone(),
            birth_date: f.birth_date.clone(),
        },
        phone: f.phone.clone(),
        password: f.password.clone(),
        password_again: f.password2.clone(),
    };
    let today = kernel::clock::today_vn();
    let pending = match registration::prepare(&st.ctx.db, &st.hasher, &req, today).await.map_err(page_err(lang))? {
        Ok(p) => p,
        Err(e) => return Ok(register_form(lang, &f, Some(claim_error(lang, &e)), StatusCode::BAD_REQUEST)),
    };
    let phone = pending.phone.clone();
    st.limit(&format!("otp:phone:{phone}"), st.config.limits.otp_per_phone).map_err(page_err(lang))?;
    let payload =
        serde_json::to_value(&pending).map_err(|_| PageError::new(kernel::AppError::internal("payload"), lang))?;
    let flow =
        otp::start(&st.ctx.db, st.sms.as_ref(), registration::OTP_PURPOSE, &phone, &payload, kernel::clock::now_ms())
            .await
            .map_err(page_err(lang))?;
    Ok(otp_form(lang, "/register/confirm", flow, phone_hint(&phone), None, StatusCode::OK))
}

fn otp_form(
    lang: Lang,
    action: &'static str,
    flow: String,
    phone_hint: String,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let page = OtpPage {
        chrome: Chrome::new(lang, ("Xác nhận số điện thoại", "Confirm your phone"), None, action),
        action,
        csrf: random_secret(),
        flow,
        phone_hint,
        error,
    };
    with_form_cookie(&page, &page.csrf, lang, status)
}

#[derive(Deserialize)]
pub(super) struct OtpForm {
    csrf: String,
    flow: String,
    code: String,
    #[serde(default)]
    phone_hint: String,
}

/// The page for a code that can no longer be used (410): why, and a link to start again.
pub(super) fn start_over(lang: Lang, why: String, restart: &str) -> Response {
    let mut r = message(
        lang,
        ("Không xác nhận được", "Not confirmed"),
        vec![why],
        Some((restart, lang.pick("Làm lại", "Start again"))),
    );
    *r.status_mut() = StatusCode::GONE;
    r
}

/// Checks a code; on failure the response to send back (the form again, or "start over").
async fn check_code(
    st: &IdentityState,
    lang: Lang,
    ip: &ClientIp,
    purpose: &str,
    action: &'static str,
    restart: &'static str,
    f: &OtpForm,
) -> Result<Result<serde_json::Value, Response>, PageError> {
    st.limit(&ip.key("otp"), st.config.limits.sign_in_per_ip).map_err(page_err(lang))?;
    match otp::verify(&st.ctx.db, purpose, &f.flow, &f.code, kernel::clock::now_ms()).await.map_err(page_err(lang))? {
        Ok(payload) => Ok(Ok(payload)),
        Err(e) => {
            let (vi, en) = e.message();
            let msg = lang.pick(&vi, &en).to_string();
            Ok(Err(match e {
                OtpError::Wrong(_) => {
                    otp_form(lang, action, f.flow.clone(), f.phone_hint.clone(), Some(msg), StatusCode::UNAUTHORIZED)
                }
                OtpError::Expired | OtpError::TooManyAttempts => start_over(lang, msg, restart),
            }))
        }
    }
}

pub(super) async fn register_confirm(
    State(st): State<IdentityState>,
    lang: Lang,
    ip: ClientIp,
    headers: HeaderMap,
    Form(f): Form<OtpForm>,
) -> Result<Response, PageError> {
    check_form_csrf(&headers, &f.csrf, lang)?;
    let payload =
        match check_code(&st, lang, &ip, registration::OTP_PURPOSE, "/register/confirm", "/register", &f).await? {
            Ok(p) => p,
            Err(resp) => return Ok(resp),
        };
    let pending: PendingRegistration =
        serde_json::from_value(payload).map_err(|_| PageError::new(kernel::AppError::internal("payload"), lang))?;
    match registration::complete(&st.ctx.db, &pending, kernel::clock::now_ms()).await {
        Ok(account) => {
            tracing::info!(account = %account.id, "citizen registered at level 1");
            Ok(Redirect::to("/login?welcome=1&next=/account").into_response())
        }
        Err(e) if e.code == kernel::ErrorCode::Conflict => Ok(register_form(
            lang,
            &RegisterForm::default(),
            Some(claim_error(lang, &ClaimError::AlreadyRegistered)),
            StatusCode::CONFLICT,
        )),
        Err(e) => Err(PageError::new(e, lang)),
    }
}

#[derive(Template)]
#[template(path = "unlock.html")]
struct UnlockPage {
    chrome: Chrome,
    csrf: String,
    error: Option<String>,
}

fn unlock_form(lang: Lang, error: Option<String>, status: StatusCode) -> Response {
    let page = UnlockPage {
        chrome: Chrome::new(lang, ("Mở khóa tài khoản", "Unlock your account"), None, "/account/unlock"),
        csrf: random_secret(),
        error,
    };
    with_form_cookie(&page, &page.csrf, lang, status)
}

pub(super) async fn unlock_page(lang: Lang) -> Response {
    unlock_form(lang, None, StatusCode::OK)
}

#[derive(Deserialize)]
pub(super) struct UnlockForm {
    csrf: String,
    login: String,
    password: String,
}

pub(super) async fn unlock_submit(
    State(st): State<IdentityState>,
    lang: Lang,
    ip: ClientIp,
    headers: HeaderMap,
    Form(f): Form<UnlockForm>,
) -> Result<Response, PageError> {
    check_form_csrf(&headers, &f.csrf, lang)?;
    st.limit(&ip.key("signin"), st.config.limits.sign_in_per_ip).map_err(page_err(lang))?;
    let account = self_lock::unlockable(&st.ctx.db, &st.hasher, &f.login, &f.password).await.map_err(page_err(lang))?;
    let Some(account) = account else {
        let msg = lang.pick(
            "Thông tin không đúng, hoặc tài khoản không ở trạng thái bị khóa.",
            "Wrong details, or the account is not locked.",
        );
        return Ok(unlock_form(lang, Some(msg.into()), StatusCode::UNAUTHORIZED));
    };
    let phone = account.phone.clone().unwrap_or_default();
    st.limit(&format!("otp:phone:{phone}"), st.config.limits.otp_per_phone).map_err(page_err(lang))?;
    let payload = serde_json::json!({ "account_id": account.id });
    let flow =
        otp::start(&st.ctx.db, st.sms.as_ref(), self_lock::UNLOCK_PURPOSE, &phone, &payload, kernel::clock::now_ms())
            .await
            .map_err(page_err(lang))?;
    Ok(otp_form(lang, "/account/unlock/confirm", flow, phone_hint(&phone), None, StatusCode::OK))
}

pub(super) async fn unlock_confirm(
    State(st): State<IdentityState>,
    lang: Lang,
    ip: ClientIp,
    headers: HeaderMap,
    Form(f): Form<OtpForm>,
) -> Result<Response, PageError> {
    check_form_csrf(&headers, &f.csrf, lang)?;
    let payload =
        match check_code(&st, lang, &ip, self_lock::UNLOCK_PURPOSE, "/account/unlock/confirm", "/account/unlock", &f)
            .await?
        {
            Ok(p) => p,
            Err(resp) => return Ok(resp),
        };
    let account_id = payload.get("account_id").and_then(|v| v.as_str()).unwrap_or_default();
    self_lock::unlock(&st.ctx.db, account_id, kernel::clock::now_ms()).await.map_err(page_err(lang))?;
    Ok(message(
        lang,
        ("Đã mở khóa tài khoản", "Account unlocked"),
        vec![lang.pick("Tài khoản của bạn đã hoạt động trở lại.", "Your account is active again.").to_string()],
        Some(("/login", lang.pick("Đăng nhập", "Sign in"))),
    ))
}
