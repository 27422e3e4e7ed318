//! Client registration by administrators.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use kernel::ErrorCode;
use serde::Deserialize;
use web::auth::PageUser;
use web::{Chrome, CurrentUser, Lang, PageError, Role};

use crate::clients::{self, Client, NewClient, AUTH_METHODS};
use crate::provider::Provider;
use crate::scopes;

#[derive(Template)]
#[template(path = "oidc_clients.html")]
struct ClientsPage {
    chrome: Chrome,
    clients: Vec<Client>,
    methods: &'static [&'static str],
    created: Option<(String, Option<String>)>,
    error: Option<String>,
}

fn admin_only(user: &CurrentUser, lang: Lang) -> Result<(), PageError> {
    user.require(&[Role::Admin]).map_err(|e| PageError::new(e, lang))
}

async fn page(
    p: &Provider,
    lang: Lang,
    user: &CurrentUser,
    created: Option<(String, Option<String>)>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let list = clients::list(&p.db).await.map_err(|e| PageError::new(e, lang))?;
    let page = ClientsPage {
        chrome: Chrome::new(lang, ("Ứng dụng kết nối", "Connected applications"), Some(user), "/admin/clients"),
        clients: list,
        methods: AUTH_METHODS,
        created,
        error,
    };
    let mut resp = web::layout::render(&page, lang);
    if page.error.is_some() {
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(resp)
}

/// `GET /admin/clients`
pub async fn list(State(p): State<Provider>, lang: Lang, PageUser(user): PageUser) -> Result<Response, PageError> {
    admin_only(&user, lang)?;
    page(&p, lang, &user, None, None).await
}

/// The registration form.
#[derive(Deserialize)]
pub struct RegisterForm {
    name: String,
    redirect_uris: String,
    post_logout_redirect_uris: String,
    scopes: String,
    grant_types: String,
    auth_method: String,
    min_level: u8,
    sector: String,
    organization_id: String,
    jwks: String,
    logo_url: String,
}

fn lines(s: &str) -> Vec<String> {
    s.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

fn non_empty(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

impl RegisterForm {
    fn to_new(&self) -> NewClient {
        NewClient {
            name: self.name.clone(),
            auth_method: self.auth_method.clone(),
            jwks: non_empty(&self.jwks),
            redirect_uris: lines(&self.redirect_uris),
            post_logout_redirect_uris: lines(&self.post_logout_redirect_uris),
            allowed_scopes: scopes::split(&self.scopes),
            grant_types: scopes::split(&self.grant_types),
            min_level: self.min_level,
            sector: non_empty(&self.sector),
            subject_type: None,
            organization_id: non_empty(&self.organization_id),
            logo_url: non_empty(&self.logo_url),
        }
    }
}

/// `POST /admin/clients`: registers and shows the secret once; invalid input re-shows the page with
/// the error and registers nothing.
pub async fn register(
    State(p): State<Provider>,
    lang: Lang,
    PageUser(user): PageUser,
    Form(f): Form<RegisterForm>,
) -> Result<Response, PageError> {
    admin_only(&user, lang)?;
    match clients::register(&p.db, f.to_new(), kernel::clock::now_ms()).await {
        Ok((c, secret)) => page(&p, lang, &user, Some((c.id, secret)), None).await,
        Err(e) if e.code == ErrorCode::InvalidInput => page(&p, lang, &user, None, Some(e.detail)).await,
        Err(e) => Err(PageError::new(e, lang)),
    }
}

/// A form with only the CSRF token.
/// `POST /admin/clients/{id}/disable`
pub async fn disable(
    State(p): State<Provider>,
    lang: Lang,
    PageUser(user): PageUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    admin_only(&user, lang)?;
    clients::disable(&p.db, &id, kernel::clock::now_ms()).await.map_err(|e| PageError::new(e, lang))?;
    p.clients.forget(&id);
    page(&p, lang, &user, None, None).await
}

/// `POST /admin/clients/{id}/secret`
pub async fn rotate_secret(
    State(p): State<Provider>,
    lang: Lang,
    PageUser(user): PageUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    admin_only(&user, lang)?;
    let secret = clients::rotate_secret(&p.db, &id).await.map_err(|e| PageError::new(e, lang))?;
    p.clients.forget(&id);
    page(&p, lang, &user, Some((id, Some(secret))), None).await
}
