//! CSV exchange of registry records (`dancu export` / `dancu import`): one file per table with a
//! header row, UTF-8, dates as `YYYY-MM-DD` (partial birth dates as `YYYY` or `YYYY-MM`).
//! Import validates every row (hard rules: 12-digit ids, known communes and codes) and loads in
//! batches; a file with a bad row is rejected with its line number and nothing from it is loaded.

use std::fs::File;
use std::path::Path;

use chrono::NaiveDate;
use db::sqlx::{self, Row};
use db::Db;
use futures::TryStreamExt;
use kernel::{AppError, ErrorCode, PartialDate, PersonalId};

use crate::admin_units::AdminUnits;
use crate::model::{
    Batch, Card, CardKind, CardStatus, CivilDeath, Household, Person, PersonStatus, Residence, ResidenceKind,
};

/// The files, in load order.
pub const FILES: [&str; 5] = ["households.csv", "persons.csv", "residences.csv", "cards.csv", "civil_deaths.csv"];

fn date(s: Option<String>) -> Option<NaiveDate> {
    s.and_then(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok())
}

fn csv_err(file: &str, e: impl std::fmt::Display) -> AppError {
    AppError::invalid(format!("{file}: {e}"))
}

/// The number of rows [`export`] writes (every file, not persons alone), so that a progress bar
/// counting its ticks ends at its total.
pub async fn export_size(db: &Db) -> Result<u64, AppError> {
    let n: i64 = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM households) + (SELECT COUNT(*) FROM persons) + \
         (SELECT COUNT(*) FROM residences) + (SELECT COUNT(*) FROM identity_cards) + \
         (SELECT COUNT(*) FROM civil_deaths)",
    )
    .fetch_one(db.read())
    .await?
    .get(0);
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Exports every table; `tick` is called with the number of rows written so far (out of
/// [`export_size`]).
pub async fn export(db: &Db, dir: &Path, tick: &dyn Fn(u64)) -> Result<u64, AppError> {
    std::fs::create_dir_all(dir).map_err(|e| AppError::internal(format!("cannot create {}: {e}", dir.display())))?;
    let mut n = 0u64;
    let open =
        |f: &str| csv::Writer::from_path(dir.join(f)).map_err(|e| AppError::internal(format!("cannot write {f}: {e}")));
    let mut w = open(FILES[0])?;
    let mut rows =
        sqlx::query("SELECT id, head_id, commune_code, address FROM households ORDER BY id").fetch(db.read());
    while let Some(r) = rows.try_next().await? {
        w.serialize(Household { id: r.get(0), head_id: r.get(1), commune_code: r.get(2), address: r.get(3) })
            .map_err(|e| csv_err(FILES[0], e))?;
        n += 1;
    }
    w.flush().map_err(|e| csv_err(FILES[0], e))?;
    tick(n);
    let mut w = open(FILES[1])?;
    let mut rows = sqlx::query(
        "SELECT personal_id, full_name, gender, birth_date, birth_place, hometown, ethnicity, religion, nationality, \
         old_id, status, death_date, father_id, mother_id, spouse_id, household_id, relationship, current_commune, \
         current_address FROM persons ORDER BY personal_id",
    )
    .fetch(db.read());
    while let Some(r) = rows.try_next().await? {
        let p = Person {
            personal_id: r.get(0),
            full_name: r.get(1),
            gender: r.get::<Option<String>, _>(2).as_deref().and_then(kernel::Gender::parse),
            birth_date: r.get::<Option<String>, _>(3).and_then(|d| PartialDate::parse(&d).ok()),
            birth_place: r.get(4),
            hometown: r.get(5),
            ethnicity: r.get(6),
            religion: r.get(7),
            nationality: r.get(8),
            old_id: r.get(9),
            status: PersonStatus::parse(&r.get::<String, _>(10)).unwrap_or(PersonStatus::Living),
            death_date: r.get::<Option<String>, _>(11).and_then(|d| PartialDate::parse(&d).ok()),
            father_id: r.get(12),
            mother_id: r.get(13),
            spouse_id: r.get(14),
            household_id: r.get(15),
            relationship: r.get(16),
            current_commune: r.get(17),
            current_address: r.get(18),
        };
        w.serialize(p).map_err(|e| csv_err(FILES[1], e))?;
        n += 1;
        if n.is_multiple_of(50_000) {
            tick(n);
        }
    }
    w.flush().map_err(|e| csv_err(FILES[1], e))?;
    let mut w = open(FILES[2])?;
    let mut rows = sqlx::query(
        "SELECT id, personal_id, kind, commune_code, address, start_date, end_date, expiry_date FROM residences ORDER BY id",
    )
    .fetch(db.read());
    while let Some(r) = rows.try_next().await? {
        let res = Residence {
            id: r.get(0),
            personal_id: r.get(1),
            kind: ResidenceKind::parse(&r.get::<String, _>(2)).unwrap_or(ResidenceKind::Current),
            commune_code: r.get(3),
            address: r.get(4),
            start_date: date(r.get(5)).unwrap_or_default(),
            end_date: date(r.get(6)),
            expiry_date: date(r.get(7)),
        };
        w.serialize(res).map_err(|e| csv_err(FILES[2], e))?;
        n += 1;
    }
    w.flush().map_err(|e| csv_err(FILES[2], e))?;
    tick(n);
    let mut w = open(FILES[3])?;
    let mut rows = sqlx::query(
        "SELECT id, personal_id, kind, issue_date, expiry_date, issuer, status FROM identity_cards ORDER BY id",
    )
    .fetch(db.read());
    while let Some(r) = rows.try_next().await? {
        let c = Card {
            id: r.get(0),
            personal_id: r.get(1),
            kind: CardKind::parse(&r.get::<String, _>(2)).unwrap_or(CardKind::CccdChip),
            issue_date: date(r.get(3)).unwrap_or_default(),
            expiry_date: date(r.get(4)),
            issuer: r.get(5),
            status: CardStatus::parse(&r.get::<String, _>(6)).unwrap_or(CardStatus::Valid),
        };
        w.serialize(c).map_err(|e| csv_err(FILES[3], e))?;
        n += 1;
    }
    w.flush().map_err(|e| csv_err(FILES[3], e))?;
    let mut w = open(FILES[4])?;
    let mut rows =
        sqlx::query("SELECT personal_id, death_date FROM civil_deaths ORDER BY personal_id").fetch(db.read());
    while let Some(r) = rows.try_next().await? {
        let d = CivilDeath { personal_id: r.get(0), death_date: date(r.get(1)).unwrap_or_default() };
        w.serialize(d).map_err(|e| csv_err(FILES[4], e))?;
        n += 1;
    }
    w.flush().map_err(|e| csv_err(FILES[4], e))?;
    tick(n);
    Ok(n)
}

/// The rows of one file, each with the line it starts on (a quoted field may span lines, so this
/// is the reader's position, not a row count).
fn read<T: serde::de::DeserializeOwned>(dir: &Path, file: &str) -> Result<(Vec<T>, Vec<u64>), AppError> {
    let f = File::open(dir.join(file)).map_err(|e| AppError::invalid(format!("{file}: {e}")))?;
    let mut reader = csv::Reader::from_reader(f);
    let headers = reader.headers().map_err(|e| csv_err(file, e))?.clone();
    let (mut rows, mut lines) = (Vec::new(), Vec::new());
    let mut record = csv::StringRecord::new();
    loop {
        let line = reader.position().line();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(AppError::invalid(format!("{file} line {line}: {e}"))),
        }
        let row =
            record.deserialize(Some(&headers)).map_err(|e| AppError::invalid(format!("{file} line {line}: {e}")))?;
        rows.push(row);
        lines.push(line);
    }
    Ok((rows, lines))
}

