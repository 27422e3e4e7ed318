//! Household composition: who lives together, how old they are, how they are related and where
//! they were born. The result is a [`Plan`]; [`super::records`] turns it into registry rows.
//!
//! Households are built around a head whose age is drawn from [`HeadAges`]; the rest follows from
//! family life: a spouse a few years apart, children born while the mother was 18–42, adult
//! children leaving home, an elderly parent moving in, a married son staying with his wife and
//! children (three generations). Temporary residents arrive from other provinces as young single
//! workers or couples with small children.

use chrono::{Datelike, Duration, NaiveDate};
use kernel::clock::age_on;
use kernel::Gender;
use rand::Rng;

use super::names::family_name;
use super::population::{ethnic, fertility, religion};
use super::sample::{add_years, birth_for_age, chance, date, date_between, GenRng};
use super::Shared;

/// Relationship to the head of household (codes of `kernel::vocab::RELATIONSHIPS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Rel {
    Head,
    Spouse,
    Parent,
    Sibling,
    Child,
    /// A child's spouse living with the family (con dâu / con rể).
    Other,
    Grandchild,
}

impl Rel {
    pub(super) fn code(self) -> &'static str {
        match self {
            Rel::Head => "head",
            Rel::Spouse => "spouse",
            Rel::Parent => "parent",
            Rel::Sibling => "sibling",
            Rel::Child => "child",
            Rel::Other => "other",
            Rel::Grandchild => "grandchild",
        }
    }
}

/// One member of a planned household. Places are indexes into `Geo::places`.
#[derive(Debug, Clone)]
pub(super) struct Member {
    pub rel: Rel,
    pub gender: Gender,
    pub born: NaiveDate,
    pub ethnic: &'static str,
    pub religion: &'static str,
    pub family: &'static str,
    pub father: Option<usize>,
    pub mother: Option<usize>,
    pub spouse: Option<usize>,
    pub birth_place: usize,
    pub hometown: usize,
    /// When the person registered at the household's address; `None` means since birth.
    pub moved_in: Option<NaiveDate>,
    /// Commune of an earlier permanent residence, ended when they moved in.
    pub previous: Option<usize>,
    pub death: Option<NaiveDate>,
    pub missing: bool,
    /// Position when created, to re-link after sorting.
    slot: usize,
}

/// Temporary residents keep their permanent residence in their home province.
#[derive(Debug, Clone)]
pub(super) struct Migration {
    pub origin: usize,
    pub arrived: NaiveDate,
}

/// A household before ids are assigned.
#[derive(Debug, Clone)]
pub(super) struct Plan {
    pub place: usize,
    pub address: String,
    pub migration: Option<Migration>,
    pub members: Vec<Member>,
}

/// Deaths before the national population database went live (1 July 2021) are not in it.
const REGISTRY_START: NaiveDate = date(2021, 7, 1);

/// Plans the next household, with at most `max_people` members (at least one). `members` is a
/// buffer to reuse; its contents are discarded.
pub(super) fn plan(s: &Shared, rng: &mut GenRng, mut members: Vec<Member>, max_people: usize) -> Plan {
    let place = s.geo.home_place(rng);
    let urban = s.geo.is_urban(place);
    members.clear();
    let mut b = Builder { s, rng, place, members };
    let migration = if chance(b.rng, if urban { 0.12 } else { 0.045 }) {
        Some(b.migrant_household())
    } else {
        b.local_household();
        None
    };
    let mut members = b.members;
    sort_by_relationship(&mut members);
    truncate(&mut members, max_people.max(1));
    let address = s.geo.address(rng, place);
    Plan { place, address, migration, members }
}

struct Builder<'a> {
    s: &'a Shared,
    rng: &'a mut GenRng,
    place: usize,
    members: Vec<Member>,
}

/// A child not yet placed in the household.
struct Birth {
    born: NaiveDate,
    gender: Gender,
    stays: bool,
}

