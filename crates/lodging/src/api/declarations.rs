//! Citizens' self-declared stays at private homes, and the police list of their area.

use axum::extract::State;
use axum::Json;
use kernel::{AppError, Page, PageRequest};
use web::{ApiJson, ApiQuery, ApiResult, CurrentUser};

use super::history::PageParams;
use crate::access::{allow, log_reads, Read, POLICE};
use crate::declarations::{self, Declaration, NewDeclaration, Whose};
use crate::Service;

/// The signed-in citizen declares a stay at a private home; the police of the host's commune
/// receive it with the legal deadline.
#[utoipa::path(post, operation_id = "lodging.declarations.declare", path = "/api/v1/me/lodging/declarations", tag = "lodging", request_body = NewDeclaration,
    responses((status = 200, body = Declaration), (status = 400, description = "invalid_input, unknown_commune"),
              (status = 403, description = "forbidden: citizens only")))]
pub(super) async fn declare(
    State(s): State<Service>,
    user: CurrentUser,
    ApiJson(body): ApiJson<NewDeclaration>,
) -> ApiResult<Json<Declaration>> {
    let id = crate::access::citizen(&user)?;
    Ok(Json(declarations::declare(&s, id, body, kernel::clock::now_ms()).await?))
}

/// The signed-in citizen's own declarations.
#[utoipa::path(get, operation_id = "lodging.declarations.mine", path = "/api/v1/me/lodging/declarations", tag = "lodging", params(PageParams),
    responses((status = 200, body = inline(Page<Declaration>)), (status = 403, description = "forbidden")))]
pub(super) async fn mine(
    State(s): State<Service>,
    user: CurrentUser,
    ApiQuery(p): ApiQuery<PageParams>,
) -> ApiResult<Json<Page<Declaration>>> {
    let id = crate::access::citizen(&user)?;
    Ok(Json(declarations::list(&s.stores.db, Whose::Citizen(id), p.request()?).await?))
}

/// Declarations for the officer's commune or province; each listed person's access log records it.
#[utoipa::path(get, operation_id = "lodging.declarations.list", path = "/api/v1/lodging/declarations", tag = "lodging", params(PageParams),
    responses((status = 200, body = inline(Page<Declaration>)), (status = 403, description = "forbidden")))]
pub(super) async fn list(
    State(s): State<Service>,
    user: CurrentUser,
    ApiQuery(p): ApiQuery<PageParams>,
) -> ApiResult<Json<Page<Declaration>>> {
    allow(&user, POLICE)?;
    let found = declarations::list(&s.stores.db, Whose::Police(&user.jurisdiction), p.request()?).await?;
    let read = Read { action: "lodging.declaration.read", purpose: "lodging", released: "declaration", channel: "api" };
    let subjects = found.items.iter().map(|d| d.personal_id.clone()).collect();
    log_reads(&s, &user, subjects, &read, kernel::clock::now_ms()).await?;
    Ok(Json(found))
}

impl PageParams {
    fn request(&self) -> Result<PageRequest, AppError> {
        PageRequest::new(self.page, self.size)
    }
}
