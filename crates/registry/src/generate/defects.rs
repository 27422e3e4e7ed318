//! Known data-quality defects injected into otherwise consistent households, each recorded as
//! ground truth so the quality rules can be tested for recall.
//!
//! A rate is the probability that a person *who can have the defect* gets it: day/month swaps
//! need a day of 12 or less, "deceased but still living" applies to living people aged 60+,
//! "expired card still valid" to living people whose only card has expired, and duplicates are
//! made of living adults. A duplicated person gets no other defect, so the pair stays
//! recognisable.

use chrono::{Datelike, Duration, NaiveDate};
use kernel::syllable::is_syllable;
use kernel::text::fold;
use kernel::PartialDate;
use rand::Rng;

use super::ids::hex_id;
use super::names::is_known_word;
use super::records::Span;
use super::sample::{add_years, chance, date_between, GenRng};
use super::{DefectKind, InjectedDefect, Shared, State};
use crate::model::{Batch, CardStatus, CivilDeath, Household, PersonStatus, Residence, ResidenceKind};

/// Injects defects into the household at `span`; duplicate records are appended to the batch as
/// single-person households. Each duplicate takes one person from `budget` (the people still to
/// produce).
pub(super) fn inject(
    s: &Shared,
    st: &mut State,
    out: &mut Batch,
    span: &Span,
    budget: &mut usize,
    found: &mut Vec<InjectedDefect>,
) {
    let r = s.rates;
    let reference = s.reference;
    for i in span.persons.clone() {
        let Some(p) = out.persons.get(i) else {
            continue;
        };
        let living = p.status == PersonStatus::Living;
        let age = p.birth_date.map(|b| b.age_on(reference)).unwrap_or(0);
        let mut protected = false;
        if living && age >= 18 && *budget > 0 && chance(&mut st.rng, r.duplicate_person) {
            if let Some((id, stripped)) = duplicate(s, st, out, span.place, i) {
                if stripped {
                    found.push(InjectedDefect { personal_id: id.clone(), kind: DefectKind::NameTypo });
                }
                found.push(InjectedDefect { personal_id: id, kind: DefectKind::DuplicatePerson });
                *budget -= 1;
                protected = true;
            }
        }
        let rng = &mut st.rng;
        // Rows of the span stay where they are: duplicates are appended after them.
        let Some(p) = out.persons.get_mut(i) else {
            continue;
        };
        let mut kinds: [Option<DefectKind>; 5] = [None; 5];
        if !protected {
            if chance(rng, r.missing_field) {
                kinds[0] = Some(match rng.gen_range(0..4) {
                    0 => {
                        p.hometown = None;
                        DefectKind::MissingHometown
                    }
                    1 => {
                        p.ethnicity = None;
                        DefectKind::MissingEthnicity
                    }
                    2 => {
                        p.birth_place = None;
                        DefectKind::MissingBirthPlace
                    }
                    _ => {
                        p.gender = None;
                        DefectKind::MissingGender
                    }
                });
            }
            if chance(rng, r.name_typo) {
                p.full_name = typo(rng, &p.full_name);
                kinds[1] = Some(DefectKind::NameTypo);
            }
            if let Some(swapped) = p.birth_date.and_then(|b| swap_day_month(b, reference)) {
                if chance(rng, r.swapped_day_month) {
                    p.birth_date = Some(swapped);
                    kinds[2] = Some(DefectKind::SwappedDayMonth);
                }
            }
        }
        if living && age >= 60 && chance(rng, r.deceased_still_living) {
            let born = p.birth_date.map(|b| b.latest()).unwrap_or(reference);
            let from = (reference - Duration::days(730)).max(born + Duration::days(1));
            if from < reference {
                let death_date = date_between(rng, from, reference);
                out.civil_deaths.push(CivilDeath { personal_id: p.personal_id.clone(), death_date });
                kinds[3] = Some(DefectKind::DeceasedStillLiving);
            }
        }
        if living && r.expired_card_still_valid > 0.0 {
            if let Some(cards) = out.cards.get_mut(span.cards.clone()) {
                let id = p.personal_id.as_str();
                let has_valid = cards.iter().any(|c| c.personal_id == id && c.status == CardStatus::Valid);
                let expired = cards.iter_mut().rev().find(|c| c.personal_id == id && c.status == CardStatus::Expired);
                if let (false, Some(card)) = (has_valid, expired) {
                    if chance(rng, r.expired_card_still_valid) {
                        card.status = CardStatus::Valid;
                        kinds[4] = Some(DefectKind::ExpiredCardStillValid);
                    }
                }
            }
        }
        for kind in kinds.into_iter().flatten() {
            found.push(InjectedDefect { personal_id: p.personal_id.clone(), kind });
        }
    }
}