fn check_commune(file: &str, line: u64, code: &str) -> Result<(), AppError> {
    if AdminUnits::get().commune(code).is_none() {
        return Err(AppError::new(ErrorCode::UnknownCommune, format!("{file} line {line}: unknown commune {code}")));
    }
    Ok(())
}

/// A reference from a row to a record that must exist: in the files, or already in the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub file: &'static str,
    pub line: u64,
    pub field: &'static str,
    pub id: String,
}

impl Reference {
    fn dangling(&self) -> AppError {
        AppError::invalid(format!("{} line {}: {} {} refers to no record", self.file, self.line, self.field, self.id))
    }
}

/// The import files read and checked on their own, with the references that point outside them.
#[derive(Debug)]
pub struct ReadBatch {
    pub batch: Batch,
    /// References to households (`households`) and persons (`persons`) not in the files.
    pub outside_households: Vec<Reference>,
    pub outside_persons: Vec<Reference>,
}

/// Refuses a second row with the same id, naming both lines.
fn unique_ids<'a>(
    file: &str,
    field: &str,
    ids: impl Iterator<Item = &'a str>,
    lines: &[u64],
) -> Result<std::collections::HashMap<&'a str, u64>, AppError> {
    let mut seen = std::collections::HashMap::new();
    for (id, &line) in ids.zip(lines) {
        if let Some(first) = seen.insert(id, line) {
            return Err(AppError::new(
                ErrorCode::Conflict,
                format!("{file} line {line}: duplicate {field} {id} (first on line {first})"),
            ));
        }
    }
    Ok(seen)
}

