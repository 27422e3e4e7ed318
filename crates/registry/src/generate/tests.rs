//! Tests of the generator: determinism, streaming, structure, realism and defect ground truth.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, NaiveDate};
use kernel::clock::age_on;
use kernel::{ErrorCode, Gender, PersonalId};

use super::*;
use crate::admin_units::AdminUnits;
use crate::card::expiry_date;
use crate::model::{CardKind, CardStatus, Person, PersonStatus, ResidenceKind};

fn reference() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 7, 1).unwrap()
}

fn clean(province: &str, people: usize, seed: u64) -> GenerateOptions {
    let mut o = GenerateOptions::new(province, people, seed, reference());
    o.defects = DefectRates::none();
    o
}

/// Everything a generator produces, merged into one batch.
fn all(opts: GenerateOptions, batch: usize) -> (Batch, Vec<InjectedDefect>) {
    let mut g = Generator::new(opts).unwrap();
    let mut b = Batch::default();
    let mut d = Vec::new();
    while let Some((x, y)) = g.next_batch(batch) {
        b.households.extend(x.households);
        b.persons.extend(x.persons);
        b.residences.extend(x.residences);
        b.cards.extend(x.cards);
        b.civil_deaths.extend(x.civil_deaths);
        d.extend(y);
    }
    (b, d)
}

/// Ethnic groups whose names the spelling rule does not check (own Latin orthographies).
const OWN_ORTHOGRAPHY: [&str; 21] = [
    "05", "10", "12", "13", "14", "16", "17", "19", "20", "21", "22", "23", "26", "27", "28", "30", "31", "32", "36",
    "52", "54",
];

fn age(p: &Person) -> i32 {
    p.birth_date.unwrap().age_on(reference())
}

fn by_id(b: &Batch) -> HashMap<&str, &Person> {
    b.persons.iter().map(|p| (p.personal_id.as_str(), p)).collect()
}

#[test]
fn same_options_same_data_whatever_the_batch_size() {
    let opts = GenerateOptions::new("08", 20_000, 42, reference());
    let (a, da) = all(opts.clone(), 1_000);
    let (b, db) = all(opts.clone(), 7_000);
    assert_eq!(a, b);
    assert_eq!(da, db);
    assert!(!da.is_empty());
    let mut g1 = Generator::new(opts.clone()).unwrap();
    let mut g2 = Generator::new(opts.clone()).unwrap();
    assert_eq!(g1.next_batch(500), g2.next_batch(500));
    let mut other = opts;
    other.seed = 43;
    let (c, _) = all(other, 1_000);
    assert_ne!(a.persons[..100], c.persons[..100]);
    let same_ids = a.persons.iter().zip(&c.persons).filter(|(x, y)| x.personal_id == y.personal_id).count();
    assert!(same_ids < 50, "{same_ids} ids coincide across seeds");
}

#[test]
fn exact_count_whole_households_unique_ids() {
    let people = 200_000;
    let mut g = Generator::new(GenerateOptions::new("08", people, 7, reference())).unwrap();
    let mut ids: HashSet<String> = HashSet::with_capacity(people);
    let mut cmnd: HashSet<String> = HashSet::new();
    let mut households: HashSet<String> = HashSet::new();
    let mut row_ids: HashSet<String> = HashSet::new();
    let mut batches = 0;
    while let Some((b, _)) = g.next_batch(10_000) {
        batches += 1;
        assert!(b.persons.len() < 10_000 + 40, "batch of {}", b.persons.len());
        if g.produced_people() < people {
            assert!(b.persons.len() >= 10_000);
        }
        for p in &b.persons {
            assert!(ids.insert(p.personal_id.clone()), "duplicate id {}", p.personal_id);
            if let Some(c) = &p.old_id {
                assert_eq!(c.len(), 9);
                assert!(c.bytes().all(|x| x.is_ascii_digit()));
                assert!(cmnd.insert(c.clone()), "duplicate CMND {c}");
            }
        }
        // Whole households: every member's household is in the same batch.
        let here: HashSet<&str> = b.households.iter().map(|h| h.id.as_str()).collect();
        assert!(b.persons.iter().all(|p| here.contains(p.household_id.as_deref().unwrap())));
        for h in &b.households {
            assert!(households.insert(h.id.clone()));
            assert_eq!(h.id.len(), 32);
        }
        for id in b.residences.iter().map(|r| &r.id).chain(b.cards.iter().map(|c| &c.id)) {
            assert!(row_ids.insert(id.clone()));
        }
    }
    assert_eq!(ids.len(), people);
    assert_eq!(g.produced_people(), people);
    assert_eq!(batches, 20);
    assert!(g.next_batch(10).is_none());
    let mean = people as f64 / households.len() as f64;
    assert!((3.0..=4.0).contains(&mean), "mean household size {mean}");
    for n in [0, 1, 2, 7, 1_001] {
        let (b, _) = all(GenerateOptions::new("79", n, 3, reference()), 100);
        assert_eq!(b.persons.len(), n);
    }
}

