//! The identity crate's HTTP glue: resolving a request's session cookie or bearer token into the
//! caller (`web::Authenticator`).

mod authenticator;

pub use authenticator::DbAuthenticator;
