//! Time-based one-time passwords (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps, one step of
//! clock drift either way) as a second factor, with single-use recovery codes.
//!
//! A code is accepted only for a time step later than the last one used, so an observed code
//! cannot be replayed. Recovery codes are 12 random characters (60 bits), stored as SHA-256. The
//! key is stored sealed ([`crate::sealing`]); a key stored plain by an earlier version is still
//! read and is sealed at its next use.

use db::sqlx::{self, Row};
use db::Db;
use kernel::AppError;
use rand::seq::SliceRandom;
use rand::RngCore;
use totp_rs::{Algorithm, Secret, TOTP};

use crate::sealing::Sealer;
use crate::secrets::hash_secret;

/// Issuer shown by authenticator apps.
const ISSUER: &str = "dancu";
/// Recovery codes issued when TOTP is enabled.
pub const RECOVERY_CODES: usize = 10;

fn totp(secret: Vec<u8>, label: &str) -> Result<TOTP, AppError> {
    TOTP::new(Algorithm::SHA1, 6, 1, 30, secret, Some(ISSUER.into()), label.replace(':', " "))
        .map_err(|_| AppError::internal("invalid TOTP parameters"))
}

fn decode(secret_b32: &str) -> Result<Vec<u8>, AppError> {
    Secret::Encoded(secret_b32.to_string()).to_bytes().map_err(|_| AppError::invalid("invalid TOTP secret"))
}

/// A new random secret (160 bits, as RFC 4226 recommends), base32-encoded.
pub fn new_secret() -> String {
    let mut b = vec![0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut b);
    Secret::Raw(b).to_encoded().to_string()
}

/// The `otpauth://` URI an authenticator app scans.
pub fn provisioning_uri(secret_b32: &str, label: &str) -> Result<String, AppError> {
    Ok(totp(decode(secret_b32)?, label)?.get_url())
}

/// The provisioning URI as an SVG QR code.
pub fn qr_svg(uri: &str) -> Result<String, AppError> {
    let code = qrcode::QrCode::new(uri.as_bytes()).map_err(|_| AppError::internal("QR encoding failed"))?;
    Ok(code.render::<qrcode::render::svg::Color>().min_dimensions(200, 200).build())
}

/// The time step (`unix_seconds / 30`) whose code is `code`, looking one step back and forward.
pub fn matching_step(secret: &[u8], code: &str, unix_seconds: u64) -> Option<u64> {
    let t = TOTP::new_unchecked(Algorithm::SHA1, 6, 1, 30, secret.to_vec(), None, String::new());
    let code = code.trim();
    let now = unix_seconds / 30;
    [now.saturating_sub(1), now, now + 1].into_iter().find(|step| kernel::secret::ct_eq(t.generate(step * 30), code))
}

/// Unix seconds of `now` (UTC milliseconds).
fn seconds(now: i64) -> u64 {
    u64::try_from(now / 1000).unwrap_or_default()
}

/// Turns TOTP on after the user proved their app holds `secret_b32`; returns the recovery codes,
/// shown once. `now` is UTC milliseconds, passed so tests can fix time.
pub async fn enable(
    db: &Db,
    sealer: &Sealer,
    account_id: &str,
    secret_b32: &str,
    code: &str,
    now: i64,
) -> Result<Option<Vec<String>>, AppError> {
    let secret = decode(secret_b32)?;
    let Some(step) = matching_step(&secret, code, seconds(now)) else { return Ok(None) };
    let mut tx = db.begin().await?;
    let r = sqlx::query(
        "UPDATE accounts SET totp_secret = $1, totp_enabled_at = $2, totp_last_step = $3 \
         WHERE id = $4 AND totp_enabled_at IS NULL",
    )
    .bind(sealer.seal(secret_b32, account_id)?)
    .bind(now)
    .bind(step as i64)
    .bind(account_id)
    .execute(&mut *tx)
    .await?;
    if r.rows_affected() != 1 {
        return Err(AppError::new(kernel::ErrorCode::Conflict, "two-step verification is already on"));
    }
    let codes = replace_recovery_codes(&mut tx, account_id, now).await?;
    tx.commit().await?;
    Ok(Some(codes))
}

/// Turns TOTP off and voids the recovery codes.
pub async fn disable(db: &Db, account_id: &str) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE accounts SET totp_secret = NULL, totp_enabled_at = NULL, totp_last_step = NULL WHERE id = $1")
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM recovery_codes WHERE account_id = $1").bind(account_id).execute(&mut *tx).await?;
    Ok(tx.commit().await?)
}

fn recovery_code() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rngs::OsRng;
    let mut group = || -> String { (0..4).filter_map(|_| ALPHABET.choose(&mut rng)).map(|&b| char::from(b)).collect() };
    format!("{}-{}-{}", group(), group(), group())
}

fn normalize_recovery(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).flat_map(char::to_lowercase).collect()
}

