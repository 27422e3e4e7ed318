//! The QR code printed on chip-based citizen identity cards (CCCD gắn chip / thẻ căn cước):
//! `personal id|old id|full name|ddMMyyyy|Nam or Nữ|address|ddMMyyyy (issue date)`, UTF-8.
//!
//! The code is not signed: anyone can print one. Parsing only turns what a scanner typed into
//! fields; whether they are true is decided online against the registry.

use chrono::NaiveDate;
use kernel::{Gender, PersonalId};
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};
use registry::queries::cards::CardView;
use registry::queries::persons::PersonView;

/// The fields of a card QR payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardQr {
    pub personal_id: PersonalId,
    /// The 9-digit identity card number the citizen had before (empty on most new cards).
    pub old_id: Option<String>,
    /// NFC-normalized.
    pub full_name: String,
    pub birth_date: NaiveDate,
    pub gender: Gender,
    pub address: String,
    pub issue_date: NaiveDate,
}

/// The payload field a parse error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QrField {
    Payload,
    PersonalId,
    OldId,
    FullName,
    BirthDate,
    Gender,
    Address,
    IssueDate,
}

impl QrField {
    pub fn code(self) -> &'static str {
        match self {
            QrField::Payload => "payload",
            QrField::PersonalId => "personal_id",
            QrField::OldId => "old_id",
            QrField::FullName => "full_name",
            QrField::BirthDate => "birth_date",
            QrField::Gender => "gender",
            QrField::Address => "address",
            QrField::IssueDate => "issue_date",
        }
    }
}

/// Why a payload was rejected: the field and what is wrong with it (never the field's value, which
/// is personal data).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {problem}", field.code())]
pub struct QrError {
    pub field: QrField,
    pub problem: &'static str,
}

fn err(field: QrField, problem: &'static str) -> QrError {
    QrError { field, problem }
}

/// Longest payload accepted; real ones are under 300 bytes.
const MAX_LEN: usize = 1024;

impl CardQr {
    /// Parses what a scanner delivered. Tolerated: surrounding whitespace, CR/LF, a byte-order
    /// mark, trailing separators, spaces around fields, dates written `dd/mm/yyyy`, `dd-mm-yyyy`
    /// or `dd.mm.yyyy`, a missing old-id field (six fields), gender in any case or without
    /// diacritics. Everything else is rejected with the field that is wrong.
    pub fn parse(input: &str) -> Result<CardQr, QrError> {
        if input.len() > MAX_LEN {
            return Err(err(QrField::Payload, "too long for a card QR code"));
        }
        let trimmed = input.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}' || c.is_control());
        let trimmed = trimmed.trim_end_matches(|c: char| c == '|' || c.is_whitespace());
        let fields: Vec<&str> = trimmed.split('|').map(str::trim).collect();
        let (id, old, name, birth, gender, address, issued) = match *fields.as_slice() {
            [id, old, name, birth, gender, address, issued] => (id, Some(old), name, birth, gender, address, issued),
            [id, name, birth, gender, address, issued] => (id, None, name, birth, gender, address, issued),
            _ if fields.len() < 6 => return Err(err(QrField::Payload, "too few fields (expected 7 separated by |)")),
            _ => return Err(err(QrField::Payload, "too many fields (expected 7 separated by |)")),
        };
        let personal_id = PersonalId::parse(id).map_err(|_| err(QrField::PersonalId, "must be exactly 12 digits"))?;
        let old_id = match old.filter(|o| !o.is_empty()) {
            None => None,
            Some(o) if (o.len() == 9 || o.len() == 12) && o.bytes().all(|b| b.is_ascii_digit()) => Some(o.to_string()),
            Some(_) => return Err(err(QrField::OldId, "must be empty, 9 or 12 digits")),
        };
        let full_name = kernel::text::normalize_name(name);
        if full_name.is_empty() {
            return Err(err(QrField::FullName, "is empty"));
        }
        if full_name.chars().any(|c| !(c.is_alphabetic() || c == ' ' || c == '\'' || c == '-')) {
            return Err(err(QrField::FullName, "contains characters that are not letters"));
        }
        let birth_date = parse_date(birth).ok_or(err(QrField::BirthDate, "must be a date ddMMyyyy"))?;
        let gender = parse_gender(gender).ok_or(err(QrField::Gender, "must be Nam or Nữ"))?;
        let address = kernel::text::normalize_name(address);
        if address.is_empty() {
            return Err(err(QrField::Address, "is empty"));
        }
        let issue_date = parse_date(issued).ok_or(err(QrField::IssueDate, "must be a date ddMMyyyy"))?;
        if issue_date < birth_date {
            return Err(err(QrField::IssueDate, "is before the date of birth"));
        }
        Ok(CardQr { personal_id, old_id, full_name, birth_date, gender, address, issue_date })
    }

    /// The QR a registry card prints: the person's record and one of their cards (`None` when the
    /// birth date is not a full date, which a card QR cannot carry). Test cards, demo, benchmarks.
    pub fn of_registry(person: &PersonView, card: &CardView) -> Option<CardQr> {
        let date = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        Some(CardQr {
            personal_id: PersonalId::parse(&person.personal_id).ok()?,
            old_id: person.old_id.clone(),
            full_name: person.full_name.clone(),
            birth_date: date(person.birth_date.as_deref()?)?,
            gender: Gender::parse(person.gender.as_deref()?)?,
            address: person.current_residence.as_ref().map(crate::check::address_line).unwrap_or_default(),
            issue_date: date(&card.issue_date)?,
        })
    }

    /// The payload exactly as cards print it.
    pub fn to_payload(&self) -> String {
        format!(
            "{}|{}|{}|{}|{}|{}|{}",
            self.personal_id.as_str(),
            self.old_id.as_deref().unwrap_or(""),
            self.full_name,
            self.birth_date.format("%d%m%Y"),
            self.gender.label_vi(),
            self.address,
            self.issue_date.format("%d%m%Y"),
        )
    }
}

