//! Sealing the access log into the transparency log (`translog`), so that a row deleted or changed
//! in the access log is detected — on the citizen's own page and by the administrators' checks.
//!
//! Why a seal and not the row itself in the tree: the tree's entries are public (members check
//! their exchanges against them), and an access-log row names a citizen. So each row becomes a leaf
//! holding only codes and keyed digests ([`SealLeaf`]): the row's id and time, its purpose, the
//! subject's pseudonym and a keyed digest of the whole row, both under the platform's pseudonym
//! key (`security::Pseudonymizer`), so nobody without the key can test a guess of who was read.
//!
//! The sealer runs beside the access-log writer ([`spawn`]), taking the rows committed since its
//! last batch in id order; a row is sealed within about a second of its commit, and the reader
//! never waits for it. `access_seals` maps rows to leaves and keeps the subject pseudonym, so one
//! citizen's leaves are found without reading the tree. What each check can find:
//! - a sealed row deleted: its leaf remains, the row does not ([`Finding::Deleted`]), unless
//!   retention pruned it, which marks the seal `pruned` in the same transaction;
//! - a sealed row changed: its digest no longer matches the leaf ([`Finding::Altered`]);
//! - a row slipped in below the sealer's mark, which the sealer never takes ([`Finding::Unsealed`]);
//! - a leaf or seal deleted or changed: the tree no longer matches its signed heads
//!   (`translog::verify_log`, run by `dancu log verify`).

use std::collections::HashMap;
use std::time::Duration;

use db::sqlx::{self, Row};
use db::{Backend, Db};
use kernel::AppError;
use serde::{Deserialize, Serialize};

use crate::security::{Kind, Origin, Pseudonymizer, SecurityEvent};
use crate::Stores;

/// The entry format of access-log seals in the transparency log.
pub const LEAF_TYPE: &str = "dancu.access.v1";

/// Rows sealed per transaction at most.
const BATCH: i64 = 2_000;

/// What the transparency log holds of one access-log row. Fields in a fixed order, so one row
/// always gives the same bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealLeaf {
    /// [`LEAF_TYPE`].
    #[serde(rename = "type")]
    pub kind: String,
    /// The access-log row's id.
    pub id: i64,
    /// When the access happened (UTC milliseconds).
    pub at: i64,
    /// The access purpose code (retention depends on it).
    pub purpose: String,
    /// Keyed pseudonym of the citizen read.
    pub subject: String,
    /// Keyed digest of the whole row ([`digest`]).
    pub digest: String,
}

/// An access-log row as sealed: every column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct SealedRow {
    id: i64,
    at: i64,
    actor_id: String,
    actor_label: String,
    subject_id: String,
    action: String,
    purpose: String,
    released: String,
    channel: String,
    case_ref: Option<String>,
}

const ROW_COLUMNS: &str =
    "a.id, a.at, a.actor_id, a.actor_label, a.subject_id, a.action, a.purpose, a.released, a.channel, a.case_ref";

/// Reads a row's columns starting at column `from`.
fn row_at(r: &db::Row, from: usize) -> Result<SealedRow, AppError> {
    Ok(SealedRow {
        id: r.try_get(from)?,
        at: r.try_get(from + 1)?,
        actor_id: r.try_get(from + 2)?,
        actor_label: r.try_get(from + 3)?,
        subject_id: r.try_get(from + 4)?,
        action: r.try_get(from + 5)?,
        purpose: r.try_get(from + 6)?,
        released: r.try_get(from + 7)?,
        channel: r.try_get(from + 8)?,
        case_ref: r.try_get(from + 9)?,
    })
}

/// The keyed digest of a row: the pseudonym of its canonical JSON.
fn digest(keys: &Pseudonymizer, row: &SealedRow) -> Result<String, AppError> {
    Ok(keys.pseudonym(&serde_json::to_string(row)?))
}

fn leaf_of(keys: &Pseudonymizer, row: &SealedRow) -> Result<SealLeaf, AppError> {
    Ok(SealLeaf {
        kind: LEAF_TYPE.into(),
        id: row.id,
        at: row.at,
        purpose: row.purpose.clone(),
        subject: keys.pseudonym(&row.subject_id),
        digest: digest(keys, row)?,
    })
}

