//! The signature algorithms the platform issues, with key generation and public JWKs.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, Ed25519KeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::Algorithm;
use serde_json::{json, Value};

use crate::error::KeyError;

/// A JWS algorithm dancu signs with. ES256 (ECDSA P-256 with SHA-256) is the default because every
/// OpenID Connect library supports it; EdDSA (Ed25519) gives smaller, faster signatures for clients
/// that accept it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyAlg {
    #[default]
    Es256,
    EdDsa,
}

impl KeyAlg {
    /// The JOSE `alg` value.
    pub fn code(self) -> &'static str {
        match self {
            KeyAlg::Es256 => "ES256",
            KeyAlg::EdDsa => "EdDSA",
        }
    }

    pub fn parse(s: &str) -> Option<KeyAlg> {
        match s {
            "ES256" => Some(KeyAlg::Es256),
            "EdDSA" => Some(KeyAlg::EdDsa),
            _ => None,
        }
    }

    pub(crate) fn jose(self) -> Algorithm {
        match self {
            KeyAlg::Es256 => Algorithm::ES256,
            KeyAlg::EdDsa => Algorithm::EdDSA,
        }
    }

    /// Generates a new private key as PKCS#8 DER.
    pub(crate) fn generate_pkcs8(self) -> Result<Vec<u8>, KeyError> {
        let rng = SystemRandom::new();
        let doc = match self {
            KeyAlg::Es256 => EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng),
            KeyAlg::EdDsa => Ed25519KeyPair::generate_pkcs8(&rng),
        }
        .map_err(|_| KeyError::KeyMaterial("key generation failed".into()))?;
        Ok(doc.as_ref().to_vec())
    }

    /// The public JWK (RFC 7517/8037) of a PKCS#8 private key, without `kid`.
    pub(crate) fn public_jwk(self, pkcs8: &[u8]) -> Result<Value, KeyError> {
        let bad = |_| KeyError::KeyMaterial(format!("invalid {} private key", self.code()));
        match self {
            KeyAlg::Es256 => {
                let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8).map_err(bad)?;
                // Uncompressed SEC1 point: 0x04 || x (32 bytes) || y (32 bytes).
                let (x, y) = match pair.public_key().as_ref() {
                    [4, xy @ ..] if xy.len() == 64 => xy.split_at(32),
                    _ => return Err(KeyError::KeyMaterial("unexpected P-256 public key encoding".into())),
                };
                Ok(json!({
                    "kty": "EC", "crv": "P-256",
                    "x": URL_SAFE_NO_PAD.encode(x),
                    "y": URL_SAFE_NO_PAD.encode(y),
                }))
            }
            KeyAlg::EdDsa => {
                let pair = Ed25519KeyPair::from_pkcs8(pkcs8).map_err(bad)?;
                Ok(json!({"kty": "OKP", "crv": "Ed25519", "x": URL_SAFE_NO_PAD.encode(pair.public_key().as_ref())}))
            }
        }
    }
}