async fn replace_recovery_codes(
    conn: &mut sqlx::AnyConnection,
    account_id: &str,
    now: i64,
) -> Result<Vec<String>, AppError> {
    sqlx::query("DELETE FROM recovery_codes WHERE account_id = $1").bind(account_id).execute(&mut *conn).await?;
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| recovery_code()).collect();
    for c in &codes {
        sqlx::query(
            "INSERT INTO recovery_codes (id, account_id, code_hash, created_at, used_at) VALUES ($1, $2, $3, $4, NULL)",
        )
        .bind(kernel::ids::new_id())
        .bind(account_id)
        .bind(hash_secret(&normalize_recovery(c)))
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(codes)
}

/// Issues a fresh set of recovery codes at `now` (UTC milliseconds); the old ones stop working.
pub async fn regenerate_recovery_codes(db: &Db, account_id: &str, now: i64) -> Result<Vec<String>, AppError> {
    let mut tx = db.begin().await?;
    let codes = replace_recovery_codes(&mut tx, account_id, now).await?;
    tx.commit().await?;
    Ok(codes)
}

/// How many unused recovery codes an account has left.
pub async fn recovery_codes_left(db: &Db, account_id: &str) -> Result<i64, AppError> {
    Ok(sqlx::query("SELECT COUNT(*) FROM recovery_codes WHERE account_id = $1 AND used_at IS NULL")
        .bind(account_id)
        .fetch_one(db.read())
        .await?
        .get(0))
}

/// The second sign-in step: a current TOTP code (never one already used) or an unused recovery
/// code, which is then spent. False when neither matched. `now` is UTC milliseconds, passed so
/// tests can fix time.
pub async fn verify_second_factor(
    db: &Db,
    sealer: &Sealer,
    account_id: &str,
    input: &str,
    now: i64,
) -> Result<bool, AppError> {
    let row = sqlx::query("SELECT totp_secret FROM accounts WHERE id = $1 AND totp_enabled_at IS NOT NULL")
        .bind(account_id)
        .fetch_optional(db.write())
        .await?;
    let Some(row) = row else { return Ok(false) };
    let stored: String = row.get(0);
    let opened = sealer.open(&stored, account_id)?;
    if opened.was_plain {
        // Written before keys were sealed: seal it now (only if nobody changed it meanwhile).
        sqlx::query("UPDATE accounts SET totp_secret = $1 WHERE id = $2 AND totp_secret = $3")
            .bind(sealer.seal(&opened.value, account_id)?)
            .bind(account_id)
            .bind(&stored)
            .execute(db.write())
            .await?;
    }
    let secret = decode(&opened.value)?;
    if let Some(step) = matching_step(&secret, input, seconds(now)) {
        // Accept each step once: the update only succeeds if no later or equal step was used.
        let r = sqlx::query(
            "UPDATE accounts SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
        )
        .bind(step as i64)
        .bind(account_id)
        .execute(db.write())
        .await?;
        return Ok(r.rows_affected() == 1);
    }
    let normalized = normalize_recovery(input);
    if normalized.len() != 12 {
        return Ok(false);
    }
    let r = sqlx::query(
        "UPDATE recovery_codes SET used_at = $1 WHERE account_id = $2 AND code_hash = $3 AND used_at IS NULL",
    )
    .bind(now)
    .bind(account_id)
    .bind(hash_secret(&normalized))
    .execute(db.write())
    .await?;
    Ok(r.rows_affected() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1, 8 digits, secret "12345678901234567890".
    #[test]
    fn rfc6238_test_vectors() {
        let t = TOTP::new_unchecked(Algorithm::SHA1, 8, 1, 30, b"12345678901234567890".to_vec(), None, String::new());
        for (time, code) in [
            (59u64, "94287082"),
            (1111111109, "07081804"),
            (1111111111, "14050471"),
            (1234567890, "89005924"),
            (2000000000, "69279037"),
            (20000000000, "65353130"),
        ] {
            assert_eq!(t.generate(time), code, "T = {time}");
        }
    }

    #[test]
    fn accepts_one_step_of_drift_only() {
        let secret = decode(&new_secret()).unwrap();
        let t = TOTP::new_unchecked(Algorithm::SHA1, 6, 1, 30, secret.clone(), None, String::new());
        let now = 1_750_000_000u64;
        let code = t.generate(now);
        assert_eq!(matching_step(&secret, &code, now), Some(now / 30));
        assert_eq!(matching_step(&secret, &code, now + 30), Some(now / 30));
        assert_eq!(matching_step(&secret, &code, now + 90), None);
        assert_eq!(matching_step(&secret, "000000x", now), None);
    }

    #[test]
    fn recovery_codes_normalize() {
        let c = recovery_code();
        assert_eq!(c.len(), 14);
        assert_eq!(normalize_recovery(&c.to_uppercase()), normalize_recovery(&c));
        assert_eq!(normalize_recovery(&c).len(), 12);
    }
}