#[test]
fn clean_data_is_consistent() {
    let units = AdminUnits::get();
    let communes: HashSet<&str> = units.communes_of("08").iter().map(|c| c.code.as_str()).collect();
    let (b, defects) = all(clean("08", 60_000, 11), 5_000);
    assert!(defects.is_empty());
    let persons = by_id(&b);
    let r = reference();
    for p in &b.persons {
        let id = PersonalId::parse(&p.personal_id).unwrap();
        let birth = p.birth_date.unwrap();
        assert!(id.soft_checks(p.gender, Some(birth.year_value())).is_empty(), "{} {:?}", p.personal_id, birth);
        assert!(kernel::text::is_nfc(&p.full_name));
        assert!(p.full_name.split(' ').all(names::is_known_word), "{}", p.full_name);
        if !OWN_ORTHOGRAPHY.contains(&p.ethnicity.as_deref().unwrap()) {
            assert!(kernel::syllable::malformed_words(&p.full_name).is_empty(), "{} ({:?})", p.full_name, p.ethnicity);
        }
        assert!(p.birth_place.is_some() && p.hometown.is_some() && p.ethnicity.is_some() && p.gender.is_some());
        assert_eq!(p.nationality, "VN");
        assert!(birth.earliest() <= r);
        let commune = p.current_commune.as_deref().unwrap();
        assert!(communes.contains(commune), "{commune} is not in province 08");
        if let Some(s) = &p.spouse_id {
            let s = persons[s.as_str()];
            assert_ne!(s.gender, p.gender);
            assert_eq!(s.spouse_id.as_deref(), Some(p.personal_id.as_str()));
            assert_eq!(s.household_id, p.household_id);
        }
        for (parent, gender) in [(&p.father_id, Gender::Male), (&p.mother_id, Gender::Female)] {
            if let Some(parent) = parent {
                let q = persons[parent.as_str()];
                assert_eq!(q.gender, Some(gender));
                assert_eq!(q.household_id, p.household_id);
                let gap = birth.year_value() - q.birth_date.unwrap().year_value();
                assert!(gap >= 15, "{} born {gap} years after parent {}", p.personal_id, q.personal_id);
            }
        }
        if let (Some(f), Gender::Male | Gender::Female) = (&p.father_id, p.gender.unwrap()) {
            let father = persons[f.as_str()];
            assert_eq!(
                p.full_name.split(' ').next(),
                father.full_name.split(' ').next(),
                "children take the father's family name"
            );
        }
        match p.status {
            PersonStatus::Deceased => assert!(p.death_date.is_some()),
            _ => assert!(p.death_date.is_none()),
        }
    }
    let mut heads: HashMap<&str, usize> = HashMap::new();
    for p in &b.persons {
        if p.relationship.as_deref() == Some("head") {
            *heads.entry(p.household_id.as_deref().unwrap()).or_default() += 1;
        }
    }
    for h in &b.households {
        assert_eq!(heads.get(h.id.as_str()), Some(&1), "household {} needs one head", h.id);
        let head = persons[h.head_id.as_str()];
        assert_eq!(head.relationship.as_deref(), Some("head"));
        assert_eq!(head.household_id.as_deref(), Some(h.id.as_str()));
        assert_eq!(head.status, PersonStatus::Living);
        assert!(communes.contains(h.commune_code.as_str()));
    }
    let households: HashMap<&str, &str> =
        b.households.iter().map(|h| (h.id.as_str(), h.commune_code.as_str())).collect();
    for p in &b.persons {
        assert_eq!(p.current_commune.as_deref(), Some(households[p.household_id.as_deref().unwrap()]));
    }
    // Civil deaths and statuses agree.
    let deaths: HashMap<&str, NaiveDate> =
        b.civil_deaths.iter().map(|d| (d.personal_id.as_str(), d.death_date)).collect();
    for p in &b.persons {
        match deaths.get(p.personal_id.as_str()) {
            Some(d) => {
                assert_eq!(p.status, PersonStatus::Deceased);
                assert_eq!(p.death_date.and_then(|x| x.full()), Some(*d));
                assert!(*d <= r && *d > p.birth_date.unwrap().latest());
            }
            None => assert_ne!(p.status, PersonStatus::Deceased),
        }
    }
    // Residences: a current registration where the person lives, dates in order.
    let mut current: HashMap<&str, Vec<&crate::model::Residence>> = HashMap::new();
    for res in &b.residences {
        let p = persons[res.personal_id.as_str()];
        assert!(res.start_date >= p.birth_date.unwrap().earliest(), "residence before birth");
        assert!(res.start_date <= r);
        if let Some(e) = res.end_date {
            assert!(e > res.start_date);
        }
        if res.end_date.is_none() {
            current.entry(res.personal_id.as_str()).or_default().push(res);
        }
        if p.status == PersonStatus::Deceased {
            assert!(
                res.kind != ResidenceKind::Temporary && res.end_date.is_some()
                    || res.commune_code != p.current_commune.clone().unwrap()
            );
        }
    }
    for p in b.persons.iter().filter(|p| p.status == PersonStatus::Living) {
        let here = p.current_commune.as_deref().unwrap();
        let regs = &current[p.personal_id.as_str()];
        let permanent_here = regs.iter().any(|x| x.kind == ResidenceKind::Permanent && x.commune_code == here);
        let temporary_here = regs
            .iter()
            .any(|x| x.kind == ResidenceKind::Temporary && x.commune_code == here && x.expiry_date.is_some());
        let permanent_elsewhere =
            regs.iter().any(|x| x.kind == ResidenceKind::Permanent && !communes.contains(x.commune_code.as_str()));
        assert!(permanent_here || (temporary_here && permanent_elsewhere), "{} has no residence here", p.personal_id);
    }
    // Cards follow the validity rules.
    let mut cards_of: HashMap<&str, Vec<&crate::model::Card>> = HashMap::new();
    for c in &b.cards {
        cards_of.entry(c.personal_id.as_str()).or_default().push(c);
    }
    for c in &b.cards {
        let p = persons[c.personal_id.as_str()];
        assert_eq!(c.expiry_date, expiry_date(p.birth_date.unwrap(), c.issue_date));
        assert!(c.issue_date >= NaiveDate::from_ymd_opt(2021, 1, 1).unwrap() && c.issue_date <= r);
        let law = NaiveDate::from_ymd_opt(2024, 7, 1).unwrap();
        assert_eq!(c.kind == CardKind::CccdChip, c.issue_date < law);
        if c.status == CardStatus::Valid {
            assert!(c.expiry_date.is_none_or(|e| e >= r), "valid card past expiry");
            assert!(p.status != PersonStatus::Deceased, "card of a dead person still valid");
        }
        if c.status == CardStatus::Replaced {
            assert!(cards_of[c.personal_id.as_str()].iter().any(|n| n.issue_date > c.issue_date));
        }
        if c.kind == CardKind::CccdChip {
            assert!(age_on(p.birth_date.unwrap().latest(), c.issue_date) >= 13);
        }
    }
    let valid_per_person = b.cards.iter().filter(|c| c.status == CardStatus::Valid).fold(
        HashMap::new(),
        |mut m: HashMap<&str, u32>, c| {
            *m.entry(c.personal_id.as_str()).or_default() += 1;
            m
        },
    );
    assert!(valid_per_person.values().all(|&n| n == 1), "at most one valid card per person");
}

