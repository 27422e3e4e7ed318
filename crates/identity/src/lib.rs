//! Accounts and how they prove who they are: officer and administrator accounts with a role and a
//! jurisdiction, argon2id passwords hashed on a bounded worker pool, server-side sessions behind
//! `__Host-` cookies, and revocable personal API tokens stored only as hashes.

mod accounts;
mod authenticator;
mod password;
mod routes;
mod secrets;
mod sessions;
mod tokens;

pub use accounts::{create_account, find_by_login, Account, NewAccount};
pub use authenticator::DbAuthenticator;
pub use password::PasswordHasher;
pub use routes::{router, ApiDoc};
pub use sessions::{create_session, revoke_session};
pub use tokens::{issue_token, revoke_token};

/// Migrations of the identity tables.
pub const MIGRATIONS: &[db::Migration] = db::migrations!("identity", [(1, "accounts")]);
