//! Random secrets, their stored form, and the server's own named keys.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use db::sqlx::{self, Row};
use db::Db;
use kernel::AppError;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A new random secret: 32 bytes from the OS, base64url without padding.
pub fn random_secret() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

/// What the database keeps of a secret: its SHA-256, so a leaked table reveals no usable token.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The server's 32-byte key called `name` in `identity_secrets`, generated the first time it is
/// asked for (at `now`, UTC milliseconds); every replica reads the same row, so all of them agree
/// on it.
pub async fn server_key(db: &Db, name: &str, now: i64) -> Result<[u8; 32], AppError> {
    sqlx::query(
        "INSERT INTO identity_secrets (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(random_secret())
    .bind(now)
    .execute(db.write())
    .await?;
    let stored: String = sqlx::query("SELECT value FROM identity_secrets WHERE name = $1")
        .bind(name)
        .fetch_one(db.write())
        .await?
        .get(0);
    URL_SAFE_NO_PAD
        .decode(stored)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| AppError::internal(format!("the key {name} in identity_secrets is not 32 bytes")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_distinct_and_hashed() {
        let a = random_secret();
        let b = random_secret();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(hash_secret(&a).len(), 64);
        assert_ne!(hash_secret(&a), hash_secret(&b));
    }
}
