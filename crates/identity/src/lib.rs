//! Accounts and how they prove who they are.
//!
//! - Accounts: officers and administrators (role + jurisdiction), citizens with an e-ID level
//!   (1: self-registered against the population registry with a confirmed phone; 2: card checked
//!   in person by the police or chip data verified), organization staff invited by their
//!   organization. States: active, locked by the citizen, suspended by an administrator, deceased.
//! - Authentication: argon2id passwords on a bounded worker pool, TOTP with recovery codes,
//!   per-IP and per-account rate limits, progressive lockout, generic errors.
//! - Sessions: server-side, behind `__Host-` cookies, listed and revocable by their owner; personal
//!   API tokens stored only as hashes; the [`DbAuthenticator`] behind every request.

mod accounts;
mod authenticator;
pub mod liveness;
pub mod organizations;
mod password;
mod challenges;
mod config;
mod otp;
mod pages;
mod ratelimit;
pub mod sms;
mod totp;
pub mod secrets;
mod sessions;
mod tokens;

pub use accounts::{account_by_id, account_by_person, create_account, find_by_login, Account, AccountStatus, NewAccount};
pub use authenticator::DbAuthenticator;
pub use password::{check_new_password, PasswordHasher};
pub use config::{IdentityConfig, Limit, RateLimits};
pub use pages::{router, ApiDoc};
pub use sessions::{
    create_session, list_sessions, revoke_other_sessions, revoke_session, revoke_session_by_id, session_info,
    SessionInfo, SessionView,
};
pub use tokens::{issue_token, revoke_token};

/// Migrations of the identity tables.
pub const MIGRATIONS: &[db::Migration] = db::migrations!("identity", [(1, "accounts"), (2, "citizens")]);
