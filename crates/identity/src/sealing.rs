//! Secrets the server must read back — TOTP keys — sealed at rest with AES-256-GCM (`aws-lc-rs`,
//! a random 96-bit nonce per value) under a key kept in the `identity_secrets` table, created on
//! first use. The account id is the associated data, so a sealed value copied onto another account
//! does not open. A leaked `accounts` table or export reveals no TOTP key; a full database backup
//! holds the key as well, like the signing keys, and must be protected the same way.
//!
//! Stored form: `v1.` + base64url(nonce ‖ ciphertext ‖ tag). Values without the prefix are the
//! plain base32 keys written before sealing existed; [`Sealer::open`] reads both and says which it
//! found, so callers re-write old values sealed.

use aws_lc_rs::aead::{Aad, Nonce, RandomizedNonceKey, AES_256_GCM, NONCE_LEN};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use db::Db;
use kernel::AppError;

/// Name of the sealing key in `identity_secrets`.
const KEY_NAME: &str = "totp_sealing_key";
/// Prefix of sealed values.
const PREFIX: &str = "v1.";

/// A value read back from storage.
#[derive(Debug, PartialEq, Eq)]
pub struct Opened {
    pub value: String,
    /// The stored value was plain text (written before sealing): it should be re-written sealed.
    pub was_plain: bool,
}

/// Seals and opens values under the server's AES-256-GCM key.
pub struct Sealer {
    key: RandomizedNonceKey,
}

impl Sealer {
    /// A sealer over 32 raw key bytes (AES-256-GCM takes exactly these; an error means the
    /// cryptographic library refused them).
    pub fn new(key: &[u8; 32]) -> Result<Sealer, AppError> {
        let key = RandomizedNonceKey::new(&AES_256_GCM, key).map_err(|_| AppError::internal("sealing key refused"))?;
        Ok(Sealer { key })
    }

    /// The server's sealer: its key from `identity_secrets`, generated the first time (every
    /// replica reads the same row); `now` (UTC milliseconds) dates a new key.
    pub async fn load(db: &Db, now: i64) -> Result<Sealer, AppError> {
        Sealer::new(&crate::secrets::server_key(db, KEY_NAME, now).await?)
    }

    /// Seals `value` for the row identified by `context` (the account id).
    pub fn seal(&self, value: &str, context: &str) -> Result<String, AppError> {
        let mut buf = value.as_bytes().to_vec();
        let nonce = self
            .key
            .seal_in_place_append_tag(Aad::from(context.as_bytes()), &mut buf)
            .map_err(|_| AppError::internal("sealing failed"))?;
        let mut out = nonce.as_ref().to_vec();
        out.extend_from_slice(&buf);
        Ok(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(out)))
    }

    /// Opens a stored value; plain (pre-sealing) values are returned as they are, flagged.
    pub fn open(&self, stored: &str, context: &str) -> Result<Opened, AppError> {
        let Some(body) = stored.strip_prefix(PREFIX) else {
            return Ok(Opened { value: stored.to_string(), was_plain: true });
        };
        let unreadable = || AppError::internal("a sealed secret does not open (wrong key or row)");
        let raw = URL_SAFE_NO_PAD.decode(body).map_err(|_| unreadable())?;
        if raw.len() < NONCE_LEN {
            return Err(unreadable());
        }
        let (nonce, sealed) = raw.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| unreadable())?;
        let mut buf = sealed.to_vec();
        let plain = self.key.open_in_place(nonce, Aad::from(context.as_bytes()), &mut buf).map_err(|_| unreadable())?;
        let value = String::from_utf8(plain.to_vec()).map_err(|_| unreadable())?;
        Ok(Opened { value, was_plain: false })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_per_row_and_reads_plain_values() {
        let s = Sealer::new(&[7u8; 32]).unwrap();
        let secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
        let a = s.seal(secret, "account-a").unwrap();
        assert!(a.starts_with("v1.") && !a.contains(secret));
        assert_ne!(a, s.seal(secret, "account-a").unwrap(), "a fresh nonce each time");
        assert_eq!(s.open(&a, "account-a").unwrap(), Opened { value: secret.into(), was_plain: false });
        assert!(s.open(&a, "account-b").is_err(), "bound to its row");
        assert!(Sealer::new(&[8u8; 32]).unwrap().open(&a, "account-a").is_err(), "bound to its key");
        let mut tampered = a.clone().into_bytes();
        let last = tampered.len() - 1;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert!(s.open(std::str::from_utf8(&tampered).unwrap(), "account-a").is_err());
        assert_eq!(s.open(secret, "account-a").unwrap(), Opened { value: secret.into(), was_plain: true });
    }
}