#[test]
fn looks_like_vietnam() {
    for (province, kinh_range) in [("08", 0.2..0.4), ("79", 0.9..1.0)] {
        let (b, _) = all(clean(province, 100_000, 5), 10_000);
        let living: Vec<&Person> = b.persons.iter().filter(|p| p.status == PersonStatus::Living).collect();
        let n = living.len() as f64;
        let share = |f: &dyn Fn(&&Person) -> bool| living.iter().filter(|p| f(p)).count() as f64 / n;
        let kinh: Vec<&&Person> = living.iter().filter(|p| p.ethnicity.as_deref() == Some("01")).collect();
        let nguyen = kinh.iter().filter(|p| p.full_name.starts_with("Nguyễn ")).count() as f64 / kinh.len() as f64;
        assert!((0.25..0.45).contains(&nguyen), "{province}: Nguyễn {nguyen}");
        let k = kinh.len() as f64 / n;
        assert!(kinh_range.contains(&k), "{province}: Kinh {k}");
        let old = share(&|p| age(p) >= 65);
        assert!((0.05..0.12).contains(&old), "{province}: 65+ {old}");
        let young = share(&|p| age(p) < 15);
        assert!((0.18..0.30).contains(&young), "{province}: 0-14 {young}");
        let old_women = share(&|p| age(p) >= 75 && p.gender == Some(Gender::Female));
        let old_men = share(&|p| age(p) >= 75 && p.gender == Some(Gender::Male));
        assert!(old_women > old_men * 1.1, "{province}: more women among the old");
        let boys = share(&|p| age(p) < 10 && p.gender == Some(Gender::Male));
        let girls = share(&|p| age(p) < 10 && p.gender == Some(Gender::Female));
        assert!((1.04..1.2).contains(&(boys / girls)), "{province}: sex ratio at birth {}", boys / girls);
        let before_1950: Vec<&Person> =
            b.persons.iter().filter(|p| p.birth_date.unwrap().year_value() < 1950).collect();
        let year_only =
            before_1950.iter().filter(|p| matches!(p.birth_date, Some(kernel::PartialDate::Year(_)))).count();
        assert!(year_only > before_1950.len() / 10, "{province}: year-only birth dates among the old");
        assert!(b.persons.iter().filter(|p| p.birth_date.unwrap().year_value() >= 1980).all(|p| p
            .birth_date
            .unwrap()
            .full()
            .is_some()));
        let deceased =
            b.persons.iter().filter(|p| p.status == PersonStatus::Deceased).count() as f64 / b.persons.len() as f64;
        assert!((0.005..0.05).contains(&deceased), "{province}: deceased {deceased}");
        let temporary: HashSet<&str> = b
            .residences
            .iter()
            .filter(|r| r.kind == ResidenceKind::Temporary)
            .map(|r| r.personal_id.as_str())
            .collect();
        let t = temporary.len() as f64 / b.persons.len() as f64;
        assert!((0.02..0.08).contains(&t), "{province}: temporary residents {t}");
        let expired_terms = b.residences.iter().filter(|r| r.expiry_date.is_some_and(|e| e < reference())).count();
        assert!(expired_terms > 0, "some temporary registrations have lapsed");
        let holders: HashSet<&str> =
            b.cards.iter().filter(|c| c.status == CardStatus::Valid).map(|c| c.personal_id.as_str()).collect();
        let with_card = share(&|p| age(p) >= 14 && holders.contains(p.personal_id.as_str()));
        let adults = share(&|p| age(p) >= 14);
        assert!(with_card / adults > 0.8, "{province}: card coverage {}", with_card / adults);
        let legacy: Vec<String> =
            AdminUnits::get().legacy_province_codes_of(province).iter().map(|c| format!("{c:0>3}")).collect();
        let local_ids = share(&|p| legacy.iter().any(|c| p.personal_id.starts_with(c.as_str())));
        assert!(local_ids > 0.8, "{province}: ids with a local place code {local_ids}");
        let old_ids = share(&|p| p.birth_date.unwrap().year_value() < 1995 && p.old_id.is_some())
            / share(&|p| p.birth_date.unwrap().year_value() < 1995);
        assert!(old_ids > 0.8, "{province}: CMND share {old_ids}");
        // Wards are denser than rural communes.
        let units = AdminUnits::get();
        let mut per: HashMap<&str, usize> = HashMap::new();
        for p in &living {
            *per.entry(p.current_commune.as_deref().unwrap()).or_default() += 1;
        }
        let mean = |urban: bool| {
            let cs: Vec<_> = units.communes_of(province).into_iter().filter(|c| c.kind.is_urban() == urban).collect();
            cs.iter().map(|c| per.get(c.code.as_str()).copied().unwrap_or(0)).sum::<usize>() as f64
                / cs.len().max(1) as f64
        };
        if province == "79" {
            assert!(mean(true) > mean(false), "wards denser than communes");
        }
        assert!(
            per.len() as f64 > units.communes_of(province).len() as f64 * 0.9,
            "households spread over the communes"
        );
    }
    let (tq, _) = all(clean("08", 100_000, 9), 10_000);
    let hmong = tq.persons.iter().filter(|p| p.ethnicity.as_deref() == Some("08")).collect::<Vec<_>>();
    assert!(hmong.len() > 10_000, "H'Mông are a large group in Tuyên Quang");
    let hmong_families = ["Giàng", "Vàng", "Sùng", "Thào", "Lù", "Mua", "Ly"];
    let typical =
        hmong.iter().filter(|p| hmong_families.iter().any(|f| p.full_name.starts_with(&format!("{f} ")))).count();
    assert!(typical * 2 > hmong.len(), "H'Mông family names");
    let year_only_ranks: HashSet<&str> = tq.persons.iter().map(|p| p.relationship.as_deref().unwrap()).collect();
    for rel in ["head", "spouse", "child", "parent", "grandchild", "sibling", "other"] {
        assert!(year_only_ranks.contains(rel), "relationship {rel}");
    }
}