/// `ddMMyyyy`, or `dd/MM/yyyy`, `dd-MM-yyyy`, `dd.MM.yyyy`.
fn parse_date(s: &str) -> Option<NaiveDate> {
    let digits: String = s.chars().filter(|c| !matches!(c, '/' | '-' | '.')).collect();
    let separators = s.chars().filter(|c| matches!(c, '/' | '-' | '.')).count();
    if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) || !(separators == 0 || separators == 2) {
        return None;
    }
    NaiveDate::parse_from_str(&digits, "%d%m%Y").ok()
}

fn parse_gender(s: &str) -> Option<Gender> {
    match kernel::text::fold(s).as_str() {
        "nam" => Some(Gender::Male),
        "nu" => Some(Gender::Female),
        _ => None,
    }
}

/// An SVG QR code for a payload (test cards, the dynamic identity QR on the citizen's phone).
pub fn qr_svg(payload: &str) -> Result<String, QrError> {
    let code = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M)
        .map_err(|_| err(QrField::Payload, "too long for a QR code"))?;
    Ok(code.render::<svg::Color>().min_dimensions(240, 240).quiet_zone(true).build())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SAMPLE: &str =
        "008090001234|123456789|Nguyễn Văn An|15031990|Nam|Tổ 5, phường Hà Giang 1, Tuyên Quang|20042021";

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn parses_a_card_payload() {
        let c = CardQr::parse(SAMPLE).unwrap();
        assert_eq!(c.personal_id.as_str(), "008090001234");
        assert_eq!(c.old_id.as_deref(), Some("123456789"));
        assert_eq!(c.full_name, "Nguyễn Văn An");
        assert_eq!(c.birth_date, d(1990, 3, 15));
        assert_eq!(c.gender, Gender::Male);
        assert_eq!(c.issue_date, d(2021, 4, 20));
        assert_eq!(c.to_payload(), SAMPLE);
    }

    #[test]
    fn tolerates_scanner_noise() {
        let expected = CardQr::parse(SAMPLE).unwrap();
        let noisy = [
            format!("{SAMPLE}\r\n"),
            format!("  {SAMPLE}||  \n"),
            format!("\u{feff}{SAMPLE}"),
            SAMPLE.replace("15031990", "15/03/1990").replace("20042021", "20-04-2021"),
            SAMPLE.replace('|', " | "),
            SAMPLE.replace("|Nam|", "|NAM|"),
        ];
        for n in &noisy {
            assert_eq!(CardQr::parse(n).as_ref(), Ok(&expected), "{n:?}");
        }
        // Decomposed (NFD) Vietnamese from some scanners becomes NFC.
        let nfd: String = unicode_normalization::UnicodeNormalization::nfd(SAMPLE).collect();
        assert_eq!(CardQr::parse(&nfd).unwrap().full_name, "Nguyễn Văn An");
        let no_old = "008090001234|Nguyễn Văn An|15031990|Nữ|Tổ 5|20042021";
        let c = CardQr::parse(no_old).unwrap();
        assert_eq!(c.old_id, None);
        assert_eq!(c.gender, Gender::Female);
        let empty_old = "008090001234||Nguyễn Văn An|15031990|Nu|Tổ 5|20042021";
        assert_eq!(CardQr::parse(empty_old).unwrap().old_id, None);
    }

    #[test]
    fn names_the_wrong_field() {
        let cases = [
            ("", QrField::Payload),
            ("008090001234|x", QrField::Payload),
            ("0080900012|123456789|A|15031990|Nam|X|20042021", QrField::PersonalId),
            ("008090001234|12345|A|15031990|Nam|X|20042021", QrField::OldId),
            ("008090001234|123456789||15031990|Nam|X|20042021", QrField::FullName),
            ("008090001234|123456789|A1|15031990|Nam|X|20042021", QrField::FullName),
            ("008090001234|123456789|A|31021990|Nam|X|20042021", QrField::BirthDate),
            ("008090001234|123456789|A|1503199|Nam|X|20042021", QrField::BirthDate),
            ("008090001234|123456789|A|15031990|Male|X|20042021", QrField::Gender),
            ("008090001234|123456789|A|15031990|Nam||20042021", QrField::Address),
            ("008090001234|123456789|A|15031990|Nam|X|2004202", QrField::IssueDate),
            ("008090001234|123456789|A|15031990|Nam|X|20041980", QrField::IssueDate),
            ("1|2|3|4|5|6|7|8", QrField::Payload),
        ];
        for (input, field) in cases {
            assert_eq!(CardQr::parse(input).unwrap_err().field, field, "{input:?}");
        }
        assert_eq!(
            CardQr::parse("008090001234|123456789|A|15031990|Male|X|20042021").unwrap_err().to_string(),
            "gender: must be Nam or Nữ"
        );
    }

    #[test]
    fn renders_svg() {
        let svg = qr_svg(SAMPLE).unwrap();
        assert!(svg.starts_with("<?xml") && svg.contains("<svg"));
        assert!(qr_svg(&"x".repeat(5000)).is_err());
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = CardQr::parse(&String::from_utf8_lossy(&bytes));
        }

        #[test]
        fn random_fields_never_panic(fields in proptest::collection::vec("[0-9a-zA-Zàáạảãđ/|. -]{0,14}", 0..9)) {
            let _ = CardQr::parse(&fields.join("|"));
        }

        #[test]
        fn generated_payloads_round_trip(
            serial in 0u32..1_000_000,
            name in "[A-Z][a-zạđễư]{1,6} [A-Z][a-zăơ]{1,6}",
            days in 0i64..30_000,
            issue_after in 5_000i64..9_000,
            male in any::<bool>(),
        ) {
            let birth = d(1930, 1, 1) + chrono::Duration::days(days);
            let gender = if male { Gender::Male } else { Gender::Female };
            let card = CardQr {
                personal_id: PersonalId::compose("008", gender, 1990, serial),
                old_id: None,
                full_name: name,
                birth_date: birth,
                gender,
                address: "Thôn 1, xã Yên Sơn".into(),
                issue_date: birth + chrono::Duration::days(issue_after),
            };
            prop_assert_eq!(CardQr::parse(&card.to_payload()), Ok(card));
        }
    }
}
