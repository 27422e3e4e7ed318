//! The provider's HTTP glue that is not a page: client-credentials access tokens resolved into the
//! caller of any API (`web::Authenticator`).

mod authenticator;

pub use authenticator::OAuthAuthenticator;