impl Builder<'_> {
    fn reference(&self) -> NaiveDate {
        self.s.reference
    }

    fn add(
        &mut self,
        rel: Rel,
        gender: Gender,
        born: NaiveDate,
        ethnic: &'static str,
        religion: &'static str,
        family: &'static str,
    ) -> usize {
        self.members.push(Member {
            rel,
            gender,
            born,
            ethnic,
            religion,
            family,
            father: None,
            mother: None,
            spouse: None,
            birth_place: self.place,
            hometown: self.place,
            moved_in: None,
            previous: None,
            death: None,
            missing: false,
            slot: self.members.len(),
        });
        self.members.len() - 1
    }

    /// Changes member `i`, an index [`Builder::add`] returned.
    fn update(&mut self, i: usize, change: impl FnOnce(&mut Member)) {
        if let Some(m) = self.members.get_mut(i) {
            change(m);
        }
    }

    fn marry(&mut self, a: usize, b: usize) {
        self.update(a, |m| m.spouse = Some(b));
        self.update(b, |m| m.spouse = Some(a));
    }

    fn family_name(&mut self, ethnic: &str) -> &'static str {
        family_name(self.rng, ethnic, self.s.geo.home_code())
    }

    /// Husband's age minus wife's: usually 2–5 years, sometimes the wife is older.
    fn age_gap(&mut self) -> i32 {
        let z: f64 = ((0..4).map(|_| self.rng.gen::<f64>()).sum::<f64>() - 2.0) / 0.577;
        (3.0 + 3.0 * z).round().clamp(-2.0, 12.0) as i32
    }

    fn local_household(&mut self) {
        let head_age = self.s.head_ages.sample(self.rng);
        let ethnic = self.s.mixes.sample(self.rng, self.place);
        let religion = religion(self.rng, ethnic, self.s.geo.home_code());
        let single = match head_age {
            ..=29 => 0.22,
            30..=59 => 0.05,
            60..=74 => 0.12,
            _ => 0.28,
        };
        if chance(self.rng, single) {
            self.single(head_age, ethnic, religion);
        } else {
            self.family(head_age, ethnic, religion);
        }
        self.local_places();
        self.deaths();
    }

    fn single(&mut self, age: i32, ethnic: &'static str, religion: &'static str) {
        let female = match age {
            ..=59 => 0.45,
            60..=74 => 0.65,
            _ => 0.78,
        };
        let gender = if chance(self.rng, female) { Gender::Female } else { Gender::Male };
        let born = birth_for_age(self.rng, self.reference(), age);
        let family = self.family_name(ethnic);
        let head = self.add(Rel::Head, gender, born, ethnic, religion, family);
        if age >= 60 && chance(self.rng, 0.5) {
            // Widowed: the late spouse's record stays with the household.
            let gap = self.age_gap();
            let spouse_age = if gender == Gender::Female { age + gap } else { age - gap };
            let born = birth_for_age(self.rng, self.reference(), spouse_age.clamp(40, 100));
            let family = self.family_name(ethnic);
            self.dead_spouse(head, born, (ethnic, religion, family), REGISTRY_START);
        }
    }

    /// The record of a late spouse who died after `not_before` (and after the registry went live).
    fn dead_spouse(
        &mut self,
        of: usize,
        born: NaiveDate,
        (ethnic, religion, family): (&'static str, &'static str, &'static str),
        not_before: NaiveDate,
    ) -> Option<usize> {
        let from = REGISTRY_START.max(not_before).max(add_years(born, 40)) + Duration::days(1);
        if from >= self.reference() {
            return None;
        }
        let death = date_between(self.rng, from, self.reference());
        let gender = other(self.members.get(of)?.gender);
        let i = self.add(Rel::Spouse, gender, born, ethnic, religion, family);
        self.marry(of, i);
        self.update(i, |m| m.death = Some(death));
        Some(i)
    }

    fn family(&mut self, head_age: i32, ethnic: &'static str, religion: &'static str) {
        let reference = self.reference();
        let partner_present = chance(self.rng, if head_age >= 70 { 0.72 } else { 0.9 });
        // Lone parents are mostly mothers (widowed, divorced, husband working away).
        let male = match (partner_present, ethnic == ethnic::KINH) {
            (true, true) => 0.84,
            (true, false) => 0.92,
            (false, _) => 0.3,
        };
        let head_male = chance(self.rng, male);
        let gap = self.age_gap();
        let (mut husband_age, mut wife_age) =
            if head_male { (head_age, head_age - gap) } else { (head_age + gap, head_age) };
        wife_age = wife_age.max(18);
        husband_age = husband_age.clamp(18, 100);
        let partner_ethnic = if chance(self.rng, 0.88) { ethnic } else { self.s.mixes.sample(self.rng, self.place) };
        let partner_religion = if chance(self.rng, 0.85) {
            religion
        } else {
            super::population::religion(self.rng, partner_ethnic, self.s.geo.home_code())
        };

        let head_gender = if head_male { Gender::Male } else { Gender::Female };
        let head_born = birth_for_age(self.rng, reference, head_age);
        let head_family = self.family_name(ethnic);
        let head = self.add(Rel::Head, head_gender, head_born, ethnic, religion, head_family);
        let partner_age = if head_male { wife_age } else { husband_age };
        let partner_born = birth_for_age(self.rng, reference, partner_age);
        let partner_family = self.family_name(partner_ethnic);
        let partner = if partner_present {
            let p = self.add(
                Rel::Spouse,
                other(head_gender),
                partner_born,
                partner_ethnic,
                partner_religion,
                partner_family,
            );
            self.marry(head, p);
            Some(p)
        } else {
            None
        };
        let widowed = !partner_present && head_age >= 55 && chance(self.rng, 0.6);
        let (husband_born, wife_born) = if head_male { (head_born, partner_born) } else { (partner_born, head_born) };
        let (husband_ethnic, wife_ethnic) = if head_male { (ethnic, partner_ethnic) } else { (partner_ethnic, ethnic) };
        let children_family = if head_male { head_family } else { partner_family };

        let births = self.births(husband_born, wife_born, wife_ethnic);
        let eldest_adult = births.iter().position(|b| age_on(b.born, reference) >= 22);
        let three_generations = head_age >= 50 && eldest_adult.is_some() && chance(self.rng, 0.4);
        let heir = if three_generations {
            let adults: Vec<(usize, &Birth)> =
                births.iter().enumerate().filter(|(_, b)| age_on(b.born, reference) >= 22).collect();
            let son = adults.iter().find(|(_, b)| b.gender == Gender::Male).map(|&(i, _)| i);
            match son {
                Some(s) if chance(self.rng, 0.8) => Some(s),
                _ => adults.first().map(|&(i, _)| i),
            }
        } else {
            None
        };

        if !three_generations && (25..=62).contains(&head_age) {
            let p = if ethnic == ethnic::KINH { 0.12 } else { 0.18 };
            if chance(self.rng, p) {
                self.parents_of(head, head_age);
            }
        }
        if head_age <= 50 && chance(self.rng, 0.03) {
            self.sibling_of(head, head_age);
        }

        // Parents choose either group for their children; a family name outside Quốc ngữ spelling
        // ("Ksor") goes with the father's group.
        let child_ethnic = if husband_ethnic == wife_ethnic
            || children_family.split(' ').any(|w| !kernel::syllable::is_syllable(w))
            || chance(self.rng, 0.75)
        {
            husband_ethnic
        } else {
            wife_ethnic
        };
        let youngest = births.last().map(|b| b.born).unwrap_or(REGISTRY_START);
        let late = if widowed {
            self.dead_spouse(head, partner_born, (partner_ethnic, partner_religion, partner_family), youngest)
        } else {
            None
        };
        let partner = partner.or(late);
        let (father, mother) = if head_male { (Some(head), partner) } else { (partner, Some(head)) };
        for (k, birth) in births.iter().enumerate() {
            let stays = if three_generations {
                Some(k) == heir || (birth.stays && age_on(birth.born, reference) < 23)
            } else {
                birth.stays
            };
            if !stays {
                continue;
            }
            let c = self.add(Rel::Child, birth.gender, birth.born, child_ethnic, religion, children_family);
            self.update(c, |m| {
                m.father = father;
                m.mother = mother;
            });
            if Some(k) == heir {
                self.married_child(c);
            }
        }
        if chance(self.rng, 0.02) {
            let age = self.rng.gen_range(8..=25);
            let born = birth_for_age(self.rng, reference, age);
            let gender = if chance(self.rng, 0.5) { Gender::Male } else { Gender::Female };
            let family = self.family_name(ethnic);
            self.add(Rel::Other, gender, born, ethnic, religion, family);
        }
    }

    /// Children born to a couple, oldest first, and whether each still lives at home.
    fn births(&mut self, husband_born: NaiveDate, wife_born: NaiveDate, ethnic: &str) -> Vec<Birth> {
        let reference = self.reference();
        let mean = fertility(wife_born.year(), ethnic);
        let n = (0..8).filter(|_| chance(self.rng, mean / 8.0)).count();
        // Both parents at least 18 at the first birth.
        let husband_younger_by = (husband_born - wife_born).num_days().max(0) / 365 + 1;
        let min_age = 18 + husband_younger_by as i32;
        let mut mother_age =
            if ethnic == ethnic::KINH { self.rng.gen_range(20..=27) } else { self.rng.gen_range(18..=23) };
        mother_age = mother_age.max(min_age);
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            if mother_age > 42 {
                break;
            }
            let born = add_years(wife_born, mother_age) + Duration::days(self.rng.gen_range(0..365));
            if born >= reference {
                break;
            }
            let boys = if born.year() >= 2000 { 111.0 / 211.0 } else { 0.51 };
            let gender = if chance(self.rng, boys) { Gender::Male } else { Gender::Female };
            // Daughters marry out earlier than sons.
            let stays = chance(
                self.rng,
                match (age_on(born, reference), gender) {
                    (..=17, _) => 0.97,
                    (18..=22, _) => 0.75,
                    (23..=29, Gender::Male) => 0.45,
                    (23..=29, Gender::Female) => 0.25,
                    (_, _) => 0.08,
                },
            );
            out.push(Birth { born, gender, stays });
            mother_age += self.rng.gen_range(2..=if ethnic == ethnic::KINH { 5 } else { 3 });
        }
        out
    }

    /// A married adult child living with the head, with their spouse and children.
    fn married_child(&mut self, child: usize) {
        let reference = self.reference();
        let Some(c) = self.members.get(child).cloned() else {
            return;
        };
        let gap = self.age_gap();
        let child_age = age_on(c.born, reference);
        let in_law_age = if c.gender == Gender::Male { child_age - gap } else { child_age + gap }.clamp(20, 90);
        let born = birth_for_age(self.rng, reference, in_law_age);
        let in_law_ethnic = if chance(self.rng, 0.85) { c.ethnic } else { self.s.mixes.sample(self.rng, self.place) };
        let family = self.family_name(in_law_ethnic);
        let in_law = self.add(Rel::Other, other(c.gender), born, in_law_ethnic, c.religion, family);
        self.marry(child, in_law);
        // The grandchildren take their father's ethnic group and family name.
        let ((father, father_born, father_ethnic, grandchildren_family), (mother, mother_born, mother_ethnic)) =
            if c.gender == Gender::Male {
                ((child, c.born, c.ethnic, c.family), (in_law, born, in_law_ethnic))
            } else {
                ((in_law, born, in_law_ethnic, family), (child, c.born, c.ethnic))
            };
        for b in self.births(father_born, mother_born, mother_ethnic) {
            if !b.stays {
                continue;
            }
            let g = self.add(Rel::Grandchild, b.gender, b.born, father_ethnic, c.religion, grandchildren_family);
            self.update(g, |m| {
                m.father = Some(father);
                m.mother = Some(mother);
            });
        }
    }

    /// One or both elderly parents of the head.
    fn parents_of(&mut self, head: usize, head_age: i32) {
        let reference = self.reference();
        let Some(h) = self.members.get(head).cloned() else {
            return;
        };
        let mother_age = head_age + self.rng.gen_range(20..=34);
        let father_age = mother_age + self.rng.gen_range(0..=6);
        let which = self.rng.gen_range(0..100);
        let mut father = None;
        let mut mother = None;
        if which >= 60 && father_age <= 98 {
            let born = birth_for_age(self.rng, reference, father_age);
            father = Some(self.add(Rel::Parent, Gender::Male, born, h.ethnic, h.religion, h.family));
        }
        if !(60..75).contains(&which) && mother_age <= 100 {
            let born = birth_for_age(self.rng, reference, mother_age);
            let family = self.family_name(h.ethnic);
            mother = Some(self.add(Rel::Parent, Gender::Female, born, h.ethnic, h.religion, family));
        }
        if let (Some(f), Some(m)) = (father, mother) {
            self.marry(f, m);
        }
        self.update(head, |h| {
            h.father = father;
            h.mother = mother;
        });
    }

    fn sibling_of(&mut self, head: usize, head_age: i32) {
        let reference = self.reference();
        let Some(h) = self.members.get(head).cloned() else {
            return;
        };
        // Born while both parents were at least 18.
        let youngest_parent = [h.father, h.mother]
            .into_iter()
            .flatten()
            .filter_map(|p| self.members.get(p))
            .map(|p| age_on(p.born, reference))
            .min();
        let mut age = (head_age + self.rng.gen_range(-8..=8)).max(16);
        if let Some(p) = youngest_parent {
            age = age.min(p - 19);
        }
        if age < 16 {
            return;
        }
        let born = birth_for_age(self.rng, reference, age);
        let gender = if chance(self.rng, 0.5) { Gender::Male } else { Gender::Female };
        let s = self.add(Rel::Sibling, gender, born, h.ethnic, h.religion, h.family);
        self.update(s, |m| {
            m.father = h.father;
            m.mother = h.mother;
        });
    }

    fn migrant_household(&mut self) -> Migration {
        let reference = self.reference();
        let shared = self.s;
        let geo = &shared.geo;
        let province = geo.origin_province(self.rng);
        let origin = geo.place_in(self.rng, province);
        let arrived = reference - Duration::days(self.rng.gen_range(60..2500));
        let ethnic = self.s.mixes.sample(self.rng, origin);
        let religion = religion(self.rng, ethnic, &province.code);
        let head_age = match self.rng.gen_range(0..100) {
            0..=49 => self.rng.gen_range(19..=29),
            50..=84 => self.rng.gen_range(30..=39),
            _ => self.rng.gen_range(40..=50),
        };
        let head_born = birth_for_age(self.rng, reference, head_age);
        let elsewhere = |b: &mut Self| if chance(b.rng, 0.6) { origin } else { b.s.geo.place_in(b.rng, province) };
        if chance(self.rng, 0.45) {
            let gender = if chance(self.rng, 0.58) { Gender::Male } else { Gender::Female };
            let family = self.family_name(ethnic);
            let h = self.add(Rel::Head, gender, head_born, ethnic, religion, family);
            let bp = elsewhere(self);
            self.set_places(h, bp, bp);
        } else {
            let head_male = chance(self.rng, 0.85);
            let gap = self.age_gap();
            let partner_age = if head_male { head_age - gap } else { head_age + gap }.max(18);
            let partner_born = birth_for_age(self.rng, reference, partner_age);
            let (hg, pg) = if head_male { (Gender::Male, Gender::Female) } else { (Gender::Female, Gender::Male) };
            let head_family = self.family_name(ethnic);
            let h = self.add(Rel::Head, hg, head_born, ethnic, religion, head_family);
            let partner_family = self.family_name(ethnic);
            let p = self.add(Rel::Spouse, pg, partner_born, ethnic, religion, partner_family);
            self.marry(h, p);
            let (bh, bp) = (elsewhere(self), elsewhere(self));
            self.set_places(h, bh, bh);
            self.set_places(p, bp, bp);
            // The children take their father's family name and hometown.
            let ((father, fb, family, hometown), (mother, mb)) = if head_male {
                ((h, head_born, head_family, bh), (p, partner_born))
            } else {
                ((p, partner_born, partner_family, bp), (h, head_born))
            };
            for b in self.births(fb, mb, ethnic) {
                if age_on(b.born, reference) > 15 || !b.stays {
                    continue;
                }
                let c = self.add(Rel::Child, b.gender, b.born, ethnic, religion, family);
                self.update(c, |m| {
                    m.father = Some(father);
                    m.mother = Some(mother);
                });
                let bp = if b.born >= arrived { self.place } else { origin };
                self.set_places(c, bp, hometown);
            }
        }
        for m in &mut self.members {
            m.moved_in = Some(arrived.max(m.born));
        }
        Migration { origin, arrived }
    }

    fn set_places(&mut self, i: usize, birth_place: usize, hometown: usize) {
        self.update(i, |m| {
            m.birth_place = birth_place;
            m.hometown = hometown;
        });
    }

    /// A commune elsewhere in the province, or in another province (more often for Kinh, whose
    /// families moved to the uplands from the delta).
    fn elsewhere(&mut self, ethnic: &str, other_province: f64) -> usize {
        let p = if ethnic == ethnic::KINH { other_province } else { other_province / 5.0 };
        if chance(self.rng, p) {
            let province = self.s.geo.origin_province(self.rng);
            self.s.geo.place_in(self.rng, province)
        } else {
            self.s.geo.other_home_place(self.rng, self.place)
        }
    }

    /// Birth places, hometowns and move-in dates of a local household.
    fn local_places(&mut self) {
        let reference = self.reference();
        let here = self.place;
        let urban = self.s.geo.is_urban(here);
        let head = 0;
        // The head first: everyone else is placed relative to them.
        let Some((h_ethnic, head_born)) = self.members.first().map(|h| (h.ethnic, h.born)) else {
            return;
        };
        let head_born_here = chance(self.rng, if urban { 0.35 } else { 0.62 });
        let head_birth = if head_born_here { here } else { self.elsewhere(h_ethnic, 0.25) };
        let head_home = if chance(self.rng, 0.75) { head_birth } else { self.elsewhere(h_ethnic, 0.2) };
        self.set_places(head, head_birth, head_home);
        let head_moved = if head_born_here { None } else { Some(self.move_date(add_years(head_born, 18), head_born)) };
        self.update(head, |h| h.moved_in = head_moved);
        let settled = head_moved.unwrap_or(head_born);

        for i in 1..self.members.len() {
            let Some(m) = self.members.get(i).cloned() else {
                continue;
            };
            let hometown_before = |members: &[Member], of: Option<usize>| {
                of.filter(|&p| p < i).and_then(|p| members.get(p)).map(|p| p.hometown)
            };
            let father_home = hometown_before(&self.members, m.father);
            let (birth_place, hometown, moved_in) = match m.rel {
                Rel::Head => unreachable!("the head is member 0"),
                Rel::Spouse | Rel::Other if m.spouse.is_some() => {
                    let bp = if chance(self.rng, 0.2) { here } else { self.elsewhere(m.ethnic, 0.25) };
                    let home = if chance(self.rng, 0.75) { bp } else { self.elsewhere(m.ethnic, 0.2) };
                    let married = self.marriage_date(i, m.born);
                    let moved = if bp == here && chance(self.rng, 0.5) { None } else { Some(married.max(settled)) };
                    (bp, home, moved)
                }
                Rel::Parent => {
                    let bp = if chance(self.rng, 0.7) { head_home } else { self.elsewhere(m.ethnic, 0.2) };
                    let home = if m.gender == Gender::Male { head_home } else { bp };
                    let from = (reference - Duration::days(20 * 365)).max(add_years(head_born, 20)).max(settled);
                    (bp, home, Some(self.move_date(from, m.born)))
                }
                Rel::Sibling => {
                    let bp = if chance(self.rng, 0.7) { head_birth } else { self.elsewhere(m.ethnic, 0.1) };
                    let home = head_home;
                    let moved = if bp == here {
                        head_moved.filter(|d| *d > m.born)
                    } else {
                        Some(self.move_date(settled.max(add_years(m.born, 16)), m.born))
                    };
                    (bp, home, moved)
                }
                Rel::Child | Rel::Grandchild => {
                    let bp = if chance(self.rng, 0.9) { here } else { self.s.geo.other_home_place(self.rng, here) };
                    let mother_home = hometown_before(&self.members, m.mother);
                    let home = father_home.or(mother_home).unwrap_or(head_home);
                    let moved = if settled > m.born {
                        Some(settled)
                    } else if bp != here {
                        Some(m.born + Duration::days(self.rng.gen_range(1..60)))
                    } else {
                        None
                    };
                    (bp, home, moved.map(|d| d.min(reference)))
                }
                Rel::Spouse | Rel::Other => {
                    let bp = self.elsewhere(m.ethnic, 0.2);
                    let from = (reference - Duration::days(10 * 365)).max(m.born);
                    (bp, bp, Some(self.move_date(from, m.born)))
                }
            };
            self.set_places(i, birth_place, hometown);
            // A late spouse registered here before they died.
            let moved_in = match m.death {
                Some(d) => moved_in.map(|moved| moved.min(d - Duration::days(1))),
                None => moved_in,
            };
            self.update(i, |member| member.moved_in = moved_in.filter(|d| *d > m.born));
        }
        for m in &mut self.members {
            if m.moved_in.is_some() && chance(self.rng, 0.6) {
                let prev =
                    if m.birth_place != here { m.birth_place } else { self.s.geo.other_home_place(self.rng, here) };
                if prev != here {
                    m.previous = Some(prev);
                }
            }
        }
    }

    /// When member `i`, born on `born`, married into the household: before the couple's first
    /// child, or in their twenties when they have none here.
    fn marriage_date(&mut self, i: usize, born: NaiveDate) -> NaiveDate {
        let first_child =
            self.members.iter().filter(|c| c.father == Some(i) || c.mother == Some(i)).map(|c| c.born).min();
        let date = match first_child {
            Some(c) => c - Duration::days(self.rng.gen_range(300..900)),
            None => add_years(born, self.rng.gen_range(20..=28)),
        };
        date.max(add_years(born, 17)).min(self.reference() - Duration::days(1))
    }

    /// A move date in `[from, reference)`, never before the person turned 16 (or was born).
    fn move_date(&mut self, from: NaiveDate, born: NaiveDate) -> NaiveDate {
        let reference = self.reference();
        let from = from.max(born + Duration::days(1));
        if from >= reference {
            return date_between(self.rng, born.max(reference - Duration::days(365)), reference);
        }
        date_between(self.rng, from, reference)
    }

    /// Deaths recorded since the registry went live, likelier with age and for men.
    fn deaths(&mut self) {
        let reference = self.reference();
        for i in 1..self.members.len() {
            let Some(m) = self.members.get(i) else {
                continue;
            };
            if m.death.is_some() {
                continue;
            }
            let (born, moved_in) = (m.born, m.moved_in);
            let age = age_on(m.born, reference);
            let mut p = match age {
                ..=49 => 0.0015,
                50..=59 => 0.01,
                60..=69 => 0.03,
                70..=79 => 0.07,
                80..=89 => 0.16,
                _ => 0.3,
            };
            p *= if m.gender == Gender::Male { 1.4 } else { 0.8 };
            if chance(self.rng, p) {
                let youngest_child =
                    self.members.iter().filter(|c| c.father == Some(i) || c.mother == Some(i)).map(|c| c.born).max();
                let from = REGISTRY_START.max(born).max(youngest_child.unwrap_or(born)).max(moved_in.unwrap_or(born))
                    + Duration::days(1);
                if from < reference {
                    let death = date_between(self.rng, from, reference);
                    self.update(i, |m| m.death = Some(death));
                }
            } else if (18..=70).contains(&age) && chance(self.rng, 0.0005) {
                self.update(i, |m| m.missing = true);
            }
        }
    }
}

