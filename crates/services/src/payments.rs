//! Online fee payment through a payment provider, in the pattern of the national payment platform
//! (Nền tảng thanh toán trực tuyến của Cổng Dịch vụ công quốc gia):
//!
//! 1. **Start.** dancu creates a payment of the application's fee (its id is the payment
//!    reference) and sends the citizen to the provider's payment page with the reference, the
//!    amount, the address to come back to and dancu's signature of the three ([`request_message`]).
//! 2. **Callback.** The provider reports the outcome server to server
//!    (`POST /api/v1/services/payments/callback`), signed with the shared secret
//!    ([`callback_message`]). dancu checks the signature, that the reference is one of its
//!    payments and that the amount is the fee. A callback is applied once: a repeated one changes
//!    nothing and answers `already_applied`; another transaction for a settled payment is refused.
//! 3. The citizen comes back to the application's page.
//!
//! Signatures are hex HMAC-SHA256 under the shared secret of lines joined with `\n`. The first
//! line names the message, so the request signature a citizen sees cannot pass as a callback.
//!
//! Which provider is a setting ([`ProviderKind`]): none by default (starting a payment is refused
//! with a message saying to pay at the desk; the application stays filed), an external provider
//! (its payment page and the shared secret), or the built-in simulator (`/payment-gateway/{id}`
//! pages, mounted only when the settings ask for it: the demo and tests). The simulator checks
//! the request signature as a provider does and reports through the same signed-callback code, so
//! a bare `POST` cannot mark a fee paid. A rejected or withdrawn application that was paid is
//! refunded.

use db::sqlx::{self, AnyConnection, Row};
use db::Db;
use hmac::{Hmac, Mac};
use kernel::{AppError, ErrorCode};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::applications::model::{fee, status, Application};

type HmacSha256 = Hmac<Sha256>;

/// Settings key of the shared secret when the configuration gives none.
const SECRET_KEY: &str = "payment.secret";

/// Shortest shared secret accepted from the configuration: an HMAC key much shorter than this
/// could be guessed from signed callbacks.
pub const MIN_SECRET_LEN: usize = 16;

/// Longest payment reference or transaction id a callback may carry.
const MAX_ID_LEN: usize = 64;

/// First line of a signed payment request (dancu → provider, through the citizen's browser).
const REQUEST_TAG: &str = "payment-request";

/// First line of a signed callback (provider → dancu, server to server).
const CALLBACK_TAG: &str = "payment-callback";

/// Path of the simulator's pages (under the public URL).
pub const SIMULATOR_PATH: &str = "/payment-gateway";

/// Which payment provider the server sends citizens to (`services.payment_provider`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    /// None: starting a payment is refused and fees are paid at the one-stop desk.
    #[default]
    None,
    /// The built-in simulated bank at `/payment-gateway/{id}`: for the demo and tests only.
    Simulator,
    /// An external provider: its payment page (`payment_url`) and the callback secret
    /// (`payment_secret`).
    External,
}

/// Where citizens are sent to pay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Provider {
    /// No provider: online payment is refused.
    None,
    /// The simulator's pages, `{public_url}/payment-gateway`.
    Simulator { pages: String },
    /// The external provider's payment page.
    External { payment_url: String },
}

/// Checks an external provider's payment page address: `https://`, or `http://` on a loopback
/// host (a provider's test double beside the server); no spaces or fragment.
pub fn check_payment_url(url: &str) -> Result<(), String> {
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) || url.contains('#') {
        return Err(format!("must not contain spaces or a fragment: {url:?}"));
    }
    let (plain, rest) = match (url.strip_prefix("https://"), url.strip_prefix("http://")) {
        (Some(rest), _) => (false, rest),
        (None, Some(rest)) => (true, rest),
        (None, None) => return Err(format!("must be an https:// address, got {url:?}")),
    };
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.split(':').next().unwrap_or(""),
    };
    if host.is_empty() {
        return Err(format!("has no host: {url:?}"));
    }
    if plain && !matches!(host, "127.0.0.1" | "localhost" | "::1") {
        return Err(format!("must be https:// outside loopback addresses, got {url:?}"));
    }
    Ok(())
}

