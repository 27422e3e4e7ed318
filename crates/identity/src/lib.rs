//! Accounts and how they prove who they are.
//!
//! - Accounts: officers and administrators (role + jurisdiction), citizens with an e-ID level
//!   (1: self-registered against the population registry with a confirmed phone; 2: card checked
//!   in person by the police or chip data verified), organization staff invited by their
//!   organization. States: active, locked by the citizen, suspended by an administrator, deceased.
//! - Authentication: argon2id passwords on a bounded worker pool, TOTP with recovery codes,
//!   WebAuthn passkeys, per-IP and per-account rate limits, progressive lockout, generic errors.
//! - Sessions: server-side, behind `__Host-` cookies, listed and revocable by their owner; personal
//!   API tokens stored only as hashes; the [`DbAuthenticator`] behind every request.

pub mod access_history;
mod accounts;
#[allow(clippy::disallowed_methods, reason = "handlers read the clock and pass it to the domain")]
pub mod api;
mod challenges;
mod config;
pub mod invitations;
pub mod levels;
pub mod liveness;
pub mod organizations;
pub mod otp;
#[allow(clippy::disallowed_methods, reason = "handlers read the clock and pass it to the domain")]
pub mod pages;
pub mod passkeys;
mod password;
pub mod password_reset;
mod ratelimit;
pub mod registration;
pub mod sealing;
pub mod secrets;
pub mod security_events;
pub mod self_lock;
mod sessions;
pub mod signin;
pub mod sms;
pub mod stats;
pub mod suspension;
mod tokens;
pub mod totp;

pub use accounts::{
    account_by_id, account_by_person, account_holders, accounts_by_ids, create_account, find_by_login, search_accounts,
    Account, AccountStatus, NewAccount,
};
pub use api::DbAuthenticator;
pub use config::{IdentityConfig, IdentitySettings, Limit, RateLimits};
pub use levels::raise_level_by_chip;
pub use pages::{router, ApiDoc};
pub use password::{check_new_pair, check_new_password, NewPasswordProblem, PasswordHasher};
pub use ratelimit::RateLimiter;
pub use sessions::{
    create_session, list_sessions, revoke_other_sessions, revoke_session, revoke_session_by_id, session_info,
    SessionInfo, SessionView,
};
pub use tokens::{issue_token, revoke_token};

/// Migrations of the identity tables.
pub const MIGRATIONS: &[db::Migration] =
    db::migrations!("identity", [(1, "accounts"), (2, "citizens"), (3, "account_security"), (4, "passkeys")]);
