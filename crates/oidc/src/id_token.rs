//! ID tokens: who signed in, when, how (`acr`, `amr`), for which client, signed with the
//! provider's current key.

use base64::Engine;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// How long an ID token is valid.
pub const ID_TOKEN_TTL_S: i64 = 300;

/// The claims of an ID token.
#[derive(Debug, Serialize)]
pub struct IdTokenClaims<'a> {
    pub iss: &'a str,
    pub sub: &'a str,
    pub aud: &'a str,
    pub azp: &'a str,
    pub iat: i64,
    pub exp: i64,
    /// Seconds since the epoch.
    pub auth_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<&'a str>,
    pub acr: &'a str,
    pub amr: Vec<&'a str>,
    pub at_hash: String,
}

/// `at_hash`: the left half of the SHA-256 of the access token (ES256 uses SHA-256), base64url.
pub fn at_hash(access_token: &str) -> String {
    let d = Sha256::digest(access_token.as_bytes());
    let (left, _) = d.split_at(d.len() / 2);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(left)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_hash_is_left_half_of_sha256() {
        // OpenID Connect Core example: access token "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y",
        // at_hash for a SHA-256 based algorithm is "77QmUPtjPfzWtF2AnpK9RQ".
        assert_eq!(at_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"), "77QmUPtjPfzWtF2AnpK9RQ");
    }
}
