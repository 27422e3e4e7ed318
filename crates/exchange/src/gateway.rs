//! The gateway: receives a signed request, checks it, runs the service, writes the exchange to the
//! transparency log and answers with a response signed by the platform key.
//!
//! Every check that can refuse a request runs before anything is written, and the two writes a
//! refusal could still meet (the request id, the day's quota) are one transaction that rolls back
//! on either refusal: a refused request changes nothing (its security event aside).

use std::collections::BTreeMap;
use std::sync::Arc;

use audit::Stores;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use db::sqlx;
use kernel::{AppError, ErrorCode};
use keys::{Expect, JwksVerifier, KeyError, KeyRing};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use translog::TransLog;

use crate::catalogue::{
    Purpose, Service, CARD_VALIDITY, HOUSEHOLD_MEMBERS, PERSON_LOOKUP, PERSON_VERIFY, RESIDENCE_CONFIRM,
};
use crate::consent;
use crate::lookup;
use crate::members::{self, Status};
use crate::person_verify;
use crate::rights;

/// Largest request accepted, in bytes of the compact JWS.
pub const MAX_MESSAGE: usize = 64 * 1024;
/// Longest a request may live (`exp - iat`), in seconds.
pub const MAX_LIFETIME_SECS: i64 = 300;
/// Clock difference tolerated between the caller and the platform, in seconds.
pub const LEEWAY_SECS: i64 = 30;
/// The JWS `typ` of responses, so a response cannot be replayed as any other platform token.
pub const RESPONSE_TYP: &str = "dancu-exchange-response+jwt";

/// The claims of a request (see `docs/EXCHANGE.md`).
#[derive(Debug, Clone, Deserialize)]
struct RequestClaims {
    member: String,
    subsystem: String,
    service: String,
    purpose: String,
    /// The citizen's consent (`crate::consent`), required for purposes that need one.
    #[serde(default)]
    consent_id: Option<String>,
    jti: String,
    iat: i64,
    exp: i64,
    body: serde_json::Value,
}

/// The claims of a response. Fields are in a fixed order; `answer` is a sorted map (and every
/// object in it), so its canonical form (RFC 8785) is what `answer_sha256` hashes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ResponseClaims {
    /// The platform (its public URL).
    pub iss: String,
    /// The calling member's code.
    pub aud: String,
    pub subsystem: String,
    pub service: String,
    pub purpose: String,
    /// The request's `jti`.
    pub request_id: String,
    /// Base64 of SHA-256 of the request exactly as received (the compact JWS).
    pub request_sha256: String,
    pub iat: i64,
    pub answer: BTreeMap<String, serde_json::Value>,
    /// Base64 of SHA-256 of the canonical JSON of `answer`.
    pub answer_sha256: String,
    /// The index of the exchange's entry in the transparency log.
    pub log_index: u64,
    /// Base64 of the entry's leaf hash, for checking an inclusion proof.
    pub log_leaf_hash: String,
}

/// What the transparency log keeps of an exchange: codes and digests, no personal data. Fields in
/// a fixed order, so the same exchange always gives the same bytes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LogEntry {
    /// Entry format: `dancu.exchange.v1`.
    #[serde(rename = "type")]
    pub kind: String,
    /// UTC milliseconds.
    pub at: i64,
    pub member: String,
    pub subsystem: String,
    pub service: String,
    pub purpose: String,
    pub request_id: String,
    pub request_sha256: String,
    pub answer_sha256: String,
}

/// The entry format of exchanges in the transparency log.
pub const LOG_ENTRY_TYPE: &str = "dancu.exchange.v1";

/// A refusal, with the member the message claimed to come from (for the security event; known
/// only once the signature has been read).
#[derive(Debug)]
pub struct Refused {
    pub error: AppError,
    pub member: Option<String>,
}

impl From<AppError> for Refused {
    fn from(error: AppError) -> Self {
        Refused { error, member: None }
    }
}

/// An accepted call.
#[derive(Debug, Clone)]
pub struct Answered {
    /// The signed response (compact JWS).
    pub jws: String,
    pub claims: ResponseClaims,
}

