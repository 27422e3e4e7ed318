//! Synthetic province generator: a realistic, reproducible population for demos, dashboards,
//! quality-rule tests and load tests.
//!
//! [`Generator`] streams whole households in batches, so ten million people need no more memory
//! than one batch plus a few counters. The same [`GenerateOptions`] always give the same rows,
//! whatever the batch sizes. Known defects are injected at [`DefectRates`] and returned as
//! [`InjectedDefect`]s, the ground truth the data-quality rules are measured against.
//!
//! What the data looks like:
//! - households of about 3.5 people built from family life (couples, children, elderly parents,
//!   three generations, people living alone), spread over the province's 2025 communes with
//!   wards denser than rural communes;
//! - an age–sex pyramid close to the 2019 census, with a sex ratio at birth of 111 boys per 100
//!   girls since 2000 and more women among the old;
//! - Vietnamese names by real frequency, minority family names for minority households, and an
//!   ethnic and religious mix plausible for the province (Tuyên Quang has its own tables);
//! - personal ids whose place code is the legacy province of the birth place, old CMND numbers,
//!   residence history, temporary residents from other provinces, identity cards following the
//!   renewal ages of the Law on Identification 2023, and recent deaths with civil-status records.

mod defects;
mod geo;
mod household;
mod ids;
mod names;
mod population;
mod records;
mod sample;
#[cfg(test)]
mod tests;

use chrono::NaiveDate;
use kernel::{AppError, ErrorCode};
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

use crate::model::Batch;

pub use records::{ISSUER_2024, ISSUER_CCCD};

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateOptions {
    /// 2025 province code ("08" for Tuyên Quang).
    pub province_code: String,
    /// Exact number of person records to produce, duplicates included.
    pub people: usize,
    /// Same seed and options, same data.
    pub seed: u64,
    /// The "today" of the data set: ages, card expiries and residence terms are relative to it.
    pub reference_date: NaiveDate,
    pub defects: DefectRates,
}

impl GenerateOptions {
    /// Options with [`DefectRates::realistic`] defects.
    pub fn new(province_code: &str, people: usize, seed: u64, reference_date: NaiveDate) -> Self {
        GenerateOptions {
            province_code: province_code.to_string(),
            people,
            seed,
            reference_date,
            defects: DefectRates::realistic(),
        }
    }
}

/// Probability of each defect for a person who can have it (see the module docs of `defects`:
/// a day/month swap needs a day of 12 or less, a card can only wrongly stay valid once expired).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DefectRates {
    /// One of hometown, ethnicity, birth place or gender left empty.
    pub missing_field: f64,
    /// A diacritic dropped or a typing error in the full name.
    pub name_typo: f64,
    /// Birth day and month swapped.
    pub swapped_day_month: f64,
    /// The person registered a second time under another personal id (living adults).
    pub duplicate_person: f64,
    /// A civil-status death not reflected in the registry (living people aged 60+).
    pub deceased_still_living: f64,
    /// An expired card still recorded as valid (living people whose only card expired).
    pub expired_card_still_valid: f64,
}

impl DefectRates {
    /// Clean data: no defects at all.
    pub fn none() -> Self {
        DefectRates {
            missing_field: 0.0,
            name_typo: 0.0,
            swapped_day_month: 0.0,
            duplicate_person: 0.0,
            deceased_still_living: 0.0,
            expired_card_still_valid: 0.0,
        }
    }

    /// Small rates like those found when provincial registries were first consolidated.
    pub fn realistic() -> Self {
        DefectRates {
            missing_field: 0.02,
            name_typo: 0.01,
            swapped_day_month: 0.005,
            duplicate_person: 0.005,
            deceased_still_living: 0.01,
            expired_card_still_valid: 0.02,
        }
    }

    fn check(&self) -> Result<(), AppError> {
        let all = [
            self.missing_field,
            self.name_typo,
            self.swapped_day_month,
            self.duplicate_person,
            self.deceased_still_living,
            self.expired_card_still_valid,
        ];
        if all.iter().all(|r| (0.0..=1.0).contains(r)) {
            Ok(())
        } else {
            Err(AppError::invalid("defect rates must be between 0 and 1"))
        }
    }
}

/// Kinds of injected defects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DefectKind {
    MissingHometown,
    MissingEthnicity,
    MissingBirthPlace,
    MissingGender,
    /// A diacritic dropped or a typing error in `full_name`.
    NameTypo,
    /// Birth day and month swapped (only when both are at most 12 and differ).
    SwappedDayMonth,
    /// A second record with another personal id for the same person: same folded name, birth
    /// date and hometown. The defect names the second record.
    DuplicatePerson,
    /// A `CivilDeath` exists but the person is still `Living`.
    DeceasedStillLiving,
    /// A card recorded `Valid` whose expiry date is before the reference date.
    ExpiredCardStillValid,
}

