//! The authorization endpoint as the user experiences it: sign in (again) when needed, the level
//! check, consent, then a code sent back to the client.

use axum::extract::{Query, RawForm, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use web::auth::{cookie, urlencode, SESSION_COOKIE};
use web::{Chrome, CurrentUser, Lang, Role};

use crate::error::redirect_error;
use crate::grants::{self, CodeGrant};
use crate::provider::Provider;
use crate::request::{self, AuthParams, ConsentStep, Rejection, ValidRequest};
use crate::{consents, scopes};

/// `GET /oidc/authorize`
pub async fn get_authorize(
    State(p): State<Provider>,
    lang: Lang,
    user: Option<CurrentUser>,
    headers: HeaderMap,
    Query(params): Query<AuthParams>,
) -> Response {
    authorize(&p, lang, user, &headers, params).await
}

/// `POST /oidc/authorize` (form-encoded parameters, OpenID Connect Core §3.1.2.1).
pub async fn post_authorize(
    State(p): State<Provider>,
    lang: Lang,
    user: Option<CurrentUser>,
    headers: HeaderMap,
    RawForm(body): RawForm,
) -> Response {
    match serde_urlencoded::from_bytes::<AuthParams>(&body) {
        Ok(params) => authorize(&p, lang, user, &headers, params).await,
        Err(e) => show_error(lang, user.as_ref(), &e.to_string()),
    }
}

fn show_error(lang: Lang, user: Option<&CurrentUser>, detail: &str) -> Response {
    crate::pages::message(
        lang,
        user,
        "/oidc/authorize",
        ("Yêu cầu đăng nhập không hợp lệ", "Invalid sign-in request"),
        &[
            (
                "Dịch vụ đã gửi một yêu cầu đăng nhập không hợp lệ nên không thể tiếp tục. Vui lòng quay lại dịch vụ và thử lại.",
                "The service sent an invalid sign-in request, so it cannot continue. Go back to the service and try again.",
            ),
            (detail, detail),
        ],
        None,
        StatusCode::BAD_REQUEST,
    )
}

fn rejection(lang: Lang, user: Option<&CurrentUser>, r: Rejection) -> Response {
    match r {
        Rejection::Show(d) => show_error(lang, user, &d),
        Rejection::Redirect { redirect_uri, state, error, description } => {
            redirect_error(&redirect_uri, state.as_deref(), error, &description)
        }
        Rejection::Server(e) => e.into_response(),
    }
}

/// Sends the user to the sign-in page, coming back here afterwards with the request marked as sent
/// to sign in at `now` (see [`ValidRequest::resumed`]). `force` shows the form to a user who has a
/// session that is not recent enough (prompt=login, or max_age exceeded).
fn to_login(p: &Provider, req: &ValidRequest, force: bool, now: i64) -> Response {
    let params = match req.resumed(p, now) {
        Ok(params) => params,
        Err(e) => return e.into_response(),
    };
    let next = format!("/oidc/authorize?{}", params.to_query());
    let force = if force { "force=1&" } else { "" };
    Redirect::to(&format!("/login?{force}next={}", urlencode(&next))).into_response()
}

async fn authorize(
    p: &Provider,
    lang: Lang,
    user: Option<CurrentUser>,
    headers: &HeaderMap,
    params: AuthParams,
) -> Response {
    let now = kernel::clock::now_ms();
    let req = match request::validate(p, params, now).await {
        Ok(r) => r,
        Err(r) => return rejection(lang, user.as_ref(), r),
    };
    let fail =
        |error: &str, description: &str| redirect_error(&req.redirect_uri, req.state.as_deref(), error, description);
    let session = match cookie(headers, SESSION_COOKIE) {
        Some(raw) => match identity::session_info(&p.db, raw, now).await {
            Ok(s) => s,
            Err(e) => return crate::error::OAuthError::from(e).into_response(),
        },
        None => None,
    };
    let session = match session {
        None if req.prompt.none => return fail("login_required", "the user is not signed in"),
        None => return to_login(p, &req, false, now),
        Some(s) if req.needs_sign_in(s.auth_time_ms, now) => {
            if req.prompt.none {
                return fail("login_required", "the authentication is older than max_age");
            }
            return to_login(p, &req, true, now);
        }
        Some(s) => s,
    };
    let account = &session.account;
    let page_user = CurrentUser { actor: account.to_actor(session.amr.clone()), csrf: Some(session.csrf.clone()) };
    if account.role != Role::Citizen || account.level == 0 {
        return crate::pages::message(
            lang,
            Some(&page_user),
            "/oidc/authorize",
            ("Tài khoản này không dùng để đăng nhập dịch vụ", "This account cannot sign in to services"),
            &[(
                "Chỉ tài khoản định danh điện tử của công dân mới đăng nhập được các dịch vụ kết nối. Hãy đăng xuất và đăng nhập bằng tài khoản công dân.",
                "Only citizens' e-ID accounts can sign in to connected services. Sign out and sign in with a citizen account.",
            )],
            None,
            StatusCode::FORBIDDEN,
        );
    }
    if account.level < req.required_level {
        if req.prompt.none {
            return fail("unmet_authentication_requirements", "the service requires e-ID level 2");
        }
        return level_required(&req, lang, &page_user);
    }
    let granted = match consents::granted(&p.db, &account.id, &req.client.id).await {
        Ok(g) => g,
        Err(e) => return crate::error::OAuthError::from(e).into_response(),
    };
    match req.consent_step(&granted) {
        ConsentStep::Required => fail("consent_required", "the user has not consented to these scopes"),
        ConsentStep::Ask => consent_page(&req, lang, &page_user, &session.csrf),
        ConsentStep::Skip => issue(p, &req, &session, false, now).await,
    }
}

/// A level-1 user at a client that needs level 2: explain how to get level 2; never a token.
fn level_required(req: &ValidRequest, lang: Lang, user: &CurrentUser) -> Response {
    let back = crate::error::redirect_error(
        &req.redirect_uri,
        req.state.as_deref(),
        "access_denied",
        "the service requires e-ID level 2",
    );
    let back_href = back.headers().get(axum::http::header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("/");
    crate::pages::message(
        lang,
        Some(user),
        "/oidc/authorize",
        ("Dịch vụ yêu cầu định danh điện tử mức độ 2", "This service requires e-ID level 2"),
        &[
            (
                "Tài khoản của bạn đang ở mức độ 1: thông tin đã được đối chiếu với Cơ sở dữ liệu quốc gia về dân cư nhưng chưa được xác thực trực tiếp.",
                "Your account is at level 1: your details were checked against the national population database but not verified in person.",
            ),
            (
                "Để nâng lên mức độ 2, hãy mang thẻ Căn cước/CCCD gắn chip đến Công an cấp xã nơi bạn cư trú. Cán bộ sẽ kiểm tra thẻ và nâng mức tài khoản; sau đó bạn đăng nhập lại dịch vụ này.",
                "To reach level 2, bring your chip identity card to the commune police where you live. The officer checks the card and raises your account's level; then sign in to this service again.",
            ),
        ],
        Some((back_href.to_string(), ("Quay lại dịch vụ", "Back to the service"))),
        StatusCode::FORBIDDEN,
    )
}

#[derive(askama::Template)]
#[template(path = "oidc_consent.html")]
struct ConsentPage {
    chrome: Chrome,
    client_name: String,
    items: Vec<(&'static str, &'static str)>,
    level: u8,
    csrf: String,
    request: String,
}

fn consent_page(req: &ValidRequest, lang: Lang, user: &CurrentUser, csrf: &str) -> Response {
    let items = req.scopes.iter().filter_map(|s| scopes::find(s)).map(|d| (d.vi, d.en)).collect();
    let page = ConsentPage {
        chrome: Chrome::new(lang, ("Cho phép chia sẻ thông tin", "Allow sharing"), Some(user), "/oidc/authorize"),
        client_name: req.client.name.clone(),
        items,
        level: req.required_level.max(1),
        csrf: csrf.to_string(),
        request: req.params.to_query(),
    };
    web::layout::render(&page, lang)
}

/// The consent form's answer.
#[derive(Deserialize)]
pub struct Decision {
    csrf: String,
    request: String,
    decision: String,
    remember: Option<String>,
}

/// `POST /oidc/authorize/decision`: the request is checked again from scratch, the session's CSRF
/// token must match, then consent is remembered (when asked) and a code issued.
pub async fn decision(
    State(p): State<Provider>,
    lang: Lang,
    user: Option<CurrentUser>,
    headers: HeaderMap,
    Form(d): Form<Decision>,
) -> Response {
    let uri: Uri = match format!("/oidc/authorize?{}", d.request).parse() {
        Ok(u) => u,
        Err(_) => return show_error(lang, user.as_ref(), "malformed request"),
    };
    let params = match Query::<AuthParams>::try_from_uri(&uri) {
        Ok(q) => q.0,
        Err(e) => return show_error(lang, user.as_ref(), &e.body_text()),
    };
    let now = kernel::clock::now_ms();
    let req = match request::validate(&p, params, now).await {
        Ok(r) => r,
        Err(r) => return rejection(lang, user.as_ref(), r),
    };
    let session = match cookie(&headers, SESSION_COOKIE) {
        Some(raw) => identity::session_info(&p.db, raw, now).await.ok().flatten(),
        None => None,
    };
    let Some(session) = session.filter(|s| kernel::secret::ct_eq(&s.csrf, &d.csrf)) else {
        return web::PageError::new(
            kernel::AppError::new(kernel::ErrorCode::CsrfFailed, "consent form token mismatch"),
            lang,
        )
        .into_response();
    };
    if session.account.role != Role::Citizen || session.account.level < req.required_level {
        return show_error(lang, user.as_ref(), "the account does not meet the service's requirements");
    }
    if d.decision != "allow" {
        return redirect_error(&req.redirect_uri, req.state.as_deref(), "access_denied", "the user denied the request");
    }
    if d.remember.as_deref() == Some("on") {
        if let Err(e) = consents::remember(&p.db, &session.account.id, &req.client.id, &req.scopes, now).await {
            return crate::error::OAuthError::from(e).into_response();
        }
    }
    issue(&p, &req, &session, true, now).await
}

/// Issues a code at `now` and sends the user back to the client (with `iss`, RFC 9207).
/// `consent_shown`: the citizen accepted the consent screen for this request, which
/// `offline_access` needs ([`ValidRequest::scopes_to_grant`]).
async fn issue(
    p: &Provider,
    req: &ValidRequest,
    session: &identity::SessionInfo,
    consent_shown: bool,
    now: i64,
) -> Response {
    let account = &session.account;
    let Some(acr) = crate::acr_for_level(account.level) else {
        return crate::error::OAuthError::invalid_request("account has no e-ID level").into_response();
    };
    let grant = CodeGrant {
        client_id: req.client.id.clone(),
        account_id: account.id.clone(),
        redirect_uri: req.redirect_uri.clone(),
        scope: req.scopes_to_grant(consent_shown).join(" "),
        nonce: req.nonce.clone(),
        code_challenge: req.code_challenge.clone(),
        acr: acr.to_string(),
        amr: session.amr.join(" "),
        auth_time: session.auth_time_ms,
    };
    let code = match grants::issue_code(&p.db, &grant, now).await {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    if let Some(h) = &req.par_hash {
        if let Err(e) = request::spend_pushed(p, h, now).await {
            return e.into_response();
        }
    }
    let sep = if req.redirect_uri.contains('?') { '&' } else { '?' };
    let mut url = format!("{}{sep}code={}&iss={}", req.redirect_uri, urlencode(&code), urlencode(&p.issuer));
    if let Some(s) = &req.state {
        url.push_str(&format!("&state={}", urlencode(s)));
    }
    Redirect::to(&url).into_response()
}
