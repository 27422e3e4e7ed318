//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): the session ends; the user goes
//! back to the client only when the client proved who it is with an ID token we issued and the
//! address is one it registered.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use web::auth::{append_set_cookie, cookie, urlencode, SESSION_COOKIE};
use web::Lang;

use crate::provider::Provider;

/// Parameters of the end-session request.
#[derive(Deserialize)]
pub struct EndSession {
    id_token_hint: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
}

#[derive(Deserialize)]
struct HintClaims {
    aud: String,
}

/// `GET /oidc/logout`
pub async fn end_session(
    State(p): State<Provider>,
    lang: Lang,
    headers: HeaderMap,
    Query(q): Query<EndSession>,
) -> Response {
    if let Some(raw) = cookie(&headers, SESSION_COOKIE) {
        if let Err(e) = identity::revoke_session(&p.db, raw, kernel::clock::now_ms()).await {
            return crate::error::OAuthError::from(e).into_response();
        }
    }
    let expect = keys::Expect::new().issuer(p.issuer.to_string()).without_required_exp().leeway(365 * 24 * 3600);
    let client_id =
        q.id_token_hint.as_deref().and_then(|t| p.keys.verify::<HintClaims>(t, &expect).ok()).map(|c| c.aud);
    let client = match client_id {
        Some(id) => p.clients.get(&p.db, &id, kernel::clock::now_ms()).await.ok().flatten(),
        None => None,
    };
    let target = match (&client, &q.post_logout_redirect_uri) {
        (Some(c), Some(uri)) if c.post_logout_redirect_uris.iter().any(|u| u == uri) => Some(uri.clone()),
        _ => None,
    };
    let mut resp = match target {
        Some(uri) => {
            let mut url = uri.clone();
            if let Some(s) = &q.state {
                url.push_str(&format!("{}state={}", if uri.contains('?') { '&' } else { '?' }, urlencode(s)));
            }
            Redirect::to(&url).into_response()
        }
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