/// The shared secret, as the HMAC-SHA256 it keys (cloned for each signature).
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
    /// [`MIN_SECRET_LEN`] long), else a random secret created once and kept in `svc_settings`
    /// (enough for the simulator, which signs its own callbacks).
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

    /// Hex HMAC-SHA256 of a message ([`request_message`], [`callback_message`]).
    pub fn sign(&self, message: &[u8]) -> String {
        let mut mac = self.mac.clone();
        mac.update(message);
        hex::encode(mac.finalize().into_bytes())
    }

    /// Checks a signature in constant time.
    pub fn verify(&self, message: &[u8], signature_hex: &str) -> bool {
        let Ok(sig) = hex::decode(signature_hex.trim()) else { return false };
        let mut mac = self.mac.clone();
        mac.update(message);
        mac.verify_slice(&sig).is_ok()
    }
}

/// What dancu signs when it sends a citizen to pay: `payment-request`, the reference, the amount
/// in đồng (decimal) and the return address, one per line.
pub fn request_message(reference: &str, amount: &str, return_url: &str) -> String {
    format!("{REQUEST_TAG}\n{reference}\n{amount}\n{return_url}")
}

/// What a provider signs in a callback: `payment-callback`, the reference, the amount in đồng
/// (decimal), the result and the provider's transaction id, one per line.
pub fn callback_message(cb: &Callback) -> String {
    format!("{CALLBACK_TAG}\n{}\n{}\n{}\n{}", cb.payment_id, cb.amount_vnd, cb.result, cb.gateway_ref)
}

/// A payment of one application's fee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
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

fn payment_from(r: &db::Row) -> Result<Payment, AppError> {
    Ok(Payment {
        id: r.try_get("id")?,
        application_id: r.try_get("application_id")?,
        amount_vnd: r.try_get("amount_vnd")?,
        status: r.try_get("status")?,
        gateway_ref: r.try_get("gateway_ref")?,
        created_at: r.try_get("created_at")?,
        paid_at: r.try_get("paid_at")?,
    })
}

const PAYMENT_COLUMNS: &str = "id, application_id, amount_vnd, status, gateway_ref, created_at, paid_at";

/// A payment by id.
pub async fn get(db: &Db, id: &str) -> Result<Option<Payment>, AppError> {
    let row = sqlx::query(&format!("SELECT {PAYMENT_COLUMNS} FROM svc_payments WHERE id = $1"))
        .bind(id)
        .fetch_optional(db.read())
        .await?;
    row.as_ref().map(payment_from).transpose()
}

/// The refusal when no provider is configured: the application stays filed, the fee unpaid.
#[track_caller]
pub fn no_provider() -> AppError {
    AppError::new(ErrorCode::Conflict, "no payment provider is configured: online payment is off").with_message(
        "Chưa có cổng thanh toán trực tuyến nên không thể nộp lệ phí trực tuyến. Hồ sơ của bạn vẫn được giữ; \
         vui lòng nộp lệ phí tại bộ phận một cửa.",
        "No online payment provider is configured, so the fee cannot be paid online. Your application stays \
         filed; please pay the fee at the one-stop desk.",
    )
}

/// A started payment and the provider's page to send the citizen to.
#[derive(Debug, Clone)]
pub struct Started {
    pub payment: Payment,
    /// The provider's payment page with `reference`, `amount`, `return_url` and `signature`.
    pub redirect_url: String,
}

/// A payment request as the provider's page receives it (query or form fields), not yet checked.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PaymentRequest {
    pub reference: String,
    pub amount: String,
    pub return_url: String,
    pub signature: String,
}

/// The payment side of the service: the provider and the shared secret.
#[derive(Clone, Debug)]
pub struct Payments {
    pub provider: Provider,
    pub gateway: Gateway,
}

