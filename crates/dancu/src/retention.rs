//! Retention of the access log, the verification history and the security events
//! (`dancu retention`).
//!
//! The first two grow with every read of a citizen's data (about 23 GB a day of access log at a
//! busy province's load) and are kept only for a legal period, which depends on why the data was
//! read: a read for an investigation is kept longer than one for a hotel check-in. Security events
//! have no purpose; they are kept for one period, the SOC holding its own copy (syslog, OTLP).
//! Rows older than their period are archived, then deleted, in batches:
//!
//! 1. each batch is appended to the run's archive file (JSON Lines, one row per line, in time
//!    order) and the file is synced to disk;
//! 2. only then are the batch's rows deleted, in one transaction.
//!
//! A crash between the two archives a batch twice (in this run's file and the next run's), never
//! loses one. At the end of a run each file gets a line in `MANIFEST.jsonl` beside it: its rows,
//! first and last time, SHA-256, and the SHA-256 of the previous manifest line, so the archive is
//! a chain: a file removed, changed or reordered breaks it ([`verify_manifest`]). A tamper-evident
//! access log can continue that chain across what was archived.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use db::sqlx::{self, Row};
use db::Db;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// One day in milliseconds.
const DAY_MS: i64 = 86_400_000;

/// Rows read, archived and deleted at a time.
const BATCH: usize = 2_000;

/// The `[retention]` section.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionSettings {
    /// Days an access-log entry is kept when its purpose has no period of its own.
    pub access_log_days: u32,
    /// Days by access purpose (`investigation = 3650`), overriding `access_log_days`.
    pub access_log_days_by_purpose: BTreeMap<String, u32>,
    /// Days a verification is kept when its purpose has no period of its own.
    pub verification_days: u32,
    /// Days by verification purpose (`notary = 3650`), overriding `verification_days`.
    pub verification_days_by_purpose: BTreeMap<String, u32>,
    /// Days a security event is kept in the database.
    pub security_event_days: u32,
    /// Where archive files and their manifest are written; empty = `DATA_DIR/archive`.
    pub archive_dir: Option<PathBuf>,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        RetentionSettings {
            access_log_days: 5 * 365,
            access_log_days_by_purpose: BTreeMap::from([("investigation".to_string(), 10 * 365)]),
            verification_days: 2 * 365,
            verification_days_by_purpose: BTreeMap::new(),
            security_event_days: 365,
            archive_dir: None,
        }
    }
}

/// One table under retention: its name, time column, columns in archive order (`true` = an
/// integer column, else text; text columns may be NULL), and the rows of other tables that go
/// with a row and are deleted with it, not archived (table, column holding the row's id).
/// `sealed`: the rows are sealed in the transparency log (`audit::seal`), whose seals are marked
/// pruned in the deleting transaction, so the citizen's page does not report them as deleted.
struct Table {
    name: &'static str,
    time: &'static str,
    columns: &'static [(&'static str, bool)],
    dependents: &'static [(&'static str, &'static str)],
    sealed: bool,
}

const ACCESS_LOG: Table = Table {
    name: "access_log",
    time: "at",
    columns: &[
        ("id", true),
        ("at", true),
        ("actor_id", false),
        ("actor_label", false),
        ("subject_id", false),
        ("action", false),
        ("purpose", false),
        ("released", false),
        ("channel", false),
        ("case_ref", false),
    ],
    dependents: &[],
    sealed: true,
};

const VERIFICATIONS: Table = Table {
    name: "verifications",
    time: "created_at",
    columns: &[
        ("id", false),
        ("created_at", true),
        ("org_id", false),
        ("actor_id", false),
        ("actor_label", false),
        ("method", false),
        ("purpose", false),
        ("subject_id", false),
        ("outcome", false),
        ("card_status", false),
        ("person_status", false),
        ("assurance", false),
        ("summary", false),
    ],
    // A notary's copy of the chip's face image never outlives its verification, and is not
    // archived: biometric data is kept only as long as the purpose needs it.
    dependents: &[("verification_faces", "verification_id")],
    sealed: false,
};

/// Security events carry pseudonyms, not personal ids; they have no purpose column, so every row
/// has the one period.
const SECURITY_EVENTS: Table = Table {
    name: "security_events",
    time: "at",
    columns: &[
        ("id", true),
        ("at", true),
        ("kind", false),
        ("severity", true),
        ("outcome", false),
        ("subject", false),
        ("client", false),
        ("route", false),
        ("request_id", false),
        ("detail", false),
    ],
    dependents: &[],
    sealed: false,
};

/// What one table's retention did.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Archived {
    pub table: String,
    /// The archive file (absent when nothing was old enough).
    pub file: Option<String>,
    pub rows: u64,
    pub first_at: Option<i64>,
    pub last_at: Option<i64>,
    pub sha256: Option<String>,
}

