//! HTML pages and the small JSON API of the identity crate.

mod access_log;
mod account;
mod admin_accounts;
mod admin_security;
mod login;
mod officer;
mod org;
mod passkeys;
mod password_reset;
mod register;
mod security;

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use kernel::{AppError, ErrorCode};
use web::auth::cookie;
use web::{Ctx, CurrentUser, Lang, PageError};

use crate::config::{IdentityConfig, Limit};
use crate::passkeys::Passkeys;
use crate::password::PasswordHasher;
use crate::ratelimit::RateLimiter;
use crate::sealing::Sealer;
use crate::sms::SmsSender;

/// Double-submit cookie protecting forms shown before there is a session (sign-in, registration,
/// invitations).
pub(crate) const FORM_CSRF_COOKIE: &str = "__Host-dancu_login";

/// What every identity handler shares.
#[derive(Clone)]
pub(crate) struct IdentityState {
    pub ctx: Ctx,
    pub hasher: PasswordHasher,
    pub config: Arc<IdentityConfig>,
    pub limiter: RateLimiter,
    pub sms: Arc<dyn SmsSender>,
    /// Loaded from the database on first use (the router is built before any query runs).
    pub sealer: Arc<tokio::sync::OnceCell<Sealer>>,
    /// The WebAuthn relying party of the public address.
    pub passkeys: Passkeys,
}

/// Routes of the identity crate: sign-in and sign-out, registration, the account pages, the
/// officer's level-2 page, organizations, and `GET /api/v1/me`.
/// Forms posted before a session exists: they carry the double-submit token of
/// [`FORM_CSRF_COOKIE`] instead of a session's (see `web::csrf`).
pub const CSRF_EXEMPT: &[&str] = &[
    "/login",
    "/login/second-factor",
    "/login/passkey/options",
    "/login/passkey",
    "/register",
    "/register/confirm",
    "/password/forgot",
    "/password/forgot/confirm",
    "/account/unlock",
    "/account/unlock/confirm",
    "/org/invite/{token}",
];

pub fn router(ctx: Ctx, hasher: PasswordHasher, config: IdentityConfig, sms: Arc<dyn SmsSender>) -> Router {
    let st = IdentityState {
        ctx,
        hasher,
        passkeys: Passkeys::new(&config.public_url),
        config: Arc::new(config),
        limiter: RateLimiter::new(),
        sms,
        sealer: Arc::default(),
    };
    Router::new()
        .route("/login", get(login::login_page).post(login::login_submit))
        .route("/login/second-factor", get(login::second_factor_page).post(login::second_factor_submit))
        .route("/login/passkey/options", post(passkeys::sign_in_options))
        .route("/login/passkey", post(passkeys::sign_in_finish))
        .route("/logout", post(login::logout))
        .route("/register", get(register::register_page).post(register::register_submit))
        .route("/register/confirm", post(register::register_confirm))
        .route("/password/forgot", get(password_reset::forgot_page).post(password_reset::forgot_submit))
        .route("/password/forgot/confirm", post(password_reset::reset_submit))
        .route("/account", get(account::account_page))
        .route("/account/sessions/revoke", post(account::revoke_session))
        .route("/account/sessions/revoke-others", post(account::revoke_others))
        .route("/account/lock", post(account::lock))
        .route("/account/unlock", get(register::unlock_page).post(register::unlock_submit))
        .route("/account/unlock/confirm", post(register::unlock_confirm))
        .route("/account/children/new", get(account::child_page).post(account::child_submit))
        .route("/account/totp", get(security::totp_page))
        .route("/account/totp/enable", post(security::totp_enable))
        .route("/account/totp/disable", post(security::totp_disable))
        .route("/account/totp/recovery-codes", post(security::recovery_regenerate))
        .route("/account/passkeys", get(passkeys::passkeys_page).post(passkeys::register_finish))
        .route("/account/passkeys/options", post(passkeys::register_options))
        .route("/account/passkeys/{id}/remove", post(passkeys::remove))
        .route("/static/identity/passkeys.js", get(passkeys::script))
        .route("/account/access-log", get(access_log::access_log_page))
        .route("/account/access-log.csv", get(access_log::access_log_csv))
        .route("/account/access-log/proofs.json", get(access_log::access_log_proofs))
        .route("/officer/eid", get(officer::find))
        .route("/officer/eid/raise", post(officer::raise))
        .route("/admin/organizations", get(org::admin_orgs_page).post(org::admin_orgs_create))
        .route("/admin/sms-outbox", get(org::outbox))
        .route("/admin/accounts", get(admin_accounts::list))
        .route("/admin/accounts/{id}/suspend", post(admin_accounts::suspend))
        .route("/admin/accounts/{id}/reactivate", post(admin_accounts::reactivate))
        .route("/admin/security-events", get(admin_security::page))
        .route("/api/v1/admin/security-events", get(admin_security::api))
        .route("/org", get(org::org_page))
        .route("/org/invite", post(org::org_invite))
        .route("/org/invite/{token}", get(org::accept_page).post(org::accept_submit))
        .route("/org/members", post(org::org_member))
        .route("/api/v1/me", get(login::me))
        .with_state(st)
}