#[test]
fn injected_defects_are_real_and_complete() {
    let mut opts = GenerateOptions::new("08", 60_000, 13, reference());
    opts.defects = DefectRates {
        missing_field: 0.05,
        name_typo: 0.05,
        swapped_day_month: 0.1,
        duplicate_person: 0.02,
        deceased_still_living: 0.1,
        expired_card_still_valid: 0.3,
    };
    let (b, defects) = all(opts, 5_000);
    assert_eq!(b.persons.len(), 60_000);
    let persons = by_id(&b);
    let r = reference();
    let mut same_person: HashMap<_, usize> = HashMap::new();
    for p in &b.persons {
        *same_person.entry((kernel::text::fold(&p.full_name), p.birth_date, p.hometown.clone())).or_default() += 1;
    }
    let mut kinds: HashMap<DefectKind, usize> = HashMap::new();
    let mut recorded: HashSet<(&str, DefectKind)> = HashSet::new();
    for d in &defects {
        *kinds.entry(d.kind).or_default() += 1;
        recorded.insert((d.personal_id.as_str(), d.kind));
        let p = persons.get(d.personal_id.as_str()).unwrap_or_else(|| panic!("{} not produced", d.personal_id));
        match d.kind {
            DefectKind::MissingHometown => assert!(p.hometown.is_none()),
            DefectKind::MissingEthnicity => assert!(p.ethnicity.is_none()),
            DefectKind::MissingBirthPlace => assert!(p.birth_place.is_none()),
            DefectKind::MissingGender => assert!(p.gender.is_none()),
            DefectKind::NameTypo => {
                let bad = kernel::syllable::malformed_words(&p.full_name);
                assert!(bad.iter().any(|w| !names::is_known_word(w)), "{}", p.full_name);
            }
            DefectKind::SwappedDayMonth => {
                let birth = p.birth_date.unwrap().full().expect("a full date");
                assert!(birth.day() <= 12 && birth.day() != birth.month());
                // Cards were computed from the true date: their expiry shows the swap.
                for c in b.cards.iter().filter(|c| c.personal_id == p.personal_id) {
                    if let Some(e) = c.expiry_date {
                        assert_eq!((e.month(), e.day()), (birth.day(), birth.month()));
                    }
                }
            }
            DefectKind::DuplicatePerson => {
                let key = (kernel::text::fold(&p.full_name), p.birth_date, p.hometown.clone());
                assert!(same_person[&key] >= 2, "no original for duplicate {}", p.personal_id);
            }
            DefectKind::DeceasedStillLiving => {
                assert_eq!(p.status, PersonStatus::Living);
                assert!(b.civil_deaths.iter().any(|c| c.personal_id == p.personal_id));
            }
            DefectKind::ExpiredCardStillValid => {
                assert!(b.cards.iter().any(|c| c.personal_id == p.personal_id
                    && c.status == CardStatus::Valid
                    && c.expiry_date.is_some_and(|e| e < r)));
            }
        }
    }
    for kind in [
        DefectKind::MissingHometown,
        DefectKind::MissingEthnicity,
        DefectKind::MissingBirthPlace,
        DefectKind::MissingGender,
        DefectKind::NameTypo,
        DefectKind::SwappedDayMonth,
        DefectKind::DuplicatePerson,
        DefectKind::DeceasedStillLiving,
        DefectKind::ExpiredCardStillValid,
    ] {
        assert!(kinds.get(&kind).copied().unwrap_or(0) >= 5, "{kind:?}: {:?}", kinds.get(&kind));
    }
    // Nothing defective goes unrecorded.
    for p in &b.persons {
        let id = p.personal_id.as_str();
        if p.hometown.is_none() {
            assert!(recorded.contains(&(id, DefectKind::MissingHometown)));
        }
        if p.gender.is_none() {
            assert!(recorded.contains(&(id, DefectKind::MissingGender)));
        }
        if p.full_name.split(' ').any(|w| !names::is_known_word(w)) {
            assert!(recorded.contains(&(id, DefectKind::NameTypo)), "{}", p.full_name);
        }
    }
    for d in &b.civil_deaths {
        if persons[d.personal_id.as_str()].status != PersonStatus::Deceased {
            assert!(recorded.contains(&(d.personal_id.as_str(), DefectKind::DeceasedStillLiving)));
        }
    }
    for c in &b.cards {
        if c.status == CardStatus::Valid && c.expiry_date.is_some_and(|e| e < r) {
            assert!(recorded.contains(&(c.personal_id.as_str(), DefectKind::ExpiredCardStillValid)));
        }
    }
    let serialized = serde_json::to_string(&defects[0]).unwrap();
    assert!(serialized.contains(defects[0].kind.code()));
}

