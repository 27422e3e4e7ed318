//! Grouped counts over the whole registry for a full recompute of derived figures, read in one
//! snapshot together with the feed position they correspond to. Keys are storage forms cut to the
//! grain figures need (year or month of a date).
//!
//! The rows stream through [`db::scan`] and are counted in hash maps here, which on a province of
//! millions is an order of magnitude faster than the equivalent `GROUP BY` joins on either backend.
//! Two connections read at once: one the residence registrations (twice: first the ended permanent
//! and open temporary ones, then every permanent one to pair them), the other the residents and
//! households.

use std::time::Instant;

use db::scan::{Group, RowSink};
use db::Db;
use kernel::AppError;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

/// Living persons with a current commune, by commune, birth year, gender, ethnicity and religion
/// (`""` where the field is empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileCount {
    pub commune: String,
    pub birth_year: String,
    pub gender: String,
    pub ethnicity: String,
    pub religion: String,
    pub count: i64,
}

/// Persons with a current commune by month of birth (when the birth date holds a month) or, for
/// the deceased, month of death; the other month is `""`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifeEventCount {
    pub commune: String,
    pub birth_month: String,
    pub death_month: String,
    pub count: i64,
}

/// Changes of permanent residence between communes: a permanent registration that ended on the
/// day the same person's next permanent registration began, in another commune.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoveCount {
    pub from: String,
    pub to: String,
    /// `YYYY-MM` of the move.
    pub month: String,
    pub count: i64,
}

/// Open temporary registrations of living persons, paired with each open permanent registration
/// of the same person (`None` when there is none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemporaryCount {
    pub temporary_commune: String,
    pub permanent_commune: Option<String>,
    pub count: i64,
}

/// Everything a full recompute of the registry-derived figures needs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RegistryTallies {
    /// The newest person event id in the snapshot (`""` when there is none).
    pub position: String,
    pub profiles: Vec<ProfileCount>,
    pub life_events: Vec<LifeEventCount>,
    /// `(commune of the household, living registered members, households)`; households without
    /// living members are left out.
    pub household_sizes: Vec<(String, i64, i64)>,
    pub moves: Vec<MoveCount>,
    pub temporary: Vec<TemporaryCount>,
    /// How long each scan took (the two connections' scans overlap in time).
    pub scan_seconds: Vec<(&'static str, f64)>,
}

/// The scans of each connection: (name, query).
const RESIDENCES: [(&str, &str); 3] = [
    ("feed position", "SELECT MAX(id) FROM person_events"),
    (
        "ended and temporary registrations",
        "SELECT personal_id, kind, commune_code, end_date FROM residences \
         WHERE (kind = 'permanent' AND end_date IS NOT NULL) OR (kind = 'temporary' AND end_date IS NULL)",
    ),
    (
        "permanent registrations",
        "SELECT personal_id, commune_code, start_date, end_date FROM residences WHERE kind = 'permanent'",
    ),
];
const RESIDENTS: [(&str, &str); 2] = [
    (
        "residents",
        "SELECT personal_id, status, current_commune, birth_date, gender, ethnicity, religion, death_date, \
         household_id FROM persons",
    ),
    ("households", "SELECT id, commune_code FROM households"),
];

