//! Online fee payment through a payment gateway (Cổng thanh toán của Cổng DVC quốc gia, banks,
//! e-wallets). dancu creates a payment and sends the citizen to the gateway; the gateway reports
//! the outcome in a callback whose body is signed with HMAC-SHA256 under a secret shared with
//! dancu (`X-Signature` header, hex). A callback is applied once: a repeated one changes nothing.
//! A rejected application that was paid is refunded.
//!
//! The built-in gateway (`/payment-gateway/…` pages) simulates a bank for the demo and tests: it
//! signs its callback with the same secret and delivers it through the same verification code
//! path a real gateway's HTTP callback takes.

use db::sqlx::{self, AnyConnection, Row};
use db::Db;
use hmac::{Hmac, Mac};
use kernel::{AppError, ErrorCode};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use utoipa::ToSchema;

use crate::applications::model::{fee, status, Application};

type HmacSha256 = Hmac<Sha256>;

/// Settings key of the shared secret when the configuration gives none.
const SECRET_KEY: &str = "payment.secret";

/// Shortest shared secret accepted from the configuration: an HMAC key much shorter than this
/// could be guessed from signed callbacks.
pub const MIN_SECRET_LEN: usize = 16;

/// The gateway's shared secret, as the HMAC-SHA256 it keys (cloned for each signature).
#[derive(Clone)]
pub struct Gateway {
    mac: HmacSha256,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Gateway(secret hidden)")
    }
}

impl Gateway {
    /// Fails only if the HMAC refuses the key (HMAC takes keys of any length).
    pub fn with_secret(secret: &[u8]) -> Result<Gateway, AppError> {
        let mac = HmacSha256::new_from_slice(secret).map_err(|_| AppError::internal("payment secret refused"))?;
        Ok(Gateway { mac })
    }

    /// The configured secret (checked by the configuration's validation to be at least
    /// [`MIN_SECRET_LEN`] long), else a random secret created once and kept in `svc_settings`.
    pub async fn load(db: &Db, configured: Option<&str>) -> Result<Gateway, AppError> {
        if let Some(s) = configured {
            return Gateway::with_secret(s.as_bytes());
        }
        let mut fresh = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut fresh);
        sqlx::query("INSERT INTO svc_settings (key, value) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(SECRET_KEY)
            .bind(hex::encode(fresh))
            .execute(db.write())
            .await?;
        let row =
            sqlx::query("SELECT value FROM svc_settings WHERE key = $1").bind(SECRET_KEY).fetch_one(db.write()).await?;
        let secret = hex::decode(row.get::<String, _>(0)).map_err(|e| AppError::internal_from("payment secret", e))?;
        Gateway::with_secret(&secret)
    }

    /// Hex HMAC-SHA256 of a callback body.
    pub fn sign(&self, body: &[u8]) -> String {
        let mut mac = self.mac.clone();
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    }

    /// Checks a signature in constant time.
    pub fn verify(&self, body: &[u8], signature_hex: &str) -> bool {
        let Ok(sig) = hex::decode(signature_hex.trim()) else { return false };
        let mut mac = self.mac.clone();
        mac.update(body);
        mac.verify_slice(&sig).is_ok()
    }
}

/// A payment of one application's fee.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Payment {
    pub id: String,
    pub application_id: String,
    pub amount_vnd: i64,
    /// `pending`, `paid`, `failed` or `refunded`.
    pub status: String,
    pub gateway_ref: Option<String>,
    pub created_at: i64,
    pub paid_at: Option<i64>,
}

fn payment_from(r: &db::Row) -> Payment {
    Payment {
        id: r.get(0),
        application_id: r.get(1),
        amount_vnd: r.get(2),
        status: r.get(3),
        gateway_ref: r.get(4),
        created_at: r.get(5),
        paid_at: r.get(6),
    }
}

const PAYMENT_COLUMNS: &str = "id, application_id, amount_vnd, status, gateway_ref, created_at, paid_at";

/// A payment by id.
pub async fn get(db: &Db, id: &str) -> Result<Option<Payment>, AppError> {
    let row = sqlx::query(&format!("SELECT {PAYMENT_COLUMNS} FROM svc_payments WHERE id = $1"))
        .bind(id)
        .fetch_optional(db.read())
        .await?;
    Ok(row.as_ref().map(payment_from))
}

/// Starts paying an application's fee, or returns the payment already waiting for the gateway.
pub async fn start(db: &Db, app: &Application, now: i64) -> Result<Payment, AppError> {
    if app.fee_status != fee::UNPAID {
        return Err(AppError::new(ErrorCode::Conflict, "this application has no fee to pay"));
    }
    if !status::OPEN.contains(&app.status.as_str()) {
        return Err(AppError::new(ErrorCode::Conflict, "only a submitted application can be paid"));
    }
    let pending = sqlx::query(&format!(
        "SELECT {PAYMENT_COLUMNS} FROM svc_payments WHERE application_id = $1 AND status = 'pending'"
    ))
    .bind(&app.id)
    .fetch_optional(db.write())
    .await?;
    if let Some(p) = pending {
        return Ok(payment_from(&p));
    }
    let id = kernel::ids::new_id();
    sqlx::query(
        "INSERT INTO svc_payments (id, application_id, amount_vnd, status, gateway_ref, created_at, paid_at, \
         refunded_at) VALUES ($1, $2, $3, 'pending', NULL, $4, NULL, NULL)",
    )
    .bind(&id)
    .bind(&app.id)
    .bind(app.fee_vnd)
    .bind(now)
    .execute(db.write())
    .await?;
    get(db, &id).await?.ok_or_else(|| AppError::internal("payment vanished"))
}

