//! A guest's lodging history: the citizen's own, and the police search with a purpose.

use axum::extract::State;
use axum::Json;
use kernel::{AppError, Page, PageRequest};
use serde::Deserialize;
use utoipa::IntoParams;
use web::{ApiQuery, ApiResult, CurrentUser};

use crate::access::{allow, log_read, Read, POLICE};
use crate::history::{self, Subject};
use crate::stays::Stay;
use crate::Service;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct PageParams {
    #[param(minimum = 1, maximum = 2147483647)]
    pub(super) page: Option<u32>,
    #[param(minimum = 1, maximum = 200)]
    pub(super) size: Option<u32>,
}

/// The signed-in citizen's own stays (every facility, newest first).
#[utoipa::path(get, operation_id = "lodging.history.mine", path = "/api/v1/me/lodging", tag = "lodging", params(PageParams),
    responses((status = 200, body = inline(Page<Stay>)), (status = 403, description = "forbidden")))]
pub(super) async fn mine(
    State(s): State<Service>,
    user: CurrentUser,
    ApiQuery(p): ApiQuery<PageParams>,
) -> ApiResult<Json<Page<Stay>>> {
    Ok(Json(own(&s, &user, PageRequest::new(p.page, p.size)?).await?))
}

/// The citizen's own stays (also used by the history page).
pub async fn own(s: &Service, user: &CurrentUser, page: PageRequest) -> Result<Page<Stay>, AppError> {
    let id = crate::access::citizen(user)?;
    history::stays(&s.stores.db, &Subject::Citizen(id.to_string()), None, page, kernel::clock::now_ms()).await
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct SearchParams {
    personal_id: Option<String>,
    passport_number: Option<String>,
    nationality: Option<String>,
    /// Purpose of the read (`investigation`, `lodging`, …), written to the access log.
    purpose: String,
    #[param(minimum = 1, maximum = 2147483647)]
    page: Option<u32>,
    #[param(minimum = 1, maximum = 200)]
    size: Option<u32>,
}

/// A person's stays at facilities of the officer's area, newest first. The purpose is required
/// and the read is written to the person's access log.
#[utoipa::path(get, operation_id = "lodging.history.search", path = "/api/v1/lodging/history", tag = "lodging", params(SearchParams),
    responses((status = 200, body = inline(Page<Stay>)), (status = 400, description = "invalid_input: purpose"),
              (status = 403, description = "forbidden")))]
pub(super) async fn search(
    State(s): State<Service>,
    user: CurrentUser,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> ApiResult<Json<Page<Stay>>> {
    allow(&user, POLICE)?;
    if audit::Purpose::find(&p.purpose).is_none() {
        return Err(AppError::invalid("purpose must be one of the access-log purposes").into());
    }
    let subject = Subject::parse(p.personal_id.as_deref(), p.passport_number.as_deref(), p.nationality.as_deref())?;
    let page = PageRequest::new(p.page, p.size)?;
    let found = history::stays(&s.stores.db, &subject, Some(&user.jurisdiction), page, kernel::clock::now_ms()).await?;
    let read = Read { action: "lodging.history.read", purpose: &p.purpose, released: "stays", channel: "api" };
    log_read(&s, &user, subject.key(), &read, kernel::clock::now_ms()).await?;
    Ok(Json(found))
}