/// Seals every row committed and not yet sealed, in batches; returns how many were sealed.
pub async fn seal_pending(db: &Db, keys: &Pseudonymizer, now: i64) -> Result<u64, AppError> {
    let mut sealed = 0u64;
    loop {
        let n = seal_batch(db, keys, now).await?;
        sealed += n;
        if n < BATCH as u64 {
            return Ok(sealed);
        }
    }
}

/// One batch: the next rows after the highest sealed id, their leaves appended and their seals
/// stored in one transaction. A second sealer racing on the same rows fails on the seals' key and
/// rolls its leaves back with it.
async fn seal_batch(db: &Db, keys: &Pseudonymizer, now: i64) -> Result<u64, AppError> {
    let mark = sealed_mark(db).await?;
    let rows = sqlx::query(&format!("SELECT {ROW_COLUMNS} FROM access_log a WHERE a.id > $1 ORDER BY a.id LIMIT $2"))
        .bind(mark)
        .bind(BATCH)
        .fetch_all(db.read())
        .await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let mut leaves = Vec::with_capacity(rows.len());
    let mut entries = Vec::with_capacity(rows.len());
    for r in &rows {
        let leaf = leaf_of(keys, &row_at(r, 0)?)?;
        entries.push(translog::store::NewEntry { data: serde_json::to_vec(&leaf)?, at: now });
        leaves.push(leaf);
    }
    let mut tx = db.begin().await?;
    let first = translog::store::append_in(&mut tx, db.backend(), &entries).await?;
    for (chunk_no, chunk) in leaves.chunks(300).enumerate() {
        let sql = format!(
            "INSERT INTO access_seals (access_id, log_index, subject) VALUES {}",
            db::values(db.backend(), chunk.len(), 3)
        );
        let mut q = sqlx::query(&sql);
        for (i, leaf) in chunk.iter().enumerate() {
            let index = first + (chunk_no * 300 + i) as u64;
            q = q.bind(leaf.id).bind(to_i64(index)?).bind(&leaf.subject);
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    metrics::counter!("dancu_access_log_sealed_total").increment(leaves.len() as u64);
    Ok(leaves.len() as u64)
}

/// The highest row id sealed (0 before the first): the sealer takes the rows above it.
async fn sealed_mark(db: &Db) -> Result<i64, AppError> {
    Ok(sqlx::query("SELECT COALESCE(MAX(access_id), 0) FROM access_seals").fetch_one(db.read()).await?.try_get(0)?)
}

fn to_i64(n: u64) -> Result<i64, AppError> {
    i64::try_from(n).map_err(|e| AppError::internal_from("log index out of range", e))
}

/// Seals new rows every `period` and checks the whole access log for deleted rows every `check`,
/// recording a security event (severity alert) when the count of findings grows.
pub fn spawn(
    stores: Stores,
    clock: kernel::clock::Clock,
    period: Duration,
    check: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let keys = stores.security.pseudonymizer().clone();
        let mut tick = tokio::time::interval(period);
        let mut last_check: Option<tokio::time::Instant> = None;
        let mut reported = 0u64;
        loop {
            tick.tick().await;
            if let Err(e) = seal_pending(&stores.db, &keys, clock()).await {
                tracing::warn!(error = %e, "sealing the access log failed; retrying at the next period");
                continue;
            }
            if last_check.is_some_and(|t| t.elapsed() < check) {
                continue;
            }
            last_check = Some(tokio::time::Instant::now());
            match check_all(&stores.db, &keys, &mut |_| {}).await {
                Ok(report) => {
                    let found = report.findings.len() as u64 + report.more_findings;
                    if found > reported {
                        tracing::error!(findings = found, "the access log has rows deleted, changed or unsealed");
                        stores.security.record(
                            SecurityEvent::new(Kind::AccessLogTampered, format!("access_log findings={found}")),
                            Origin::system(clock()),
                        );
                    }
                    reported = found;
                }
                Err(e) => tracing::warn!(error = %e, "checking the access log's seals failed"),
            }
        }
    })
}

