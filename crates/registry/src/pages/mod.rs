//! The registry's HTML pages for officers: search, person, household, data quality.

mod labels;
mod person;
mod quality;
mod search;

use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use web::Ctx;

use crate::access::CaseFiles;
use crate::api::Registry;

/// HTML routes of the registry; `cases` answers whether a desk officer's application names a
/// person.
pub fn router(ctx: Ctx, cases: Arc<dyn CaseFiles>) -> Router {
    Router::new()
        .route("/persons", get(search::page))
        .route("/persons/{id}", get(person::page))
        .route("/households/{id}", get(person::household_page))
        .route("/quality", get(quality::page))
        .route("/quality/{rule}", get(quality::findings_page))
        .with_state(Registry { ctx, cases })
}

/// Link to another page of a paged list, keeping the other query parameters.
pub(crate) fn page_href(path: &str, params: &[(&str, String)], page: u32) -> String {
    let mut q: Vec<String> =
        params.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| format!("{k}={}", web::auth::urlencode(v))).collect();
    q.push(format!("page={page}"));
    format!("{path}?{}", q.join("&"))
}
