//! Security events for the provincial security operations centre (SOC): failed sign-ins,
//! lockouts, password and second-factor changes, CSRF refusals, rate-limit hits, refused tokens and
//! scopes, administrators' actions and jurisdiction refusals.
//!
//! An event names its subject only by a keyed pseudonym (HMAC-SHA256 under a secret key, see
//! [`Pseudonymizer`]): the SOC can tell that two events concern the same account without learning
//! which one, and an id cannot be recovered from its pseudonym without the key.
//!
//! Recording must neither slow nor fail the request that causes it: [`SecurityLog::record`] only
//! puts the event on a bounded queue (a full queue drops it and counts the loss in the
//! `dancu_security_events_dropped_total` metric); a background task stores what is queued in one
//! transaction per batch, then hands the batch to the exporters (syslog, OpenTelemetry), which the
//! binary provides through [`Export`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use db::held::Held;
use db::sqlx::{self, Connection, Row};
use db::Db;
use hmac::{Hmac, Mac};
use kernel::{AppError, Page, PageRequest};
use serde::Serialize;
use sha2::Sha256;
use tokio::sync::{mpsc, oneshot};

/// What happened. The names are stable: the SOC's rules match on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A password, second-factor or passkey sign-in was refused.
    SignInFailed,
    /// Failed sign-ins started the progressive lockout of an account.
    AccountLocked,
    /// A password was set anew (forgotten-password recovery).
    PasswordChanged,
    /// Two-step verification or a passkey was turned on, off or renewed.
    SecondFactorChanged,
    /// A session's state-changing request came without its anti-CSRF token.
    CsrfRefused,
    /// A rate limit refused a request.
    RateLimited,
    /// A bearer token, client credential, code or refresh token was refused.
    TokenRefused,
    /// A token lacked the scope an operation needs, or a client asked for a scope it may not have.
    ScopeRefused,
    /// An administrator changed something, or read the security events.
    AdminAction,
    /// An officer asked for data outside their jurisdiction.
    JurisdictionRefused,
    /// A data-exchange request from another system was refused (the exchange gateway: bad
    /// signature, replay, no right, quota…).
    ExchangeRefused,
    /// A check of the access log's seals found rows deleted, changed or slipped in (`audit::seal`).
    AccessLogTampered,
}

/// RFC 5424 severities (section 6.2.1), most urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Emergency = 0,
    Alert = 1,
    Critical = 2,
    Error = 3,
    Warning = 4,
    Notice = 5,
    Informational = 6,
    Debug = 7,
}

/// Whether the attempt the event describes succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Failure,
}

impl Kind {
    pub const ALL: [Kind; 12] = [
        Kind::SignInFailed,
        Kind::AccountLocked,
        Kind::PasswordChanged,
        Kind::SecondFactorChanged,
        Kind::CsrfRefused,
        Kind::RateLimited,
        Kind::TokenRefused,
        Kind::ScopeRefused,
        Kind::AdminAction,
        Kind::JurisdictionRefused,
        Kind::ExchangeRefused,
        Kind::AccessLogTampered,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::SignInFailed => "sign_in_failed",
            Kind::AccountLocked => "account_locked",
            Kind::PasswordChanged => "password_changed",
            Kind::SecondFactorChanged => "second_factor_changed",
            Kind::CsrfRefused => "csrf_refused",
            Kind::RateLimited => "rate_limited",
            Kind::TokenRefused => "token_refused",
            Kind::ScopeRefused => "scope_refused",
            Kind::AdminAction => "admin_action",
            Kind::JurisdictionRefused => "jurisdiction_refused",
            Kind::ExchangeRefused => "exchange_refused",
            Kind::AccessLogTampered => "access_log_tampered",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// How urgent the SOC should take one event of this kind: a lockout or a refusal that only a
    /// forged or stolen request causes is a warning; the rest is notable routine.
    pub fn severity(self) -> Severity {
        match self {
            Kind::AccessLogTampered => Severity::Alert,
            Kind::AccountLocked
            | Kind::CsrfRefused
            | Kind::ScopeRefused
            | Kind::JurisdictionRefused
            | Kind::ExchangeRefused
            | Kind::TokenRefused => Severity::Warning,
            Kind::SignInFailed
            | Kind::RateLimited
            | Kind::PasswordChanged
            | Kind::SecondFactorChanged
            | Kind::AdminAction => Severity::Notice,
        }
    }

    pub fn outcome(self) -> Outcome {
        match self {
            Kind::PasswordChanged | Kind::SecondFactorChanged | Kind::AdminAction => Outcome::Success,
            _ => Outcome::Failure,
        }
    }

    /// Vietnamese and English names for the administrators' page.
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            Kind::SignInFailed => ("Đăng nhập thất bại", "Sign-in failed"),
            Kind::AccountLocked => ("Tài khoản bị tạm khóa", "Account locked"),
            Kind::PasswordChanged => ("Đổi mật khẩu", "Password changed"),
            Kind::SecondFactorChanged => ("Đổi xác thực hai bước", "Second factor changed"),
            Kind::CsrfRefused => ("Từ chối do thiếu mã CSRF", "CSRF refused"),
            Kind::RateLimited => ("Vượt giới hạn tần suất", "Rate limited"),
            Kind::TokenRefused => ("Từ chối mã truy cập", "Token refused"),
            Kind::ScopeRefused => ("Từ chối phạm vi truy cập", "Scope refused"),
            Kind::AdminAction => ("Thao tác quản trị", "Administrator action"),
            Kind::JurisdictionRefused => ("Ngoài phạm vi quản lý", "Jurisdiction refused"),
            Kind::ExchangeRefused => ("Từ chối trao đổi dữ liệu", "Exchange refused"),
            Kind::AccessLogTampered => ("Nhật ký truy cập bị can thiệp", "Access log tampered with"),
        }
    }
}

