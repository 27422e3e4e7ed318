//! The verification flows shared by the API and the verifier pages: who may verify, what was
//! presented, the registry comparison, purpose-limited disclosure, the access log, the history and
//! the signed receipt.

use std::path::PathBuf;
use std::sync::Arc;

use audit::AccessEntry;
use audit::Stores;
use base64::Engine;
use kernel::Actor;
use kernel::{AppError, PartialDate, PersonalId};
use keys::KeyRing;
use registry::queries::persons::PersonView;
use serde::{Deserialize, Serialize};

use crate::caller::{Caller, Callers};
use crate::cccd_qr::CardQr;
use crate::check::{self, Presented};
use crate::chip::{self, ChipBundle, TrustStore};
use crate::dynamic::{self, IdQrClaims};
use crate::purpose::{Disclosure, ListCheck, VerifyPurpose};
use crate::ratelimit::RateLimiter;
use crate::result::{Disclosed, ListResult, Match, Outcome, VerificationResponse, VerificationResult};
use crate::writer::Writer;

/// JWS `typ` of verification receipts.
pub const RECEIPT_TYP: &str = "dancu-verification+jwt";

/// The `[verification]` section of the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VerificationSettings {
    /// Directory of trusted CSCA certificates and master lists; none = chains are not verified.
    pub csca_dir: Option<PathBuf>,
    /// Verification calls per account per minute (at least 1).
    pub rate_per_minute: u32,
}

impl Default for VerificationSettings {
    fn default() -> Self {
        VerificationSettings { csca_dir: None, rate_per_minute: 600 }
    }
}

/// What was shown to the verifier.
pub enum Evidence {
    CardQr(String),
    Form { personal_id: String, full_name: String, birth_date: String },
    Dynamic(String),
    Chip(ChipBundle),
}

impl Evidence {
    /// The kind of evidence, for traces (never its content).
    pub fn kind(&self) -> &'static str {
        match self {
            Evidence::CardQr(_) => "card_qr",
            Evidence::Form { .. } => "form",
            Evidence::Dynamic(_) => "dynamic_qr",
            Evidence::Chip(_) => "chip",
        }
    }
}

/// A verification request.
pub struct Request {
    pub evidence: Evidence,
    pub purpose: String,
    /// The citizen is present and consents (required).
    pub citizen_present: bool,
    /// Exam or trip code for purposes that check a list.
    pub list_code: Option<String>,
    /// `api` or `web`.
    pub channel: &'static str,
}

/// The verification service. Cheap to clone.
#[derive(Clone)]
pub struct Verifier(Arc<Inner>);

struct Inner {
    stores: Stores,
    ring: Arc<KeyRing>,
    trust: TrustStore,
    callers: Callers,
    limiter: RateLimiter,
    writer: Writer,
    issuer: String,
}

#[derive(Serialize)]
struct ReceiptClaims<'a> {
    iss: &'a str,
    iat: i64,
    jti: &'a str,
    org: &'a str,
    result: &'a VerificationResult,
}

impl Verifier {
    /// A verifier whose receipts name `issuer` (the server's public URL) as `iss`. `clock` is the
    /// time of its history writer (`kernel::clock::now_ms` in the binary).
    pub fn new(
        stores: Stores,
        ring: Arc<KeyRing>,
        settings: &VerificationSettings,
        issuer: &str,
        clock: kernel::clock::Clock,
    ) -> Result<Verifier, String> {
        let trust = match &settings.csca_dir {
            Some(dir) => TrustStore::load_dir(dir)?,
            None => TrustStore::default(),
        };
        tracing::info!(cscas = trust.len(), "verification trust store loaded");
        Ok(Verifier(Arc::new(Inner {
            writer: Writer::start(stores.db.clone(), clock),
            stores,
            ring,
            trust,
            callers: Callers::default(),
            limiter: RateLimiter::new(settings.rate_per_minute),
            issuer: issuer.to_string(),
        })))
    }

    pub fn stores(&self) -> &Stores {
        &self.0.stores
    }

    pub fn ring(&self) -> &KeyRing {
        &self.0.ring
    }