/// One line of `MANIFEST.jsonl`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ManifestLine {
    pub file: String,
    pub table: String,
    pub rows: u64,
    pub first_at: i64,
    pub last_at: i64,
    pub sha256: String,
    /// SHA-256 of the previous line as written (empty for the first).
    pub previous: String,
    pub created_at: i64,
}

/// Archives and deletes what is past its period in the three tables; `now` is UTC milliseconds.
pub async fn run(db: &Db, settings: &RetentionSettings, dir: &Path, now: i64) -> anyhow::Result<Vec<Archived>> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut done = Vec::new();
    let no_purposes = BTreeMap::new();
    for (table, default_days, by_purpose) in [
        (&ACCESS_LOG, settings.access_log_days, &settings.access_log_days_by_purpose),
        (&VERIFICATIONS, settings.verification_days, &settings.verification_days_by_purpose),
        (&SECURITY_EVENTS, settings.security_event_days, &no_purposes),
    ] {
        let archived = archive_table(db, table, default_days, by_purpose, dir, now).await?;
        if let Some(line) = manifest_line(&archived, dir, now)? {
            append_manifest(dir, line)?;
        }
        done.push(archived);
    }
    Ok(done)
}

/// The rows of `table` past their purpose's period, archived then deleted batch by batch.
async fn archive_table(
    db: &Db,
    table: &Table,
    default_days: u32,
    by_purpose: &BTreeMap<String, u32>,
    dir: &Path,
    now: i64,
) -> anyhow::Result<Archived> {
    let cutoff = |days: u32| now - i64::from(days) * DAY_MS;
    let mut archived =
        Archived { table: table.name.into(), file: None, rows: 0, first_at: None, last_at: None, sha256: None };
    let name = format!("{}-{}.jsonl", table.name, kernel::clock::ms_to_vn(now).format("%Y%m%dT%H%M%S"));
    let path = dir.join(&name);
    let mut file: Option<std::fs::File> = None;
    // The file's SHA-256, taken as it is written rather than by reading it back.
    let mut digest = Sha256::new();
    // Purposes with a period of their own, then every other purpose with the default.
    let mut groups: Vec<(Option<&str>, i64)> = by_purpose.iter().map(|(p, d)| (Some(p.as_str()), cutoff(*d))).collect();
    groups.push((None, cutoff(default_days)));
    let listed: Vec<&str> = by_purpose.keys().map(String::as_str).collect();
    let columns: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
    for (purpose, before) in groups {
        loop {
            let rows = old_rows(db, table, &columns, purpose, &listed, before).await?;
            if rows.is_empty() {
                break;
            }
            if file.is_none() {
                let created = std::fs::OpenOptions::new().create_new(true).append(true).open(&path);
                file = Some(created.with_context(|| format!("cannot create {}", path.display()))?);
            }
            let Some(f) = file.as_mut() else { anyhow::bail!("the archive file {} is not open", path.display()) };
            let mut ids = Vec::with_capacity(rows.len());
            for (id, at, line) in &rows {
                let line = format!("{line}\n");
                f.write_all(line.as_bytes()).with_context(|| format!("cannot write {}", path.display()))?;
                digest.update(line.as_bytes());
                ids.push(id.clone());
                archived.first_at = Some(archived.first_at.map_or(*at, |a| a.min(*at)));
                archived.last_at = Some(archived.last_at.map_or(*at, |a| a.max(*at)));
            }
            f.sync_all().with_context(|| format!("cannot sync {}", path.display()))?;
            delete(db, table, &ids).await?;
            archived.rows += ids.len() as u64;
        }
    }
    if file.is_some() {
        archived.sha256 = Some(hex::encode(digest.finalize()));
        archived.file = Some(name);
    }
    Ok(archived)
}

