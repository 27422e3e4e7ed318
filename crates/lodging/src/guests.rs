//! Who is checking in: citizens resolved from the registry by personal id, foreigners from their
//! passport data (form NA17).

use chrono::NaiveDate;
use kernel::{AppError, ErrorCode, PartialDate, PersonalId};
use keys::KeyRing;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use registry::queries::person_lookup::PersonLookup;

use crate::deadline::GuestKind;
use crate::Service;

/// A guest as the staff enter them: exactly one of a typed personal id (with the name and birth
/// date the guest presents), the scanned card QR, the citizen's dynamic identity QR, or passport
/// data for a foreigner.
///
/// Registry data (name, birth date, address) is released only when the guest's card QR or
/// identity QR is scanned (possession) and matches the registry. A typed id is only confirmed
/// against the typed name and birth date: the check-in is refused on any mismatch, and stored with
/// what was typed, without an address.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
pub struct GuestInput {
    /// 12-digit personal id of a Vietnamese citizen, typed by staff; needs `full_name` and
    /// `birth_date`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub personal_id: Option<String>,
    /// The name on the guest's document, with a typed `personal_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    /// The birth date on the guest's document (`dd/mm/yyyy` or `YYYY-MM-DD`), with a typed
    /// `personal_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
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
    /// A typed id confirmed against typed details: no registry field was released.
    pub typed: bool,
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

/// A passport date (`YYYY-MM-DD`, or `dd/mm/yyyy` as staff type it); `label` names the field in
/// both languages for the refusal.
fn date(s: &str, field: &str, label: (&str, &str)) -> Result<NaiveDate, AppError> {
    let s = s.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d").or_else(|_| NaiveDate::parse_from_str(s, "%d/%m/%Y")).map_err(|_| {
        AppError::new(ErrorCode::InvalidDate, format!("{field} must be YYYY-MM-DD")).with_message(
            format!("{} không hợp lệ: nhập theo dạng ngày/tháng/năm.", label.0),
            format!("Invalid {}: use day/month/year.", label.1),
        )
    })
}

/// The earliest birth year taken as plausible for a living guest.
const EARLIEST_BIRTH_YEAR: i32 = 1900;

/// A foreign guest's birth date: not after `today`, not before 1900.
fn birth_date(s: &str, today: NaiveDate) -> Result<String, AppError> {
    let d = date(s, "birth_date", ("Ngày sinh", "date of birth"))?;
    if d > today {
        return Err(AppError::new(ErrorCode::InvalidDate, "birth_date lies in the future")
            .with_message("Ngày sinh không được sau ngày hôm nay.", "The date of birth cannot be after today."));
    }
    if chrono::Datelike::year(&d) < EARLIEST_BIRTH_YEAR {
        return Err(AppError::new(ErrorCode::InvalidDate, "birth_date before 1900").with_message(
            "Ngày sinh không hợp lý (trước năm 1900): kiểm tra lại hộ chiếu.",
            "Implausible date of birth (before 1900): check the passport.",
        ));
    }
    Ok(d.format("%Y-%m-%d").to_string())
}

fn optional(s: Option<String>) -> Option<String> {
    s.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// A foreign passport's number and nationality, normalized (upper case) and checked.
pub fn passport_identity(number: &str, nationality: &str) -> Result<(String, String), AppError> {
    let number = number.trim().to_uppercase();
    if number.is_empty() || number.len() > 20 || !number.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(AppError::invalid("passport number must be 1 to 20 letters or digits").with_message(
            "Số hộ chiếu là bắt buộc, gồm 1 đến 20 chữ cái hoặc chữ số.",
            "The passport number is required: 1 to 20 letters or digits.",
        ));
    }
    let nationality = nationality.trim().to_uppercase();
    if nationality.len() != 3 || !nationality.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(AppError::invalid("nationality must be an ISO 3166-1 alpha-3 code").with_message(
            "Quốc tịch là bắt buộc, ghi bằng mã 3 chữ cái (ví dụ KOR, USA).",
            "The nationality is required as a 3-letter code (e.g. KOR, USA).",
        ));
    }
    if nationality == "VNM" {
        return Err(AppError::invalid("Vietnamese citizens are identified by their personal id").with_message(
            "Công dân Việt Nam được khai báo bằng số định danh cá nhân, không bằng hộ chiếu.",
            "Vietnamese citizens are declared with their personal id, not a passport.",
        ));
    }
    Ok((number, nationality))
}

