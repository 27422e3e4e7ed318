//! What each stored count means: the keys of `analytics_counts` and the facts one person (or one
//! household) contributes to them. The incremental consumer uses [`person_facts`] and
//! [`household_fact`] on states before and after a batch of events; the full rebuild gets the same
//! keys from grouped SQL counts through the `from_*` functions here. A test checks that both give
//! the same table.

use std::collections::HashMap;

use registry::admin_units::AdminUnits;
use registry::feed::{LifeEventCount, MoveCount, PersonState, ProfileCount, TemporaryCount};

/// Figure families stored in `analytics_counts.dimension`.
pub mod dim {
    /// Living residents; k1 = birth year (`""` unknown), k2 = gender code (`""` unknown).
    pub const POPULATION: &str = "population";
    /// Living residents; k1 = ethnic group code.
    pub const ETHNICITY: &str = "ethnicity";
    /// Living residents; k1 = religion code.
    pub const RELIGION: &str = "religion";
    /// Households; k1 = number of living registered members.
    pub const HOUSEHOLDS: &str = "households";
    /// Residents (any status) born in month k1 (`YYYY-MM`).
    pub const BIRTHS: &str = "births";
    /// Deceased residents by month of death k1.
    pub const DEATHS: &str = "deaths";
    /// Permanent-residence moves into the commune; k1 = month, k2 = province moved from.
    pub const MOVE_IN: &str = "move_in";
    /// Permanent-residence moves out of the commune; k1 = month, k2 = province moved to.
    pub const MOVE_OUT: &str = "move_out";
    /// Open temporary registrations in the commune; k1 = province of permanent residence.
    pub const TEMP_RESIDENTS: &str = "temp_residents";
    /// Permanent residents of the commune registered temporarily elsewhere; k1 = that province.
    pub const TEMP_ABSENT: &str = "temp_absent";

    /// The dimensions derived from the registry: the ones a rebuild replaces and the change feed
    /// maintains. Other dimensions are recounted from their own sources.
    pub const REGISTRY: &[&str] =
        &[POPULATION, ETHNICITY, RELIGION, HOUSEHOLDS, BIRTHS, DEATHS, MOVE_IN, MOVE_OUT, TEMP_RESIDENTS, TEMP_ABSENT];

    /// Citizens' e-ID accounts (activated, not suspended or closed) by the holder's current
    /// commune; k1 = level (`1`, `2`). Recounted from `identity` (checkpoint `eid`).
    pub const EID: &str = "eid";
    /// Bed places of approved tourism accommodation; k1 = month of the count (`YYYY-MM`), k2 =
    /// facility type. Recounted from `lodging` (checkpoint `lodging_capacity`).
    pub const LODGING_BEDS: &str = "lodging_beds";
}

/// One cell of `analytics_counts`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub dimension: &'static str,
    pub commune: String,
    pub k1: String,
    pub k2: String,
}

impl Key {
    pub fn new(dimension: &'static str, commune: &str, k1: &str, k2: &str) -> Key {
        Key { dimension, commune: commune.to_string(), k1: k1.to_string(), k2: k2.to_string() }
    }
}

/// Counts by key; adding a fact with weight +1 or −1.
pub type Counts = HashMap<Key, i64>;

/// Adds `n` to a key's count.
pub fn add(counts: &mut Counts, key: Key, n: i64) {
    *counts.entry(key).or_insert(0) += n;
}

/// Province code of a commune (`""` when unknown).
pub fn province_of(commune: &str) -> String {
    AdminUnits::get().commune(commune).map(|c| c.province_code.clone()).unwrap_or_default()
}

/// The first `n` characters of a stored date (`substr(date, 1, n)` in SQL).
fn prefix(date: &str, n: usize) -> String {
    date.chars().take(n).collect()
}

/// `YYYY-MM` of a stored date that holds a month, as SQL's `length(d) >= 7`.
fn month_of(date: Option<&str>) -> Option<String> {
    date.filter(|d| d.chars().count() >= 7).map(|d| prefix(d, 7))
}

