//! `/account/totp`: turning two-step verification (TOTP) on with a QR code, and off; recovery
//! codes shown once.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use web::layout::render;
use web::{Chrome, Lang, PageError, PageUser};

use super::{message_with_code, page_err, IdentityState};

#[derive(Template)]
#[template(path = "totp.html")]
struct TotpPage {
    chrome: Chrome,
    enabled: bool,
    codes_left: i64,
    secret: String,
    qr_svg: String,
    error: Option<String>,
}

async fn show(
    st: &IdentityState,
    lang: Lang,
    user: &web::CurrentUser,
    error: Option<String>,
    secret: Option<String>,
) -> Result<Response, PageError> {
    let account = crate::accounts::account_by_id(&st.ctx.db, &user.account_id)
        .await
        .map_err(page_err(lang))?
        .ok_or_else(|| PageError::new(kernel::AppError::not_found("account"), lang))?;
    let (secret, qr_svg, codes_left) = if account.totp_enabled {
        (
            String::new(),
            String::new(),
            crate::totp::recovery_codes_left(&st.ctx.db, &account.id).await.map_err(page_err(lang))?,
        )
    } else {
        let secret = secret.unwrap_or_else(crate::totp::new_secret);
        let uri = crate::totp::provisioning_uri(&secret, &account.login).map_err(page_err(lang))?;
        let svg = crate::totp::qr_svg(&uri).map_err(page_err(lang))?;
        (secret, svg, 0)
    };
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let page = TotpPage {
        chrome: Chrome::new(lang, ("Xác thực hai bước", "Two-step verification"), Some(user), "/account/totp"),
        enabled: account.totp_enabled,
        codes_left,
        secret,
        qr_svg,
        error,
    };
    let mut r = render(&page, lang);
    *r.status_mut() = status;
    Ok(r)
}

pub(super) async fn totp_page(
    State(st): State<IdentityState>,
    lang: Lang,
    PageUser(user): PageUser,
) -> Result<Response, PageError> {
    show(&st, lang, &user, None, None).await
}

#[derive(Deserialize)]
pub(super) struct EnableForm {
    secret: String,
    code: String,
}

fn codes_page(lang: Lang, user: &web::CurrentUser, codes: Vec<String>) -> Response {
    message_with_code(
        lang,
        Some(user),
        ("Mã khôi phục", "Recovery codes"),
        vec![lang
            .pick(
                "Lưu các mã sau ở nơi an toàn. Mỗi mã dùng được một lần khi bạn không có ứng dụng xác thực. Trang này chỉ hiện một lần.",
                "Keep these codes somewhere safe. Each works once when you do not have your authenticator app. This page is shown once.",
            )
            .to_string()],
        Some(codes.join("\n")),
        Some(("/account", lang.pick("Về trang tài khoản", "Back to my account"))),
    )
}

pub(super) async fn totp_enable(
    State(st): State<IdentityState>,
    lang: Lang,
    PageUser(user): PageUser,
    Form(f): Form<EnableForm>,
) -> Result<Response, PageError> {
    let sealer = st.sealer().await.map_err(page_err(lang))?;
    match crate::totp::enable(&st.ctx.db, sealer, &user.account_id, &f.secret, &f.code, kernel::clock::now_ms())
        .await
        .map_err(page_err(lang))?
    {
        Some(codes) => Ok(changed(codes_page(lang, &user, codes), "totp_enabled")),
        None => {
            let msg = lang.pick(
                "Mã không đúng. Kiểm tra giờ trên điện thoại và thử lại.",
                "Wrong code. Check your phone's clock and try again.",
            );
            show(&st, lang, &user, Some(msg.into()), Some(f.secret)).await
        }
    }
}

#[derive(Deserialize)]
pub(super) struct DisableForm {
    password: String,
}

async fn password_ok(st: &IdentityState, account_id: &str, password: &str) -> Result<bool, kernel::AppError> {
    let hash = crate::accounts::password_hash(&st.ctx.db, account_id).await?;
    Ok(st.hasher.verify(password, hash.as_deref()).await)
}

pub(super) async fn totp_disable(
    State(st): State<IdentityState>,
    lang: Lang,
    PageUser(user): PageUser,
    Form(f): Form<DisableForm>,
) -> Result<Response, PageError> {
    if !password_ok(&st, &user.account_id, &f.password).await.map_err(page_err(lang))? {
        return show(&st, lang, &user, Some(lang.pick("Mật khẩu không đúng.", "Wrong password.").into()), None).await;
    }
    crate::totp::disable(&st.ctx.db, &user.account_id).await.map_err(page_err(lang))?;
    Ok(changed(Redirect::to("/account/totp").into_response(), "totp_disabled"))
}

/// The answer to a change of the caller's second factor, with its security event.
fn changed(mut resp: Response, what: &str) -> Response {
    web::security::note(
        &mut resp,
        audit::security::SecurityEvent::new(audit::security::Kind::SecondFactorChanged, what),
    );
    resp
}

pub(super) async fn recovery_regenerate(
    State(st): State<IdentityState>,
    lang: Lang,
    PageUser(user): PageUser,
    Form(f): Form<DisableForm>,
) -> Result<Response, PageError> {
    if !password_ok(&st, &user.account_id, &f.password).await.map_err(page_err(lang))? {
        return show(&st, lang, &user, Some(lang.pick("Mật khẩu không đúng.", "Wrong password.").into()), None).await;
    }
    let codes = crate::totp::regenerate_recovery_codes(&st.ctx.db, &user.account_id, kernel::clock::now_ms())
        .await
        .map_err(page_err(lang))?;
    Ok(changed(codes_page(lang, &user, codes), "recovery_codes_renewed"))
}
