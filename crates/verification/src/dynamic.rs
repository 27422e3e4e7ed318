//! Dynamic identity QR (mã QR định danh động): a short-lived token the citizen's phone shows,
//! signed by the platform, carrying the personal id, the e-ID level, a nonce and only the claims
//! the citizen chose to share. A verifier checks the signature and expiry offline with the
//! published keys, and single use online.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use db::sqlx;
use db::Db;
use kernel::{AppError, PartialDate};
use keys::{Expect, KeyError, KeyRing};
use rand::RngCore;
use registry::queries::persons::PersonView;
use serde::{Deserialize, Serialize};

use crate::writer::Writer;

/// JWS `typ` of identity QR tokens: an ID token or a receipt is never accepted as one.
pub const TOKEN_TYP: &str = "dancu-idqr+jwt";
/// Lifetime of a token; the citizen page refreshes well before.
pub const LIFETIME_SECS: u64 = 90;

/// Claims of an identity QR token. Short names keep the QR small.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdQrClaims {
    /// Personal id.
    pub pid: String,
    /// e-ID level (1 or 2).
    pub lvl: u8,
    /// Full name, if shared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Birth date (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`), if shared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bd: Option<String>,
    /// 18 or older at issue, if shared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub a18: Option<bool>,
    /// Random, single use.
    pub n: String,
    pub iat: u64,
    pub exp: u64,
}

/// What the citizen chose to show besides the personal id and level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub struct Share {
    #[serde(default)]
    pub name: bool,
    #[serde(default)]
    pub birth_date: bool,
    #[serde(default)]
    pub age_over_18: bool,
}

/// A token to display, with its expiry (UNIX seconds).
#[derive(Debug, Clone, Serialize)]
pub struct IssuedToken {
    pub token: String,
    pub expires_at: u64,
}

/// Issues a token for the citizen's own record at `now` (UTC milliseconds, passed so tests can fix
/// time).
pub fn issue(
    ring: &KeyRing,
    person: &PersonView,
    level: u8,
    share: Share,
    now_ms: i64,
) -> Result<IssuedToken, AppError> {
    let now = u64::try_from(now_ms / 1000).unwrap_or_default();
    let birth = person.birth_date.as_deref().and_then(|b| PartialDate::parse(b).ok());
    let mut nonce = [0u8; 12];
    rand::thread_rng().fill_bytes(&mut nonce);
    let claims = IdQrClaims {
        pid: person.personal_id.clone(),
        lvl: level,
        name: share.name.then(|| person.full_name.clone()),
        bd: if share.birth_date { person.birth_date.clone() } else { None },
        a18: if share.age_over_18 { birth.map(|b| b.age_on(kernel::clock::date_vn(now_ms)) >= 18) } else { None },
        n: URL_SAFE_NO_PAD.encode(nonce),
        iat: now,
        exp: now + LIFETIME_SECS,
    };
    let token = ring.sign_typed(&claims, TOKEN_TYP)?;
    Ok(IssuedToken { token, expires_at: claims.exp })
}

/// Why a presented token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenProblem {
    Invalid(KeyError),
    WrongType,
    TooLong,
    Replayed,
}

impl TokenProblem {
    pub fn code(&self) -> &'static str {
        match self {
            TokenProblem::Invalid(KeyError::Expired) => "token_expired",
            TokenProblem::Invalid(KeyError::BadSignature) => "token_bad_signature",
            TokenProblem::Invalid(_) => "token_invalid",
            TokenProblem::WrongType => "token_wrong_type",
            TokenProblem::TooLong => "token_lifetime_too_long",
            TokenProblem::Replayed => "token_replayed",
        }
    }

    /// Vietnamese and English explanation for the verifier.
    pub fn words(&self) -> (&'static str, &'static str) {
        match self {
            TokenProblem::Invalid(KeyError::Expired) => ("Mã QR đã hết hạn", "The QR code has expired"),
            TokenProblem::Invalid(KeyError::BadSignature) => {
                ("Chữ ký không hợp lệ: mã QR đã bị sửa", "Invalid signature: the QR code was altered")
            }
            TokenProblem::Invalid(_) => ("Mã QR không phải mã định danh hợp lệ", "Not a valid identity QR code"),
            TokenProblem::WrongType => ("Mã QR không phải mã định danh", "Not an identity QR code"),
            TokenProblem::TooLong => ("Thời hạn mã QR quá dài", "The QR code lifetime is too long"),
            TokenProblem::Replayed => ("Mã QR đã được sử dụng", "The QR code was already used"),
        }
    }
}

/// Checks signature, type, expiry and lifetime — everything that needs no database.
pub fn check_offline(ring: &KeyRing, token: &str) -> Result<IdQrClaims, TokenProblem> {
    let token = token.trim();
    let header = jsonwebtoken::decode_header(token).ok();
    let claims: IdQrClaims = ring.verify(token, &Expect::new().leeway(5)).map_err(TokenProblem::Invalid)?;
    if header.and_then(|h| h.typ).as_deref() != Some(TOKEN_TYP) {
        return Err(TokenProblem::WrongType);
    }
    if claims.exp.saturating_sub(claims.iat) > 120 {
        return Err(TokenProblem::TooLong);
    }
    Ok(claims)
}

/// Where single-use nonces are recorded: the database directly (one insert per token), or the
/// verification service's group-commit [`Writer`], which shares commits between requests.
pub trait NonceStore {
    /// Records `nonce` until `expires_ms`; `false` when it was recorded before. `now` (UTC
    /// milliseconds) is the time of use.
    fn use_nonce(
        &self,
        nonce: &str,
        expires_ms: i64,
        now: i64,
    ) -> impl std::future::Future<Output = Result<bool, AppError>> + Send;
}

impl NonceStore for Db {
    /// One insert; nonces expired at `now` are swept now and then.
    async fn use_nonce(&self, nonce: &str, expires_ms: i64, now: i64) -> Result<bool, AppError> {
        let done = sqlx::query("INSERT INTO used_nonces (nonce, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(nonce)
            .bind(expires_ms)
            .execute(self.write())
            .await?;
        if rand::random::<u16>() < 64 {
            sqlx::query("DELETE FROM used_nonces WHERE expires_at < $1").bind(now).execute(self.write()).await?;
        }
        Ok(done.rows_affected() == 1)
    }
}

impl NonceStore for Writer {
    /// The writer sweeps expired nonces on its own clock.
    async fn use_nonce(&self, nonce: &str, expires_ms: i64, _now: i64) -> Result<bool, AppError> {
        Writer::use_nonce(self, nonce, expires_ms).await
    }
}

/// Records the token's nonce, kept a minute past its expiry; a nonce seen before is a replay.
/// `now` is UTC milliseconds, the time the token is presented.
pub async fn consume_nonce(
    store: &impl NonceStore,
    claims: &IdQrClaims,
    now: i64,
) -> Result<Result<(), TokenProblem>, AppError> {
    let expires_ms = (claims.exp as i64 + 60) * 1000;
    Ok(if store.use_nonce(&claims.n, expires_ms, now).await? { Ok(()) } else { Err(TokenProblem::Replayed) })
}
