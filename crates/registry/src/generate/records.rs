//! Turns a planned household into registry rows: persons with ids and names, residence history,
//! identity cards and civil-status deaths.

use std::ops::Range;

use chrono::{Datelike, Duration, NaiveDate};
use kernel::clock::age_on;
use kernel::PartialDate;
use rand::Rng;

use super::household::{Member, Plan};
use super::ids::hex_id;
use super::names::full_name;
use super::sample::{add_months, add_years, chance, date, date_between, GenRng, Weighted};
use super::{Shared, State};
use crate::card::expiry_date;
use crate::model::{
    Batch, Card, CardKind, CardStatus, CivilDeath, Household, Person, PersonStatus, Residence, ResidenceKind,
};

/// Issuing authority printed on chip-based citizen identity cards (2021 – June 2024).
pub const ISSUER_CCCD: &str = "Cục Cảnh sát quản lý hành chính về trật tự xã hội";
/// Issuing authority printed on identity cards under the Law on Identification 2023.
pub const ISSUER_2024: &str = "Bộ Công an";

/// Where a household's rows landed in the batch.
#[derive(Debug, Clone)]
pub(super) struct Span {
    /// Commune index of the household in `Geo::places`.
    pub place: usize,
    pub persons: Range<usize>,
    pub cards: Range<usize>,
}

/// When cards were issued: the 2021 chip-card campaign, then a steady flow, and the switch to
/// the new card on 1 July 2024.
#[derive(Debug)]
pub(super) struct CardCalendar {
    months: Option<Weighted<NaiveDate>>,
}

/// The chip-card campaign began in 2021.
const CHIP_START: NaiveDate = date(2021, 1, 1);

/// The Law on Identification 2023 took effect on 1 July 2024.
const LAW_2024: NaiveDate = date(2024, 7, 1);

impl CardCalendar {
    pub(super) fn new(reference: NaiveDate) -> Self {
        let mut months = Vec::new();
        let mut m = CHIP_START;
        while m < reference {
            let w = match (m.year(), m < LAW_2024) {
                (2021, _) => 4.0,
                (2022, _) => 1.5,
                (_, true) => 1.0,
                (2024, false) => 1.3,
                _ => 1.0,
            };
            months.push((m, w));
            m = add_months(m, 1);
        }
        CardCalendar { months: (!months.is_empty()).then(|| Weighted::new(months)) }
    }

    /// An issue date before `until`, or `None` when no card could have been issued yet.
    fn sample(&self, rng: &mut GenRng, until: NaiveDate) -> Option<NaiveDate> {
        let month = *self.months.as_ref()?.sample(rng);
        let d = date_between(rng, month, add_months(month, 1));
        if d < until {
            Some(d)
        } else if until > CHIP_START {
            Some(date_between(rng, CHIP_START, until))
        } else {
            None
        }
    }
}