impl Severity {
    pub fn code(self) -> u8 {
        self as u8
    }

    fn from_code(code: i64) -> Option<Severity> {
        [
            Severity::Emergency,
            Severity::Alert,
            Severity::Critical,
            Severity::Error,
            Severity::Warning,
            Severity::Notice,
            Severity::Informational,
            Severity::Debug,
        ]
        .into_iter()
        .find(|s| i64::from(s.code()) == code)
    }
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
        }
    }

    fn parse(s: &str) -> Option<Outcome> {
        [Outcome::Success, Outcome::Failure].into_iter().find(|o| o.as_str() == s)
    }
}

/// An event as the code that notices it describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityEvent {
    pub kind: Kind,
    /// Whom it concerns, in clear (an account id, or `login:` and the login tried when no account
    /// matched); pseudonymised when recorded. None = the signed-in caller, if any.
    pub subject: Option<String>,
    /// A short coded reason with no personal data (`wrong_password`, `POST /admin/accounts/{id}/suspend`).
    pub detail: String,
}

impl SecurityEvent {
    pub fn new(kind: Kind, detail: impl Into<String>) -> SecurityEvent {
        SecurityEvent { kind, subject: None, detail: detail.into() }
    }

    /// The same event about `subject` (see [`SecurityEvent::subject`]).
    #[must_use]
    pub fn about(mut self, subject: impl Into<String>) -> SecurityEvent {
        self.subject = Some(subject.into());
        self
    }
}

/// Where and when a request caused an event; filled in by the HTTP layer.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    /// UTC milliseconds.
    pub at: i64,
    /// The client address (the proxy's `X-Forwarded-For` only when it is trusted); '' if unknown.
    pub client: String,
    /// The route template (`/admin/accounts/{id}/suspend`), never the raw path.
    pub route: String,
    pub request_id: String,
}

impl Origin {
    /// An event the server notices by itself (a background check), with no request behind it.
    pub fn system(at: i64) -> Origin {
        Origin { at, client: String::new(), route: "system".into(), request_id: String::new() }
    }
}

/// A stored event, as the page, the API and the exporters see it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SecurityRecord {
    pub at: i64,
    pub kind: Kind,
    pub severity: Severity,
    pub outcome: Outcome,
    /// Pseudonym of the subject; '' when the event concerns nobody known.
    pub subject: String,
    pub client: String,
    pub route: String,
    pub request_id: String,
    pub detail: String,
}

/// Longest detail kept: details are codes, not prose.
const MAX_DETAIL: usize = 200;

/// Keyed pseudonyms: the first 16 bytes of HMAC-SHA256(key, id), in hex. The same id always gives
/// the same pseudonym under one key.
#[derive(Clone)]
pub struct Pseudonymizer {
    key: Arc<Vec<u8>>,
}

impl std::fmt::Debug for Pseudonymizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pseudonymizer(key hidden)")
    }
}

/// Shortest key accepted, in bytes.
pub const MIN_KEY_LEN: usize = 32;