fn other(g: Gender) -> Gender {
    match g {
        Gender::Male => Gender::Female,
        Gender::Female => Gender::Male,
    }
}

/// Orders members head, spouse, parents, siblings, children, in-laws, grandchildren (the order
/// household books list them), keeping the links right.
fn sort_by_relationship(members: &mut [Member]) {
    if members.is_sorted_by_key(|m| m.rel) {
        return;
    }
    // Stable: members of the same relationship keep their order (children eldest first).
    members.sort_by_key(|m| m.rel);
    // A household has at most about 25 members (8 children, 8 grandchildren, parents, in-laws).
    let mut new_index = [usize::MAX; 64];
    for (new, m) in members.iter().enumerate() {
        if let Some(slot) = new_index.get_mut(m.slot) {
            *slot = new;
        }
    }
    let renumber = |i: usize| new_index.get(i).copied();
    for (new, m) in members.iter_mut().enumerate() {
        m.slot = new;
        m.father = m.father.and_then(renumber);
        m.mother = m.mother.and_then(renumber);
        m.spouse = m.spouse.and_then(renumber);
    }
}

/// Keeps the first `max` members and drops links to the others.
fn truncate(members: &mut Vec<Member>, max: usize) {
    if members.len() <= max {
        return;
    }
    members.truncate(max);
    for m in members.iter_mut() {
        m.father = m.father.filter(|&i| i < max);
        m.mother = m.mother.filter(|&i| i < max);
        m.spouse = m.spouse.filter(|&i| i < max);
    }
}