/// Reads and validates the export files of a directory into one batch: each row's values, unique
/// ids, and references between the files (references to records not in the files are returned,
/// for [`import`] to look up in the registry).
pub fn read_dir(dir: &Path) -> Result<ReadBatch, AppError> {
    let (households, household_lines) = read::<Household>(dir, FILES[0])?;
    let (persons, person_lines) = read::<Person>(dir, FILES[1])?;
    let (residences, residence_lines) = read::<Residence>(dir, FILES[2])?;
    let (cards, card_lines) = read::<Card>(dir, FILES[3])?;
    let (civil_deaths, death_lines) = read::<CivilDeath>(dir, FILES[4])?;
    for (h, &line) in households.iter().zip(&household_lines) {
        check_commune(FILES[0], line, &h.commune_code)?;
    }
    for (p, &line) in persons.iter().zip(&person_lines) {
        PersonalId::parse(&p.personal_id)
            .map_err(|e| AppError::new(e.code, format!("{} line {line}: {}", FILES[1], e.detail)))?;
        if kernel::text::normalize_name(&p.full_name).is_empty() {
            return Err(AppError::invalid(format!("{} line {line}: full_name is empty", FILES[1])));
        }
        if let Some(c) = &p.current_commune {
            check_commune(FILES[1], line, c)?;
        }
        if let Some(e) = p.ethnicity.as_deref().filter(|e| kernel::vocab::ethnicity_name(e).is_none()) {
            return Err(AppError::invalid(format!("{} line {line}: unknown ethnicity code {e}", FILES[1])));
        }
        if let Some(r) = p.religion.as_deref().filter(|r| kernel::vocab::religion_name(r).is_none()) {
            return Err(AppError::invalid(format!("{} line {line}: unknown religion code {r}", FILES[1])));
        }
    }
    for (r, &line) in residences.iter().zip(&residence_lines) {
        check_commune(FILES[2], line, &r.commune_code)?;
    }
    let household_ids = unique_ids(FILES[0], "id", households.iter().map(|h| h.id.as_str()), &household_lines)?;
    let person_ids =
        unique_ids(FILES[1], "personal_id", persons.iter().map(|p| p.personal_id.as_str()), &person_lines)?;
    unique_ids(FILES[2], "id", residences.iter().map(|r| r.id.as_str()), &residence_lines)?;
    unique_ids(FILES[3], "id", cards.iter().map(|c| c.id.as_str()), &card_lines)?;
    unique_ids(FILES[4], "personal_id", civil_deaths.iter().map(|d| d.personal_id.as_str()), &death_lines)?;

    let mut to_persons = Vec::new();
    let mut to_households = Vec::new();
    let reference = |file, line, field, id: &str| Reference { file, line, field, id: id.to_string() };
    for (h, &line) in households.iter().zip(&household_lines) {
        to_persons.push(reference(FILES[0], line, "head_id", &h.head_id));
    }
    for (p, &line) in persons.iter().zip(&person_lines) {
        for (field, id) in [("father_id", &p.father_id), ("mother_id", &p.mother_id), ("spouse_id", &p.spouse_id)] {
            if let Some(id) = id.as_deref().filter(|id| !id.is_empty()) {
                to_persons.push(reference(FILES[1], line, field, id));
            }
        }
        if let Some(id) = p.household_id.as_deref().filter(|id| !id.is_empty()) {
            to_households.push(reference(FILES[1], line, "household_id", id));
        }
    }
    for (r, &line) in residences.iter().zip(&residence_lines) {
        to_persons.push(reference(FILES[2], line, "personal_id", &r.personal_id));
    }
    for (c, &line) in cards.iter().zip(&card_lines) {
        to_persons.push(reference(FILES[3], line, "personal_id", &c.personal_id));
    }
    for (d, &line) in civil_deaths.iter().zip(&death_lines) {
        to_persons.push(reference(FILES[4], line, "personal_id", &d.personal_id));
    }
    to_persons.retain(|r| !person_ids.contains_key(r.id.as_str()));
    to_households.retain(|r| !household_ids.contains_key(r.id.as_str()));
    Ok(ReadBatch {
        batch: Batch { households, persons, residences, cards, civil_deaths },
        outside_persons: to_persons,
        outside_households: to_households,
    })
}

/// The first reference whose record is not in the registry either.
async fn first_dangling(db: &Db, table: &str, key: &str, refs: &[Reference]) -> Result<Option<Reference>, AppError> {
    for chunk in refs.chunks(500) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!("SELECT {key} FROM {table} WHERE {key} IN ({})", marks.join(", "));
        let mut q = sqlx::query(&sql);
        for r in chunk {
            q = q.bind(&r.id);
        }
        let found: std::collections::HashSet<String> =
            q.fetch_all(db.read()).await?.iter().map(|row| row.get::<String, _>(0)).collect();
        if let Some(r) = chunk.iter().find(|r| !found.contains(&r.id)) {
            return Ok(Some(r.clone()));
        }
    }
    Ok(None)
}

/// Imports a directory written by [`export`] in one transaction per chunk of households. `now`
/// (UTC milliseconds) is the rows' creation time.
pub async fn import(db: &Db, dir: &Path, now: i64) -> Result<usize, AppError> {
    let read = read_dir(dir)?;
    let dangling = match first_dangling(db, "persons", "personal_id", &read.outside_persons).await? {
        Some(r) => Some(r),
        None => first_dangling(db, "households", "id", &read.outside_households).await?,
    };
    if let Some(r) = dangling {
        return Err(r.dangling());
    }
    let batch = read.batch;
    let rows = batch.rows();
    crate::load::write_batch(db, &batch, now).await.map_err(|e| match e.code {
        ErrorCode::InvalidInput => {
            AppError::new(ErrorCode::Conflict, format!("import rejected, nothing loaded: {}", e.detail))
        }
        _ => e,
    })?;
    Ok(rows)
}
