//! [`KeyRing`]: the live keys in memory, for signing and verifying without a database round trip.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, Ed25519KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::Header;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

use db::Db;

use crate::alg::KeyAlg;
use crate::error::KeyError;
use crate::store::{load_live, StoredKey};
use crate::verifier::{Expect, JwksVerifier};

/// The private half of the active key, parsed once: rebuilding it from PKCS#8 for every token
/// (as `jsonwebtoken::encode` does) costs about as much as the signature itself.
enum SigningKey {
    Es256(EcdsaKeyPair),
    EdDsa(Ed25519KeyPair),
}

/// The signing key in use.
struct Signer {
    kid: String,
    alg: KeyAlg,
    key: SigningKey,
}

impl Signer {
    /// The compact JWS (RFC 7515 §7.1) of `claims`: ES256 signatures are the fixed-size `r || s`
    /// form JWS requires (RFC 7518 §3.4).
    fn compact<T: Serialize>(&self, claims: &T, typ: &str) -> Result<String, KeyError> {
        let mut header = Header::new(self.alg.jose());
        header.kid = Some(self.kid.clone());
        header.typ = Some(typ.to_owned());
        let mut out = URL_SAFE_NO_PAD.encode(to_json(&header)?);
        out.push('.');
        URL_SAFE_NO_PAD.encode_string(to_json(claims)?, &mut out);
        let signature = match &self.key {
            SigningKey::Es256(pair) => pair
                .sign(&SystemRandom::new(), out.as_bytes())
                .map_err(|_| KeyError::KeyMaterial("ES256 signing failed".into()))?
                .as_ref()
                .to_vec(),
            SigningKey::EdDsa(pair) => pair.sign(out.as_bytes()).as_ref().to_vec(),
        };
        out.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut out);
        Ok(out)
    }
}

/// One consistent view of the live keys.
struct Loaded {
    signer: Option<Signer>,
    verifier: JwksVerifier,
    jwks: Value,
}

/// The platform's live signing keys: the active key signs, every live key (active or retired
/// within its overlap) verifies and is published in the JWKS. Cheap to share (`Arc`); reads take a
/// snapshot, so a [`KeyRing::refresh`] never disturbs a signature in progress.
pub struct KeyRing {
    db: Db,
    /// Decides which retired keys have expired at each refresh (injected by the binary).
    clock: kernel::clock::Clock,
    state: RwLock<Arc<Loaded>>,
}

/// Selects the `aws-lc-rs` backend of `jsonwebtoken` even when another crate of the build enables
/// a second backend (the library then refuses to guess).
pub(crate) fn install_backend() {
    let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
}

impl KeyRing {
    /// Loads the live keys. Call [`crate::ensure_key`] first on a fresh database, or signing fails
    /// with [`KeyError::NoActiveKey`]. `clock` tells the ring, now and at every
    /// [`KeyRing::refresh`], which retired keys have expired (`kernel::clock::now_ms` in the binary).
    pub async fn load(db: &Db, clock: kernel::clock::Clock) -> Result<Arc<KeyRing>, KeyError> {
        install_backend();
        let loaded = build(load_live(db, clock()).await?)?;
        Ok(Arc::new(KeyRing { db: db.clone(), clock, state: RwLock::new(Arc::new(loaded)) }))
    }

    /// Re-reads the table: picks up a rotation made by another process and drops expired keys.
    pub async fn refresh(&self) -> Result<(), KeyError> {
        let loaded = build(load_live(&self.db, (self.clock)()).await?)?;
        *self.state.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(loaded);
        Ok(())
    }

    /// Refreshes every `period` in the background, so replicas converge after a rotation.
    pub fn spawn_refresh(self: &Arc<Self>, period: Duration) -> tokio::task::JoinHandle<()> {
        let ring = Arc::clone(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            tick.tick().await;
            loop {
                tick.tick().await;
                if let Err(e) = ring.refresh().await {
                    tracing::warn!(error = %e, "signing keys refresh failed; keeping the previous keys");
                }
            }
        })
    }

    fn snapshot(&self) -> Arc<Loaded> {
        Arc::clone(&self.state.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Signs claims as a compact JWS with the active key (`typ: JWT`, `kid` set). The caller puts
    /// `iat`/`exp` in the claims.
    pub fn sign<T: Serialize>(&self, claims: &T) -> Result<String, KeyError> {
        self.sign_typed(claims, "JWT")
    }

    /// Like [`KeyRing::sign`] with an explicit `typ`, so one kind of token cannot be replayed as
    /// another (e.g. a dynamic QR token presented as an ID token).
    pub fn sign_typed<T: Serialize>(&self, claims: &T, typ: &str) -> Result<String, KeyError> {
        let state = self.snapshot();
        state.signer.as_ref().ok_or(KeyError::NoActiveKey)?.compact(claims, typ)
    }

    /// Verifies a token signed by any live key of this ring; see [`JwksVerifier::verify`].
    pub fn verify<T: DeserializeOwned>(&self, token: &str, expect: &Expect) -> Result<T, KeyError> {
        self.snapshot().verifier.verify(token, expect)
    }

    /// The public JWKS (`{"keys": [...]}`) of the live keys, active key first.
    pub fn jwks(&self) -> Value {
        self.snapshot().jwks.clone()
    }

    /// The kid of the signing key, if any.
    pub fn active_kid(&self) -> Option<String> {
        self.snapshot().signer.as_ref().map(|s| s.kid.clone())
    }
}

fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, KeyError> {
    serde_json::to_vec(value).map_err(|e| KeyError::KeyMaterial(e.to_string()))
}

fn build(keys: Vec<StoredKey>) -> Result<Loaded, KeyError> {
    let mut verifier = JwksVerifier::default();
    let mut signer = None;
    let mut published = Vec::with_capacity(keys.len());
    for k in keys {
        let jwk: Jwk =
            serde_json::from_value(k.public_jwk.clone()).map_err(|e| KeyError::KeyMaterial(e.to_string()))?;
        verifier.insert(k.kid.clone(), k.alg.jose(), &jwk)?;
        published.push(k.public_jwk);
        if k.active && signer.is_none() {
            let der = pem::parse(&k.private_pem).map_err(|e| KeyError::KeyMaterial(format!("{}: {e}", k.kid)))?;
            let bad = |_| KeyError::KeyMaterial(format!("{}: invalid {} private key", k.kid, k.alg.code()));
            let key = match k.alg {
                KeyAlg::Es256 => SigningKey::Es256(
                    EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der.contents()).map_err(bad)?,
                ),
                KeyAlg::EdDsa => SigningKey::EdDsa(Ed25519KeyPair::from_pkcs8(der.contents()).map_err(bad)?),
            };
            signer = Some(Signer { kid: k.kid, alg: k.alg, key });
        }
    }
    Ok(Loaded { signer, verifier, jwks: json!({ "keys": published }) })
}
