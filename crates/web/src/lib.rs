//! HTTP assembly shared by every business crate: the request context, authentication extractors
//! with role and jurisdiction guards, the error → response mapping, the Vietnamese/English layout,
//! Prometheus metrics, request tracing and the OpenAPI document.
//!
//! `web` knows nothing about accounts or persons: the `identity` crate plugs in an
//! [`auth::Authenticator`], business crates hand in their routers.

pub mod app;
pub mod assets;
pub mod auth;
pub mod csrf;
pub mod error;
pub mod error_page;
pub mod extract;
pub mod health;
pub mod home;
pub mod idempotency;
pub mod input;
pub mod lang;
pub mod layout;
pub mod menu;
pub mod metrics;
pub mod openapi;
pub mod request_head;
pub mod security;
pub mod serve;
pub mod trace;

pub use app::{assemble, Ctx, Exposure};
pub use auth::{Authenticator, CurrentUser, Jurisdiction, PageUser, Role};
pub use error::{ApiError, ApiResult, PageError};
pub use extract::{ApiJson, ApiPath, ApiQuery};
pub use lang::Lang;
pub use layout::Chrome;
pub use serve::{serve, ServeSettings};
