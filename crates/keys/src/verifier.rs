//! Checking compact JWS tokens against public keys only — what a relying party or an offline
//! verifier device does with the published JWKS.

use std::collections::HashMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::KeyError;

/// What a token must satisfy besides its signature.
#[derive(Debug, Clone)]
pub struct Expect {
    issuer: Option<String>,
    audience: Option<String>,
    leeway_secs: u64,
    require_exp: bool,
}

impl Default for Expect {
    /// An `exp` claim is required and checked with 5 seconds of clock leeway; `iss` and `aud` are
    /// not checked (an `aud` in the token is then rejected, as RFC 7519 asks).
    fn default() -> Self {
        Expect { issuer: None, audience: None, leeway_secs: 5, require_exp: true }
    }
}

impl Expect {
    pub fn new() -> Self {
        Self::default()
    }

    /// Requires this `iss`.
    pub fn issuer(mut self, iss: impl Into<String>) -> Self {
        self.issuer = Some(iss.into());
        self
    }

    /// Requires this value in `aud`.
    pub fn audience(mut self, aud: impl Into<String>) -> Self {
        self.audience = Some(aud.into());
        self
    }

    /// Clock leeway for `exp` and `nbf`.
    pub fn leeway(mut self, secs: u64) -> Self {
        self.leeway_secs = secs;
        self
    }

    /// Accepts tokens without `exp` (signed receipts meant to be kept); an `exp` present is still
    /// checked.
    pub fn without_required_exp(mut self) -> Self {
        self.require_exp = false;
        self
    }

    fn validation(&self, alg: Algorithm) -> Validation {
        let mut v = Validation::new(alg);
        v.leeway = self.leeway_secs;
        v.validate_nbf = true;
        if !self.require_exp {
            v.required_spec_claims.clear();
        }
        match &self.issuer {
            Some(iss) => {
                v.set_issuer(&[iss]);
                v.required_spec_claims.insert("iss".into());
            }
            None => v.iss = None,
        }
        match &self.audience {
            Some(aud) => v.set_audience(&[aud]),
            None => v.validate_aud = false,
        }
        v
    }
}

/// Algorithms a verifier accepts: what dancu signs with, plus the RSA and P-384 signatures that
/// clients use for `private_key_jwt`. Never `none`, never HMAC (a shared secret is not a public key).
const ACCEPTED: [Algorithm; 6] =
    [Algorithm::ES256, Algorithm::EdDSA, Algorithm::ES384, Algorithm::RS256, Algorithm::PS256, Algorithm::RS512];

struct VerifyKey {
    alg: Algorithm,
    key: DecodingKey,
}

/// Verifies tokens with public keys only. Built from a JWKS document (`{"keys": [...]}`), so a
/// device that downloaded the platform's `/.well-known/jwks.json` checks tokens without a
/// connection; the [`crate::KeyRing`] uses the same code on its own keys.
#[derive(Default)]
pub struct JwksVerifier {
    keys: HashMap<String, VerifyKey>,
}

impl JwksVerifier {
    /// Reads a JWKS. Keys without `kid` are an error; keys for algorithms outside the accepted set
    /// (encryption keys, HMAC secrets, unknown curves) are skipped, so a mixed JWKS still loads.
    pub fn from_jwks(jwks: &Value) -> Result<JwksVerifier, KeyError> {
        crate::ring::install_backend();
        let list =
            jwks.get("keys").and_then(Value::as_array).ok_or(KeyError::KeyMaterial("JWKS has no keys".into()))?;
        let mut out = JwksVerifier::default();
        for entry in list {
            let jwk: Jwk = serde_json::from_value(entry.clone())
                .map_err(|e| KeyError::KeyMaterial(format!("invalid JWK: {e}")))?;
            let kid = jwk.common.key_id.clone().ok_or(KeyError::KeyMaterial("JWK without kid".into()))?;
            let Some(alg) = alg_of(entry) else { continue };
            out.insert(kid, alg, &jwk)?;
        }
        Ok(out)
    }

