//! [`KeyRing`]: the live keys in memory, for signing and verifying without a database round trip.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{EncodingKey, Header};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

use db::Db;

use crate::alg::KeyAlg;
use crate::error::KeyError;
use crate::store::{load_live, StoredKey};
use crate::verifier::{Expect, JwksVerifier};

/// The signing key in use.
struct Signer {
    kid: String,
    alg: KeyAlg,
    key: EncodingKey,
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
    state: RwLock<Arc<Loaded>>,
}

/// Selects the `aws-lc-rs` backend of `jsonwebtoken` even when another crate of the build enables
/// a second backend (the library then refuses to guess).
pub(crate) fn install_backend() {
    let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
}

impl KeyRing {
    /// Loads the live keys. Call [`crate::ensure_key`] first on a fresh database, or signing fails
    /// with [`KeyError::NoActiveKey`].
    pub async fn load(db: &Db) -> Result<Arc<KeyRing>, KeyError> {
        install_backend();
        let loaded = build(load_live(db).await?)?;
        Ok(Arc::new(KeyRing { db: db.clone(), state: RwLock::new(Arc::new(loaded)) }))
    }

    /// Re-reads the table: picks up a rotation made by another process and drops expired keys.
    pub async fn refresh(&self) -> Result<(), KeyError> {
        let loaded = build(load_live(&self.db).await?)?;
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
        let signer = state.signer.as_ref().ok_or(KeyError::NoActiveKey)?;
        let mut header = Header::new(signer.alg.jose());
        header.kid = Some(signer.kid.clone());
        header.typ = Some(typ.to_owned());
        jsonwebtoken::encode(&header, claims, &signer.key).map_err(|e| KeyError::KeyMaterial(e.to_string()))
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
            let key = match k.alg {
                KeyAlg::Es256 => EncodingKey::from_ec_der(der.contents()),
                KeyAlg::EdDsa => EncodingKey::from_ed_der(der.contents()),
            };
            signer = Some(Signer { kid: k.kid, alg: k.alg, key });
        }
    }
    Ok(Loaded { signer, verifier, jwks: json!({ "keys": published }) })
}
