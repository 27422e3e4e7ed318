//! Who is checking in: citizens resolved from the registry by personal id, foreigners from their
//! passport data (form NA17).

use chrono::NaiveDate;
use kernel::{AppError, ErrorCode, PersonalId};
use keys::KeyRing;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use registry::queries::person_lookup::PersonLookup;

use crate::deadline::GuestKind;
use crate::Service;

/// A guest as the staff enter them: exactly one of a typed personal id, the scanned card QR, the
/// citizen's dynamic identity QR, or passport data for a foreigner.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
pub struct GuestInput {
    /// 12-digit personal id of a Vietnamese citizen (name, birth date and address come from the registry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub personal_id: Option<String>,
    /// The text of the QR code printed on the chip card (`id|old id|name|…`), as a scanner typed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_qr: Option<String>,
    /// The signed dynamic identity QR shown by the citizen's app (single use, 90 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_qr: Option<String>,
    /// Passport data of a foreigner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passport: Option<PassportInput>,
}

/// Passport data of a foreign guest (NA17).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct PassportInput {
    pub number: String,
    /// ISO 3166-1 alpha-3 code (`KOR`, `USA`…).
    pub nationality: String,
    pub full_name: String,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
    /// Visa or residence card number.
    pub visa: Option<String>,
    /// `YYYY-MM-DD`.
    pub entry_date: Option<String>,
    /// Border gate of entry.
    pub border_gate: Option<String>,
}

/// A guest ready to be written.
#[derive(Debug, Clone)]
pub struct Guest {
    pub kind: GuestKind,
    pub personal_id: Option<String>,
    pub passport_number: Option<String>,
    pub nationality: String,
    pub full_name: String,
    pub birth_date: Option<String>,
    pub address: Option<String>,
    pub visa: Option<String>,
    pub entry_date: Option<String>,
    pub border_gate: Option<String>,
    /// Commune of the citizen's current residence (a venue's origin breakdown counts its province).
    pub home_commune: Option<String>,
}

impl Guest {
    /// The key the access log and duplicate check use: personal id, or nationality and passport.
    pub fn subject(&self) -> String {
        match (&self.personal_id, &self.passport_number) {
            (Some(id), _) => id.clone(),
            (None, Some(p)) => crate::watchlist::passport_key(&self.nationality, p),
            (None, None) => String::new(),
        }
    }
}

fn date(s: &str, field: &str) -> Result<String, AppError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map(|d| d.format("%Y-%m-%d").to_string())
        .map_err(|_| AppError::new(ErrorCode::InvalidDate, format!("{field} must be YYYY-MM-DD")))
}

fn optional(s: Option<String>) -> Option<String> {
    s.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// A foreign passport's number and nationality, normalized (upper case) and checked.
pub fn passport_identity(number: &str, nationality: &str) -> Result<(String, String), AppError> {
    let number = number.trim().to_uppercase();
    if number.is_empty() || number.len() > 20 || !number.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(AppError::invalid("passport number must be 1 to 20 letters or digits"));
    }
    let nationality = nationality.trim().to_uppercase();
    if nationality.len() != 3 || !nationality.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(AppError::invalid("nationality must be an ISO 3166-1 alpha-3 code"));
    }
    if nationality == "VNM" {
        return Err(AppError::invalid("Vietnamese citizens are identified by their personal id"));
    }
    Ok((number, nationality))
}

/// Checks a foreigner's passport data.
pub fn foreigner(p: PassportInput) -> Result<Guest, AppError> {
    let (number, nationality) = passport_identity(&p.number, &p.nationality)?;
    let full_name = kernel::text::normalize_name(&p.full_name);
    if full_name.is_empty() {
        return Err(AppError::invalid("full_name is required for a foreign guest"));
    }
    Ok(Guest {
        kind: GuestKind::Foreigner,
        personal_id: None,
        passport_number: Some(number),
        nationality,
        full_name,
        birth_date: Some(date(&p.birth_date, "birth_date")?),
        address: None,
        visa: optional(p.visa),
        entry_date: p.entry_date.as_deref().map(|d| date(d, "entry_date")).transpose()?,
        border_gate: optional(p.border_gate),
        home_commune: None,
    })
}

/// Resolves a citizen from the registry (the caller logs the read once the check-in is committed).
pub async fn citizen(persons: &PersonLookup, personal_id: &str) -> Result<Guest, AppError> {
    let id = PersonalId::parse(personal_id)?;
    let person = persons
        .get(&id)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound, "no person with this personal id in the registry"))?;
    if person.status == "deceased" {
        return Err(AppError::invalid("the registry records this person as deceased"));
    }
    let home_commune = person.current_residence.as_ref().map(|p| p.commune_code.clone());
    let address = person.current_residence.map(|p| {
        [p.address, p.commune_name, p.province_name]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(", ")
    });
    Ok(Guest {
        kind: GuestKind::Citizen,
        personal_id: Some(person.personal_id),
        passport_number: None,
        nationality: "VNM".into(),
        full_name: person.full_name,
        birth_date: person.birth_date,
        address,
        visa: None,
        entry_date: None,
        border_gate: None,
        home_commune,
    })
}

/// The personal id a card QR carries (the registry, not the card, supplies the guest's data).
fn from_card_qr(payload: &str) -> Result<String, AppError> {
    verification::cccd_qr::CardQr::parse(payload)
        .map(|q| q.personal_id.as_str().to_string())
        .map_err(|e| AppError::new(ErrorCode::InvalidInput, format!("card QR: {e}")))
}

/// The personal id of a dynamic identity QR after its signature, expiry and single use are checked.
async fn from_identity_qr(db: &db::Db, keys: &KeyRing, token: &str, now: i64) -> Result<String, AppError> {
    let refuse = |p: verification::dynamic::TokenProblem| {
        AppError::new(ErrorCode::InvalidInput, format!("identity QR {}: {}", p.code(), p.words().1))
    };
    let claims = verification::dynamic::check_offline(keys, token).map_err(refuse)?;
    verification::dynamic::consume_nonce(db, &claims, now).await?.map_err(refuse)?;
    Ok(claims.pid)
}

/// Resolves one entered guest, presented at `now` (UTC milliseconds: an identity QR is used up).
pub async fn resolve(svc: &Service, input: GuestInput, now: i64) -> Result<Guest, AppError> {
    let persons = &svc.persons;
    match (input.personal_id, input.card_qr, input.identity_qr, input.passport) {
        (Some(id), None, None, None) => citizen(persons, &id).await,
        (None, Some(qr), None, None) => citizen(persons, &from_card_qr(&qr)?).await,
        (None, None, Some(token), None) => {
            citizen(persons, &from_identity_qr(&svc.stores.db, &svc.keys, &token, now).await?).await
        }
        (None, None, None, Some(p)) => foreigner(p),
        _ => Err(AppError::invalid("each guest needs exactly one of personal_id, card_qr, identity_qr or passport")),
    }
}