    pub(crate) fn insert(&mut self, kid: String, alg: Algorithm, jwk: &Jwk) -> Result<(), KeyError> {
        let key = DecodingKey::from_jwk(jwk).map_err(|e| KeyError::KeyMaterial(format!("JWK {kid}: {e}")))?;
        self.keys.insert(kid, VerifyKey { alg, key });
        Ok(())
    }

    /// The key ids this verifier knows.
    pub fn kids(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }

    /// Verifies a compact JWS and returns its claims. Rejects, in this order: a token that is not
    /// three base64url parts; any `alg` outside the accepted set (`none`, HMAC…); a
    /// `kid` this verifier does not know; an `alg` different from the key's; a bad signature; then
    /// the time, issuer and audience checks of `expect`.
    pub fn verify<T: DeserializeOwned>(&self, token: &str, expect: &Expect) -> Result<T, KeyError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| header_error(token))?;
        let alg = header.alg;
        if !ACCEPTED.contains(&alg) {
            return Err(KeyError::AlgorithmRejected(format!("{alg:?}")));
        }
        let kid = header.kid.unwrap_or_default();
        let key = self.keys.get(&kid).ok_or(KeyError::UnknownKey(kid))?;
        if key.alg != alg {
            return Err(KeyError::WrongAlgorithm);
        }
        jsonwebtoken::decode::<T>(token, &key.key, &expect.validation(alg)).map(|d| d.claims).map_err(map_error)
    }
}

/// The algorithm a JWK is for: its `alg`, else what its key type implies (RS256 for RSA keys).
fn alg_of(jwk: &Value) -> Option<Algorithm> {
    let alg = match jwk.get("alg").and_then(Value::as_str) {
        Some(alg) => alg.parse().ok()?,
        None => match (jwk.get("kty").and_then(Value::as_str), jwk.get("crv").and_then(Value::as_str)) {
            (Some("EC"), Some("P-256")) => Algorithm::ES256,
            (Some("EC"), Some("P-384")) => Algorithm::ES384,
            (Some("OKP"), Some("Ed25519")) => Algorithm::EdDSA,
            (Some("RSA"), _) => Algorithm::RS256,
            _ => return None,
        },
    };
    ACCEPTED.contains(&alg).then_some(alg)
}

/// Explains a header the JOSE library could not read: an `alg` it does not know (`none`) is
/// reported as such, anything else as malformed.
fn header_error(token: &str) -> KeyError {
    let alg = token
        .split('.')
        .next()
        .and_then(|h| URL_SAFE_NO_PAD.decode(h).ok())
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .and_then(|h| h.get("alg").and_then(Value::as_str).map(str::to_owned));
    match alg {
        Some(alg) if token.split('.').count() == 3 => KeyError::AlgorithmRejected(alg),
        _ => KeyError::Malformed,
    }
}

fn map_error(e: jsonwebtoken::errors::Error) -> KeyError {
    match e.kind() {
        ErrorKind::InvalidSignature | ErrorKind::InvalidEcdsaKey | ErrorKind::InvalidEddsaKey => KeyError::BadSignature,
        ErrorKind::ExpiredSignature => KeyError::Expired,
        ErrorKind::ImmatureSignature => KeyError::NotYetValid,
        ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => KeyError::WrongAlgorithm,
        ErrorKind::InvalidIssuer => KeyError::Claims("iss".into()),
        ErrorKind::InvalidAudience => KeyError::Claims("aud".into()),
        ErrorKind::InvalidSubject => KeyError::Claims("sub".into()),
        ErrorKind::MissingRequiredClaim(c) => KeyError::Claims(format!("missing {c}")),
        ErrorKind::InvalidClaimFormat(c) => KeyError::Claims(format!("invalid {c}")),
        ErrorKind::Json(_) => KeyError::Claims("payload does not match the expected claims".into()),
        _ => KeyError::Malformed,
    }
}