impl DefectKind {
    /// The snake_case code, as serialized.
    pub fn code(self) -> &'static str {
        match self {
            DefectKind::MissingHometown => "missing_hometown",
            DefectKind::MissingEthnicity => "missing_ethnicity",
            DefectKind::MissingBirthPlace => "missing_birth_place",
            DefectKind::MissingGender => "missing_gender",
            DefectKind::NameTypo => "name_typo",
            DefectKind::SwappedDayMonth => "swapped_day_month",
            DefectKind::DuplicatePerson => "duplicate_person",
            DefectKind::DeceasedStillLiving => "deceased_still_living",
            DefectKind::ExpiredCardStillValid => "expired_card_still_valid",
        }
    }
}

/// One injected defect: which person has it and what it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InjectedDefect {
    pub personal_id: String,
    pub kind: DefectKind,
}

/// Read-only tables shared by every household.
#[derive(Debug)]
struct Shared {
    geo: geo::Geo,
    mixes: population::EthnicMixes,
    head_ages: population::HeadAges,
    calendar: records::CardCalendar,
    reference: NaiveDate,
    rates: DefectRates,
}

/// What changes as households are produced: the random stream and the id counters.
#[derive(Debug)]
struct State {
    rng: sample::GenRng,
    ids: ids::IdAllocator,
    /// Reused between households to spare the allocator.
    members: Vec<household::Member>,
}

/// Streams a synthetic province, household by household.
#[derive(Debug)]
pub struct Generator {
    people: usize,
    produced: usize,
    shared: Shared,
    state: State,
}

impl Generator {
    /// Fails with `UnknownProvince` when the province code is not a 2025 province, and with
    /// `InvalidInput` when a defect rate is outside `0..=1`.
    pub fn new(opts: GenerateOptions) -> Result<Generator, AppError> {
        opts.defects.check()?;
        let geo = geo::Geo::new(&opts.province_code).ok_or_else(|| {
            AppError::new(ErrorCode::UnknownProvince, format!("no 2025 province has code {:?}", opts.province_code))
        })?;
        let mixes = population::EthnicMixes::new(&geo);
        let salt = ids::hash_str(&opts.province_code);
        Ok(Generator {
            people: opts.people,
            produced: 0,
            shared: Shared {
                geo,
                mixes,
                head_ages: population::HeadAges::new(),
                calendar: records::CardCalendar::new(opts.reference_date),
                reference: opts.reference_date,
                rates: opts.defects,
            },
            state: State {
                rng: sample::GenRng::seed_from_u64(ids::mix(opts.seed ^ salt)),
                ids: ids::IdAllocator::new(ids::mix(opts.seed.rotate_left(32) ^ salt ^ 0x5EED)),
                members: Vec::with_capacity(16),
            },
        })
    }

    /// The next whole households, about `target_people` persons (the last batch may be smaller),
    /// with the defects injected into them; `None` once `people` persons have been produced.
    pub fn next_batch(&mut self, target_people: usize) -> Option<(Batch, Vec<InjectedDefect>)> {
        if self.produced >= self.people {
            return None;
        }
        let target = target_people.max(1);
        let expected = target.min(self.people - self.produced) + 32;
        let mut batch = Batch {
            households: Vec::with_capacity(expected / 3),
            persons: Vec::with_capacity(expected),
            residences: Vec::with_capacity(expected + expected / 2),
            cards: Vec::with_capacity(expected + expected / 4),
            civil_deaths: Vec::with_capacity(expected / 32),
        };
        let mut found = Vec::new();
        while batch.persons.len() < target && self.produced < self.people {
            let before = batch.persons.len();
            let remaining = self.people - self.produced;
            let members = std::mem::take(&mut self.state.members);
            let plan = household::plan(&self.shared, &mut self.state.rng, members, remaining);
            let span = records::build(&self.shared, &mut self.state, &plan, &mut batch);
            let mut budget = remaining - span.persons.len();
            defects::inject(&self.shared, &mut self.state, &mut batch, &span, &mut budget, &mut found);
            self.state.members = plan.members;
            self.produced += batch.persons.len() - before;
        }
        Some((batch, found))
    }

    /// Persons produced so far.
    pub fn produced_people(&self) -> usize {
        self.produced
    }

    /// Persons the generator will produce in total.
    pub fn total_people(&self) -> usize {
        self.people
    }
}
