//! Pages.
pub fn router(_s: crate::Service) -> axum::Router {
    axum::Router::new()
}