impl Payments {
    /// The provider the settings name, with the configured secret (else one kept in the
    /// database). `public_url` has no trailing slash. The settings must be free of
    /// [`crate::ServicesSettings::problems`].
    pub async fn load(db: &Db, settings: &crate::ServicesSettings, public_url: &str) -> Result<Payments, AppError> {
        let provider = match settings.payment_provider {
            ProviderKind::None => Provider::None,
            ProviderKind::Simulator => Provider::Simulator { pages: format!("{public_url}{SIMULATOR_PATH}") },
            ProviderKind::External => {
                let url =
                    settings.payment_url.clone().ok_or_else(|| AppError::invalid("services.payment_url: not set"))?;
                Provider::External { payment_url: url }
            }
        };
        Ok(Payments { provider, gateway: Gateway::load(db, settings.payment_secret.as_deref()).await? })
    }

    /// Whether citizens can pay online (a provider is configured).
    pub fn online(&self) -> bool {
        self.provider != Provider::None
    }

    /// Whether the simulator's pages are served.
    pub fn simulator_enabled(&self) -> bool {
        matches!(self.provider, Provider::Simulator { .. })
    }

    /// Starts paying an application's fee (or takes the payment already waiting for the
    /// provider) and says where to send the citizen; `return_url` is where the provider sends
    /// them back. Refused when there is no fee to pay, and with [`no_provider`] when no provider
    /// is configured (nothing is stored then). `now` is UTC milliseconds.
    pub async fn start(&self, db: &Db, app: &Application, return_url: &str, now: i64) -> Result<Started, AppError> {
        if app.fee_status != fee::UNPAID {
            return Err(AppError::new(ErrorCode::Conflict, "this application has no fee to pay"));
        }
        if !status::OPEN.contains(&app.status.as_str()) {
            return Err(AppError::new(ErrorCode::Conflict, "only a submitted application can be paid"));
        }
        if !self.online() {
            return Err(no_provider());
        }
        let payment = pending_or_new(db, app, now).await?;
        let redirect_url = self.payment_page(&payment, return_url)?;
        Ok(Started { payment, redirect_url })
    }

    /// The provider's page for a payment, with the signed request in its query.
    fn payment_page(&self, payment: &Payment, return_url: &str) -> Result<String, AppError> {
        let base = match &self.provider {
            Provider::None => return Err(no_provider()),
            Provider::Simulator { pages } => format!("{pages}/{}", payment.id),
            Provider::External { payment_url } => payment_url.clone(),
        };
        let amount = payment.amount_vnd.to_string();
        let signature = self.gateway.sign(request_message(&payment.id, &amount, return_url).as_bytes());
        let query = serde_urlencoded::to_string([
            ("reference", payment.id.as_str()),
            ("amount", amount.as_str()),
            ("return_url", return_url),
            ("signature", signature.as_str()),
        ])
        .map_err(|e| AppError::internal_from("payment request", e))?;
        let sep = if base.contains('?') { '&' } else { '?' };
        Ok(format!("{base}{sep}{query}"))
    }

    /// Applies a provider's callback ([`handle_callback`]).
    pub async fn callback(
        &self,
        db: &Db,
        cb: &Callback,
        signature: &str,
        now: i64,
    ) -> Result<(CallbackOutcome, Payment), AppError> {
        handle_callback(db, &self.gateway, cb, signature, now).await
    }

    /// The simulated bank reads a payment request as a provider does: only with the simulator
    /// on (else `not_found`), only with dancu's signature (else `forbidden`). Returns the payment
    /// and the amount the request asks for.
    pub async fn simulator_request(&self, db: &Db, req: &PaymentRequest) -> Result<(Payment, i64), AppError> {
        if !self.simulator_enabled() {
            return Err(AppError::not_found("no payment simulator"));
        }
        let message = request_message(&req.reference, &req.amount, &req.return_url);
        if !self.gateway.verify(message.as_bytes(), &req.signature) {
            return Err(AppError::forbidden("the payment request is not signed by this server"));
        }
        let amount = req.amount.parse::<i64>().map_err(|_| AppError::invalid("amount: not a whole number"))?;
        let payment = get(db, &req.reference).await?.ok_or_else(|| AppError::not_found("no such payment"))?;
        Ok((payment, amount))
    }