/// Something a check found wrong with a sealed row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "finding", rename_all = "snake_case")]
pub enum Finding {
    /// The row is gone but its leaf says it existed, and retention did not prune it.
    Deleted { access_id: i64, at: i64, purpose: String, log_index: u64 },
    /// The row no longer matches the digest sealed in its leaf.
    Altered { access_id: i64, at: i64, log_index: u64 },
    /// The row's leaf is missing or is not this row's (the seal points elsewhere).
    BadSeal { access_id: i64, log_index: u64 },
    /// A row below the sealer's mark that has no seal: inserted past the writer.
    Unsealed { access_id: i64, at: i64 },
}

/// What a check of sealed rows found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Rows whose leaf matches.
    pub verified: u64,
    /// Seals of rows that retention deleted.
    pub pruned: u64,
    /// Rows newer than the sealer's mark (sealed within a second).
    pub pending: u64,
    pub findings: Vec<Finding>,
    /// Findings beyond the first [`MAX_FINDINGS`], counted only.
    pub more_findings: u64,
}

/// Findings kept in a report; the rest are counted.
pub const MAX_FINDINGS: usize = 1_000;

impl Report {
    pub fn ok(&self) -> bool {
        self.findings.is_empty() && self.more_findings == 0
    }

    fn find(&mut self, f: Finding) {
        if self.findings.len() < MAX_FINDINGS {
            self.findings.push(f);
        } else {
            self.more_findings += 1;
        }
    }

    /// Compares one seal (with its leaf, when stored, and its row, when present).
    fn compare(
        &mut self,
        keys: &Pseudonymizer,
        seal: (i64, u64, bool),
        leaf: Option<&[u8]>,
        row: Option<&SealedRow>,
    ) -> Result<(), AppError> {
        let (access_id, log_index, pruned) = seal;
        let Some(leaf) = leaf.and_then(|l| serde_json::from_slice::<SealLeaf>(l).ok()).filter(|l| l.id == access_id)
        else {
            self.find(Finding::BadSeal { access_id, log_index });
            return Ok(());
        };
        match row {
            None if pruned => self.pruned += 1,
            None => self.find(Finding::Deleted { access_id, at: leaf.at, purpose: leaf.purpose, log_index }),
            Some(row) if digest(keys, row)? == leaf.digest && keys.pseudonym(&row.subject_id) == leaf.subject => {
                self.verified += 1;
            }
            Some(row) => self.find(Finding::Altered { access_id, at: row.at, log_index }),
        }
        Ok(())
    }
}

/// Rows below the sealer's mark with no seal (`subject` limits to one citizen).
async fn unsealed(db: &Db, report: &mut Report, subject_id: Option<&str>) -> Result<(), AppError> {
    let mark = sealed_mark(db).await?;
    let base = "SELECT a.id, a.at FROM access_log a LEFT JOIN access_seals s ON s.access_id = a.id \
                WHERE s.access_id IS NULL AND a.id <= $1";
    let rows = match subject_id {
        Some(s) => {
            sqlx::query(&format!("{base} AND a.subject_id = $2 ORDER BY a.id LIMIT $3"))
                .bind(mark)
                .bind(s)
                .bind(MAX_FINDINGS as i64 + 1)
                .fetch_all(db.read())
                .await?
        }
        None => {
            sqlx::query(&format!("{base} ORDER BY a.id LIMIT $2"))
                .bind(mark)
                .bind(MAX_FINDINGS as i64 + 1)
                .fetch_all(db.read())
                .await?
        }
    };
    for r in &rows {
        report.find(Finding::Unsealed { access_id: r.try_get(0)?, at: r.try_get(1)? });
    }
    let pending: i64 = match subject_id {
        Some(s) => sqlx::query("SELECT COUNT(*) FROM access_log a WHERE a.id > $1 AND a.subject_id = $2")
            .bind(mark)
            .bind(s)
            .fetch_one(db.read())
            .await?
            .try_get(0)?,
        None => sqlx::query("SELECT COUNT(*) FROM access_log a WHERE a.id > $1")
            .bind(mark)
            .fetch_one(db.read())
            .await?
            .try_get(0)?,
    };
    report.pending = u64::try_from(pending).unwrap_or(0);
    Ok(())
}

