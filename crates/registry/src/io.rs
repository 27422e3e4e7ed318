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

/// Exports every table; `tick` is called with the number of rows written so far.
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

fn read<T: serde::de::DeserializeOwned>(dir: &Path, file: &str) -> Result<Vec<T>, AppError> {
    let f = File::open(dir.join(file)).map_err(|e| AppError::invalid(format!("{file}: {e}")))?;
    let mut out = Vec::new();
    for (i, row) in csv::Reader::from_reader(f).into_deserialize().enumerate() {
        // Line numbers count the header as line 1.
        out.push(row.map_err(|e| AppError::invalid(format!("{file} line {}: {e}", i + 2)))?);
    }
    Ok(out)
}

fn check_commune(file: &str, line: usize, code: &str) -> Result<(), AppError> {
    if AdminUnits::get().commune(code).is_none() {
        return Err(AppError::new(ErrorCode::UnknownCommune, format!("{file} line {line}: unknown commune {code}")));
    }
    Ok(())
}

/// Reads and validates the export files of a directory into one batch.
pub fn read_dir(dir: &Path) -> Result<Batch, AppError> {
    let batch = Batch {
        households: read(dir, FILES[0])?,
        persons: read(dir, FILES[1])?,
        residences: read(dir, FILES[2])?,
        cards: read(dir, FILES[3])?,
        civil_deaths: read(dir, FILES[4])?,
    };
    for (i, h) in batch.households.iter().enumerate() {
        check_commune(FILES[0], i + 2, &h.commune_code)?;
    }
    for (i, p) in batch.persons.iter().enumerate() {
        let line = i + 2;
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
    for (i, r) in batch.residences.iter().enumerate() {
        check_commune(FILES[2], i + 2, &r.commune_code)?;
    }
    Ok(batch)
}

/// Imports a directory written by [`export`] in one transaction per chunk of households. `now`
/// (UTC milliseconds) is the rows' creation time.
pub async fn import(db: &Db, dir: &Path, now: i64) -> Result<usize, AppError> {
    let batch = read_dir(dir)?;
    let rows = batch.rows();
    crate::load::write_batch(db, &batch, now).await.map_err(|e| match e.code {
        ErrorCode::InvalidInput => {
            AppError::new(ErrorCode::Conflict, format!("import rejected, nothing loaded: {}", e.detail))
        }
        _ => e,
    })?;
    Ok(rows)
}