impl Pseudonymizer {
    /// A pseudonymizer under `key` (at least [`MIN_KEY_LEN`] bytes).
    pub fn new(key: &[u8]) -> Result<Pseudonymizer, AppError> {
        if key.len() < MIN_KEY_LEN {
            return Err(AppError::invalid(format!("the pseudonym key must have at least {MIN_KEY_LEN} bytes")));
        }
        Ok(Pseudonymizer { key: Arc::new(key.to_vec()) })
    }

    pub fn pseudonym(&self, id: &str) -> String {
        // HMAC takes a key of any length, so this cannot fail; an empty pseudonym would only hide
        // the subject.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.key) else { return String::new() };
        mac.update(id.as_bytes());
        let digest = mac.finalize().into_bytes();
        hex::encode(digest.get(..16).unwrap_or_default())
    }
}

/// The key stored in the database, created on first use when the configuration gives none.
pub async fn stored_key(db: &Db) -> Result<Vec<u8>, AppError> {
    let fresh = hex::encode(rand::random::<[u8; 32]>());
    sqlx::query("INSERT INTO security_keys (id, pseudonym_key) VALUES (1, $1) ON CONFLICT (id) DO NOTHING")
        .bind(&fresh)
        .execute(db.write())
        .await?;
    let key: String =
        sqlx::query("SELECT pseudonym_key FROM security_keys WHERE id = 1").fetch_one(db.write()).await?.try_get(0)?;
    hex::decode(key).map_err(|e| AppError::internal_from("stored pseudonym key is not hex", e))
}

/// Where stored events go next (syslog, OpenTelemetry). Called on a blocking thread with each
/// committed batch; an exporter reports its own failures (a lost export must not stop storage).
pub trait Export: Send + Sync + 'static {
    fn export(&self, events: &[SecurityRecord]);
}

enum Msg {
    Event(SecurityRecord),
    Flush(oneshot::Sender<()>),
}

/// Handle for recording security events. Cheap to clone.
#[derive(Clone)]
pub struct SecurityLog {
    tx: mpsc::Sender<Msg>,
    pseudonyms: Pseudonymizer,
    dropped: Arc<AtomicU64>,
}

impl std::fmt::Debug for SecurityLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecurityLog").field("dropped", &self.dropped()).finish_non_exhaustive()
    }
}

/// Events that may wait for the writer; past this, new events are dropped and counted.
const QUEUE: usize = 10_000;
/// Events stored per transaction at most.
const BATCH: usize = 500;

impl SecurityLog {
    /// Starts the writer task on the current runtime.
    pub fn start(db: Db, pseudonyms: Pseudonymizer, exporters: Vec<Arc<dyn Export>>) -> SecurityLog {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(db, rx, exporters));
        SecurityLog { tx, pseudonyms, dropped: Arc::default() }
    }

    /// Queues an event; never waits. The subject is pseudonymised here, so no id in clear leaves
    /// the request.
    pub fn record(&self, event: SecurityEvent, origin: Origin) {
        let mut detail = event.detail;
        if detail.len() > MAX_DETAIL {
            let mut end = MAX_DETAIL;
            while !detail.is_char_boundary(end) {
                end -= 1;
            }
            detail.truncate(end);
        }
        let record = SecurityRecord {
            at: origin.at,
            kind: event.kind,
            severity: event.kind.severity(),
            outcome: event.kind.outcome(),
            subject: event.subject.as_deref().map(|s| self.pseudonyms.pseudonym(s)).unwrap_or_default(),
            client: origin.client,
            route: origin.route,
            request_id: origin.request_id,
            detail,
        };
        if self.tx.try_send(Msg::Event(record)).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            metrics::counter!("dancu_security_events_dropped_total").increment(1);
        }
    }

    /// The pseudonym an id is recorded under (to search the events of one account).
    pub fn pseudonym(&self, id: &str) -> String {
        self.pseudonyms.pseudonym(id)
    }

    /// The keyed pseudonymizer (the access log's seals use the same key).
    pub fn pseudonymizer(&self) -> &Pseudonymizer {
        &self.pseudonyms
    }

    /// Waits until everything recorded before this call is stored and exported.
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Msg::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }

    /// Events dropped because the queue was full, since the start.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// Stores what arrived while the previous batch was written, in one transaction, then exports it.