/// OpenAPI description of the identity endpoints.
#[derive(utoipa::OpenApi)]
#[openapi(paths(login::me, admin_security::api), components(schemas(admin_security::EventsPage)))]
pub struct ApiDoc;

/// The client's address for rate limits: the TCP peer, or the first `X-Forwarded-For` hop when
/// the server is configured to trust its proxy.
pub(crate) struct ClientIp(pub Option<IpAddr>);

impl FromRequestParts<IdentityState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, st: &IdentityState) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(web::security::client_ip(&parts.headers, &parts.extensions, st.config.trust_proxy)))
    }
}

impl ClientIp {
    pub(crate) fn key(&self, what: &str) -> String {
        format!("{what}:ip:{}", self.0.map(|i| i.to_string()).unwrap_or_default())
    }
}

impl IdentityState {
    /// The sealer of stored TOTP keys.
    pub(crate) async fn sealer(&self) -> Result<&Sealer, AppError> {
        self.sealer.get_or_try_init(|| Sealer::load(&self.ctx.db, kernel::clock::now_ms())).await
    }

    /// Counts one event against a limit; a `rate_limited` error when it is used up.
    pub(crate) fn limit(&self, key: &str, limit: Limit) -> Result<(), AppError> {
        if self.limiter.allow(key, limit) {
            Ok(())
        } else {
            Err(AppError::new(ErrorCode::RateLimited, "too many attempts, try again later"))
        }
    }
}

/// Checks the double-submit token of an anonymous form.
pub(crate) fn check_form_csrf(headers: &HeaderMap, sent: &str, lang: Lang) -> Result<(), PageError> {
    let ok = cookie(headers, FORM_CSRF_COOKIE).map(|c| kernel::secret::ct_eq(c, sent)).unwrap_or(false);
    if ok {
        Ok(())
    } else {
        Err(PageError::new(AppError::new(ErrorCode::CsrfFailed, "form token mismatch"), lang))
    }
}

/// Sets a `__Host-` cookie (Secure, HttpOnly, path `/`); `max_age` 0 deletes it.
pub(crate) fn set_cookie(resp: &mut Response, name: &str, value: &str, same_site: &str, max_age: i64) {
    web::auth::append_set_cookie(
        resp,
        &format!("{name}={value}; Path=/; Secure; HttpOnly; SameSite={same_site}; Max-Age={max_age}"),
    );
}

/// A fresh double-submit token set as the form cookie on `resp`; returns the token for the form.
pub(crate) fn issue_form_csrf(resp: &mut Response, token: &str) {
    set_cookie(resp, FORM_CSRF_COOKIE, token, "Strict", 3600);
}

/// Maps an error to an HTML error page in the visitor's language.
pub(crate) fn page_err(lang: Lang) -> impl Fn(AppError) -> PageError {
    move |e| PageError::new(e, lang)
}

/// Formats UTC milliseconds the Vietnamese way (dd/mm/yyyy HH:MM, Vietnam time).
pub(crate) fn when(ms: i64) -> String {
    kernel::clock::format_ms_vn(ms)
}

#[derive(askama::Template)]
#[template(path = "message.html")]
struct MessagePage {
    chrome: web::Chrome,
    paragraphs: Vec<String>,
    code_block: Option<String>,
    link: Option<(String, String)>,
}

/// A short page: a title, a few paragraphs and an optional link onward.
pub(crate) fn message(
    lang: Lang,
    title: (&str, &str),
    paragraphs: Vec<String>,
    link: Option<(&str, &str)>,
) -> Response {
    message_with_code(lang, None, title, paragraphs, None, link)
}

/// A short page with a preformatted block (recovery codes, an invitation link).
pub(crate) fn message_with_code(
    lang: Lang,
    user: Option<&CurrentUser>,
    title: (&str, &str),
    paragraphs: Vec<String>,
    code_block: Option<String>,
    link: Option<(&str, &str)>,
) -> Response {
    let page = MessagePage {
        chrome: web::Chrome::new(lang, title, user, "/"),
        paragraphs,
        code_block,
        link: link.map(|(h, t)| (h.to_string(), t.to_string())),
    };
    web::layout::render(&page, lang)
}
