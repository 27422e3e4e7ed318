//! Identity-card validity rules (Law on Identification 2023, Art. 21).
//!
//! A card must be renewed when its holder turns 14, 25, 40 and 60; a card issued within the two
//! years before one of those ages stays valid until the next one; a card issued from age 58 on
//! (within two years of 60) never expires.

use chrono::{Datelike, NaiveDate};
use kernel::PartialDate;

use crate::model::CardStatus;

/// Ages at which a card must be renewed.
pub const RENEWAL_AGES: [i32; 4] = [14, 25, 40, 60];

/// The expiry date of a card issued on `issue` to a person born on `birth`; `None` means the card
/// never expires. Partial birth dates count from the latest possible day.
pub fn expiry_date(birth: PartialDate, issue: NaiveDate) -> Option<NaiveDate> {
    let born = birth.latest();
    let age_at_issue = kernel::clock::age_on(born, issue);
    for (i, &age) in RENEWAL_AGES.iter().enumerate() {
        if age_at_issue < age - 2 {
            return Some(birthday(born, age));
        }
        if age_at_issue < age {
            // Issued within two years before a renewal age: valid until the following one.
            return RENEWAL_AGES.get(i + 1).map(|&next| birthday(born, next));
        }
    }
    None
}

/// The status a card has on `today`: a recorded `valid` card past its expiry date is expired.
pub fn effective_status(recorded: CardStatus, expiry: Option<NaiveDate>, today: NaiveDate) -> CardStatus {
    match (recorded, expiry) {
        (CardStatus::Valid, Some(e)) if e < today => CardStatus::Expired,
        (s, _) => s,
    }
}

fn birthday(born: NaiveDate, age: i32) -> NaiveDate {
    let y = born.year() + age;
    NaiveDate::from_ymd_opt(y, born.month(), born.day())
        // 29 February in a non-leap year: the birthday is 1 March.
        .or_else(|| NaiveDate::from_ymd_opt(y, 3, 1))
        // Only a year past the end of the calendar has no 1 March.
        .unwrap_or(NaiveDate::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn expires_at_next_renewal_age() {
        let born = PartialDate::Full(d(2000, 5, 10));
        assert_eq!(expiry_date(born, d(2016, 1, 1)), Some(d(2025, 5, 10)));
        assert_eq!(expiry_date(born, d(2021, 6, 1)), Some(d(2025, 5, 10)));
        // Aged 23: within two years of 25, so valid until 40.
        assert_eq!(expiry_date(born, d(2023, 6, 1)), Some(d(2040, 5, 10)));
    }

    #[test]
    fn two_year_grace_skips_to_following_age() {
        let born = PartialDate::Full(d(1980, 3, 1));
        // Aged 38 when issued: within two years of 40, so valid until 60.
        assert_eq!(expiry_date(born, d(2018, 6, 1)), Some(d(2040, 3, 1)));
        // Aged 58: within two years of 60, never expires.
        assert_eq!(expiry_date(born, d(2038, 6, 1)), None);
        // Aged 61.
        assert_eq!(expiry_date(born, d(2041, 6, 1)), None);
    }

    #[test]
    fn leap_day_birthdays() {
        let born = PartialDate::Full(d(2004, 2, 29));
        assert_eq!(expiry_date(born, d(2020, 1, 1)), Some(d(2029, 3, 1)));
    }

    #[test]
    fn valid_card_past_expiry_is_expired() {
        let today = d(2025, 1, 1);
        assert_eq!(effective_status(CardStatus::Valid, Some(d(2024, 12, 31)), today), CardStatus::Expired);
        assert_eq!(effective_status(CardStatus::Valid, None, today), CardStatus::Valid);
        assert_eq!(effective_status(CardStatus::Lost, Some(d(2030, 1, 1)), today), CardStatus::Lost);
    }
}