/// Counts the whole registry in one snapshot.
pub async fn tallies(db: &Db) -> Result<RegistryTallies, AppError> {
    let group = |part: Part, scans: &[(&'static str, &str)]| Group {
        queries: scans.iter().map(|(_, q)| q.to_string()).collect(),
        sink: Tally {
            part,
            names: scans.iter().map(|(n, _)| *n).collect(),
            started: Instant::now(),
            seconds: Vec::new(),
            state: State::default(),
        },
    };
    let groups = vec![group(Part::Residences, &RESIDENCES), group(Part::Residents, &RESIDENTS)];
    let mut sinks = db::scan::scan(db, groups).await?.into_iter();
    match (sinks.next(), sinks.next()) {
        (Some(residences), Some(residents)) => Ok(finish(residences, residents)),
        _ => Err(AppError::internal("a registry scan returned no result")),
    }
}

/// Small strings (codes, years, months) numbered once, so count keys are tuples of integers.
#[derive(Default)]
struct Interner {
    ids: HashMap<String, u32>,
    names: Vec<String>,
}

impl Interner {
    fn id(&mut self, s: &str) -> u32 {
        if let Some(id) = self.ids.get(s) {
            return *id;
        }
        let id = self.names.len() as u32;
        self.names.push(s.to_string());
        self.ids.insert(s.to_string(), id);
        id
    }

    /// The string numbered `id` (every id comes from [`Interner::id`]).
    fn name(&self, id: u32) -> String {
        self.names.get(id as usize).cloned().unwrap_or_default()
    }
}

/// Registrations of a person that has an open temporary one.
#[derive(Default)]
struct Temporary {
    temporary: Vec<u32>,
    open_permanent: Vec<u32>,
}

/// Which half of the registry a sink counts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    Residences,
    Residents,
}

struct Tally {
    part: Part,
    names: Vec<&'static str>,
    started: Instant,
    seconds: Vec<(&'static str, f64)>,
    state: State,
}

#[derive(Default)]
struct State {
    position: String,
    words: Interner,
    /// Ended permanent registrations by person: (commune, end date).
    ended: HashMap<String, Vec<(u32, String)>>,
    temporary: HashMap<String, Temporary>,
    /// Persons whose status is not `living` (their temporary registrations are not counted).
    not_living: HashSet<String>,
    profiles: HashMap<[u32; 5], i64>,
    births: HashMap<[u32; 2], i64>,
    deaths: HashMap<[u32; 2], i64>,
    /// Living registered members by household id.
    members: HashMap<String, i64>,
    household_sizes: HashMap<(u32, i64), i64>,
    moves: HashMap<[u32; 3], i64>,
}

/// The first `n` characters of a stored value (`substr(v, 1, n)` in SQL).
fn prefix(s: &str, n: usize) -> &str {
    s.char_indices().nth(n).map_or(s, |(i, _)| &s[..i])
}

/// `YYYY-MM` of a stored date that holds a month (`length(d) >= 7` in SQL).
fn month_of(date: Option<&str>) -> Option<&str> {
    date.filter(|d| d.chars().count() >= 7).map(|d| prefix(d, 7))
}

impl RowSink for Tally {
    fn row(&mut self, query: usize, c: &[Option<&str>]) {
        let s = &mut self.state;
        match (self.part, query) {
            (Part::Residences, 0) => s.position = c.first().copied().flatten().unwrap_or_default().to_string(),
            (Part::Residences, 1) => s.registration(c),
            (Part::Residences, _) => s.permanent(c),
            (Part::Residents, 0) => s.person(c),
            (Part::Residents, _) => s.household(c),
        }
    }

    fn query_done(&mut self, query: usize) {
        let now = Instant::now();
        if let Some(&name) = self.names.get(query) {
            self.seconds.push((name, (now - self.started).as_secs_f64()));
        }
        self.started = now;
    }
}

impl State {
    /// An ended permanent or open temporary registration.
    fn registration(&mut self, c: &[Option<&str>]) {
        let &[Some(pid), Some(kind), Some(commune), end, ..] = c else { return };
        let commune = self.words.id(commune);
        if kind == "permanent" {
            let end = end.unwrap_or_default().to_string();
            self.ended.entry(pid.to_string()).or_default().push((commune, end));
        } else {
            self.temporary.entry(pid.to_string()).or_default().temporary.push(commune);
        }
    }