async fn run(db: Db, mut rx: mpsc::Receiver<Msg>, exporters: Vec<Arc<dyn Export>>) {
    let mut buf = Vec::with_capacity(BATCH);
    let mut held = Held::new(&db, db.write());
    loop {
        if rx.recv_many(&mut buf, BATCH).await == 0 {
            return;
        }
        let mut events = Vec::with_capacity(buf.len());
        let mut waiting = Vec::new();
        for m in buf.drain(..) {
            match m {
                Msg::Event(e) => events.push(e),
                Msg::Flush(done) => waiting.push(done),
            }
        }
        if !events.is_empty() {
            let mut attempt = 0u32;
            while let Err(e) = write_batch(&db, &mut held, &events).await {
                attempt += 1;
                tracing::error!(error = %e, attempt, "security event batch failed; retrying");
                tokio::time::sleep(std::time::Duration::from_millis(100 * u64::from(attempt.min(50)))).await;
            }
            let events = Arc::new(events);
            for exporter in &exporters {
                let (exporter, events) = (exporter.clone(), events.clone());
                if let Err(e) = tokio::task::spawn_blocking(move || exporter.export(&events)).await {
                    tracing::error!(error = %e, "security event export panicked");
                }
            }
        }
        for done in waiting {
            let _ = done.send(());
        }
    }
}

async fn write_batch(db: &Db, held: &mut Held, events: &[SecurityRecord]) -> Result<(), sqlx::Error> {
    let written = insert_batch(db, held, events).await;
    held.done(written.is_ok());
    written
}

