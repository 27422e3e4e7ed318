//! Proof Key for Code Exchange (RFC 7636), S256 only: `plain` gives no protection against a stolen
//! code and is refused.

use base64::Engine;
use sha2::{Digest, Sha256};

/// Checks the shape of a `code_challenge` (base64url of a SHA-256: 43 characters).
pub fn valid_challenge(challenge: &str) -> bool {
    challenge.len() == 43 && challenge.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// True when `verifier` hashes to `challenge`. The verifier must be 43–128 unreserved characters.
pub fn verify(verifier: &str, challenge: &str) -> bool {
    let ok_shape = (43..=128).contains(&verifier.len())
        && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    ok_shape && kernel::secret::ct_eq(challenge_of(verifier), challenge)
}

/// The S256 challenge of a verifier.
pub fn challenge_of(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert_eq!(challenge_of(verifier), challenge);
        assert!(verify(verifier, challenge));
        assert!(valid_challenge(challenge));
        assert!(!verify("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXX", challenge));
        assert!(!verify("short", &challenge_of("short")));
    }
}
