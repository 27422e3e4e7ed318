//! One-time codes sent to a phone: 6 digits, valid 5 minutes, 5 attempts.
//!
//! A code belongs to a *flow*: a random token kept in the citizen's form. The database stores the
//! flow's hash and the code hashed together with the flow token, so a leaked table reveals neither
//! the codes nor a way to brute-force them offline. The flow also carries the pending action's
//! data (`payload`), released only when the right code is entered.

use db::sqlx::{self, Row};
use db::Db;
use kernel::{AppError, ErrorCode};
use rand::Rng;

use crate::secrets::{hash_secret, random_secret};
use crate::sms::{Channel, SmsSender};

/// How long a code is valid.
pub const OTP_TTL_MS: i64 = 5 * 60 * 1000;
/// Wrong entries allowed before the code is void.
pub const OTP_MAX_ATTEMPTS: i64 = 5;

/// Why a code was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OtpError {
    /// Wrong code; this many attempts remain.
    Wrong(i64),
    /// Expired, already used, or unknown flow.
    Expired,
    /// Too many wrong codes: the flow is void.
    TooManyAttempts,
}

impl OtpError {
    /// Vietnamese and English explanation for the form.
    pub fn message(&self) -> (String, String) {
        match self {
            OtpError::Wrong(n) => {
                (format!("Mã xác nhận không đúng, còn {n} lần thử."), format!("Wrong code, {n} attempts left."))
            }
            OtpError::Expired => (
                "Mã xác nhận đã hết hạn hoặc đã được dùng. Vui lòng làm lại từ đầu.".into(),
                "The code has expired or was already used. Please start again.".into(),
            ),
            OtpError::TooManyAttempts => (
                "Nhập sai mã quá nhiều lần. Vui lòng làm lại từ đầu.".into(),
                "Too many wrong codes. Please start again.".into(),
            ),
        }
    }
}

fn code_hash(flow: &str, code: &str) -> String {
    hash_secret(&format!("{flow}:{code}"))
}

/// Stores a new code for `purpose` issued at `now` (UTC milliseconds); returns the flow token and
/// the code.
async fn issue(
    db: &Db,
    purpose: &str,
    phone: &str,
    payload: &serde_json::Value,
    now: i64,
) -> Result<(String, String), AppError> {
    let flow = random_secret();
    let code = format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000));
    sqlx::query(
        "INSERT INTO otp_codes (id, flow_hash, purpose, phone, code_hash, payload, attempts, created_at, expires_at, \
         consumed_at) VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8, NULL)",
    )
    .bind(kernel::ids::new_id())
    .bind(hash_secret(&flow))
    .bind(purpose)
    .bind(phone)
    .bind(code_hash(&flow, &code))
    .bind(payload.to_string())
    .bind(now)
    .bind(now + OTP_TTL_MS)
    .execute(db.write())
    .await?;
    Ok((flow, code))
}

/// Sends a new code to `phone` for `purpose` at `now` (UTC milliseconds); returns the flow token
/// for the confirmation form.
pub async fn start(
    db: &Db,
    sender: &dyn SmsSender,
    purpose: &str,
    phone: &str,
    payload: &serde_json::Value,
    now: i64,
) -> Result<String, AppError> {
    let (flow, code) = issue(db, purpose, phone, payload, now).await?;
    let body = format!("dancu: ma xac nhan cua ban la {code}, hieu luc 5 phut. Khong chia se ma nay cho bat ky ai.");
    sender.send(Channel::Sms, phone, &body).await?;
    Ok(flow)
}

/// A flow whose code is sent to no one. It answers a request that matched no account exactly as a
/// matching one is answered (a confirmation form whose wrong codes count down), so the form does
/// not reveal which accounts exist.
pub async fn start_unsent(
    db: &Db,
    purpose: &str,
    phone: &str,
    payload: &serde_json::Value,
    now: i64,
) -> Result<String, AppError> {
    Ok(issue(db, purpose, phone, payload, now).await?.0)
}

/// Checks a code at `now` (UTC milliseconds); on success the flow is consumed (single use) and its
/// payload returned.
pub async fn verify(
    db: &Db,
    purpose: &str,
    flow: &str,
    code: &str,
    now: i64,
) -> Result<Result<serde_json::Value, OtpError>, AppError> {
    let flow_hash = hash_secret(flow);
    let row = sqlx::query(
        "SELECT code_hash, payload, attempts, expires_at, consumed_at FROM otp_codes WHERE flow_hash = $1 AND purpose = $2",
    )
    .bind(&flow_hash)
    .bind(purpose)
    .fetch_optional(db.write())
    .await?;
    let Some(row) = row else { return Ok(Err(OtpError::Expired)) };
    let attempts: i64 = row.get(2);
    let expires_at: i64 = row.get(3);
    let consumed: Option<i64> = row.get(4);
    if consumed.is_some() || expires_at <= now {
        return Ok(Err(OtpError::Expired));
    }
    if attempts >= OTP_MAX_ATTEMPTS {
        return Ok(Err(OtpError::TooManyAttempts));
    }
    let code = code.trim();
    let good = code.len() == 6 && kernel::secret::ct_eq(code_hash(flow, code), row.get::<String, _>(0));
    if !good {
        sqlx::query("UPDATE otp_codes SET attempts = attempts + 1 WHERE flow_hash = $1")
            .bind(&flow_hash)
            .execute(db.write())
            .await?;
        let left = OTP_MAX_ATTEMPTS - attempts - 1;
        return Ok(Err(if left == 0 { OtpError::TooManyAttempts } else { OtpError::Wrong(left) }));
    }
    // Consumed only if nobody else consumed it meanwhile: a code works once.
    let r = sqlx::query("UPDATE otp_codes SET consumed_at = $1 WHERE flow_hash = $2 AND consumed_at IS NULL")
        .bind(now)
        .bind(&flow_hash)
        .execute(db.write())
        .await?;
    if r.rows_affected() != 1 {
        return Ok(Err(OtpError::Expired));
    }
    serde_json::from_str(&row.get::<String, _>(1))
        .map(Ok)
        .map_err(|_| AppError::new(ErrorCode::Internal, "unreadable one-time code payload"))
}