#[test]
fn realistic_rates_are_small() {
    let (b, defects) = all(GenerateOptions::new("08", 50_000, 17, reference()), 10_000);
    let share = defects.len() as f64 / b.persons.len() as f64;
    assert!((0.005..0.08).contains(&share), "defect share {share}");
}

#[test]
fn rejects_bad_options() {
    let err = Generator::new(GenerateOptions::new("99", 10, 1, reference())).unwrap_err();
    assert_eq!(err.code, ErrorCode::UnknownProvince);
    let mut bad = GenerateOptions::new("08", 10, 1, reference());
    bad.defects.name_typo = 1.5;
    assert_eq!(Generator::new(bad).unwrap_err().code, ErrorCode::InvalidInput);
}

#[test]
/// `GEN_PEOPLE` sets the number of people (default 1,000,000), `GEN_BATCH` the batch size
/// (default 10,000 persons).
#[ignore = "timing; run in release: cargo test --release -p registry --lib generate::tests::timing -- --ignored --nocapture"]
#[allow(clippy::disallowed_methods, reason = "a manual timing test sized from the environment")]
fn timing_one_million() {
    let start = std::time::Instant::now();
    let people = std::env::var("GEN_PEOPLE").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let mut g = Generator::new(GenerateOptions::new("08", people, 1, reference())).unwrap();
    let setup = start.elapsed();
    let mut rows = 0;
    let mut dropping = std::time::Duration::ZERO;
    let batch = std::env::var("GEN_BATCH").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    while let Some((b, _)) = g.next_batch(batch) {
        rows += b.rows();
        let t = std::time::Instant::now();
        drop(b);
        dropping += t.elapsed();
    }
    let total = start.elapsed();
    assert_eq!(g.produced_people(), people);
    println!("{people} people ({rows} rows) in {total:?}: setup {setup:?}, freeing the batches {dropping:?}");
}

