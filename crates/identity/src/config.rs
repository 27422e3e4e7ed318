//! Settings of the identity pages: the public address (WebAuthn relying party, links in messages),
//! whether to trust a reverse proxy's `X-Forwarded-For`, and the rate limits.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// One rate limit: at most `max` events per `window` and key. Written in configuration as
/// `{ max = 30, per_seconds = 60 }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "LimitRepr", into = "LimitRepr")]
pub struct Limit {
    pub max: u32,
    pub window: Duration,
}

/// How a [`Limit`] is written in configuration files: whole seconds read better than a duration.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitRepr {
    max: u32,
    per_seconds: u64,
}

impl From<LimitRepr> for Limit {
    fn from(r: LimitRepr) -> Limit {
        Limit { max: r.max, window: Duration::from_secs(r.per_seconds) }
    }
}

impl From<Limit> for LimitRepr {
    fn from(l: Limit) -> LimitRepr {
        LimitRepr { max: l.max, per_seconds: l.window.as_secs() }
    }
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
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

impl RateLimits {
    /// The limits that do not allow a single event (`max` or window 0), named as in configuration.
    pub fn invalid(&self) -> Vec<&'static str> {
        [
            ("sign_in_per_ip", self.sign_in_per_ip),
            ("sign_in_per_account", self.sign_in_per_account),
            ("register_per_ip", self.register_per_ip),
            ("otp_per_phone", self.otp_per_phone),
            ("password_reset_per_ip", self.password_reset_per_ip),
        ]
        .into_iter()
        .filter(|(_, l)| l.max == 0 || l.window.is_zero())
        .map(|(name, _)| name)
        .collect()
    }
}

/// The `[identity]` section of the configuration file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IdentitySettings {
    pub limits: RateLimits,
}

/// What the identity pages run with: the platform's public address and proxy trust (settings of
/// the whole server) and this crate's own section.
#[derive(Debug, Clone)]
pub struct IdentityConfig {
    /// The address citizens reach the server at: the WebAuthn origin and the base of links sent
    /// by SMS or e-mail.
    pub public_url: String,
    /// Take the client IP from `X-Forwarded-For`; only behind a proxy that sets it, or clients
    /// could pick their own rate-limit key.
    pub trust_proxy: bool,
    pub limits: RateLimits,
}

impl IdentityConfig {
    pub fn new(public_url: &str, trust_proxy: bool, settings: &IdentitySettings) -> IdentityConfig {
        IdentityConfig {
            public_url: public_url.trim_end_matches('/').to_string(),
            trust_proxy,
            limits: settings.limits,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_read_from_toml_with_defaults_for_the_rest() {
        let s: IdentitySettings = toml::from_str("[limits]\nsign_in_per_ip = { max = 3, per_seconds = 10 }").unwrap();
        assert_eq!(s.limits.sign_in_per_ip, Limit { max: 3, window: Duration::from_secs(10) });
        assert_eq!(s.limits.otp_per_phone, RateLimits::default().otp_per_phone);
        assert!(s.limits.invalid().is_empty());
    }

    #[test]
    fn zero_limits_and_unknown_keys_are_refused() {
        let s: IdentitySettings = toml::from_str("[limits]\notp_per_phone = { max = 0, per_seconds = 60 }").unwrap();
        assert_eq!(s.limits.invalid(), vec!["otp_per_phone"]);
        assert!(toml::from_str::<IdentitySettings>("[limits]\nsign_in = { max = 1, per_seconds = 1 }").is_err());
        assert!(toml::from_str::<IdentitySettings>("[limits]\notp_per_phone = { max = 1, per_hour = 1 }").is_err());
    }
}