/// Up to [`BATCH`] rows of `purpose` (or of every purpose not `listed`) older than `before`, oldest
/// first: (id, time, the row as one JSON line).
async fn old_rows(
    db: &Db,
    table: &Table,
    columns: &[&str],
    purpose: Option<&str>,
    listed: &[&str],
    before: i64,
) -> anyhow::Result<Vec<(String, i64, String)>> {
    let (filter, args): (String, Vec<&str>) = match purpose {
        Some(p) => ("purpose = $2".into(), vec![p]),
        None if listed.is_empty() => ("1 = 1".into(), Vec::new()),
        None => {
            let marks: Vec<String> = (0..listed.len()).map(|i| format!("${}", i + 2)).collect();
            (format!("purpose NOT IN ({})", marks.join(", ")), listed.to_vec())
        }
    };
    let sql = format!(
        "SELECT {} FROM {} WHERE {} < $1 AND {filter} ORDER BY {}, id LIMIT {BATCH}",
        columns.join(", "),
        table.name,
        table.time,
        table.time
    );
    let mut q = sqlx::query(&sql).bind(before);
    for a in args {
        q = q.bind(a);
    }
    let mut out = Vec::new();
    for row in q.fetch_all(db.read()).await? {
        let mut object = serde_json::Map::new();
        let (mut id, mut at) = (String::new(), 0_i64);
        for (i, (name, integer)) in table.columns.iter().enumerate() {
            let value = if *integer {
                let v: i64 = row.try_get(i)?;
                serde_json::Value::from(v)
            } else {
                let v: Option<String> = row.try_get(i)?;
                v.map_or(serde_json::Value::Null, serde_json::Value::from)
            };
            if *name == "id" {
                id = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
            }
            if *name == table.time {
                at = value.as_i64().unwrap_or_default();
            }
            object.insert((*name).into(), value);
        }
        out.push((id, at, serde_json::Value::Object(object).to_string()));
    }
    Ok(out)
}

/// Deletes archived rows by id, in one transaction.
async fn delete(db: &Db, table: &Table, ids: &[String]) -> anyhow::Result<()> {
    let integer_ids = table.columns.iter().any(|(c, integer)| *c == "id" && *integer);
    let mut tx = db.begin().await?;
    for chunk in ids.chunks(500) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let marks = marks.join(", ");
        for (dependent, column) in table.dependents {
            let sql = format!("DELETE FROM {dependent} WHERE {column} IN ({marks})");
            let mut d = sqlx::query(&sql);
            for id in chunk {
                d = d.bind(id.as_str());
            }
            d.execute(&mut *tx).await?;
        }
        if table.sealed {
            let ids = chunk.iter().map(|id| id.parse::<i64>().context("archived id")).collect::<Result<Vec<_>, _>>()?;
            audit::seal::mark_pruned(&mut tx, db.backend(), &ids).await?;
        }
        let sql = format!("DELETE FROM {} WHERE id IN ({marks})", table.name);
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = if integer_ids { q.bind(id.parse::<i64>().context("archived id")?) } else { q.bind(id.as_str()) };
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

fn manifest_path(dir: &Path) -> PathBuf {
    dir.join("MANIFEST.jsonl")
}

/// The manifest line of a run's file, chained to the manifest's last line.
fn manifest_line(a: &Archived, dir: &Path, now: i64) -> anyhow::Result<Option<ManifestLine>> {
    let (Some(file), Some(sha256), Some(first_at), Some(last_at)) = (&a.file, &a.sha256, a.first_at, a.last_at) else {
        return Ok(None);
    };
    let previous = match std::fs::read_to_string(manifest_path(dir)) {
        Ok(text) => text.lines().last().map(|l| hex::encode(Sha256::digest(l.as_bytes()))).unwrap_or_default(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e).context("cannot read the archive manifest"),
    };
    Ok(Some(ManifestLine {
        file: file.clone(),
        table: a.table.clone(),
        rows: a.rows,
        first_at,
        last_at,
        sha256: sha256.clone(),
        previous,
        created_at: now,
    }))
}

fn append_manifest(dir: &Path, line: ManifestLine) -> anyhow::Result<()> {
    let path = manifest_path(dir);
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    writeln!(f, "{}", serde_json::to_string(&line)?)?;
    f.sync_all()?;
    Ok(())
}

/// Checks the archive in `dir`: every manifest line chains to the one before, and every file is
/// there with its SHA-256 and row count. Returns the problems found (none = intact).
pub fn verify_manifest(dir: &Path) -> anyhow::Result<Vec<String>> {
    let path = manifest_path(dir);
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {} (no archive has been written there yet?)", path.display()))?;
    let mut problems = Vec::new();
    let mut previous = String::new();
    for (n, raw) in text.lines().enumerate() {
        let line: ManifestLine = serde_json::from_str(raw).with_context(|| format!("manifest line {}", n + 1))?;
        if line.previous != previous {
            problems
                .push(format!("manifest line {}: the chain is broken (a line before it changed or is missing)", n + 1));
        }
        previous = hex::encode(Sha256::digest(raw.as_bytes()));
        match std::fs::read(dir.join(&line.file)) {
            Err(e) => problems.push(format!("{}: {e}", line.file)),
            Ok(bytes) => {
                if hex::encode(Sha256::digest(&bytes)) != line.sha256 {
                    problems.push(format!("{}: SHA-256 differs from the manifest", line.file));
                }
                let rows = bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()).count() as u64;
                if rows != line.rows {
                    problems.push(format!("{}: {rows} rows, the manifest says {}", line.file, line.rows));
                }
            }
        }
    }
    Ok(problems)
}
