//! The registry's records as plain data: what the generator produces, the bulk loader writes and
//! the importer reads.

use chrono::NaiveDate;
use kernel::{Gender, PartialDate};
use serde::{Deserialize, Serialize};

/// Life status of a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonStatus {
    Living,
    Deceased,
    Missing,
}

impl PersonStatus {
    pub fn code(self) -> &'static str {
        match self {
            PersonStatus::Living => "living",
            PersonStatus::Deceased => "deceased",
            PersonStatus::Missing => "missing",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "living" => Some(PersonStatus::Living),
            "deceased" => Some(PersonStatus::Deceased),
            "missing" => Some(PersonStatus::Missing),
            _ => None,
        }
    }
}

/// A person as stored in the registry. Optional fields may be missing in real data; the quality
/// rules report them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    pub personal_id: String,
    /// NFC-normalized full name.
    pub full_name: String,
    pub gender: Option<Gender>,
    pub birth_date: Option<PartialDate>,
    /// Place of birth as written on the birth certificate ("Xã Mỹ Lâm, Tỉnh Tuyên Quang").
    pub birth_place: Option<String>,
    /// Hometown (quê quán).
    pub hometown: Option<String>,
    /// Ethnic group code (see `kernel::vocab::ETHNIC_GROUPS`).
    pub ethnicity: Option<String>,
    /// Religion code (see `kernel::vocab::RELIGIONS`, `00` = none).
    pub religion: Option<String>,
    /// ISO 3166 alpha-2 nationality, `VN` for citizens.
    pub nationality: String,
    /// Old 9-digit identity card number (CMND) for people who had one.
    pub old_id: Option<String>,
    pub status: PersonStatus,
    pub death_date: Option<PartialDate>,
    pub father_id: Option<String>,
    pub mother_id: Option<String>,
    pub spouse_id: Option<String>,
    pub household_id: Option<String>,
    /// Relationship to the head of household (see `kernel::vocab::RELATIONSHIPS`).
    pub relationship: Option<String>,
    /// 2025 commune code of the current place of residence.
    pub current_commune: Option<String>,
    pub current_address: Option<String>,
}

/// A household (hộ gia đình).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Household {
    pub id: String,
    pub head_id: String,
    pub commune_code: String,
    /// Street / hamlet part of the address; the commune is `commune_code`.
    pub address: String,
}

/// Kind of residence registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResidenceKind {
    /// Thường trú.
    Permanent,
    /// Tạm trú (has an expiry).
    Temporary,
    /// Nơi ở hiện tại, for people with neither.
    Current,
}

impl ResidenceKind {
    pub fn code(self) -> &'static str {
        match self {
            ResidenceKind::Permanent => "permanent",
            ResidenceKind::Temporary => "temporary",
            ResidenceKind::Current => "current",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "permanent" => Some(ResidenceKind::Permanent),
            "temporary" => Some(ResidenceKind::Temporary),
            "current" => Some(ResidenceKind::Current),
            _ => None,
        }
    }
}

/// One residence registration; the full history is every row for a person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Residence {
    pub id: String,
    pub personal_id: String,
    pub kind: ResidenceKind,
    pub commune_code: String,
    pub address: String,
    pub start_date: NaiveDate,
    /// Set when the registration ended (moved away, removed).
    pub end_date: Option<NaiveDate>,
    /// Temporary residence is registered for a fixed term.
    pub expiry_date: Option<NaiveDate>,
}

/// Card generations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardKind {
    /// Căn cước công dân gắn chip (2021–2024).
    CccdChip,
    /// Thẻ căn cước (Law on Identification 2023, from 1 July 2024).
    CanCuoc2024,
}

impl CardKind {
    pub fn code(self) -> &'static str {
        match self {
            CardKind::CccdChip => "cccd_chip",
            CardKind::CanCuoc2024 => "can_cuoc_2024",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "cccd_chip" => Some(CardKind::CccdChip),
            "can_cuoc_2024" => Some(CardKind::CanCuoc2024),
            _ => None,
        }
    }
}

/// Recorded status of a card. A `valid` card past its expiry date is reported as expired by
/// [`crate::card::effective_status`] and flagged by the quality rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardStatus {
    Valid,
    Expired,
    Lost,
    Revoked,
    Replaced,
}

impl CardStatus {
    pub fn code(self) -> &'static str {
        match self {
            CardStatus::Valid => "valid",
            CardStatus::Expired => "expired",
            CardStatus::Lost => "lost",
            CardStatus::Revoked => "revoked",
            CardStatus::Replaced => "replaced",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "valid" => Some(CardStatus::Valid),
            "expired" => Some(CardStatus::Expired),
            "lost" => Some(CardStatus::Lost),
            "revoked" => Some(CardStatus::Revoked),
            "replaced" => Some(CardStatus::Replaced),
            _ => None,
        }
    }
}

/// An identity card issued to a person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Card {
    pub id: String,
    pub personal_id: String,
    pub kind: CardKind,
    pub issue_date: NaiveDate,
    /// `None` for cards issued from age 60 on (no expiry).
    pub expiry_date: Option<NaiveDate>,
    /// Issuing authority as printed on the card.
    pub issuer: String,
    pub status: CardStatus,
}

/// A death registered by civil status (hộ tịch) that the registry must reflect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CivilDeath {
    pub personal_id: String,
    pub death_date: NaiveDate,
}

/// Everything the loader writes, in foreign-key order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batch {
    pub households: Vec<Household>,
    pub persons: Vec<Person>,
    pub residences: Vec<Residence>,
    pub cards: Vec<Card>,
    pub civil_deaths: Vec<CivilDeath>,
}

impl Batch {
    /// Total rows in the batch (for progress bars).
    pub fn rows(&self) -> usize {
        self.households.len() + self.persons.len() + self.residences.len() + self.cards.len() + self.civil_deaths.len()
    }
}
