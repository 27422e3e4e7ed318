//! Sign-in and sign-out pages, and `GET /api/v1/me`.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::header::{SET_COOKIE, USER_AGENT};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use db::Db;
use kernel::{AppError, ErrorCode};
use serde::Deserialize;
use web::auth::{cookie, SESSION_COOKIE};
use web::layout::render;
use web::{ApiResult, Chrome, CurrentUser, Lang, PageError};

use crate::password::PasswordHasher;
use crate::secrets::{constant_time_eq, random_secret};

/// Double-submit cookie protecting the sign-in form (there is no session yet to hold a token).
const LOGIN_CSRF_COOKIE: &str = "__Host-dancu_login";

#[derive(Clone)]
struct IdentityState {
    db: Db,
    hasher: PasswordHasher,
}

/// Routes of the identity crate.
pub fn router(db: Db, hasher: PasswordHasher) -> Router {
    Router::new()
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
        .route("/api/v1/me", get(me))
        .with_state(IdentityState { db, hasher })
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    csrf: String,
    next: String,
    login: String,
    error: Option<String>,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// Only same-site relative paths are followed after sign-in (no open redirects).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/persons".to_string(),
    }
}

fn login_form(lang: Lang, next: String, login: String, error: Option<String>, status: StatusCode) -> Response {
    let csrf = random_secret();
    let page = LoginPage {
        chrome: Chrome::new(lang, ("Đăng nhập", "Sign in"), None, "/login"),
        csrf: csrf.clone(),
        next,
        login,
        error,
    };
    let mut resp = render(&page, lang);
    *resp.status_mut() = status;
    resp.headers_mut().append(
        SET_COOKIE,
        format!("{LOGIN_CSRF_COOKIE}={csrf}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=3600")
            .parse()
            .expect("valid header"),
    );
    resp
}

async fn login_page(lang: Lang, Query(q): Query<NextQuery>) -> Response {
    login_form(lang, safe_next(q.next.as_deref()), String::new(), None, StatusCode::OK)
}

#[derive(Deserialize)]
struct LoginForm {
    login: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

async fn login_submit(
    State(st): State<IdentityState>,
    lang: Lang,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Result<Response, PageError> {
    let next = safe_next(f.next.as_deref());
    let csrf_ok = cookie(&headers, LOGIN_CSRF_COOKIE).map(|c| constant_time_eq(c, &f.csrf)).unwrap_or(false);
    if !csrf_ok {
        return Err(PageError::new(AppError::new(ErrorCode::CsrfFailed, "sign-in form token mismatch"), lang));
    }
    let found = crate::accounts::find_by_login(&st.db, &f.login).await.map_err(|e| PageError::new(e, lang))?;
    let now = kernel::clock::now_ms();
    let locked = found.as_ref().and_then(|(_, _, until)| *until).map(|u| u > now).unwrap_or(false);
    let ok = st.hasher.verify(&f.password, found.as_ref().map(|(_, h, _)| h.as_str())).await
        && !locked
        && found.as_ref().map(|(a, _, _)| a.status == "active").unwrap_or(false);
    if let Some((account, _, _)) = &found {
        if !locked {
            crate::accounts::record_login_result(&st.db, &account.id, ok).await.map_err(|e| PageError::new(e, lang))?;
        }
    }
    let Some((account, _, _)) = found.filter(|_| ok) else {
        // One message whatever went wrong, so the form does not reveal which logins exist.
        let msg = lang.pick(
            "Tên đăng nhập hoặc mật khẩu không đúng, hoặc tài khoản đang tạm khóa.",
            "Wrong login or password, or the account is temporarily locked.",
        );
        return Ok(login_form(lang, next, f.login, Some(msg.to_string()), StatusCode::UNAUTHORIZED));
    };
    let ua = headers.get(USER_AGENT).and_then(|v| v.to_str().ok());
    let (secret, _csrf) =
        crate::sessions::create_session(&st.db, &account.id, ua).await.map_err(|e| PageError::new(e, lang))?;
    tracing::info!(account = %account.id, "signed in");
    let mut resp = Redirect::to(&next).into_response();
    let h = resp.headers_mut();
    h.append(
        SET_COOKIE,
        format!("{SESSION_COOKIE}={secret}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=43200")
            .parse()
            .expect("valid header"),
    );
    h.append(
        SET_COOKIE,
        format!("{LOGIN_CSRF_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0")
            .parse()
            .expect("valid header"),
    );
    Ok(resp)
}

#[derive(Deserialize)]
struct LogoutForm {
    csrf: String,
}

async fn logout(
    State(st): State<IdentityState>,
    lang: Lang,
    user: Option<CurrentUser>,
    headers: HeaderMap,
    Form(f): Form<LogoutForm>,
) -> Result<Response, PageError> {
    let valid = user.as_ref().and_then(|u| u.csrf.as_deref()).map(|t| constant_time_eq(t, &f.csrf)).unwrap_or(false);
    if !valid {
        return Err(PageError::new(AppError::new(ErrorCode::CsrfFailed, "sign-out token mismatch"), lang));
    }
    if let Some(secret) = cookie(&headers, SESSION_COOKIE) {
        crate::sessions::revoke_session(&st.db, secret).await.map_err(|e| PageError::new(e, lang))?;
    }
    let mut resp = Redirect::to("/login").into_response();
    resp.headers_mut().append(
        SET_COOKIE,
        format!("{SESSION_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0").parse().expect("valid header"),
    );
    Ok(resp)
}

/// `GET /api/v1/me`: the caller's account, role and jurisdiction.
#[utoipa::path(get, path = "/api/v1/me", tag = "identity",
    responses((status = 200, description = "The authenticated account"), (status = 401, description = "Not signed in")))]
async fn me(user: CurrentUser) -> ApiResult<Json<CurrentUser>> {
    Ok(Json(user))
}

/// OpenAPI description of the identity endpoints.
#[derive(utoipa::OpenApi)]
#[openapi(paths(me))]
pub struct ApiDoc;