/// The exchange gateway of the platform. Cheap to clone.
#[derive(Clone)]
pub struct Gateway {
    pub stores: Stores,
    pub ring: Arc<KeyRing>,
    pub log: TransLog,
    /// The platform's public URL: the `aud` requests must carry and the `iss` of responses.
    pub audience: String,
    /// The group-commit writer of request ids and quota use.
    reserver: crate::reserve::Reserver,
}

fn refuse(code: ErrorCode, detail: impl Into<String>) -> AppError {
    AppError::new(code, detail)
}

fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// The body of a request, parsed for its service.
enum Question {
    Verify(person_verify::Question),
    Lookup(lookup::Question),
}

impl Question {
    fn fields(&self) -> Vec<&'static str> {
        match self {
            Question::Verify(q) => q.fields(),
            Question::Lookup(q) => q.fields(),
        }
    }

    fn personal_id(&self) -> &kernel::PersonalId {
        match self {
            Question::Verify(q) => q.personal_id(),
            Question::Lookup(q) => q.personal_id(),
        }
    }
}

/// A request checked up to its right: who sent it, what it asks and under which right.
struct Checked {
    claims: RequestClaims,
    purpose: &'static Purpose,
    question: Question,
    right: rights::Right,
    member_name: String,
    subsystem_name: String,
}

impl Gateway {
    /// A gateway over `stores`, answering with `ring` under the public URL `audience`, logging to
    /// `log`; starts its reservation writer on the current runtime.
    pub fn new(stores: Stores, ring: Arc<KeyRing>, log: TransLog, audience: String) -> Gateway {
        let reserver = crate::reserve::Reserver::start(stores.db.clone());
        Gateway { stores, ring, log, audience, reserver }
    }

    /// Deletes the request ids that can no longer be replayed: those whose message expired more
    /// than [`LEEWAY_SECS`] before `now` (UTC milliseconds), since such a message is refused as
    /// expired before its id is looked at. Without it the replay guard would keep every id ever
    /// seen. The exchange itself stays in the transparency log and the citizen's access log.
    /// Returns how many were deleted.
    pub async fn purge_expired(&self, now: i64) -> Result<u64, AppError> {
        let before = now.saturating_sub(LEEWAY_SECS.saturating_mul(1000));
        let done = sqlx::query("DELETE FROM exchange_requests WHERE expires_at < $1")
            .bind(before)
            .execute(self.stores.db.write())
            .await?;
        Ok(done.rows_affected())
    }