#[test]
#[ignore = "prints the distributions; run with --ignored --nocapture when tuning"]
fn print_profile() {
    for province in ["08", "79"] {
        let (b, _) = all(clean(province, 200_000, 1), 10_000);
        let n = b.persons.len() as f64;
        let living: Vec<&Person> = b.persons.iter().filter(|p| p.status == PersonStatus::Living).collect();
        let ln = living.len() as f64;
        println!(
            "== {province}: {} persons, {} households, {:.2} per household",
            n,
            b.households.len(),
            n / b.households.len() as f64
        );
        let mut bands = [[0usize; 2]; 18];
        for p in &living {
            let a = (age(p) / 5).min(17) as usize;
            bands[a][usize::from(p.gender == Some(kernel::Gender::Female))] += 1;
        }
        for (i, [m, f]) in bands.iter().enumerate() {
            println!(
                "{:>3}-{:<3} {:5.2}% {:5.2}%  ratio {:.2}",
                i * 5,
                i * 5 + 4,
                *m as f64 * 100.0 / ln,
                *f as f64 * 100.0 / ln,
                *m as f64 / *f as f64
            );
        }
        let young = living.iter().filter(|p| age(p) < 15).count() as f64 / ln;
        let old = living.iter().filter(|p| age(p) >= 65).count() as f64 / ln;
        println!("0-14 {:.1}%  65+ {:.1}%", young * 100.0, old * 100.0);
        let dead = b.persons.iter().filter(|p| p.status == PersonStatus::Deceased).count() as f64 / n;
        println!("deceased {:.2}%", dead * 100.0);
        let mut sizes: HashMap<String, usize> = HashMap::new();
        for p in &b.persons {
            *sizes.entry(p.household_id.clone().unwrap()).or_default() += 1;
        }
        let mut hist = [0usize; 10];
        for s in sizes.values() {
            hist[(*s).min(9)] += 1;
        }
        println!("household sizes {:?}", hist);
        let mut eth: HashMap<&str, usize> = HashMap::new();
        for p in &b.persons {
            *eth.entry(p.ethnicity.as_deref().unwrap()).or_default() += 1;
        }
        let mut eth: Vec<_> = eth.into_iter().collect();
        eth.sort_by_key(|e| std::cmp::Reverse(e.1));
        println!(
            "ethnic {:?}",
            eth.iter()
                .take(8)
                .map(|(e, c)| (kernel::vocab::ethnicity_name(e).unwrap(), format!("{:.1}", *c as f64 * 100.0 / n)))
                .collect::<Vec<_>>()
        );
        let mut rel: HashMap<&str, usize> = HashMap::new();
        for p in &b.persons {
            *rel.entry(p.relationship.as_deref().unwrap()).or_default() += 1;
        }
        println!("relationships {rel:?}");
        let temp = b.residences.iter().filter(|r| r.kind == crate::model::ResidenceKind::Temporary).count() as f64 / n;
        println!("temporary residents {:.1}%", temp * 100.0);
        let adults = living.iter().filter(|p| age(p) >= 14).count() as f64;
        let holders: HashSet<&str> = b
            .cards
            .iter()
            .filter(|c| c.status == crate::model::CardStatus::Valid)
            .map(|c| c.personal_id.as_str())
            .collect();
        println!("valid card among 14+ {:.1}%, cards {}", holders.len() as f64 * 100.0 / adults, b.cards.len());
        let mut st: HashMap<&str, usize> = HashMap::new();
        for c in &b.cards {
            *st.entry(c.status.code()).or_default() += 1;
        }
        println!("card status {st:?}");
        for p in b.persons.iter().step_by(20_000) {
            println!(
                "{} | {} | {:?} | {} | {:?} | {:?}",
                p.personal_id,
                p.full_name,
                p.birth_date.map(|d| d.to_vn()),
                p.current_address.as_deref().unwrap(),
                p.birth_place,
                p.hometown
            );
        }
    }
}