    /// The simulated bank charges the requested amount (or declines) and reports it as a
    /// provider does: a callback signed with the shared secret, applied by [`handle_callback`]
    /// (signature, reference, amount, once). Its transaction id follows from the reference and
    /// the result, so a repeated confirmation is the same callback and changes nothing. `now` is
    /// UTC milliseconds.
    pub async fn simulate(
        &self,
        db: &Db,
        req: &PaymentRequest,
        approved: bool,
        now: i64,
    ) -> Result<(CallbackOutcome, Payment), AppError> {
        let (payment, amount_vnd) = self.simulator_request(db, req).await?;
        let result = if approved { "success" } else { "failed" };
        let digest = hex::encode(Sha256::digest(format!("{}\n{result}", payment.id)));
        let cb = Callback {
            payment_id: payment.id,
            amount_vnd,
            result: result.into(),
            gateway_ref: format!("SIM-{}", digest.get(..16).unwrap_or(&digest)),
        };
        let signature = self.gateway.sign(callback_message(&cb).as_bytes());
        handle_callback(db, &self.gateway, &cb, &signature, now).await
    }
}

/// The application's pending payment, else a new one of its fee.
async fn pending_or_new(db: &Db, app: &Application, now: i64) -> Result<Payment, AppError> {
    let pending = sqlx::query(&format!(
        "SELECT {PAYMENT_COLUMNS} FROM svc_payments WHERE application_id = $1 AND status = 'pending'"
    ))
    .bind(&app.id)
    .fetch_optional(db.write())
    .await?;
    if let Some(p) = pending {
        return payment_from(&p);
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

/// What a provider reports (the JSON body of the callback; the signature of
/// [`callback_message`] travels in `X-Signature`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Callback {
    /// The payment reference dancu sent.
    pub payment_id: String,
    pub amount_vnd: i64,
    /// `success` or `failed`.
    pub result: String,
    /// The provider's transaction id (letters, digits and `-_.:`, at most 64).
    pub gateway_ref: String,
}

/// Letters, digits and `-_.:`, 1 to [`MAX_ID_LEN`] characters: no line break can change what a
/// signature covers.
fn plain_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_ID_LEN && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

impl Callback {
    /// Refuses a callback whose fields are not of the documented shapes.
    fn check_shape(&self) -> Result<(), AppError> {
        if !plain_id(&self.payment_id) {
            return Err(AppError::invalid("payment_id: not a payment reference"));
        }
        if !plain_id(&self.gateway_ref) {
            return Err(AppError::invalid("gateway_ref: 1 to 64 letters, digits or -_.:"));
        }
        if !matches!(self.result.as_str(), "success" | "failed") {
            return Err(AppError::invalid("result: must be success or failed"));
        }
        if self.amount_vnd <= 0 {
            return Err(AppError::invalid("amount_vnd: must be positive"));
        }
        Ok(())
    }
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

/// Verifies and applies a provider's callback. A malformed callback, a bad signature, an unknown
/// payment or an amount other than the fee is refused and changes nothing; the same callback
/// again changes nothing and answers [`CallbackOutcome::AlreadyApplied`]; another outcome or
/// transaction for a settled payment is a `conflict`. `now` is UTC milliseconds, the time of the
/// callback, passed so tests can fix time.
pub async fn handle_callback(
    db: &Db,
    gateway: &Gateway,
    cb: &Callback,
    signature: &str,
    now: i64,
) -> Result<(CallbackOutcome, Payment), AppError> {
    cb.check_shape()?;
    if !gateway.verify(callback_message(cb).as_bytes(), signature) {
        return Err(AppError::forbidden("bad callback signature"));
    }
    let payment = get(db, &cb.payment_id).await?.ok_or_else(|| AppError::not_found("no such payment"))?;
    if cb.amount_vnd != payment.amount_vnd {
        return Err(AppError::invalid("callback amount differs from the fee"));
    }
    let paid = cb.result == "success";
    let new_status = if paid { "paid" } else { "failed" };
    if payment.status != "pending" {
        return repeated(payment, cb);
    }
    let mut tx = db.begin().await?;
    let n = sqlx::query(
        "UPDATE svc_payments SET status = $1, gateway_ref = $2, paid_at = $3 WHERE id = $4 AND status = 'pending'",
    )
    .bind(new_status)
    .bind(&cb.gateway_ref)
    .bind(if paid { Some(now) } else { None })
    .bind(&payment.id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        // A concurrent delivery settled it first.
        drop(tx);
        let now_settled = get(db, &payment.id).await?.ok_or_else(|| AppError::internal("payment vanished"))?;
        return repeated(now_settled, cb);
    }
    if paid {
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
        crate::fines::settle_in(&mut tx, &payment.application_id, now).await?;
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
    let outcome = if paid { CallbackOutcome::Paid } else { CallbackOutcome::Failed };
    let settled = get(db, &payment.id).await?.ok_or_else(|| AppError::internal("payment vanished"))?;
    Ok((outcome, settled))
}

/// A callback for a payment that is no longer pending: the same result and transaction again is
/// acknowledged; anything else is refused.
fn repeated(payment: Payment, cb: &Callback) -> Result<(CallbackOutcome, Payment), AppError> {
    let recorded = match payment.status.as_str() {
        "paid" | "refunded" => "success",
        "failed" => "failed",
        _ => "",
    };
    if recorded == cb.result && payment.gateway_ref.as_deref() == Some(cb.gateway_ref.as_str()) {
        Ok((CallbackOutcome::AlreadyApplied, payment))
    } else {
        Err(AppError::new(ErrorCode::Conflict, "the payment was already settled by another transaction"))
    }
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
    crate::fines::release_in(tx, &app.id).await?;
    let note = format!("{} đồng", app.fee_vnd);
    crate::applications::events::add(tx, &app.id, "gateway", actor_label, "refunded", &note, now).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn callback(amount_vnd: i64, gateway_ref: &str) -> Callback {
        Callback { payment_id: "abc123".into(), amount_vnd, result: "success".into(), gateway_ref: gateway_ref.into() }
    }

    #[test]
    fn signatures_verify_only_with_the_same_secret_and_message() {
        let g = Gateway::with_secret(b"0123456789abcdef0123").unwrap();
        let message = callback_message(&callback(7000, "TXN-42"));
        let sig = g.sign(message.as_bytes());
        assert!(g.verify(message.as_bytes(), &sig));
        assert!(!g.verify(callback_message(&callback(7001, "TXN-42")).as_bytes(), &sig));
        assert!(!Gateway::with_secret(b"another-secret-000000").unwrap().verify(message.as_bytes(), &sig));
        assert!(!g.verify(message.as_bytes(), "not hex"));
        assert!(!g.verify(message.as_bytes(), ""));
    }

    #[test]
    fn signed_messages_are_the_documented_lines() {
        // Expected values computed outside Rust (Python's hmac), so a change of format shows.
        let g = Gateway::with_secret(b"0123456789abcdef0123").unwrap();
        assert_eq!(
            g.sign(callback_message(&callback(7000, "TXN-42")).as_bytes()),
            "19b6875a2004e77a6ba251062020079a2e83c469b748a6ac51f11a4659e1999a"
        );
        assert_eq!(
            g.sign(request_message("abc123", "7000", "https://dancu.example.vn/applications/a1").as_bytes()),
            "05090bed184b0a137a667e50ff5f271a689796becb6a6a9ceab31bb16953ae4c"
        );
        // A request signature (shown to the citizen) never passes as a callback's, even when its
        // other lines are the callback's.
        let req = g.sign(request_message("abc123", "7000", "success\nTXN-42").as_bytes());
        assert!(!g.verify(callback_message(&callback(7000, "TXN-42")).as_bytes(), &req));
    }

    #[test]
    fn callbacks_of_the_wrong_shape_are_refused() {
        assert!(callback(7000, "TXN-42").check_shape().is_ok());
        assert!(callback(7000, "TXN\n42").check_shape().is_err(), "a line break would shift the signed lines");
        assert!(callback(7000, "").check_shape().is_err());
        assert!(callback(7000, &"x".repeat(65)).check_shape().is_err());
        assert!(callback(0, "TXN-42").check_shape().is_err());
        let mut other = callback(7000, "TXN-42");
        other.result = "paid".into();
        assert!(other.check_shape().is_err());
    }

    fn payment(status: &str, gateway_ref: Option<&str>) -> Payment {
        Payment {
            id: "abc123".into(),
            application_id: "a1".into(),
            amount_vnd: 7000,
            status: status.into(),
            gateway_ref: gateway_ref.map(str::to_string),
            created_at: 0,
            paid_at: None,
        }
    }

    #[test]
    fn a_settled_payment_acknowledges_only_the_same_callback() {
        let same = repeated(payment("paid", Some("TXN-42")), &callback(7000, "TXN-42")).unwrap();
        assert_eq!(same.0, CallbackOutcome::AlreadyApplied);
        assert_eq!(same.1, payment("paid", Some("TXN-42")), "answered with the payment as it was");
        assert!(repeated(payment("refunded", Some("TXN-42")), &callback(7000, "TXN-42")).is_ok());
        let other = repeated(payment("paid", Some("TXN-42")), &callback(7000, "TXN-43")).unwrap_err();
        assert_eq!(other.code, ErrorCode::Conflict);
        assert!(repeated(payment("failed", Some("TXN-42")), &callback(7000, "TXN-42")).is_err());
    }

    #[test]
    fn payment_pages_carry_the_signed_request() {
        let gateway = Gateway::with_secret(b"0123456789abcdef0123").unwrap();
        let p = payment("pending", None);
        let back = "https://dancu.example.vn/applications/a1";
        let external = Payments {
            provider: Provider::External { payment_url: "https://pay.example.vn/checkout?merchant=dancu".into() },
            gateway: gateway.clone(),
        };
        let url = external.payment_page(&p, back).unwrap();
        let (base, query) = url.split_once("?merchant=dancu&").unwrap();
        assert_eq!(base, "https://pay.example.vn/checkout");
        let req: PaymentRequest = serde_urlencoded::from_str(query).unwrap();
        assert_eq!((req.reference.as_str(), req.amount.as_str(), req.return_url.as_str()), ("abc123", "7000", back));
        assert!(gateway.verify(request_message("abc123", "7000", back).as_bytes(), &req.signature));
        let sim = Payments {
            provider: Provider::Simulator { pages: "http://127.0.0.1:8080/payment-gateway".into() },
            gateway: gateway.clone(),
        };
        assert!(sim.payment_page(&p, back).unwrap().starts_with("http://127.0.0.1:8080/payment-gateway/abc123?"));
        let none = Payments { provider: Provider::None, gateway };
        assert_eq!(none.payment_page(&p, back).unwrap_err().code, ErrorCode::Conflict);
        assert!(!none.online() && !none.simulator_enabled() && sim.simulator_enabled() && external.online());
    }

    #[test]
    fn the_refusal_without_a_provider_speaks_both_languages() {
        let e = no_provider();
        let (vi, en) = e.message();
        assert!(vi.contains("cổng thanh toán") && vi.contains("một cửa"), "{vi}");
        assert!(en.contains("No online payment provider") && en.contains("one-stop desk"), "{en}");
    }

    #[test]
    fn payment_pages_must_be_https_outside_loopback() {
        assert!(check_payment_url("https://thanhtoan.dichvucong.gov.vn/pay").is_ok());
        assert!(check_payment_url("http://127.0.0.1:9000/pay").is_ok());
        assert!(check_payment_url("http://[::1]:9000/pay").is_ok());
        assert!(check_payment_url("http://pay.example.vn/pay").is_err());
        assert!(check_payment_url("http://127.0.0.1.evil.vn/pay").is_err());
        assert!(check_payment_url("https:///pay").is_err());
        assert!(check_payment_url("ftp://pay.example.vn").is_err());
        assert!(check_payment_url("https://pay.example.vn/a b").is_err());
        assert!(check_payment_url("https://pay.example.vn/#x").is_err());
    }
}