    /// Resolves an organization caller (role, organization, purposes) at `now` (UTC milliseconds).
    pub async fn caller(&self, user: &Actor, now: i64) -> Result<Caller, AppError> {
        self.0.callers.resolve(&self.0.stores.db, user, now).await
    }

    /// Sets an organization's purposes (see [`crate::caller::set_purposes`]); they apply at once.
    pub async fn set_purposes(&self, org_id: &str, purposes: &[&str]) -> Result<(Vec<String>, Vec<String>), AppError> {
        let changed = crate::caller::set_purposes(&self.0.stores.db, org_id, purposes).await?;
        self.0.callers.forget(org_id);
        Ok(changed)
    }

    /// Runs one verification at `now` (UTC milliseconds, passed so tests can fix time).
    #[tracing::instrument(name = "verification.verify", skip_all, fields(evidence = req.evidence.kind(), channel = req.channel))]
    pub async fn verify(&self, user: &Actor, req: Request, now: i64) -> Result<VerificationResponse, AppError> {
        let caller = self.caller(user, now).await?;
        self.0.limiter.check(&caller.account_id, now)?;
        let purpose = caller.purpose(&req.purpose)?;
        if !req.citizen_present {
            return Err(AppError::invalid("citizen_present must be true: verify only with the citizen present"));
        }
        let list_code = match purpose.list {
            ListCheck::None => None,
            _ => Some(
                req.list_code
                    .clone()
                    .filter(|c| !c.trim().is_empty())
                    .ok_or_else(|| AppError::invalid("list_code is required for this purpose (exam or trip code)"))?,
            ),
        };
        let today = kernel::clock::date_vn(now);
        let mut result = VerificationResult {
            id: kernel::ids::new_id(),
            verified_at: now,
            method: String::new(),
            purpose: purpose.code.into(),
            organization: caller.org_name.clone(),
            outcome: Outcome::Green,
            reasons: Vec::new(),
            assurance: "registry_match".into(),
            person_found: false,
            personal_id: None,
            fields: Vec::new(),
            card: None,
            person_status: None,
            age_over_18: None,
            person: Disclosed::default(),
            list: None,
            chip: None,
        };
        let mut shared = None;
        let mut face = None;
        let presented = match req.evidence {
            Evidence::CardQr(payload) => {
                result.method = "card_qr".into();
                let card = CardQr::parse(&payload).map_err(|e| AppError::invalid(format!("card QR {e}")))?;
                Some(Presented {
                    personal_id: card.personal_id,
                    full_name: Some(card.full_name),
                    birth_date: Some(PartialDate::Full(card.birth_date)),
                    gender: Some(card.gender),
                    old_id: card.old_id,
                    issue_date: Some(card.issue_date),
                })
            }
            Evidence::Form { personal_id, full_name, birth_date } => {
                result.method = "id_form".into();
                let birth =
                    PartialDate::parse_vn(birth_date.trim()).or_else(|_| PartialDate::parse(birth_date.trim()))?;
                if full_name.trim().is_empty() {
                    return Err(AppError::invalid("full_name is required"));
                }
                Some(Presented {
                    personal_id: PersonalId::parse(&personal_id)?,
                    full_name: Some(full_name),
                    birth_date: Some(birth),
                    gender: None,
                    old_id: None,
                    issue_date: None,
                })
            }
            Evidence::Dynamic(token) => {
                result.method = "dynamic_qr".into();
                result.assurance = "dynamic_qr".into();
                self.dynamic_presented(&token, &mut result, now)
                    .await?
                    .inspect(|(_, c)| shared = Some(c.clone()))
                    .map(|p| p.0)
            }
            Evidence::Chip(bundle) => {
                result.method = "chip".into();
                let p = self.chip_presented(&bundle, now, &mut result);
                if purpose.keeps_face {
                    face = bundle.data_groups.get(&2).cloned();
                }
                p
            }
        };
        let person = match &presented {
            Some(p) => check::against_registry(&self.0.stores.db, p, today, &mut result).await?,
            None => None,
        };
        // A typed id proves nothing about who stands there: it is confirmed or not, and a failed
        // confirmation says nothing else about the registry (not even whether the id exists).
        let confirmed = person.is_some() && !result.fields.iter().any(|f| f.result == Match::Mismatch);
        if result.method == "id_form" && !confirmed {
            conceal(&mut result);
        }
        // The comparison read the record even when nothing of it is released: the citizen sees it.
        let compared = person.is_some();
        let person = person.filter(|_| confirmed || result.method != "id_form");
        if let (Some(code), Some(kind), Some(p)) = (&list_code, purpose.list.kind(), &person) {
            let entry =
                crate::caller::list_entry(&self.0.stores.db, &caller.org_id, kind, code, &p.personal_id).await?;
            if entry.is_none() {
                result.flag(Outcome::Red, "not_on_list", "Không có tên trong danh sách", "Not on the list");
            }
            result.list =
                Some(ListResult { kind: kind.into(), list_code: code.clone(), found: entry.is_some(), label: entry });
        }
        // Registry data is released only when the citizen's card, token or chip was in hand and
        // what it carries matched the registry.
        if let (Some(p), true) = (&person, possession(&result.method) && confirmed) {
            result.person = disclose(purpose, p, shared.as_ref());
        }
        if compared {
            self.log(&caller, purpose, &result, req.channel).await?;
        }
        crate::history::record(&self.0.writer, &caller, &result).await?;
        if let (Some(image), true) = (face, result.person_found) {
            self.keep_face(&caller, &result.id, &image, now).await?;
        }
        let receipt = self.0.ring.sign_typed(
            &ReceiptClaims {
                iss: &self.0.issuer,
                iat: result.verified_at / 1000,
                jti: &result.id,
                org: &caller.org_id,
                result: &result,
            },
            RECEIPT_TYP,
        )?;
        Ok(VerificationResponse { result, receipt })
    }

