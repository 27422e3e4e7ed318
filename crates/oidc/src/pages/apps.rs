//! The citizen's "Connected services" page: remembered consents, and withdrawing them.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use web::auth::PageUser;
use web::{Chrome, Lang, PageError, Role};

use crate::provider::Provider;
use crate::{consents, scopes};

struct Row {
    client_id: String,
    name: String,
    items: Vec<String>,
    granted: String,
}

#[derive(Template)]
#[template(path = "oidc_apps.html")]
struct AppsPage {
    chrome: Chrome,
    consents: Vec<Row>,
    notice: Option<String>,
}

/// `?withdrawn=1` after a withdrawal.
#[derive(Deserialize)]
pub struct Notice {
    withdrawn: Option<String>,
}

fn citizen_only(user: &web::CurrentUser, lang: Lang) -> Result<(), PageError> {
    user.require(&[Role::Citizen]).map_err(|e| PageError::new(e, lang))
}

/// `GET /account/apps`
pub async fn list(
    State(p): State<Provider>,
    lang: Lang,
    PageUser(user): PageUser,
    Query(n): Query<Notice>,
) -> Result<Response, PageError> {
    citizen_only(&user, lang)?;
    let rows = consents::list(&p.db, &user.account_id).await.map_err(|e| PageError::new(e, lang))?;
    let consents = rows
        .into_iter()
        .map(|c| Row {
            items: c.scopes.iter().filter_map(|s| scopes::find(s)).map(|d| lang.pick(d.vi, d.en).to_string()).collect(),
            granted: kernel::clock::format_ms_vn(c.granted_at),
            client_id: c.client_id,
            name: c.client_name,
        })
        .collect();
    let notice = n
        .withdrawn
        .map(|_| lang.pick("Đã thu hồi quyền của dịch vụ.", "The service's access has been withdrawn.").to_string());
    let page = AppsPage {
        chrome: Chrome::new(lang, ("Ứng dụng đã kết nối", "Connected services"), Some(&user), "/account/apps"),
        consents,
        notice,
    };
    Ok(web::layout::render(&page, lang))
}

/// The withdraw form.
/// `POST /account/apps/{client_id}/revoke`
pub async fn withdraw(
    State(p): State<Provider>,
    lang: Lang,
    PageUser(user): PageUser,
    Path(client_id): Path<String>,
) -> Result<Response, PageError> {
    citizen_only(&user, lang)?;
    let found = consents::withdraw(&p.db, &user.account_id, &client_id, kernel::clock::now_ms())
        .await
        .map_err(|e| PageError::new(e, lang))?;
    if !found {
        return Err(PageError::new(kernel::AppError::new(kernel::ErrorCode::NotFound, "no such consent"), lang));
    }
    Ok(Redirect::to("/account/apps?withdrawn=1").into_response())
}