/// Appends the rows of a planned household to `out`.
pub(super) fn build(s: &Shared, st: &mut State, plan: &Plan, out: &mut Batch) -> Span {
    let rng = &mut st.rng;
    let here = s.geo.place(plan.place).map_or("", |p| p.code.as_str());
    let household_id = hex_id(rng);
    let ids: Vec<String> = plan
        .members
        .iter()
        .map(|m| {
            let legacy = s.geo.place(m.birth_place).map_or("", |p| p.legacy.as_str());
            st.ids.personal_id(legacy, m.gender, m.born.year())
        })
        .collect();
    let cmnd_place = plan.migration.as_ref().map(|m| m.origin).unwrap_or(plan.place);
    let first_person = out.persons.len();
    let first_card = out.cards.len();
    out.households.push(Household {
        id: household_id.clone(),
        // A plan has at least one member, the head, listed first.
        head_id: ids.first().cloned().unwrap_or_default(),
        commune_code: here.to_string(),
        address: plan.address.clone(),
    });
    let origin_address = plan.migration.as_ref().map(|m| s.geo.address(rng, m.origin));
    for (m, id) in plan.members.iter().zip(&ids) {
        let birth = recorded_birth(rng, m.born);
        let old_id = cmnd_likely(m.born.year(), rng).then(|| st.ids.cmnd(s.geo.cmnd_prefix(cmnd_place)));
        let status = match (m.death, m.missing) {
            (Some(_), _) => PersonStatus::Deceased,
            (None, true) => PersonStatus::Missing,
            (None, false) => PersonStatus::Living,
        };
        out.persons.push(Person {
            personal_id: id.clone(),
            full_name: full_name(rng, m.family, m.ethnic, m.gender, m.born.year()),
            gender: Some(m.gender),
            birth_date: Some(birth),
            birth_place: s.geo.place(m.birth_place).map(|p| p.text.clone()),
            hometown: s.geo.place(m.hometown).map(|p| p.text.clone()),
            ethnicity: Some(m.ethnic.to_string()),
            religion: Some(m.religion.to_string()),
            nationality: "VN".to_string(),
            old_id,
            status,
            death_date: m.death.map(PartialDate::Full),
            father_id: m.father.and_then(|f| ids.get(f)).cloned(),
            mother_id: m.mother.and_then(|f| ids.get(f)).cloned(),
            spouse_id: m.spouse.and_then(|f| ids.get(f)).cloned(),
            household_id: Some(household_id.clone()),
            relationship: Some(m.rel.code().to_string()),
            current_commune: Some(here.to_string()),
            current_address: Some(plan.address.clone()),
        });
        if let Some(d) = m.death {
            out.civil_deaths.push(CivilDeath { personal_id: id.clone(), death_date: d });
        }
        match (&plan.migration, &origin_address) {
            (Some(mig), Some(origin_address)) => {
                let origin = s.geo.place(mig.origin).map_or("", |p| p.code.as_str());
                push_residence(
                    out,
                    rng,
                    id,
                    ResidenceKind::Permanent,
                    origin,
                    origin_address,
                    birth.earliest(),
                    None,
                    None,
                );
                let arrived = m.moved_in.unwrap_or(mig.arrived).max(m.born);
                let renewed = s.reference - Duration::days(rng.gen_range(30..800));
                let start = arrived.max(renewed);
                let expiry = add_months(start, if chance(rng, 0.7) { 24 } else { 12 });
                push_residence(out, rng, id, ResidenceKind::Temporary, here, &plan.address, start, None, Some(expiry));
            }
            _ => local_residences(s, rng, out, id, here, m, birth, &plan.address),
        }
        cards(s, rng, id, birth, m, &mut out.cards);
    }
    Span { place: plan.place, persons: first_person..out.persons.len(), cards: first_card..out.cards.len() }
}

/// Older people's records often hold only the year (or month and year) of birth.
fn recorded_birth(rng: &mut GenRng, born: NaiveDate) -> PartialDate {
    let (year_only, month_only) = match born.year() {
        ..=1939 => (0.4, 0.15),
        1940..=1949 => (0.25, 0.15),
        1950..=1959 => (0.08, 0.05),
        1960..=1974 => (0.02, 0.03),
        _ => (0.0, 0.0),
    };
    let x = rng.gen::<f64>();
    if x < year_only {
        PartialDate::Year(born.year())
    } else if x < year_only + month_only {
        PartialDate::YearMonth(born.year(), born.month())
    } else {
        PartialDate::Full(born)
    }
}

/// Old 9-digit identity cards (CMND) were issued from age 14 until chip cards replaced them.
fn cmnd_likely(birth_year: i32, rng: &mut GenRng) -> bool {
    let p = match birth_year {
        ..=1999 => 0.9,
        2000..=2003 => 0.35,
        _ => 0.0,
    };
    chance(rng, p)
}

#[allow(clippy::too_many_arguments)]
fn push_residence(
    out: &mut Batch,
    rng: &mut GenRng,
    id: &str,
    kind: ResidenceKind,
    commune: &str,
    address: &str,
    start: NaiveDate,
    end: Option<NaiveDate>,
    expiry: Option<NaiveDate>,
) {
    out.residences.push(Residence {
        id: hex_id(rng),
        personal_id: id.to_string(),
        kind,
        commune_code: commune.to_string(),
        address: address.to_string(),
        start_date: start,
        end_date: end,
        expiry_date: expiry,
    });
}