/// Checks one citizen's rows against their seals.
pub async fn check_subject(db: &Db, keys: &Pseudonymizer, subject_id: &str) -> Result<Report, AppError> {
    let mut report = Report::default();
    let seals = sqlx::query(&format!(
        "SELECT s.access_id, s.log_index, s.pruned, {ROW_COLUMNS} FROM access_seals s \
         LEFT JOIN access_log a ON a.id = s.access_id WHERE s.subject = $1 ORDER BY s.access_id"
    ))
    .bind(keys.pseudonym(subject_id))
    .fetch_all(db.read())
    .await?;
    let mut found = Vec::with_capacity(seals.len());
    for r in &seals {
        let log_index = u64::try_from(r.try_get::<i64, _>(1)?).map_err(|e| AppError::internal_from("log index", e))?;
        let present: Option<i64> = r.try_get(3)?;
        let row = present.map(|_| row_at(r, 3)).transpose()?;
        found.push((r.try_get::<i64, _>(0)?, log_index, r.try_get::<i64, _>(2)? != 0, row));
    }
    let indexes: Vec<u64> = found.iter().map(|f| f.1).collect();
    let leaves = translog::store::entries_at(db, &indexes).await?;
    for (access_id, log_index, pruned, row) in &found {
        let leaf = leaves.get(log_index).map(Vec::as_slice);
        report.compare(keys, (*access_id, *log_index, *pruned), leaf, row.as_ref())?;
    }
    unsealed(db, &mut report, Some(subject_id)).await?;
    Ok(report)
}

/// Checks the whole access log: every access leaf of the transparency log, in batches, against its
/// seal and its row (so a row deleted together with its seal is still found), then the rows with
/// no seal. `progress` gets the number of log entries read so far.
pub async fn check_all(
    db: &Db,
    keys: &Pseudonymizer,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<Report, AppError> {
    let mut report = Report::default();
    let mut from = 0u64;
    loop {
        let entries = translog::store::entries(db, from, 5_000).await?;
        let Some(last) = entries.last() else { break };
        from = last.index + 1;
        let leaves: Vec<(u64, SealLeaf, &[u8])> = entries
            .iter()
            .filter_map(|e| {
                let leaf = serde_json::from_slice::<SealLeaf>(&e.data).ok().filter(|l| l.kind == LEAF_TYPE)?;
                Some((e.index, leaf, e.data.as_slice()))
            })
            .collect();
        let ids: Vec<i64> = leaves.iter().map(|(_, l, _)| l.id).collect();
        let seals = seals_of(db, &ids).await?;
        let rows = rows_of(db, &ids).await?;
        for (index, leaf, data) in &leaves {
            match seals.get(&leaf.id) {
                Some(&(log_index, pruned)) if log_index == *index => {
                    report.compare(keys, (leaf.id, log_index, pruned), Some(data), rows.get(&leaf.id))?;
                }
                // The seal is gone or points elsewhere: a row still present cannot be proven.
                _ if rows.contains_key(&leaf.id) => {
                    report.find(Finding::BadSeal { access_id: leaf.id, log_index: *index })
                }
                _ => report.compare(keys, (leaf.id, *index, false), Some(data), None)?,
            }
        }
        progress(from);
    }
    unsealed(db, &mut report, None).await?;
    Ok(report)
}

/// The seals (log index, pruned) of the given rows.
async fn seals_of(db: &Db, ids: &[i64]) -> Result<HashMap<i64, (u64, bool)>, AppError> {
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT access_id, log_index, pruned FROM access_seals WHERE access_id IN {}",
            db::values(db.backend(), 1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(id);
        }
        for r in q.fetch_all(db.read()).await? {
            let idx: i64 = r.try_get(1)?;
            let pruned: i64 = r.try_get(2)?;
            out.insert(
                r.try_get(0)?,
                (u64::try_from(idx).map_err(|e| AppError::internal_from("log index", e))?, pruned != 0),
            );
        }
    }
    Ok(out)
}