    /// Checks a dynamic token; a rejected token makes the result red and presents nothing.
    async fn dynamic_presented(
        &self,
        token: &str,
        result: &mut VerificationResult,
        now: i64,
    ) -> Result<Option<(Presented, IdQrClaims)>, AppError> {
        let checked = match dynamic::check_offline(&self.0.ring, token) {
            Ok(c) => dynamic::consume_nonce(&self.0.writer, &c, now).await?.map(|_| c),
            Err(problem) => Err(problem),
        };
        let claims = match checked {
            Ok(c) => c,
            Err(problem) => {
                let (vi, en) = problem.words();
                result.flag(Outcome::Red, problem.code(), vi, en);
                return Ok(None);
            }
        };
        let presented = Presented {
            personal_id: PersonalId::parse(&claims.pid)?,
            full_name: claims.name.clone(),
            birth_date: claims.bd.as_deref().and_then(|b| PartialDate::parse(b).ok()),
            gender: None,
            old_id: None,
            issue_date: None,
        };
        Ok(Some((presented, claims)))
    }

    /// Passive authentication, then the chip's identity data (DG13, else the MRZ).
    fn chip_presented(&self, bundle: &ChipBundle, now: i64, result: &mut VerificationResult) -> Option<Presented> {
        let today = kernel::clock::date_vn(now);
        let at = chrono::DateTime::from_timestamp_millis(now).unwrap_or_default();
        let report = chip::passive_auth(bundle, &self.0.trust, at);
        if report.authentic {
            result.assurance = "chip".into();
        } else if report.chain_not_verified {
            result.assurance = "chip_chain_not_verified".into();
            result.flag(
                Outcome::Amber,
                "chip_chain_not_verified",
                "Dữ liệu chip toàn vẹn nhưng chưa xác minh được chuỗi chứng thư (chưa cấu hình CSCA)",
                "Chip data is intact but the certificate chain was not verified (no CSCA configured)",
            );
        } else {
            result.assurance = "none".into();
            result.flag(
                Outcome::Red,
                "chip_not_authentic",
                "Dữ liệu chip không xác thực được",
                "Chip data is not authentic",
            );
        }
        let passed = report.authentic || report.chain_not_verified;
        result.chip = Some(report);
        if !passed {
            return None;
        }
        let mrz = bundle.data_groups.get(&1).and_then(|d| chip::dg1::parse(d, today).ok());
        let dg13 = bundle.data_groups.get(&13).and_then(|d| chip::dg13::parse(d).ok()).unwrap_or_default();
        let id = dg13.personal_id.clone().or_else(|| mrz.as_ref().map(|m| m.optional_data.clone()))?;
        let Ok(personal_id) = PersonalId::parse(&id) else {
            result.flag(Outcome::Red, "chip_no_id", "Chip không có số định danh", "No personal id on the chip");
            return None;
        };
        let birth = dg13
            .birth_date
            .as_deref()
            .and_then(|b| PartialDate::parse_vn(b).ok())
            .or_else(|| mrz.as_ref().map(|m| PartialDate::Full(m.birth_date)));
        Some(Presented {
            personal_id,
            full_name: dg13.full_name.clone(),
            birth_date: birth,
            gender: dg13.sex.as_deref().and_then(kernel::Gender::parse),
            old_id: dg13.old_id.clone(),
            issue_date: dg13.issue_date.as_deref().and_then(|d| PartialDate::parse_vn(d).ok()).and_then(|d| d.full()),
        })
    }

