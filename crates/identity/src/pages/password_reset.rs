//! `/password/forgot`: a forgotten password is replaced after a code sent to the account's
//! registered phone. Every request gets the same answer — a code form for the phone typed — whether
//! or not the login and phone belong together, so the form reveals nothing about who has an
//! account (a request that matched nothing gets a code sent to no one).

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Form;
use serde::Deserialize;
use web::{Chrome, Lang, PageError};

use super::register::{phone_hint, start_over, with_form_cookie};
use super::{check_form_csrf, message, page_err, ClientIp, IdentityState};
use crate::otp::{self, OtpError};
use crate::password_reset::{self, OTP_PURPOSE};
use crate::registration::normalize_phone;
use crate::secrets::random_secret;

#[derive(Template)]
#[template(path = "password_forgot.html")]
struct ForgotPage {
    chrome: Chrome,
    csrf: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "password_reset.html")]
struct ResetPage {
    chrome: Chrome,
    csrf: String,
    flow: String,
    login: String,
    phone: String,
    phone_hint: String,
    error: Option<String>,
}

fn forgot_form(lang: Lang, error: Option<String>, status: StatusCode) -> Response {
    let page = ForgotPage {
        chrome: Chrome::new(lang, ("Quên mật khẩu", "Forgotten password"), None, "/password/forgot"),
        csrf: random_secret(),
        error,
    };
    with_form_cookie(&page, &page.csrf, lang, status)
}

fn reset_form(
    lang: Lang,
    flow: String,
    login: &str,
    phone: &str,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let page = ResetPage {
        chrome: Chrome::new(lang, ("Đặt mật khẩu mới", "Choose a new password"), None, "/password/forgot"),
        csrf: random_secret(),
        flow,
        login: login.to_string(),
        phone: phone.to_string(),
        phone_hint: phone_hint(phone),
        error,
    };
    with_form_cookie(&page, &page.csrf, lang, status)
}

pub(super) async fn forgot_page(lang: Lang) -> Response {
    forgot_form(lang, None, StatusCode::OK)
}

#[derive(Deserialize)]
pub(super) struct ForgotForm {
    csrf: String,
    login: String,
    phone: String,
}

pub(super) async fn forgot_submit(
    State(st): State<IdentityState>,
    lang: Lang,
    ip: ClientIp,
    headers: HeaderMap,
    Form(f): Form<ForgotForm>,
) -> Result<Response, PageError> {
    check_form_csrf(&headers, &f.csrf, lang)?;
    st.limit(&ip.key("reset"), st.config.limits.password_reset_per_ip).map_err(page_err(lang))?;
    let Some(phone) = normalize_phone(&f.phone) else {
        let msg = lang.pick("Số điện thoại di động không hợp lệ.", "Invalid mobile phone number.");
        return Ok(forgot_form(lang, Some(msg.into()), StatusCode::BAD_REQUEST));
    };
    st.limit(&format!("otp:phone:{phone}"), st.config.limits.otp_per_phone).map_err(page_err(lang))?;
    let db = &st.ctx.db;
    let account = crate::accounts::find_by_login(db, &f.login)
        .await
        .map_err(page_err(lang))?
        .map(|(a, _, _)| a)
        .filter(|a| password_reset::may_reset(a, &phone));
    let flow = match account {
        Some(a) => {
            let payload = serde_json::json!({ "account_id": a.id });
            otp::start(db, st.sms.as_ref(), OTP_PURPOSE, &phone, &payload, kernel::clock::now_ms()).await
        }
        None => {
            otp::start_unsent(
                db,
                OTP_PURPOSE,
                &phone,
                &serde_json::json!({ "account_id": null }),
                kernel::clock::now_ms(),
            )
            .await
        }
    }
    .map_err(page_err(lang))?;
    Ok(reset_form(lang, flow, f.login.trim(), &phone, None, StatusCode::OK))
}

#[derive(Deserialize)]
pub(super) struct ResetForm {
    csrf: String,
    flow: String,
    login: String,
    phone: String,
    code: String,
    password: String,
    password2: String,
}

/// Why a new password is refused, checked before the code so a bad password does not spend it.
fn password_problem(lang: Lang, f: &ResetForm) -> Option<String> {
    crate::password::check_new_pair(&f.password, &f.password2, &[f.login.trim(), f.phone.trim()]).err().map(|p| {
        let (vi, en) = p.message();
        lang.pick(vi, en).to_string()
    })
}

pub(super) async fn reset_submit(
    State(st): State<IdentityState>,
    lang: Lang,
    ip: ClientIp,
    headers: HeaderMap,
    Form(f): Form<ResetForm>,
) -> Result<Response, PageError> {
    check_form_csrf(&headers, &f.csrf, lang)?;
    st.limit(&ip.key("otp"), st.config.limits.sign_in_per_ip).map_err(page_err(lang))?;
    if let Some(msg) = password_problem(lang, &f) {
        return Ok(reset_form(lang, f.flow.clone(), &f.login, &f.phone, Some(msg), StatusCode::BAD_REQUEST));
    }
    let db = &st.ctx.db;
    let payload =
        match otp::verify(db, OTP_PURPOSE, &f.flow, &f.code, kernel::clock::now_ms()).await.map_err(page_err(lang))? {
            Ok(p) => p,
            Err(e) => {
                let (vi, en) = e.message();
                let msg = lang.pick(&vi, &en).to_string();
                return Ok(match e {
                    OtpError::Wrong(_) => {
                        reset_form(lang, f.flow.clone(), &f.login, &f.phone, Some(msg), StatusCode::UNAUTHORIZED)
                    }
                    OtpError::Expired | OtpError::TooManyAttempts => start_over(lang, msg, "/password/forgot"),
                });
            }
        };
    let (vi, en) = OtpError::Expired.message();
    let Some(account_id) = payload.get("account_id").and_then(|v| v.as_str()) else {
        return Ok(start_over(lang, lang.pick(&vi, &en).to_string(), "/password/forgot"));
    };
    let hash = st.hasher.hash(&f.password).await.map_err(page_err(lang))?;
    if !password_reset::set_new_password(db, account_id, &hash, kernel::clock::now_ms())
        .await
        .map_err(page_err(lang))?
    {
        return Ok(start_over(lang, lang.pick(&vi, &en).to_string(), "/password/forgot"));
    }
    tracing::info!(account = %account_id, "password replaced after a phone code");
    let mut resp = message(
        lang,
        ("Đã đặt mật khẩu mới", "New password set"),
        vec![lang
            .pick(
                "Mật khẩu mới đã có hiệu lực và mọi phiên đăng nhập cũ đã kết thúc. Nếu bạn bật xác thực hai bước, bạn vẫn cần mã khi đăng nhập.",
                "The new password is in force and every earlier session has ended. If two-step verification is on, you still need a code to sign in.",
            )
            .to_string()],
        Some(("/login", lang.pick("Đăng nhập", "Sign in"))),
    );
    let event = audit::security::SecurityEvent::new(audit::security::Kind::PasswordChanged, "reset_by_phone_code");
    web::security::note(&mut resp, event.about(account_id));
    Ok(resp)
}
