//! The result of a verification as the API returns it and the signed receipt carries it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How one presented field compares with the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Match {
    Match,
    /// Same letters, different diacritics ("Nguyen Van An" for "Nguyễn Văn An").
    MatchWithoutDiacritics,
    Mismatch,
}

/// One compared field.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FieldMatch {
    /// `full_name`, `birth_date`, `gender`, `old_id`, `issue_date`.
    pub field: String,
    pub result: Match,
}

/// Green: everything checked is consistent. Amber: usable with care (diacritics differ, card
/// expired, no card on record, chip chain not verified). Red: do not accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Green,
    Amber,
    Red,
}

impl Outcome {
    /// The code as stored and serialized.
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Green => "green",
            Outcome::Amber => "amber",
            Outcome::Red => "red",
        }
    }
}

/// A reason behind the outcome, with words for the verifier page.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Reason {
    pub code: String,
    pub vi: String,
    pub en: String,
}

/// The card the check is about.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CardCheck {
    /// `valid`, `expired`, `lost`, `revoked`, `replaced`.
    pub status: String,
    pub issue_date: String,
    pub expiry_date: Option<String>,
    /// Whether a newer card exists.
    pub superseded: bool,
}

/// Data released about the person, as far as the purpose allows.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct Disclosed {
    pub full_name: Option<String>,
    pub birth_date: Option<String>,
    /// `M` or `F`.
    pub gender: Option<String>,
    pub address: Option<String>,
}

/// A list check (exam registration, ticket).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ListResult {
    pub kind: String,
    pub list_code: String,
    pub found: bool,
    pub label: Option<String>,
}

/// Everything a verification established.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VerificationResult {
    pub id: String,
    /// UTC milliseconds.
    pub verified_at: i64,
    /// `card_qr`, `id_form`, `dynamic_qr`, `chip`.
    pub method: String,
    pub purpose: String,
    pub organization: String,
    pub outcome: Outcome,
    pub reasons: Vec<Reason>,
    /// `registry_match` (data matched the registry; the card itself is not proven),
    /// `dynamic_qr` (a fresh token signed by the platform), `chip` (passive authentication with a
    /// trusted chain), `chip_chain_not_verified` (signature fine, no trust anchor configured).
    pub assurance: String,
    pub person_found: bool,
    pub personal_id: Option<String>,
    pub fields: Vec<FieldMatch>,
    pub card: Option<CardCheck>,
    /// `living`, `deceased`, `missing`.
    pub person_status: Option<String>,
    pub age_over_18: Option<bool>,
    pub person: Disclosed,
    pub list: Option<ListResult>,
    #[schema(value_type = Option<Object>)]
    pub chip: Option<crate::chip::PassiveAuthReport>,
}

/// The API response: the result and a compact JWS over it that the organization keeps as proof.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VerificationResponse {
    pub result: VerificationResult,
    /// ES256/EdDSA JWS (`typ: dancu-verification+jwt`) whose payload carries `result`; check it with
    /// the keys at `/api/v1/verifications/jwks.json`.
    pub receipt: String,
}

impl VerificationResult {
    /// Adds a reason and raises the outcome to at least `level`.
    pub fn flag(&mut self, level: Outcome, code: &str, vi: &str, en: &str) {
        self.outcome = self.outcome.max(level);
        self.reasons.push(Reason { code: code.into(), vi: vi.into(), en: en.into() });
    }
}