/// Permanent residence at the household, and the earlier one it replaced.
#[allow(clippy::too_many_arguments)]
fn local_residences(
    s: &Shared,
    rng: &mut GenRng,
    out: &mut Batch,
    id: &str,
    here: &str,
    m: &Member,
    birth: PartialDate,
    address: &str,
) {
    let since_birth = birth.earliest();
    let start = m.moved_in.unwrap_or(since_birth);
    if let Some(prev) = m.previous.filter(|_| m.moved_in.is_some()) {
        let prev_start = if prev == m.birth_place { since_birth } else { add_years(m.born, 18) };
        if prev_start < start {
            let prev_address = s.geo.address(rng, prev);
            push_residence(
                out,
                rng,
                id,
                ResidenceKind::Permanent,
                s.geo.place(prev).map_or("", |p| p.code.as_str()),
                &prev_address,
                prev_start,
                Some(start),
                None,
            );
        }
    }
    push_residence(out, rng, id, ResidenceKind::Permanent, here, address, start, m.death, None);
}

/// Cards issued to a person: the first one, then renewals at the renewal ages, replacements of
/// lost cards and reissues after revocation. Cards of the dead are revoked.
fn cards(s: &Shared, rng: &mut GenRng, id: &str, birth: PartialDate, m: &Member, all: &mut Vec<Card>) {
    let reference = s.reference;
    let end = m.death.unwrap_or(reference);
    let fourteen = add_years(m.born, 14);
    let mut issue = if fourteen < end {
        let p = if age_on(m.born, end) >= 80 { 0.8 } else { 0.93 };
        if !chance(rng, p) {
            return;
        }
        match s.calendar.sample(rng, end) {
            Some(d) if d >= fourteen => d,
            Some(_) => {
                // Most teenagers get their card within months of turning 14.
                let until = (fourteen + Duration::days(300)).min(end);
                if fourteen.max(CHIP_START) >= until {
                    return;
                }
                date_between(rng, fourteen.max(CHIP_START), until)
            }
            None => return,
        }
    } else if m.death.is_none() && reference > LAW_2024 && chance(rng, 0.03) {
        // Children under 14 may get the new card on request since July 2024.
        let from = LAW_2024.max(m.born + Duration::days(30));
        if from >= reference {
            return;
        }
        date_between(rng, from, reference)
    } else {
        return;
    };
    let living = m.death.is_none();
    let first = all.len();
    for _ in 0..4 {
        let kind = if issue < LAW_2024 { CardKind::CccdChip } else { CardKind::CanCuoc2024 };
        let issuer = if kind == CardKind::CccdChip { ISSUER_CCCD } else { ISSUER_2024 };
        let expiry = expiry_date(birth, issue);
        let mut card = Card {
            id: hex_id(rng),
            personal_id: id.to_string(),
            kind,
            issue_date: issue,
            expiry_date: expiry,
            issuer: issuer.to_string(),
            status: CardStatus::Valid,
        };
        let mut next = None;
        if let Some(e) = expiry.filter(|e| *e < end) {
            card.status = CardStatus::Expired;
            if living && chance(rng, 0.75) {
                next = Some(date_between(rng, e, (e + Duration::days(180)).min(reference)));
            }
        } else if chance(rng, 0.02) {
            let lost = date_between(rng, issue + Duration::days(30), end);
            if living && chance(rng, 0.8) {
                card.status = CardStatus::Replaced;
                next = Some(date_between(rng, lost + Duration::days(3), (lost + Duration::days(60)).min(reference)));
            } else {
                card.status = CardStatus::Lost;
            }
        } else if living && chance(rng, 0.002) {
            card.status = CardStatus::Revoked;
            next = Some(date_between(rng, issue + Duration::days(30), reference));
        }
        all.push(card);
        match next.filter(|d| *d > issue && *d < reference) {
            Some(d) => issue = d,
            None => break,
        }
    }
    if let Some(last) = all.get_mut(first..).and_then(<[Card]>::last_mut) {
        if !living && last.status == CardStatus::Valid {
            last.status = CardStatus::Revoked;
        }
        // Reported lost, no new card yet.
        if last.status == CardStatus::Replaced {
            last.status = CardStatus::Lost;
        }
        // A reissue chain that ran out leaves the last card as issued; never valid past expiry.
        last.status = crate::card::effective_status(last.status, last.expiry_date, reference);
    }
}