async fn insert_batch(db: &Db, held: &mut Held, events: &[SecurityRecord]) -> Result<(), sqlx::Error> {
    let mut tx = held.conn().await?.begin().await?;
    // 9 columns per row; 50 rows per statement keeps well under every placeholder limit.
    for chunk in events.chunks(50) {
        let sql = format!(
            "INSERT INTO security_events (at, kind, severity, outcome, subject, client, route, request_id, detail) \
             VALUES {}",
            db::values(db.backend(), chunk.len(), 9)
        );
        let mut q = sqlx::query(&sql);
        for e in chunk {
            q = q
                .bind(e.at)
                .bind(e.kind.as_str())
                .bind(i64::from(e.severity.code()))
                .bind(e.outcome.as_str())
                .bind(&e.subject)
                .bind(&e.client)
                .bind(&e.route)
                .bind(&e.request_id)
                .bind(&e.detail);
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await
}

/// Conditions of the administrators' listing.
#[derive(Debug, Clone, Default)]
pub struct SecurityFilter {
    pub kind: Option<Kind>,
    /// From this instant (UTC ms, inclusive).
    pub from_ms: Option<i64>,
    /// Before this instant (UTC ms, exclusive).
    pub until_ms: Option<i64>,
    /// A pseudonym, as shown in the events.
    pub subject: Option<String>,
}

const COLUMNS: &str = "at, kind, severity, outcome, subject, client, route, request_id, detail";

fn from_row(r: &db::Row) -> Result<SecurityRecord, AppError> {
    let kind: String = r.try_get(1)?;
    let severity: i64 = r.try_get(2)?;
    let outcome: String = r.try_get(3)?;
    let bad = |what: &str| AppError::internal(format!("security_events holds an unknown {what}"));
    Ok(SecurityRecord {
        at: r.try_get(0)?,
        kind: Kind::parse(&kind).ok_or_else(|| bad("kind"))?,
        severity: Severity::from_code(severity).ok_or_else(|| bad("severity"))?,
        outcome: Outcome::parse(&outcome).ok_or_else(|| bad("outcome"))?,
        subject: r.try_get(4)?,
        client: r.try_get(5)?,
        route: r.try_get(6)?,
        request_id: r.try_get(7)?,
        detail: r.try_get(8)?,
    })
}

/// Newest-first events matching `filter`.
pub async fn list(db: &Db, filter: &SecurityFilter, page: PageRequest) -> Result<Page<SecurityRecord>, AppError> {
    use db::{Arg, Filter};
    let mut f = Filter::new();
    if let Some(k) = filter.kind {
        f.and("kind = ?", Arg::Text(k.as_str().to_string()));
    }
    if let Some(t) = filter.from_ms {
        f.and("at >= ?", Arg::Int(t));
    }
    if let Some(t) = filter.until_ms {
        f.and("at < ?", Arg::Int(t));
    }
    if let Some(s) = &filter.subject {
        f.and("subject = ?", Arg::Text(s.clone()));
    }
    let rows =
        f.fetch_page(db.read(), &format!("SELECT {COLUMNS} FROM security_events"), "at DESC, id DESC", page).await?;
    let items = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_probe(items, page))
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    fn migrations() -> db::MigrationSet {
        db::MigrationSet::new().with(crate::MIGRATIONS)
    }

    fn key() -> Pseudonymizer {
        Pseudonymizer::new(&[7u8; 32]).unwrap()
    }

    #[test]
    fn pseudonyms_are_stable_keyed_and_not_the_id() {
        let p = key();
        let id = "001090000001";
        assert_eq!(p.pseudonym(id), p.pseudonym(id));
        assert_eq!(p.pseudonym(id).len(), 32);
        assert!(!p.pseudonym(id).contains(id));
        assert_ne!(p.pseudonym(id), p.pseudonym("001090000002"));
        let other = Pseudonymizer::new(&[8u8; 32]).unwrap();
        assert_ne!(p.pseudonym(id), other.pseudonym(id), "another key gives other pseudonyms");
        assert!(Pseudonymizer::new(&[1u8; 31]).is_err(), "short keys are refused");
    }

    #[test]
    fn kinds_round_trip_their_stable_names() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
            assert_eq!(serde_json::to_value(k).unwrap(), serde_json::json!(k.as_str()));
        }
        assert_eq!(Kind::parse("sign-in-failed"), None);
    }

    /// Collects what it is given.
    #[derive(Default)]
    struct Collect(Mutex<Vec<SecurityRecord>>);

    impl Export for Collect {
        fn export(&self, events: &[SecurityRecord]) {
            self.0.lock().unwrap().extend_from_slice(events);
        }
    }

    fn origin(at: i64) -> Origin {
        Origin { at, client: "192.0.2.7".into(), route: "/login".into(), request_id: "r-1".into() }
    }

    async fn events_are_stored_exported_and_filtered(db: Db) {
        let collect = Arc::new(Collect::default());
        let log = SecurityLog::start(db.clone(), key(), vec![collect.clone()]);
        log.record(SecurityEvent::new(Kind::SignInFailed, "wrong_password").about("acc-1"), origin(1_000));
        log.record(SecurityEvent::new(Kind::CsrfRefused, "x".repeat(500)).about("acc-1"), origin(2_000));
        log.record(SecurityEvent::new(Kind::RateLimited, "sign_in"), origin(3_000));
        log.flush().await;
        assert_eq!(collect.0.lock().unwrap().len(), 3, "every stored event is exported");
        let all = list(&db, &SecurityFilter::default(), PageRequest::new(None, None).unwrap()).await.unwrap();
        assert_eq!(all.items.iter().map(|e| e.at).collect::<Vec<_>>(), vec![3_000, 2_000, 1_000], "newest first");
        let first = all.items.last().unwrap();
        assert_eq!(first.subject, log.pseudonym("acc-1"));
        assert_eq!((first.severity, first.outcome), (Severity::Notice, Outcome::Failure));
        assert_eq!(all.items.get(1).unwrap().detail.len(), MAX_DETAIL, "long details are cut");
        assert_eq!(all.items.first().unwrap().subject, "", "no subject, no pseudonym");
        let page = PageRequest::new(None, None).unwrap();
        let csrf = SecurityFilter { kind: Some(Kind::CsrfRefused), ..Default::default() };
        assert_eq!(list(&db, &csrf, page).await.unwrap().items.len(), 1);
        let of_acc =
            SecurityFilter { subject: Some(log.pseudonym("acc-1")), from_ms: Some(1_500), ..Default::default() };
        assert_eq!(list(&db, &of_acc, page).await.unwrap().items.len(), 1);
        let none = SecurityFilter { until_ms: Some(1_000), ..Default::default() };
        assert!(list(&db, &none, page).await.unwrap().items.is_empty(), "until is exclusive");
    }

    #[test]
    fn a_full_queue_drops_and_counts_instead_of_waiting() {
        // A one-place queue that no writer empties: the first event takes the place, the others
        // are dropped and counted, and `record` returns each time.
        let (tx, mut rx) = mpsc::channel(1);
        let log = SecurityLog { tx, pseudonyms: key(), dropped: Arc::default() };
        for i in 0..5 {
            log.record(SecurityEvent::new(Kind::RateLimited, "burst"), origin(i));
        }
        assert_eq!(log.dropped(), 4);
        assert!(matches!(rx.try_recv(), Ok(Msg::Event(e)) if e.at == 0));
    }

    async fn the_stored_key_is_created_once(db: Db) {
        let first = stored_key(&db).await.unwrap();
        assert_eq!(first.len(), 32);
        assert_eq!(stored_key(&db).await.unwrap(), first, "the same key after a restart");
    }

    db::dual_tests!(super::migrations();
        events_are_stored_exported_and_filtered,
        the_stored_key_is_created_once
    );
}