/// Everything one person contributes, except household sizes (see [`household_fact`]).
pub fn person_facts(p: &PersonState, counts: &mut Counts, weight: i64) {
    if let Some(commune) = p.current_commune.as_deref() {
        if p.status == "living" {
            let year = p.birth_date.as_deref().map(|d| prefix(d, 4)).unwrap_or_default();
            let gender = p.gender.as_deref().unwrap_or("");
            add(counts, Key::new(dim::POPULATION, commune, &year, gender), weight);
            add(counts, Key::new(dim::ETHNICITY, commune, p.ethnicity.as_deref().unwrap_or(""), ""), weight);
            add(counts, Key::new(dim::RELIGION, commune, p.religion.as_deref().unwrap_or(""), ""), weight);
        }
        if let Some(m) = month_of(p.birth_date.as_deref()) {
            add(counts, Key::new(dim::BIRTHS, commune, &m, ""), weight);
        }
        if p.status == "deceased" {
            if let Some(m) = month_of(p.death_date.as_deref()) {
                add(counts, Key::new(dim::DEATHS, commune, &m, ""), weight);
            }
        }
    }
    let permanent = |r: &&registry::feed::ResidenceState| r.kind == "permanent";
    for before in p.residences.iter().filter(permanent) {
        let Some(end) = before.end_date.as_deref() else { continue };
        for after in p.residences.iter().filter(permanent) {
            if after.start_date == end && after.commune_code != before.commune_code {
                let m = prefix(&after.start_date, 7);
                add_move(counts, &before.commune_code, &after.commune_code, &m, weight);
            }
        }
    }
    if p.status == "living" {
        let open_permanent: Vec<&str> = p
            .residences
            .iter()
            .filter(|r| r.kind == "permanent" && r.end_date.is_none())
            .map(|r| r.commune_code.as_str())
            .collect();
        for t in p.residences.iter().filter(|r| r.kind == "temporary" && r.end_date.is_none()) {
            if open_permanent.is_empty() {
                add_temporary(counts, &t.commune_code, None, weight);
            }
            for perm in &open_permanent {
                add_temporary(counts, &t.commune_code, Some(perm), weight);
            }
        }
    }
}

fn add_move(counts: &mut Counts, from: &str, to: &str, month: &str, n: i64) {
    add(counts, Key::new(dim::MOVE_IN, to, month, &province_of(from)), n);
    add(counts, Key::new(dim::MOVE_OUT, from, month, &province_of(to)), n);
}

fn add_temporary(counts: &mut Counts, temporary: &str, permanent: Option<&str>, n: i64) {
    let origin = permanent.map(province_of).unwrap_or_default();
    add(counts, Key::new(dim::TEMP_RESIDENTS, temporary, &origin, ""), n);
    if let Some(home) = permanent.filter(|p| *p != temporary) {
        add(counts, Key::new(dim::TEMP_ABSENT, home, &province_of(temporary), ""), n);
    }
}

/// A household of `living_members` living registered members in `commune` (none when empty).
pub fn household_fact(counts: &mut Counts, commune: &str, living_members: i64, weight: i64) {
    if living_members > 0 {
        add(counts, Key::new(dim::HOUSEHOLDS, commune, &living_members.to_string(), ""), weight);
    }
}

/// Rebuild: living residents by profile.
pub fn from_profiles(counts: &mut Counts, rows: &[ProfileCount]) {
    for r in rows {
        add(counts, Key::new(dim::POPULATION, &r.commune, &r.birth_year, &r.gender), r.count);
        add(counts, Key::new(dim::ETHNICITY, &r.commune, &r.ethnicity, ""), r.count);
        add(counts, Key::new(dim::RELIGION, &r.commune, &r.religion, ""), r.count);
    }
}

/// Rebuild: births and deaths by month.
pub fn from_life_events(counts: &mut Counts, rows: &[LifeEventCount]) {
    for r in rows {
        if !r.birth_month.is_empty() {
            add(counts, Key::new(dim::BIRTHS, &r.commune, &r.birth_month, ""), r.count);
        }
        if !r.death_month.is_empty() {
            add(counts, Key::new(dim::DEATHS, &r.commune, &r.death_month, ""), r.count);
        }
    }
}

/// Rebuild: households by size.
pub fn from_household_sizes(counts: &mut Counts, rows: &[(String, i64, i64)]) {
    for (commune, size, n) in rows {
        household_fact(counts, commune, *size, *n);
    }
}

/// Rebuild: moves between communes.
pub fn from_moves(counts: &mut Counts, rows: &[MoveCount]) {
    for r in rows {
        add_move(counts, &r.from, &r.to, &r.month, r.count);
    }
}

/// Rebuild: open temporary registrations.
pub fn from_temporary(counts: &mut Counts, rows: &[TemporaryCount]) {
    for r in rows {
        add_temporary(counts, &r.temporary_commune, r.permanent_commune.as_deref(), r.count);
    }
}
