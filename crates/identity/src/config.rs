//! Settings of the identity pages: the public address (WebAuthn relying party, links in messages),
//! whether to trust a reverse proxy's `X-Forwarded-For`, and the rate limits.

use std::time::Duration;

/// One rate limit: at most `max` events per `window` and key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: u32,
    pub window: Duration,
}

impl Limit {
    pub const fn per_minute(max: u32) -> Limit {
        Limit { max, window: Duration::from_secs(60) }
    }

    pub const fn per_hour(max: u32) -> Limit {
        Limit { max, window: Duration::from_secs(3600) }
    }
}

/// Rate limits per client IP and per account (or phone number).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Sign-in attempts (password or second factor) per IP.
    pub sign_in_per_ip: Limit,
    /// Sign-in attempts per login name, on top of the progressive lockout.
    pub sign_in_per_account: Limit,
    /// Registration and identity checks per IP (each one probes the registry).
    pub register_per_ip: Limit,
    /// One-time codes sent per phone number.
    pub otp_per_phone: Limit,
    /// Forgotten-password requests per IP (each one probes an account and may send a code).
    pub password_reset_per_ip: Limit,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            sign_in_per_ip: Limit::per_minute(30),
            sign_in_per_account: Limit::per_minute(10),
            register_per_ip: Limit::per_hour(20),
            otp_per_phone: Limit::per_hour(5),
            password_reset_per_ip: Limit::per_hour(10),
        }
    }
}

/// Identity settings.
#[derive(Debug, Clone)]
pub struct IdentityConfig {
    /// The address citizens reach the server at (`DANCU_PUBLIC_URL`, default
    /// `http://localhost:8080`): the WebAuthn origin and the base of links sent by SMS or e-mail.
    pub public_url: String,
    /// Take the client IP from `X-Forwarded-For` (`DANCU_TRUST_PROXY=1`); only behind a proxy that
    /// sets it, or clients could pick their own rate-limit key.
    pub trust_proxy: bool,
    pub limits: RateLimits,
}

impl IdentityConfig {
    /// Reads `DANCU_PUBLIC_URL` and `DANCU_TRUST_PROXY`.
    pub fn from_env() -> IdentityConfig {
        IdentityConfig {
            public_url: std::env::var("DANCU_PUBLIC_URL")
                .ok()
                .filter(|u| !u.is_empty())
                .unwrap_or_else(|| "http://localhost:8080".to_string())
                .trim_end_matches('/')
                .to_string(),
            trust_proxy: matches!(std::env::var("DANCU_TRUST_PROXY").as_deref(), Ok("1") | Ok("true")),
            limits: RateLimits::default(),
        }
    }
}
