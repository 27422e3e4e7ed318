//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0). A request with an ID token hint
//! for the account signed in now ends the session at once; any other request asks the citizen
//! first, and the session ends on the confirmation form's POST (the session's CSRF token). The user
//! goes back to the client only when the client proved who it is with an ID token we issued and the
//! address is one it registered. The rules are in [`crate::logout`].

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use web::auth::{append_set_cookie, cookie, SESSION_COOKIE};
use web::{Chrome, CurrentUser, Lang};

use crate::logout::{self, Hint};
use crate::provider::Provider;

/// Parameters of the end-session request, and the fields of its confirmation form.
#[derive(Deserialize, Default)]
pub struct EndSession {
    id_token_hint: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
    /// The session's CSRF token (confirmation form only).
    csrf: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "oidc_logout.html")]
struct ConfirmPage {
    chrome: Chrome,
    /// The client that asked, when its ID token hint verified.
    client_name: Option<String>,
    csrf: String,
    id_token_hint: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
}

/// The session the browser holds at `now`, if any: its cookie and what it is.
async fn session(
    p: &Provider,
    headers: &HeaderMap,
    now: i64,
) -> Result<Option<(String, identity::SessionInfo)>, Response> {
    let Some(raw) = cookie(headers, SESSION_COOKIE) else { return Ok(None) };
    match identity::session_info(&p.db, raw, now).await {
        Ok(info) => Ok(info.map(|s| (raw.to_string(), s))),
        Err(e) => Err(crate::error::OAuthError::from(e).into_response()),
    }
}

/// `GET /oidc/logout`
pub async fn end_session(
    State(p): State<Provider>,
    lang: Lang,
    user: Option<CurrentUser>,
    headers: HeaderMap,
    Query(q): Query<EndSession>,
) -> Response {
    let now = kernel::clock::now_ms();
    let current = match session(&p, &headers, now).await {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    let hint = logout::read_hint(&p, q.id_token_hint.as_deref(), now).await;
    match current {
        Some((_, s)) if !logout::ends_without_asking(hint.as_ref(), &s.account.id, &p.salt) => {
            let page = ConfirmPage {
                chrome: Chrome::new(lang, ("Đăng xuất", "Sign out"), user.as_ref(), "/oidc/logout"),
                client_name: hint.map(|h| h.client.name.clone()),
                csrf: s.csrf,
                id_token_hint: q.id_token_hint,
                post_logout_redirect_uri: q.post_logout_redirect_uri,
                state: q.state,
            };
            web::layout::render(&page, lang)
        }
        current => signed_out(&p, lang, current.map(|(raw, _)| raw), hint.as_ref(), &q, now).await,
    }
}

/// `POST /oidc/logout`: the citizen confirmed. The session's CSRF token must match (the CSRF
/// middleware checks it too); without a session there is nothing left to end.
pub async fn confirm(State(p): State<Provider>, lang: Lang, headers: HeaderMap, Form(f): Form<EndSession>) -> Response {
    let now = kernel::clock::now_ms();
    let current = match session(&p, &headers, now).await {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    if let Some((_, s)) = &current {
        if !f.csrf.as_deref().is_some_and(|sent| kernel::secret::ct_eq(&s.csrf, sent)) {
            return web::PageError::new(
                kernel::AppError::new(kernel::ErrorCode::CsrfFailed, "logout form token mismatch"),
                lang,
            )
            .into_response();
        }
    }
    let hint = logout::read_hint(&p, f.id_token_hint.as_deref(), now).await;
    signed_out(&p, lang, current.map(|(raw, _)| raw), hint.as_ref(), &f, now).await
}

/// Ends the session of cookie `raw` (when there is one) at `now` and sends the user back to the
/// client or shows that they are signed out.
async fn signed_out(
    p: &Provider,
    lang: Lang,
    raw: Option<String>,
    hint: Option<&Hint>,
    q: &EndSession,
    now: i64,
) -> Response {
    if let Some(raw) = raw {
        if let Err(e) = identity::revoke_session(&p.db, &raw, now).await {
            return crate::error::OAuthError::from(e).into_response();
        }
    }
    let target = logout::return_to(hint, q.post_logout_redirect_uri.as_deref(), q.state.as_deref());
    let mut resp = match target {
        Some(url) => Redirect::to(&url).into_response(),
        None => crate::pages::message(
            lang,
            None,
            "/oidc/logout",
            ("Bạn đã đăng xuất", "You are signed out"),
            &[("Phiên đăng nhập tài khoản định danh điện tử của bạn đã kết thúc.", "Your e-ID session has ended.")],
            Some(("/login".to_string(), ("Đăng nhập lại", "Sign in again"))),
            StatusCode::OK,
        ),
    };
    append_set_cookie(&mut resp, &format!("{SESSION_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0"));
    resp
}