/// A second record of person `i` under a new personal id, registered in another commune than
/// `place`: the same person, possibly typed without some diacritics. Returns the new id and
/// whether the name lost diacritics (itself a name typo); `None` when person `i` is not a
/// generated person with a birth date, a gender and a personal id.
fn duplicate(s: &Shared, st: &mut State, out: &mut Batch, place: usize, i: usize) -> Option<(String, bool)> {
    let original = out.persons.get(i)?;
    let rng = &mut st.rng;
    let place = s.geo.other_home_place(rng, place);
    let commune = s.geo.place(place).map(|p| p.code.clone()).unwrap_or_default();
    let address = s.geo.address(rng, place);
    let household_id = hex_id(rng);
    let birth = original.birth_date?;
    let gender = original.gender?;
    let personal_id = st.ids.personal_id(original.personal_id.get(..3)?, gender, birth.year_value());
    let mut p = original.clone();
    p.personal_id = personal_id.clone();
    let mut stripped = false;
    if chance(rng, 0.4) {
        let name = strip_one_word(rng, &p.full_name);
        stripped = name.split(' ').any(|w| !is_known_word(w) && !is_syllable(w));
        if stripped {
            p.full_name = name;
        }
    }
    p.old_id = None;
    p.father_id = None;
    p.mother_id = None;
    p.spouse_id = None;
    p.household_id = Some(household_id.clone());
    p.relationship = Some("head".to_string());
    p.current_commune = Some(commune.clone());
    p.current_address = Some(address.clone());
    let adult = add_years(birth.latest(), 18);
    let start = date_between(rng, adult.min(s.reference - Duration::days(1)), s.reference);
    out.residences.push(Residence {
        id: hex_id(rng),
        personal_id: personal_id.clone(),
        kind: ResidenceKind::Permanent,
        commune_code: commune.clone(),
        address: address.clone(),
        start_date: start,
        end_date: None,
        expiry_date: None,
    });
    out.households.push(Household { id: household_id, head_id: personal_id.clone(), commune_code: commune, address });
    out.persons.push(p);
    Some((personal_id, stripped))
}

/// The birth date with day and month swapped, when that is a different valid past date.
fn swap_day_month(b: PartialDate, reference: NaiveDate) -> Option<PartialDate> {
    let d = b.full()?;
    if d.day() > 12 || d.day() == d.month() {
        return None;
    }
    NaiveDate::from_ymd_opt(d.year(), d.day(), d.month()).filter(|s| *s <= reference).map(PartialDate::Full)
}

/// A word typed without its diacritics, capitalised as before ("Đặng" → "Dang").
fn strip_word(word: &str) -> String {
    let folded = fold(word);
    let mut cs = folded.chars();
    match cs.next() {
        Some(f) => f.to_uppercase().chain(cs).collect(),
        None => String::new(),
    }
}

fn strip_one_word(rng: &mut GenRng, name: &str) -> String {
    let words: Vec<&str> = name.split(' ').collect();
    let candidates: Vec<usize> =
        words.iter().enumerate().filter(|(_, w)| strip_word(w) != **w).map(|(i, _)| i).collect();
    if candidates.is_empty() {
        return name.to_string();
    }
    let Some(&chosen) = candidates.get(rng.gen_range(0..candidates.len())) else {
        return name.to_string();
    };
    let out: Vec<String> =
        words.iter().enumerate().map(|(i, w)| if i == chosen { strip_word(w) } else { w.to_string() }).collect();
    out.join(" ")
}

/// The name with one word mistyped: diacritics dropped, two letters swapped, a letter doubled or
/// dropped. The result always contains a word that no clean name has and that is not a
/// well-formed Vietnamese syllable, so the spelling rule can catch it.
pub(super) fn typo(rng: &mut GenRng, name: &str) -> String {
    let mut words: Vec<String> = name.split(' ').map(str::to_string).collect();
    for _ in 0..12 {
        let w = rng.gen_range(0..words.len());
        let Some(word) = words.get_mut(w) else {
            continue;
        };
        let chars: Vec<char> = word.chars().collect();
        let n = chars.len();
        let candidate: String = match rng.gen_range(0..4) {
            0 => strip_word(word),
            1 if n >= 3 => {
                let k = rng.gen_range(1..n - 1);
                let mut c = chars.clone();
                c.swap(k, k + 1);
                c.into_iter().collect()
            }
            2 if n >= 2 => {
                let k = rng.gen_range(1..n);
                let mut c = chars.clone();
                if let Some(&doubled) = chars.get(k) {
                    c.insert(k, doubled);
                }
                c.into_iter().collect()
            }
            3 if n >= 3 => {
                let k = rng.gen_range(1..n);
                let mut c = chars.clone();
                c.remove(k);
                c.into_iter().collect()
            }
            _ => continue,
        };
        if candidate != *word && !is_known_word(&candidate) && !is_syllable(&candidate) {
            *word = candidate;
            return words.join(" ");
        }
    }
    if let Some(last) = words.last_mut() {
        let tail = last.chars().last().unwrap_or('a');
        last.push(tail);
    }
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn typos_always_leave_an_unknown_word() {
        let mut rng = GenRng::seed_from_u64(1);
        for name in ["Nguyễn Văn An", "Lý Thị Ly", "Ma Văn La", "Giàng A Páo", "Hà Thị Hoa"] {
            for _ in 0..50 {
                let t = typo(&mut rng, name);
                assert_ne!(t, name);
                assert!(t.split(' ').any(|w| !is_known_word(w) && !is_syllable(w)), "{t}");
                assert!(kernel::text::is_nfc(&t));
            }
        }
        assert_eq!(strip_word("Đặng"), "Dang");
    }

    #[test]
    fn swaps_only_ambiguous_dates() {
        let r = NaiveDate::from_ymd_opt(2025, 7, 1).unwrap();
        let d = |y, m, day| PartialDate::Full(NaiveDate::from_ymd_opt(y, m, day).unwrap());
        assert_eq!(swap_day_month(d(1990, 3, 7), r), Some(d(1990, 7, 3)));
        assert_eq!(swap_day_month(d(1990, 3, 13), r), None);
        assert_eq!(swap_day_month(d(1990, 3, 3), r), None);
        assert_eq!(swap_day_month(d(2025, 2, 10), r), None);
        assert_eq!(swap_day_month(PartialDate::Year(1940), r), None);
    }
}
