//! The `signing_keys` table: creating, rotating and listing keys.

use db::sqlx::{self, Row};
use db::Db;
use serde::Serialize;

use crate::alg::KeyAlg;
use crate::error::KeyError;

/// How long a retired key stays published and accepted after a rotation: longer than any token
/// signed with it lives (ID tokens live an hour, dynamic QR codes two minutes), with room for
/// relying parties that cache the JWKS for a day.
pub const DEFAULT_OVERLAP_MS: i64 = 48 * 3600 * 1000;

/// Where a key is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyState {
    /// Signs new tokens.
    Active,
    /// No longer signs; still verifies until its expiry.
    Retired,
    /// Past its overlap period: neither published nor accepted.
    Expired,
}

/// A key as listed by `dancu keys list` (no private material).
#[derive(Debug, Clone, Serialize)]
pub struct KeyInfo {
    pub kid: String,
    pub alg: String,
    pub state: KeyState,
    pub created_at: i64,
    pub activated_at: Option<i64>,
    pub retired_at: Option<i64>,
    pub expires_at: Option<i64>,
}

/// A live key with its private material, as loaded into a key ring.
pub(crate) struct StoredKey {
    pub kid: String,
    pub alg: KeyAlg,
    pub private_pem: String,
    pub public_jwk: serde_json::Value,
    pub active: bool,
}

pub(crate) fn storage(e: sqlx::Error) -> KeyError {
    tracing::error!(error = %e, "signing_keys storage");
    KeyError::Storage("signing keys table unavailable".into())
}

/// A new key pair of `alg`: its kid (the RFC 7638 SHA-256 thumbprint of the public JWK), PEM
/// private key and public JWK with `kid`, `alg` and `use`.
fn new_key(alg: KeyAlg) -> Result<(String, String, serde_json::Value), KeyError> {
    let der = alg.generate_pkcs8()?;
    let mut jwk = alg.public_jwk(&der)?;
    let parsed: jsonwebtoken::jwk::Jwk =
        serde_json::from_value(jwk.clone()).map_err(|e| KeyError::KeyMaterial(e.to_string()))?;
    let kid = parsed
        .thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256)
        .map_err(|e| KeyError::KeyMaterial(e.to_string()))?;
    let serde_json::Value::Object(fields) = &mut jwk else {
        return Err(KeyError::KeyMaterial("a public JWK is a JSON object".into()));
    };
    fields.insert("kid".into(), kid.clone().into());
    fields.insert("alg".into(), alg.code().into());
    fields.insert("use".into(), "sig".into());
    let pem = pem::encode(&pem::Pem::new("PRIVATE KEY", der));
    Ok((kid, pem, jwk))
}

/// Creates a new active key and retires the keys that were active, keeping them for verification
/// for `overlap_ms`. One transaction: there is never a moment with zero or two signing keys seen
/// by a reader. Returns the new kid. `now` is UTC milliseconds, passed so tests can fix time.
pub async fn rotate(db: &Db, alg: KeyAlg, overlap_ms: i64, now: i64) -> Result<String, KeyError> {
    let (kid, pem, jwk) = new_key(alg)?;
    let mut tx = db.begin().await.map_err(storage)?;
    sqlx::query(
        "UPDATE signing_keys SET retired_at = $1, expires_at = $2 WHERE activated_at IS NOT NULL AND retired_at IS NULL",
    )
    .bind(now)
    .bind(now + overlap_ms)
    .execute(&mut *tx)
    .await
    .map_err(storage)?;
    sqlx::query(
        "INSERT INTO signing_keys (kid, alg, private_pem, public_jwk, created_at, activated_at) \
         VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(&kid)
    .bind(alg.code())
    .bind(&pem)
    .bind(jwk.to_string())
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(storage)?;
    tx.commit().await.map_err(storage)?;
    tracing::info!(kid = %kid, alg = alg.code(), "signing key rotated");
    Ok(kid)
}

/// Makes sure an active key exists (first start, at `now`); returns whether one was created.
pub async fn ensure_key(db: &Db, alg: KeyAlg, now: i64) -> Result<bool, KeyError> {
    let active: i64 =
        sqlx::query("SELECT COUNT(*) FROM signing_keys WHERE activated_at IS NOT NULL AND retired_at IS NULL")
            .fetch_one(db.write())
            .await
            .map_err(storage)?
            .get(0);
    if active > 0 {
        return Ok(false);
    }
    rotate(db, alg, DEFAULT_OVERLAP_MS, now).await?;
    Ok(true)
}

/// Every key without private material: the active key, then retired keys by expiry, latest first;
/// a retired key whose expiry is not after `now` (UTC milliseconds) is listed as expired.
pub async fn list(db: &Db, now: i64) -> Result<Vec<KeyInfo>, KeyError> {
    let rows = sqlx::query(
        "SELECT kid, alg, created_at, activated_at, retired_at, expires_at FROM signing_keys \
         ORDER BY CASE WHEN retired_at IS NULL THEN 0 ELSE 1 END, expires_at DESC, created_at DESC, kid",
    )
    .fetch_all(db.read())
    .await
    .map_err(storage)?;
    Ok(rows
        .iter()
        .map(|r| {
            let retired_at: Option<i64> = r.get(4);
            let expires_at: Option<i64> = r.get(5);
            let state = match (retired_at, expires_at) {
                (None, _) => KeyState::Active,
                (Some(_), Some(exp)) if exp <= now => KeyState::Expired,
                (Some(_), _) => KeyState::Retired,
            };
            KeyInfo {
                kid: r.get(0),
                alg: r.get(1),
                state,
                created_at: r.get(2),
                activated_at: r.get(3),
                retired_at,
                expires_at,
            }
        })
        .collect())
}

/// Keys that are active or retired but not yet expired, the active key first (rotations within
/// the same millisecond cannot reorder them) at `now` (UTC milliseconds).
pub(crate) async fn load_live(db: &Db, now: i64) -> Result<Vec<StoredKey>, KeyError> {
    let rows = sqlx::query(
        "SELECT kid, alg, private_pem, public_jwk, retired_at FROM signing_keys \
         WHERE activated_at IS NOT NULL AND (retired_at IS NULL OR expires_at > $1) \
         ORDER BY CASE WHEN retired_at IS NULL THEN 0 ELSE 1 END, activated_at DESC, kid",
    )
    .bind(now)
    .fetch_all(db.read())
    .await
    .map_err(storage)?;
    rows.iter()
        .map(|r| {
            let alg: String = r.get(1);
            let jwk: String = r.get(3);
            Ok(StoredKey {
                kid: r.get(0),
                alg: KeyAlg::parse(&alg).ok_or_else(|| KeyError::KeyMaterial(format!("unknown alg {alg}")))?,
                private_pem: r.get(2),
                public_jwk: serde_json::from_str(&jwk).map_err(|e| KeyError::KeyMaterial(e.to_string()))?,
                active: r.get::<Option<i64>, _>(4).is_none(),
            })
        })
        .collect()
}