    fn person(&mut self, c: &[Option<&str>]) {
        let &[Some(pid), Some(status), commune, birth, gender, ethnicity, religion, death, household, ..] = c else {
            return;
        };
        let living = status == "living";
        if !living {
            self.not_living.insert(pid.to_string());
        }
        if let Some(commune) = commune {
            let commune = self.words.id(commune);
            if living {
                let key = [
                    commune,
                    self.words.id(birth.map(|d| prefix(d, 4)).unwrap_or_default()),
                    self.words.id(gender.unwrap_or_default()),
                    self.words.id(ethnicity.unwrap_or_default()),
                    self.words.id(religion.unwrap_or_default()),
                ];
                *self.profiles.entry(key).or_insert(0) += 1;
            }
            if let Some(m) = month_of(birth) {
                *self.births.entry([commune, self.words.id(m)]).or_insert(0) += 1;
            }
            if status == "deceased" {
                if let Some(m) = month_of(death) {
                    *self.deaths.entry([commune, self.words.id(m)]).or_insert(0) += 1;
                }
            }
        }
        if let (true, Some(household)) = (living, household) {
            match self.members.get_mut(household) {
                Some(n) => *n += 1,
                None => {
                    self.members.insert(household.to_string(), 1);
                }
            }
        }
    }

    fn household(&mut self, c: &[Option<&str>]) {
        let &[Some(id), Some(commune), ..] = c else { return };
        if let Some(n) = self.members.get(id).copied() {
            *self.household_sizes.entry((self.words.id(commune), n)).or_insert(0) += 1;
        }
    }

    /// A permanent registration: the second half of a move, or an open one of a person with a
    /// temporary registration.
    fn permanent(&mut self, c: &[Option<&str>]) {
        let &[Some(pid), Some(commune), Some(start), end, ..] = c else { return };
        if let Some(ended) = self.ended.get(pid) {
            let to = self.words.id(commune);
            for (from, _) in ended.iter().filter(|(from, end)| end == start && *from != to) {
                let month = self.words.id(prefix(start, 7));
                *self.moves.entry([*from, to, month]).or_insert(0) += 1;
            }
        }
        if let (None, Some(t)) = (end, self.temporary.get_mut(pid)) {
            t.open_permanent.push(self.words.id(commune));
        }
    }
}

/// The counts of both halves, as the rows a rebuild turns into figures.
fn finish(residences: Tally, residents: Tally) -> RegistryTallies {
    let mut scan_seconds = residences.seconds;
    scan_seconds.extend(residents.seconds);
    let State { position, words: rw, temporary: registrations, moves, .. } = residences.state;
    let State { words: pw, not_living, profiles, births, deaths, household_sizes, .. } = residents.state;
    let mut temporary: HashMap<(u32, Option<u32>), i64> = HashMap::default();
    for (pid, t) in &registrations {
        if not_living.contains(pid) {
            continue;
        }
        for tc in &t.temporary {
            if t.open_permanent.is_empty() {
                *temporary.entry((*tc, None)).or_insert(0) += 1;
            }
            for pc in &t.open_permanent {
                *temporary.entry((*tc, Some(*pc))).or_insert(0) += 1;
            }
        }
    }
    let life = |rows: HashMap<[u32; 2], i64>, birth: bool| {
        let pw = &pw;
        rows.into_iter().map(move |([c, m], count)| LifeEventCount {
            commune: pw.name(c),
            birth_month: if birth { pw.name(m) } else { String::new() },
            death_month: if birth { String::new() } else { pw.name(m) },
            count,
        })
    };
    RegistryTallies {
        position,
        profiles: profiles
            .iter()
            .map(|(k, n)| ProfileCount {
                commune: pw.name(k[0]),
                birth_year: pw.name(k[1]),
                gender: pw.name(k[2]),
                ethnicity: pw.name(k[3]),
                religion: pw.name(k[4]),
                count: *n,
            })
            .collect(),
        life_events: life(births, true).chain(life(deaths, false)).collect(),
        household_sizes: household_sizes.iter().map(|((c, size), n)| (pw.name(*c), *size, *n)).collect(),
        moves: moves
            .iter()
            .map(|(k, n)| MoveCount { from: rw.name(k[0]), to: rw.name(k[1]), month: rw.name(k[2]), count: *n })
            .collect(),
        temporary: temporary
            .into_iter()
            .map(|((t, p), count)| TemporaryCount {
                temporary_commune: rw.name(t),
                permanent_commune: p.map(|p| rw.name(p)),
                count,
            })
            .collect(),
        scan_seconds,
    }
}