    /// Deletes expired request ids every `period`, for as long as the server runs.
    pub fn spawn_purge(&self, clock: kernel::clock::Clock, period: std::time::Duration) -> tokio::task::JoinHandle<()> {
        let gateway = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            loop {
                tick.tick().await;
                if let Err(e) = gateway.purge_expired(clock()).await {
                    tracing::warn!(error = %e, "purging expired exchange request ids failed; retrying at the next period");
                }
            }
        })
    }

    /// Handles one request for `service` (the service of the URL): `raw` is the request body, a
    /// compact JWS. `now` is UTC milliseconds.
    pub async fn call(&self, service: &str, raw: &[u8], now: i64) -> Result<Answered, Refused> {
        if raw.len() > MAX_MESSAGE {
            return Err(refuse(ErrorCode::ExchangeTooLarge, format!("the message is over {MAX_MESSAGE} bytes")).into());
        }
        let token = std::str::from_utf8(raw)
            .map_err(|_| refuse(ErrorCode::ExchangeBadSignature, "the message is not a compact JWS"))?
            .trim();
        let claims = self.verify_signature(token, now).await?;
        let member = Some(claims.member.clone());
        let checked =
            self.check(service, claims, now).await.map_err(|error| Refused { error, member: member.clone() })?;
        self.reserve(&checked, now).await.map_err(|error| Refused { error, member: member.clone() })?;
        self.answer(checked, token, now).await.map_err(|error| Refused { error, member })
    }

    /// Signature, key validity, key owner, audience and times.
    async fn verify_signature(&self, token: &str, now: i64) -> Result<RequestClaims, Refused> {
        let bad = |detail: &str| Refused { error: refuse(ErrorCode::ExchangeBadSignature, detail), member: None };
        let header = jsonwebtoken::decode_header(token).map_err(|_| bad("the message is not a compact JWS"))?;
        let kid = header.kid.ok_or_else(|| bad("the JWS header names no kid"))?;
        let key = members::key(&self.stores.db, &kid).await?.ok_or_else(|| bad("unknown key"))?;
        if now < key.valid_from || key.valid_to.is_some_and(|to| now >= to) {
            return Err(bad("the key is not valid at this time"));
        }
        let verifier = JwksVerifier::from_jwks(&serde_json::json!({ "keys": [key.jwk] }))
            .map_err(|e| AppError::internal(format!("stored key {kid}: {e}")))?;
        let expect = Expect::new().audience(&self.audience).leeway(LEEWAY_SECS as u64);
        let claims: RequestClaims = verifier.verify(token, &expect).map_err(|e| {
            let error = match e {
                KeyError::Expired | KeyError::NotYetValid => refuse(ErrorCode::ExchangeExpired, e.to_string()),
                KeyError::Claims(c) if c.contains("aud") => {
                    refuse(ErrorCode::ExchangeWrongAudience, format!("aud must be {}", self.audience))
                }
                KeyError::Claims(c) => AppError::invalid(format!("request claims: {c}")),
                other => refuse(ErrorCode::ExchangeBadSignature, other.to_string()),
            };
            Refused { error, member: Some(key.member.clone()) }
        })?;
        let member = Some(key.member.clone());
        if claims.member != key.member || claims.subsystem != key.subsystem {
            return Err(Refused {
                error: refuse(ErrorCode::ExchangeBadSignature, "the key belongs to another subsystem"),
                member,
            });
        }
        let now_s = now.div_euclid(1000);
        let expired =
            |detail: &str| Refused { error: refuse(ErrorCode::ExchangeExpired, detail), member: member.clone() };
        if claims.exp - claims.iat > MAX_LIFETIME_SECS {
            return Err(expired("exp - iat is over 300 seconds"));
        }
        if claims.iat > now_s + LEEWAY_SECS {
            return Err(expired("iat is in the future"));
        }
        if claims.exp + LEEWAY_SECS < now_s {
            return Err(expired("the message has expired"));
        }
        if claims.jti.is_empty() || claims.jti.len() > 128 {
            return Err(Refused { error: AppError::invalid("jti: 1 to 128 characters"), member });
        }
        Ok(claims)
    }

    /// Service, member and subsystem status, purpose, body and right.
    async fn check(&self, service: &str, claims: RequestClaims, now: i64) -> Result<Checked, AppError> {
        if claims.service != service {
            return Err(AppError::invalid(format!("the message is for {}, sent to {service}", claims.service)));
        }
        let svc = Service::find(service)
            .ok_or_else(|| refuse(ErrorCode::ExchangeUnknownService, format!("no service {service}")))?;
        let (member_status, member_name) = members::member_status(&self.stores.db, &claims.member)
            .await?
            .ok_or_else(|| refuse(ErrorCode::ExchangeMemberNotApproved, "unknown member"))?;
        if member_status != Status::Approved {
            return Err(refuse(ErrorCode::ExchangeMemberNotApproved, format!("member is {}", member_status.code())));
        }
        let (sub_status, subsystem_name) =
            members::subsystem_status(&self.stores.db, &claims.member, &claims.subsystem)
                .await?
                .ok_or_else(|| refuse(ErrorCode::ExchangeMemberNotApproved, "unknown subsystem"))?;
        if sub_status != Status::Approved {
            return Err(refuse(ErrorCode::ExchangeMemberNotApproved, format!("subsystem is {}", sub_status.code())));
        }
        let purpose = Purpose::find(&claims.purpose)
            .ok_or_else(|| refuse(ErrorCode::ExchangeNotGranted, format!("unknown purpose {}", claims.purpose)))?;
        let question = match svc.code {
            PERSON_VERIFY => Question::Verify(person_verify::Question::parse(&claims.body)?),
            code @ (PERSON_LOOKUP | RESIDENCE_CONFIRM | HOUSEHOLD_MEMBERS | CARD_VALIDITY) => {
                Question::Lookup(lookup::Question::parse(code, &claims.body)?)
            }
            crate::catalogue::PERSON_CHANGES => {
                return Err(AppError::invalid("person.changes is delivered to subscriptions, not called"));
            }
            other => return Err(refuse(ErrorCode::ExchangeUnknownService, format!("no service {other}"))),
        };
        let fields = question.fields();
        let today = kernel::clock::date_vn(now);
        let right = rights::matching(
            &self.stores.db,
            &claims.member,
            &claims.subsystem,
            svc.code,
            purpose.code,
            &fields,
            today,
        )
        .await?
        .ok_or_else(|| {
            refuse(
                ErrorCode::ExchangeNotGranted,
                format!("no right covers {} for {} with fields {}", svc.code, purpose.code, fields.join(",")),
            )
        })?;
        if purpose.needs_consent {
            let asked = consent::Asked {
                consent_id: claims.consent_id.as_deref(),
                member: &claims.member,
                purpose: purpose.code,
                person_id: question.personal_id().as_str(),
                fields: &fields,
            };
            consent::check(&self.stores.db, &asked, now).await?;
        }
        Ok(Checked { claims, purpose, question, right, member_name, subsystem_name })
    }

    /// Stores the request id and counts the request against the right's quota, committed with the
    /// other requests of the moment ([`crate::reserve`]): a replay or an exhausted quota leaves
    /// nothing behind.
    async fn reserve(&self, c: &Checked, now: i64) -> Result<(), AppError> {
        self.reserver
            .reserve(crate::reserve::Reservation {
                member: c.claims.member.clone(),
                request_id: c.claims.jti.clone(),
                subsystem: c.claims.subsystem.clone(),
                service: c.claims.service.clone(),
                right_id: c.right.id.clone(),
                daily_quota: c.right.grant.daily_quota,
                day: kernel::clock::date_vn(now).to_string(),
                received_at: now,
                expires_at: c.claims.exp.saturating_mul(1000),
            })
            .await
    }

    /// Runs the service, records the citizen's access log entry and the log entry (both durable
    /// before the answer leaves), and signs the response.
    async fn answer(&self, c: Checked, token: &str, now: i64) -> Result<Answered, AppError> {
        let today = kernel::clock::date_vn(now);
        let who = person_verify::Caller {
            actor_id: format!("exchange:{}/{}", c.claims.member, c.claims.subsystem),
            actor_label: format!("{} – {}", c.member_name, c.subsystem_name),
            access_purpose: c.purpose.access_purpose,
            request_id: &c.claims.jti,
        };
        let answer = match &c.question {
            Question::Verify(q) => person_verify::answer(&self.stores, &who, q, now, today)
                .await?
                .into_iter()
                .map(|(k, v)| (k, serde_json::Value::Bool(v)))
                .collect(),
            Question::Lookup(q) => lookup::answer(&self.stores, &who, q, now, today).await?,
        };
        let answer_sha256 = b64(&Sha256::digest(serde_json::to_vec(&answer)?));
        let request_sha256 = b64(&Sha256::digest(token.as_bytes()));
        let entry = LogEntry {
            kind: LOG_ENTRY_TYPE.into(),
            at: now,
            member: c.claims.member.clone(),
            subsystem: c.claims.subsystem.clone(),
            service: c.claims.service.clone(),
            purpose: c.purpose.code.into(),
            request_id: c.claims.jti.clone(),
            request_sha256: request_sha256.clone(),
            answer_sha256: answer_sha256.clone(),
        };
        let data = serde_json::to_vec(&entry)?;
        let leaf = translog::merkle::leaf_hash(&data);
        let log_index = self.log.append(data, now).await?;
        let claims = ResponseClaims {
            iss: self.audience.clone(),
            aud: c.claims.member.clone(),
            subsystem: c.claims.subsystem,
            service: c.claims.service,
            purpose: c.purpose.code.into(),
            request_id: c.claims.jti,
            request_sha256,
            iat: now.div_euclid(1000),
            answer,
            answer_sha256,
            log_index,
            log_leaf_hash: b64(&leaf),
        };
        let jws = self.ring.sign_typed(&claims, RESPONSE_TYP)?;
        Ok(Answered { jws, claims })
    }
}