/// The rows of the given ids that are present.
async fn rows_of(db: &Db, ids: &[i64]) -> Result<HashMap<i64, SealedRow>, AppError> {
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM access_log a WHERE a.id IN {}",
            db::values(db.backend(), 1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(id);
        }
        for r in q.fetch_all(db.read()).await? {
            let row = row_at(&r, 0)?;
            out.insert(row.id, row);
        }
    }
    Ok(out)
}

/// How many rows are sealed (pruned ones included).
pub async fn sealed_count(db: &Db) -> Result<u64, AppError> {
    let n: i64 = sqlx::query("SELECT COUNT(*) FROM access_seals").fetch_one(db.read()).await?.try_get(0)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Marks the seals of rows retention deleted (inside its transaction): their leaves stay, so the
/// tree still verifies, and the deletion is known to be lawful.
pub async fn mark_pruned(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    backend: Backend,
    access_ids: &[i64],
) -> Result<(), AppError> {
    for chunk in access_ids.chunks(500) {
        let sql =
            format!("UPDATE access_seals SET pruned = 1 WHERE access_id IN {}", db::values(backend, 1, chunk.len()));
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(id);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Where a row stands in the transparency log, for the citizen's page and proof download.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Sealed {
    /// Not sealed yet (the sealer takes new rows within a second).
    Pending,
    /// Sealed at `log_index`, after the newest signed head: provable once the next head is signed.
    AwaitingHead { log_index: u64 },
    /// Sealed, and the leaf's inclusion in the signed head's tree was checked with `path`.
    Proven {
        log_index: u64,
        /// The leaf's bytes (a [`SealLeaf`] as JSON).
        #[serde(serialize_with = "b64")]
        leaf: Vec<u8>,
        /// The RFC 9162 audit path, leaf to root.
        #[serde(serialize_with = "b64_all")]
        path: Vec<translog::Hash>,
        /// Whether the path leads from the leaf to the head's root.
        verified: bool,
    },
}

fn b64<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    use base64::Engine;
    s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
}

fn b64_all<S: serde::Serializer>(hashes: &[translog::Hash], s: S) -> Result<S::Ok, S::Error> {
    use base64::Engine;
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(hashes.len()))?;
    for h in hashes {
        seq.serialize_element(&base64::engine::general_purpose::STANDARD.encode(h))?;
    }
    seq.end()
}

