//! The 12-digit personal identification number (số định danh cá nhân).
//!
//! Structure (Circular 59/2021/TT-BCA): 3 digits place-of-birth code (the legacy 63-province code, or
//! a country code for citizens born abroad), 1 digit century + gender, 2 digits year of birth, 6 random
//! digits. Exactly 12 digits is a hard rule; the structure is checked softly and reported as
//! data-quality warnings, because real records exist that break it.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{AppError, ErrorCode};
use crate::gender::Gender;

/// Legacy (63-province) codes zero-padded to three digits. They never change when provinces merge.
pub const LEGACY_PROVINCE_CODES: [&str; 63] = [
    "001", "002", "004", "006", "008", "010", "011", "012", "014", "015", "017", "019", "020", "022", "024", "025",
    "026", "027", "030", "031", "033", "034", "035", "036", "037", "038", "040", "042", "044", "045", "046", "048",
    "049", "051", "052", "054", "056", "058", "060", "062", "064", "066", "067", "068", "070", "072", "074", "075",
    "077", "079", "080", "082", "083", "084", "086", "087", "089", "091", "092", "093", "094", "095", "096",
];

/// A syntactically valid personal identification number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PersonalId(String);

/// A soft inconsistency in a personal id, reported by the data-quality rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IdWarning {
    /// The first three digits are not a legacy province code.
    UnknownBirthPlaceCode,
    /// The century/gender digit disagrees with the recorded gender.
    GenderDigitMismatch,
    /// The century/gender digit disagrees with the century of the recorded birth year.
    CenturyMismatch,
    /// Digits 5–6 disagree with the last two digits of the birth year.
    BirthYearMismatch,
}

impl PersonalId {
    /// Accepts exactly 12 ASCII digits (surrounding white space is trimmed).
    pub fn parse(s: &str) -> Result<Self, AppError> {
        let t = s.trim();
        if t.len() == 12 && t.bytes().all(|b| b.is_ascii_digit()) {
            Ok(PersonalId(t.to_string()))
        } else {
            Err(AppError::new(ErrorCode::InvalidPersonalId, "personal id must be exactly 12 digits").with_message(
                "Số định danh cá nhân phải gồm đúng 12 chữ số.",
                "A personal identification number has exactly 12 digits.",
            ))
        }
    }

    /// Builds the id of a person from its parts; `serial` is the last six digits.
    pub fn compose(birth_place_code: &str, gender: Gender, birth_year: i32, serial: u32) -> Self {
        let digit = century_gender_digit(gender, birth_year);
        PersonalId(format!("{birth_place_code:0>3}{digit}{:02}{:06}", birth_year.rem_euclid(100), serial % 1_000_000))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The three-digit place-of-birth (or country) code.
    pub fn birth_place_code(&self) -> &str {
        &self.0[0..3]
    }

    /// The century/gender digit (fourth digit).
    pub fn century_gender_digit(&self) -> u8 {
        // Every id holds at least four digits (`parse` and `compose`), so the default never shows.
        self.0.as_bytes().get(3).map_or(0, |d| d - b'0')
    }

    /// Gender implied by the fourth digit (even = male, odd = female).
    pub fn implied_gender(&self) -> Gender {
        if self.century_gender_digit().is_multiple_of(2) {
            Gender::Male
        } else {
            Gender::Female
        }
    }

    /// First year of the century implied by the fourth digit.
    pub fn implied_century(&self) -> i32 {
        match self.century_gender_digit() {
            0 | 1 => 1900,
            2 | 3 => 2000,
            4 | 5 => 2100,
            6 | 7 => 2200,
            _ => 1800,
        }
    }

    /// Two-digit birth year (digits 5–6).
    pub fn two_digit_year(&self) -> i32 {
        self.0[4..6].parse().unwrap_or(0)
    }

    /// Soft structure checks against what the registry records about the person.
    pub fn soft_checks(&self, gender: Option<Gender>, birth_year: Option<i32>) -> Vec<IdWarning> {
        let mut w = Vec::new();
        if !LEGACY_PROVINCE_CODES.contains(&self.birth_place_code()) {
            w.push(IdWarning::UnknownBirthPlaceCode);
        }
        if let Some(g) = gender {
            if g != self.implied_gender() {
                w.push(IdWarning::GenderDigitMismatch);
            }
        }
        if let Some(y) = birth_year {
            if y.div_euclid(100) * 100 != self.implied_century() {
                w.push(IdWarning::CenturyMismatch);
            }
            if y.rem_euclid(100) != self.two_digit_year() {
                w.push(IdWarning::BirthYearMismatch);
            }
        }
        w
    }
}

/// The fourth digit for a gender and birth year: 0/1 for the 1900s, 2/3 for the 2000s, and so on.
pub fn century_gender_digit(gender: Gender, birth_year: i32) -> u8 {
    let base = match birth_year.div_euclid(100) {
        18 => 8,
        19 => 0,
        20 => 2,
        21 => 4,
        _ => 6,
    };
    base + u8::from(gender == Gender::Female)
}

impl fmt::Display for PersonalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for PersonalId {
    type Error = AppError;
    fn try_from(s: String) -> Result<Self, AppError> {
        PersonalId::parse(&s)
    }
}

impl From<PersonalId> for String {
    fn from(p: PersonalId) -> String {
        p.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hard_rule_is_exactly_twelve_digits() {
        assert!(PersonalId::parse("001203012345").is_ok());
        assert!(PersonalId::parse(" 001203012345 ").is_ok());
        for bad in ["", "00120301234", "0012030123456", "00120301234a", "００１２０３０１２３４５"] {
            let e = PersonalId::parse(bad).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidPersonalId, "{bad}");
        }
    }

    #[test]
    fn compose_and_soft_checks_agree() {
        let id = PersonalId::compose("8", Gender::Female, 2003, 12345);
        assert_eq!(id.as_str(), "008303012345");
        assert!(id.soft_checks(Some(Gender::Female), Some(2003)).is_empty());
        assert_eq!(
            id.soft_checks(Some(Gender::Male), Some(1903)),
            vec![IdWarning::GenderDigitMismatch, IdWarning::CenturyMismatch]
        );
        assert_eq!(id.soft_checks(None, Some(2004)), vec![IdWarning::BirthYearMismatch]);
        let foreign_born = PersonalId::parse("704003012345").unwrap();
        assert_eq!(foreign_born.soft_checks(None, None), vec![IdWarning::UnknownBirthPlaceCode]);
    }

    #[test]
    fn century_digits() {
        assert_eq!(century_gender_digit(Gender::Male, 1899), 8);
        assert_eq!(century_gender_digit(Gender::Female, 1950), 1);
        assert_eq!(century_gender_digit(Gender::Male, 2024), 2);
    }
}