/// Checks a foreigner's passport data on `today` (Vietnam): required fields, a birth date neither
/// in the future nor before 1900, an entry date not in the future.
pub fn foreigner(p: PassportInput, today: NaiveDate) -> Result<Guest, AppError> {
    let (number, nationality) = passport_identity(&p.number, &p.nationality)?;
    let full_name = kernel::text::normalize_name(&p.full_name);
    if full_name.is_empty() {
        return Err(AppError::invalid("full_name is required for a foreign guest")
            .with_message("Họ tên khách nước ngoài là bắt buộc.", "The foreign guest's full name is required."));
    }
    let birth = birth_date(&p.birth_date, today)?;
    let entry = p.entry_date.as_deref().map(str::trim).filter(|d| !d.is_empty());
    let entry = entry.map(|d| date(d, "entry_date", ("Ngày nhập cảnh", "entry date"))).transpose()?;
    if entry.is_some_and(|d| d > today) {
        return Err(AppError::new(ErrorCode::InvalidDate, "entry_date lies in the future")
            .with_message("Ngày nhập cảnh không được sau ngày hôm nay.", "The entry date cannot be after today."));
    }
    Ok(Guest {
        kind: GuestKind::Foreigner,
        personal_id: None,
        passport_number: Some(number),
        nationality,
        full_name,
        birth_date: Some(birth),
        address: None,
        visa: optional(p.visa),
        entry_date: entry.map(|d| d.format("%Y-%m-%d").to_string()),
        border_gate: optional(p.border_gate),
        home_commune: None,
        typed: false,
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
        typed: false,
    })
}

/// The refusal of a typed id or card QR that the registry does not confirm: the same whether the
/// id is unknown or the name or birth date differ, so it reveals nothing.
fn no_match() -> AppError {
    AppError::invalid("the personal id, name and birth date do not match the registry").with_message(
        "Thông tin không khớp với CSDL dân cư: kiểm tra lại số định danh, họ tên và ngày sinh trên giấy tờ của khách.",
        "The details do not match the population registry: check the personal id, name and date of birth on the guest's document.",
    )
}

/// Confirms a typed id against the name and birth date the guest presents; the guest is recorded
/// with what was typed (no registry field is released, so no address).
async fn typed(
    persons: &PersonLookup,
    personal_id: &str,
    full_name: Option<String>,
    birth_date: Option<String>,
) -> Result<Guest, AppError> {
    let id = PersonalId::parse(personal_id)?;
    let (Some(name), Some(birth)) = (optional(full_name), optional(birth_date)) else {
        return Err(AppError::invalid("a typed personal_id needs full_name and birth_date").with_message(
            "Khi nhập số định danh, cần nhập cả họ tên và ngày sinh trên giấy tờ của khách để đối chiếu.",
            "With a typed personal id, also type the name and date of birth on the guest's document to be checked.",
        ));
    };
    let birth = PartialDate::parse_vn(&birth).or_else(|_| PartialDate::parse(&birth)).map_err(|_| {
        AppError::new(ErrorCode::InvalidDate, "birth_date must be dd/mm/yyyy or YYYY-MM-DD").with_message(
            "Ngày sinh không hợp lệ (nhập theo dạng ngày/tháng/năm).",
            "Invalid date of birth (use day/month/year).",
        )
    })?;
    let person =
        persons.get(&id).await?.filter(|p| verification::check::confirms(p, &name, &birth)).ok_or_else(no_match)?;
    if person.status == "deceased" {
        return Err(AppError::invalid("the registry records this person as deceased"));
    }
    Ok(Guest {
        kind: GuestKind::Citizen,
        personal_id: Some(person.personal_id),
        passport_number: None,
        nationality: "VNM".into(),
        full_name: kernel::text::normalize_name(&name),
        birth_date: Some(birth.to_storage()),
        address: None,
        visa: None,
        entry_date: None,
        border_gate: None,
        home_commune: person.current_residence.map(|p| p.commune_code),
        typed: true,
    })
}

/// A scanned card QR: its name and birth date must match the registry, which then supplies the
/// guest's data (the card was in hand).
async fn from_card_qr(persons: &PersonLookup, payload: &str) -> Result<Guest, AppError> {
    let card = verification::cccd_qr::CardQr::parse(payload)
        .map_err(|e| AppError::new(ErrorCode::InvalidInput, format!("card QR: {e}")))?;
    let person = persons.get(&card.personal_id).await?;
    if !person.is_some_and(|p| verification::check::confirms(&p, &card.full_name, &PartialDate::Full(card.birth_date)))
    {
        return Err(no_match());
    }
    citizen(persons, card.personal_id.as_str()).await
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
    let typed_details = input.full_name.is_some() || input.birth_date.is_some();
    match (input.personal_id, input.card_qr, input.identity_qr, input.passport) {
        (Some(id), None, None, None) => typed(persons, &id, input.full_name, input.birth_date).await,
        _ if typed_details => Err(AppError::invalid("full_name and birth_date go with a typed personal_id only")),
        (None, Some(qr), None, None) => from_card_qr(persons, &qr).await,
        (None, None, Some(token), None) => {
            citizen(persons, &from_identity_qr(&svc.stores.db, &svc.keys, &token, now).await?).await
        }
        (None, None, None, Some(p)) => foreigner(p, kernel::clock::date_vn(now)),
        _ => Err(AppError::invalid("each guest needs exactly one of personal_id, card_qr, identity_qr or passport")),
    }
}
