//! Signed tree heads (RFC 9162 §4.10 in spirit): the tree size, its root hash and the time,
//! signed as a compact JWS by the platform key (`keys::KeyRing`), so anyone holding the published
//! JWKS can check a proof against a head the platform cannot later deny.

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use db::sqlx::{self, Row};
use db::Db;
use kernel::AppError;
use keys::{Expect, JwksVerifier, KeyError, KeyRing};
use serde::{Deserialize, Serialize};

use crate::merkle::Hash;
use crate::store;

/// The JWS `typ` of a tree head, so no other token of the platform passes for one.
pub const HEAD_TYP: &str = "dancu-sth+jwt";
/// The `iss` of every tree head.
pub const HEAD_ISSUER: &str = "dancu-translog";

/// The claims of a signed tree head. Hashes are standard base64, as in Certificate Transparency.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct HeadClaims {
    pub iss: String,
    pub tree_size: u64,
    pub root_hash: String,
    /// UTC milliseconds.
    pub timestamp: i64,
}

/// A signed tree head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignedHead {
    pub tree_size: u64,
    #[serde(serialize_with = "b64")]
    pub root_hash: Hash,
    pub timestamp: i64,
    /// The compact JWS whose claims are the three fields above.
    pub jws: String,
}

fn b64<S: serde::Serializer>(h: &Hash, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&STANDARD.encode(h))
}

impl SignedHead {
    /// Checks a head's signature against public keys and returns it; the claims, not the
    /// unsigned fields next to them, are what is returned.
    pub fn verify(jws: &str, keys: &JwksVerifier) -> Result<SignedHead, KeyError> {
        let claims: HeadClaims = keys.verify(jws, &Expect::new().issuer(HEAD_ISSUER).without_required_exp())?;
        from_claims(claims, jws)
    }
}

fn from_claims(claims: HeadClaims, jws: &str) -> Result<SignedHead, KeyError> {
    let root = STANDARD
        .decode(&claims.root_hash)
        .ok()
        .and_then(|b| Hash::try_from(b.as_slice()).ok())
        .ok_or_else(|| KeyError::Claims("root_hash is not a base64 SHA-256 hash".into()))?;
    Ok(SignedHead { tree_size: claims.tree_size, root_hash: root, timestamp: claims.timestamp, jws: jws.to_owned() })
}

/// Signs and stores a head for the current size, unless the newest stored head already has that
/// size (then it is returned: a head per size is enough, and signing an unchanged tree again would
/// only grow the table). `now` is UTC milliseconds.
pub async fn sign_head(db: &Db, ring: &KeyRing, now: i64) -> Result<SignedHead, AppError> {
    let size = store::size(db).await?;
    if let Some(latest) = latest_head(db).await? {
        if latest.tree_size == size {
            return Ok(latest);
        }
    }
    let root = store::root(db, size).await?.ok_or_else(|| AppError::internal("log shrank while signing"))?;
    let claims =
        HeadClaims { iss: HEAD_ISSUER.into(), tree_size: size, root_hash: STANDARD.encode(root), timestamp: now };
    let jws = ring.sign_typed(&claims, HEAD_TYP)?;
    sqlx::query(
        "INSERT INTO translog_heads (size, root, signed_at, jws) VALUES ($1, $2, $3, $4) ON CONFLICT (size) DO NOTHING",
    )
    .bind(i64::try_from(size).map_err(|e| AppError::internal_from("log size out of range", e))?)
    .bind(root.to_vec())
    .bind(now)
    .bind(&jws)
    .execute(db.write())
    .await?;
    Ok(SignedHead { tree_size: size, root_hash: root, timestamp: now, jws })
}

/// The stored head with the largest size.
pub async fn latest_head(db: &Db) -> Result<Option<SignedHead>, AppError> {
    let row = sqlx::query("SELECT size, root, signed_at, jws FROM translog_heads ORDER BY size DESC LIMIT 1")
        .fetch_optional(db.read())
        .await?;
    row.map(head_of).transpose()
}

/// Every stored head, smallest first (the offline verifier checks each against the entries).
pub async fn all_heads(db: &Db) -> Result<Vec<SignedHead>, AppError> {
    let rows =
        sqlx::query("SELECT size, root, signed_at, jws FROM translog_heads ORDER BY size").fetch_all(db.read()).await?;
    rows.into_iter().map(head_of).collect()
}

fn head_of(r: db::Row) -> Result<SignedHead, AppError> {
    let size: i64 = r.try_get(0)?;
    Ok(SignedHead {
        tree_size: u64::try_from(size).map_err(|e| AppError::internal_from("negative log size", e))?,
        root_hash: store::hash_of(r.try_get(1)?)?,
        timestamp: r.try_get(2)?,
        jws: r.try_get(3)?,
    })
}

/// Signs a head every `period` when the log has grown, so published heads follow the log without
/// a signature per entry. `clock` gives the heads' time.
pub fn spawn_publisher(
    db: Db,
    ring: Arc<KeyRing>,
    clock: kernel::clock::Clock,
    period: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        loop {
            tick.tick().await;
            if let Err(e) = sign_head(&db, &ring, clock()).await {
                tracing::warn!(error = %e, "signing a transparency log head failed; retrying at the next period");
            }
        }
    })
}