/// The seal of each row of `access_ids`, proven against `head` (the newest signed head) where the
/// head covers it.
pub async fn prove(
    db: &Db,
    access_ids: &[i64],
    head: Option<&translog::SignedHead>,
) -> Result<HashMap<i64, Sealed>, AppError> {
    let indexes = seals_of(db, access_ids).await?;
    let covered: Vec<u64> = match head {
        Some(h) => indexes.values().map(|(i, _)| *i).filter(|i| *i < h.tree_size).collect(),
        None => Vec::new(),
    };
    let mut leaves = translog::store::entries_at(db, &covered).await?;
    let mut out = HashMap::with_capacity(access_ids.len());
    for id in access_ids {
        let state = match (indexes.get(id), head) {
            (None, _) => Sealed::Pending,
            (Some(&(log_index, _)), Some(h)) if log_index < h.tree_size => {
                let leaf = leaves.remove(&log_index).unwrap_or_default();
                let path = translog::store::inclusion(db, log_index, h.tree_size).await?.unwrap_or_default();
                let verified = !leaf.is_empty()
                    && translog::merkle::verify_inclusion(
                        log_index,
                        h.tree_size,
                        &translog::merkle::leaf_hash(&leaf),
                        &path,
                        &h.root_hash,
                    );
                Sealed::Proven { log_index, leaf, path, verified }
            }
            (Some(&(log_index, _)), _) => Sealed::AwaitingHead { log_index },
        };
        out.insert(*id, state);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AccessEntry, AccessLog};

    fn keys() -> Pseudonymizer {
        Pseudonymizer::new(&[7u8; 32]).unwrap()
    }

    fn entry(at: i64, subject: &str) -> AccessEntry {
        AccessEntry {
            at,
            actor_id: "officer-1".into(),
            actor_label: "Công an xã".into(),
            subject_id: subject.into(),
            action: "person.read".into(),
            purpose: "administration".into(),
            released: "full_name".into(),
            channel: "web".into(),
        }
    }

    async fn ids_of(db: &Db, subject: &str) -> Vec<i64> {
        sqlx::query("SELECT id FROM access_log WHERE subject_id = $1 ORDER BY id")
            .bind(subject)
            .fetch_all(db.read())
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    }

    /// Rows are sealed once, in order; a deleted, a changed and a slipped-in row are each found
    /// (on the citizen's check and the whole-log check), a pruned one is not, and the other
    /// citizen's log stays clean.
    async fn tampering_is_found(db: Db) {
        let (a, b) = ("001090000001", "001090000002");
        let log = AccessLog::start(db.clone());
        for i in 0..5 {
            log.record(entry(1_000 + i, a)).await.unwrap();
        }
        log.record(entry(2_000, b)).await.unwrap();
        let k = keys();
        assert_eq!(seal_pending(&db, &k, 9_000).await.unwrap(), 6);
        assert_eq!(seal_pending(&db, &k, 9_001).await.unwrap(), 0, "nothing is sealed twice");
        assert_eq!(translog::store::size(&db).await.unwrap(), 6);
        let clean = check_subject(&db, &k, a).await.unwrap();
        assert!(clean.ok() && clean.verified == 5, "{clean:?}");
        let ids = ids_of(&db, a).await;
        let shown = prove(&db, &ids, None).await.unwrap();
        assert!(shown.values().all(|s| matches!(s, Sealed::AwaitingHead { .. })), "no head yet: {shown:?}");

        sqlx::query("DELETE FROM access_log WHERE id = $1").bind(ids[1]).execute(db.write()).await.unwrap();
        sqlx::query("UPDATE access_log SET purpose = 'investigation' WHERE id = $1")
            .bind(ids[2])
            .execute(db.write())
            .await
            .unwrap();
        let mut tx = db.begin().await.unwrap();
        mark_pruned(&mut tx, db.backend(), &[ids[0]]).await.unwrap();
        sqlx::query("DELETE FROM access_log WHERE id = $1").bind(ids[0]).execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
        // A row slipped in below the sealer's mark, past the writer (id 0 is never given out).
        let overriding = if db.backend() == db::Backend::Postgres { "OVERRIDING SYSTEM VALUE" } else { "" };
        sqlx::query(&format!(
            "INSERT INTO access_log (id, at, actor_id, actor_label, subject_id, action, purpose, released, channel) \
             {overriding} VALUES ($1, 1500, 'x', 'x', $2, 'person.read', 'administration', 'full_name', 'web')"
        ))
        .bind(0i64)
        .bind(b)
        .execute(db.write())
        .await
        .unwrap();

        let report = check_subject(&db, &k, a).await.unwrap();
        assert_eq!((report.verified, report.pruned), (2, 1), "{report:?}");
        assert_eq!(report.findings.len(), 2, "{report:?}");
        assert!(matches!(&report.findings[0], Finding::Deleted { access_id, at: 1_001, .. } if *access_id == ids[1]));
        assert!(matches!(&report.findings[1], Finding::Altered { access_id, .. } if *access_id == ids[2]));
        let other = check_subject(&db, &k, b).await.unwrap();
        assert_eq!(other.verified, 1);
        assert!(matches!(other.findings.as_slice(), [Finding::Unsealed { at: 1_500, .. }]), "{other:?}");
        let all = check_all(&db, &k, &mut |_| {}).await.unwrap();
        assert_eq!((all.verified, all.pruned, all.findings.len()), (3, 1, 3), "{all:?}");
        // Another key cannot make the digests match.
        let stranger = Pseudonymizer::new(&[8u8; 32]).unwrap();
        assert_eq!(check_all(&db, &stranger, &mut |_| {}).await.unwrap().verified, 0);
    }

    db::dual_tests!(crate::query::tests::migrations(); tampering_is_found);
}
