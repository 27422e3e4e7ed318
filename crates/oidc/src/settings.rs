//! The `[oidc]` section of the configuration.

use serde::{Deserialize, Serialize};

/// Token requests per client and minute by default: far above what one relying party's users
/// need, low enough that a client stuck in a loop cannot take the endpoint for itself.
pub const DEFAULT_TOKEN_RATE_PER_MINUTE: u32 = 6_000;

/// Settings of the OpenID Connect provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OidcSettings {
    /// Token requests allowed per authenticated client and minute (at least 1).
    pub token_rate_per_minute: u32,
}

impl Default for OidcSettings {
    fn default() -> Self {
        OidcSettings { token_rate_per_minute: DEFAULT_TOKEN_RATE_PER_MINUTE }
    }
}