    async fn log(
        &self,
        caller: &Caller,
        purpose: &VerifyPurpose,
        r: &VerificationResult,
        channel: &str,
    ) -> Result<(), AppError> {
        let mut released = vec!["match_result"];
        for (present, field) in [
            (r.card.is_some(), "card_status"),
            (r.person_status.is_some(), "person_status"),
            (r.age_over_18.is_some(), "age_over_18"),
            (r.person.full_name.is_some(), "full_name"),
            (r.person.birth_date.is_some(), "birth_date"),
            (r.person.gender.is_some(), "gender"),
            (r.person.address.is_some(), "address"),
        ] {
            if present {
                released.push(field);
            }
        }
        self.0
            .stores
            .access_log
            .record(AccessEntry {
                at: r.verified_at,
                actor_id: caller.account_id.clone(),
                actor_label: caller.org_name.clone(),
                subject_id: r.personal_id.clone().unwrap_or_default(),
                action: format!("verification.{}", r.method),
                purpose: purpose.audit_purpose.into(),
                released: released.join(","),
                channel: channel.into(),
            })
            .await
    }

    async fn keep_face(&self, caller: &Caller, id: &str, image: &[u8], now: i64) -> Result<(), AppError> {
        db::sqlx::query(
            "INSERT INTO verification_faces (verification_id, org_id, image_b64, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(&caller.org_id)
        .bind(base64::engine::general_purpose::STANDARD.encode(image))
        .bind(now)
        .execute(self.0.stores.db.write())
        .await?;
        Ok(())
    }
}

/// Evidence that shows the citizen's card, token or chip was in hand (a typed id is not).
fn possession(method: &str) -> bool {
    matches!(method, "card_qr" | "dynamic_qr" | "chip")
}

/// Reduces a failed typed-id check to "no match": no per-field answers, no card or person status,
/// no age, and the same answer whether the id exists or not.
fn conceal(result: &mut VerificationResult) {
    result.person_found = false;
    result.fields.clear();
    result.card = None;
    result.person_status = None;
    result.age_over_18 = None;
    result.reasons.clear();
    result.flag(
        Outcome::Red,
        "no_match",
        "Thông tin không khớp với CSDL dân cư",
        "The details do not match the population registry",
    );
}

/// What the purpose lets the organization see; for a dynamic token, only what the citizen shared.
fn disclose(purpose: &VerifyPurpose, p: &PersonView, shared: Option<&IdQrClaims>) -> Disclosed {
    let name_ok = shared.is_none_or(|c| c.name.is_some());
    let birth_ok = shared.is_none_or(|c| c.bd.is_some());
    let mut d = Disclosed::default();
    if purpose.disclosure == Disclosure::AgeOnly {
        return d;
    }
    d.full_name = name_ok.then(|| p.full_name.clone());
    d.birth_date = if birth_ok { p.birth_date_vn.clone() } else { None };
    d.gender = p.gender.clone();
    if purpose.disclosure == Disclosure::AutoFill {
        d.address = p.current_residence.as_ref().map(check::address_line);
    }
    d
}