/// What a gateway reports.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Callback {
    pub payment_id: String,
    pub amount_vnd: i64,
    /// `success` or `failed`.
    pub result: String,
    /// The gateway's own transaction reference.
    pub gateway_ref: String,
}

/// What applying a callback did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallbackOutcome {
    Paid,
    Failed,
    /// The same outcome was already recorded; nothing changed.
    AlreadyApplied,
}

/// Verifies and applies a gateway callback. A bad signature, an unknown payment or a wrong amount
/// is refused and changes nothing. `now` is UTC milliseconds, the time of the callback, passed so
/// tests can fix time.
pub async fn handle_callback(
    db: &Db,
    gateway: &Gateway,
    body: &[u8],
    signature: &str,
    now: i64,
) -> Result<(CallbackOutcome, Payment), AppError> {
    if !gateway.verify(body, signature) {
        return Err(AppError::new(ErrorCode::Forbidden, "bad callback signature"));
    }
    let cb: Callback = serde_json::from_slice(body).map_err(|e| AppError::invalid(format!("callback: {e}")))?;
    let payment = get(db, &cb.payment_id).await?.ok_or_else(|| AppError::not_found("no such payment"))?;
    if cb.amount_vnd != payment.amount_vnd {
        return Err(AppError::invalid("callback amount differs from the payment"));
    }
    let new_status = match cb.result.as_str() {
        "success" => "paid",
        "failed" => "failed",
        other => return Err(AppError::invalid(format!("result: unknown value {other:?}"))),
    };
    if payment.status != "pending" {
        return Ok((CallbackOutcome::AlreadyApplied, payment));
    }
    let mut tx = db.begin().await?;
    let n = sqlx::query(
        "UPDATE svc_payments SET status = $1, gateway_ref = $2, paid_at = $3 WHERE id = $4 AND status = 'pending'",
    )
    .bind(new_status)
    .bind(&cb.gateway_ref)
    .bind(if new_status == "paid" { Some(now) } else { None })
    .bind(&payment.id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        // A concurrent delivery of the same callback won.
        return Ok((CallbackOutcome::AlreadyApplied, payment));
    }
    if new_status == "paid" {
        sqlx::query(
            "UPDATE svc_applications SET fee_status = $1, paid_online = 1, updated_at = $2, version = version + 1 \
             WHERE id = $3 AND fee_status = $4",
        )
        .bind(fee::PAID)
        .bind(now)
        .bind(&payment.application_id)
        .bind(fee::UNPAID)
        .execute(&mut *tx)
        .await?;
        let note = format!("{} đồng, mã giao dịch {}", payment.amount_vnd, cb.gateway_ref);
        crate::applications::events::add(
            &mut tx,
            &payment.application_id,
            "gateway",
            "Cổng thanh toán",
            "paid",
            &note,
            now,
        )
        .await?;
    }
    tx.commit().await?;
    let outcome = if new_status == "paid" { CallbackOutcome::Paid } else { CallbackOutcome::Failed };
    Ok((outcome, get(db, &payment.id).await?.unwrap_or(payment)))
}

/// Refunds a paid fee inside the caller's transaction (the application was rejected). Returns
/// whether anything was refunded. `now` is UTC milliseconds, the time of the refund.
pub async fn refund_in(
    tx: &mut AnyConnection,
    app: &Application,
    actor_label: &str,
    now: i64,
) -> Result<bool, AppError> {
    if app.fee_status != fee::PAID {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE svc_payments SET status = 'refunded', refunded_at = $1 WHERE application_id = $2 AND status = 'paid'",
    )
    .bind(now)
    .bind(&app.id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE svc_applications SET fee_status = $1 WHERE id = $2")
        .bind(fee::REFUNDED)
        .bind(&app.id)
        .execute(&mut *tx)
        .await?;
    let note = format!("{} đồng", app.fee_vnd);
    crate::applications::events::add(tx, &app.id, "gateway", actor_label, "refunded", &note, now).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_only_with_the_same_secret_and_body() {
        let g = Gateway::with_secret(b"0123456789abcdef0123").unwrap();
        let body = br#"{"payment_id":"p","amount_vnd":7000,"result":"success","gateway_ref":"x"}"#;
        let sig = g.sign(body);
        assert!(g.verify(body, &sig));
        assert!(!g.verify(b"{}", &sig));
        assert!(!Gateway::with_secret(b"another-secret-000000").unwrap().verify(body, &sig));
        assert!(!g.verify(body, "not hex"));
    }
}
