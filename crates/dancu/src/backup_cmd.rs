//! `dancu backup DIR`, `dancu backup --verify DIR` and `dancu restore DIR` (docs/OPERATIONS.md,
//! "Backup and restore").
//!
//! On SQLite a backup is a directory with a consistent copy of each of the two database files
//! (`db::backup::snapshot`, taken while the server writes) and `manifest.json`: when and by which
//! version it was made, each file's size and SHA-256, the applied migrations with their checksums
//! and the row count of every table. A backup is checked before it is trusted: the checksums, SQLite's
//! `integrity_check` of each file, and every migration of this binary applied with its checksum.
//! A restore checks first, then replaces the configured files atomically, and only when no process
//! has them open.
//!
//! On PostgreSQL, `pg_dump` and `pg_basebackup` are the tools: both commands print them for the
//! configured database and exit with status [`NOT_ON_POSTGRES`] without doing anything.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::mpsc::{channel, RecvTimeoutError};
use std::time::Duration;

use anyhow::{bail, Context};
use db::backup::{self, SqliteFiles};
use serde::{Deserialize, Serialize};

/// The manifest's file name in a backup directory.
pub const MANIFEST: &str = "manifest.json";
/// Exit status of `backup` and `restore` on PostgreSQL: nothing was done, the printed commands
/// are the way.
pub const NOT_ON_POSTGRES: i32 = 2;
/// The manifest's layout version.
const FORMAT: u32 = 1;

/// `manifest.json` of a backup.
#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    /// When the copy was taken, RFC 3339 in UTC.
    pub created_at: String,
    pub dancu_version: String,
    pub backend: String,
    pub files: Vec<FileEntry>,
    pub migrations: Vec<MigrationEntry>,
    /// Rows of every table of the copy (`logs.` before the logs file's tables).
    pub row_counts: BTreeMap<String, i64>,
}

/// One database file of a backup.
#[derive(Debug, Serialize, Deserialize)]
pub struct FileEntry {
    /// `main` or `logs`.
    pub role: String,
    /// File name in the backup directory (and of the live file).
    pub name: String,
    pub bytes: u64,
    pub sha256: String,
}

/// One applied migration recorded in the copy.
#[derive(Debug, Serialize, Deserialize)]
pub struct MigrationEntry {
    pub module: String,
    pub version: i64,
    pub name: String,
    pub checksum: Option<String>,
}

/// What `backup` or `restore` did.
#[derive(Debug)]
pub enum Outcome {
    /// Done; the summary to print.
    Done(String),
    /// PostgreSQL: nothing done; the commands to run instead.
    Postgres(String),
}

/// Copies the database of `url` into `dir` (created, and refused unless empty), writes the
/// manifest and checks the copy. A copy that does not pass the check is kept (it may still be the
/// best there is) and reported as an error.
pub fn backup(url: &str, dir: &Path, now_ms: i64) -> anyhow::Result<Outcome> {
    let Some(live) = SqliteFiles::of_url(url) else { return Ok(Outcome::Postgres(pg_backup_commands(url, dir))) };
    for f in live.both() {
        if !f.is_file() {
            bail!("no database at {}: nothing to back up", f.display());
        }
    }
    empty_dir(dir)?;
    let copy = live.in_dir(dir);
    let total: u64 = live.all_on_disk().iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum();
    let pb = crate::progress::bytes(total, "copying");
    let mut done = 0;
    for (from, to) in live.both().into_iter().zip(copy.both()) {
        snapshot_shown(from, to, &|n| pb.set_position(done + n))?;
        done += std::fs::metadata(to).map(|m| m.len()).unwrap_or(0);
    }
    pb.finish_and_clear();
    let manifest = describe(&copy, now_ms)?;
    let text = serde_json::to_string_pretty(&manifest)?;
    let tmp = dir.join(format!(".{MANIFEST}.tmp"));
    std::fs::write(&tmp, text).with_context(|| tmp.display().to_string())?;
    std::fs::File::open(&tmp).and_then(|f| f.sync_all()).with_context(|| tmp.display().to_string())?;
    std::fs::rename(&tmp, dir.join(MANIFEST)).with_context(|| dir.display().to_string())?;
    backup::sync_dir(dir)?;
    let problems = check_copy(&copy);
    if !problems.is_empty() {
        bail!(not_verified(dir, &problems));
    }
    let sizes: Vec<String> = manifest.files.iter().map(|f| format!("{} ({} bytes)", f.name, f.bytes)).collect();
    Ok(Outcome::Done(format!(
        "backup written to {} and verified: {}, {} migrations",
        dir.display(),
        sizes.join(", "),
        manifest.migrations.len()
    )))
}

/// The problems of the backup in `dir`; empty when it can be restored.
pub fn problems(dir: &Path) -> Vec<String> {
    read_and_verify(dir).1
}

/// `dancu backup --verify DIR`: an error listing every problem of the backup, if any.
pub fn verify(dir: &Path) -> anyhow::Result<String> {
    let problems = problems(dir);
    if !problems.is_empty() {
        bail!(not_verified(dir, &problems));
    }
    Ok(format!("the backup in {} verifies", dir.display()))
}

/// Replaces the SQLite files of `url` with the backup in `dir`, after checking it. Refused when a
/// file of the database exists (unless `force`) or is open in another process.
pub fn restore(url: &str, dir: &Path, force: bool) -> anyhow::Result<Outcome> {
    let Some(target) = SqliteFiles::of_url(url) else { return Ok(Outcome::Postgres(pg_restore_commands(url, dir))) };
    let (manifest, problems) = read_and_verify(dir);
    let Some(manifest) = manifest.filter(|_| problems.is_empty()) else {
        bail!("{}\nNothing was restored.", not_verified(dir, &problems));
    };
    let present: Vec<String> =
        target.all_on_disk().into_iter().filter(|p| p.exists()).map(|p| p.display().to_string()).collect();
    if !present.is_empty() && !force {
        bail!(
            "the database exists ({}): restoring replaces it. Stop the server, keep a copy of the current files if \
             they matter, and run again with --force. Nothing was restored.",
            present.join(", ")
        );
    }
    // Held until the new files are in place.
    let mut locks = Vec::new();
    for f in target.both().into_iter().filter(|f| f.exists()) {
        locks.push(backup::lock_out(f)?);
    }
    // Logs left beside a missing file (or a file SQLite could not read) would be replayed onto
    // the restored one.
    for side in target.all_on_disk().into_iter().filter(|p| !target.both().contains(&p.as_path())) {
        if side.exists() {
            std::fs::remove_file(&side).with_context(|| side.display().to_string())?;
        }
    }
    if let Some(parent) = target.main.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| parent.display().to_string())?;
    }
    // The logs file first: a restore stopped half-way leaves the main file as it was.
    for (role, dest) in [("logs", &target.logs), ("main", &target.main)] {
        let entry = manifest.files.iter().find(|f| f.role == role).context("the manifest lists no such file")?;
        let pb = crate::progress::bytes(entry.bytes, &format!("restoring {}", entry.name));
        let sha = backup::place(&dir.join(&entry.name), dest, &|n| pb.set_position(n))?;
        pb.finish_and_clear();
        if sha != entry.sha256 {
            bail!(
                "{} was not written as it was read (SHA-256 differs): check the disk and restore again",
                dest.display()
            );
        }
    }
    drop(locks);
    Ok(Outcome::Done(format!(
        "restored {} (backup of {}, dancu {}) from {}",
        target.main.display(),
        manifest.created_at,
        manifest.dancu_version,
        dir.display()
    )))
}

/// Creates `dir`, or accepts it when it exists and is empty: a backup never mixes with other files.
fn empty_dir(dir: &Path) -> anyhow::Result<()> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                bail!("{} is not empty: give a new or empty directory for the backup", dir.display());
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir).with_context(|| dir.display().to_string())
        }
        Err(e) => Err(e).with_context(|| dir.display().to_string()),
    }
}

/// [`backup::snapshot`] on a thread, with the growing size of the copy reported to `shown`: one
/// `VACUUM INTO` statement says nothing of its progress.
fn snapshot_shown(from: &Path, to: &Path, shown: &dyn Fn(u64)) -> anyhow::Result<()> {
    let (tx, rx) = channel();
    std::thread::scope(|s| {
        s.spawn(move || {
            let _ = tx.send(backup::snapshot(from, to));
        });
        loop {
            match rx.recv_timeout(Duration::from_millis(200)) {
                Ok(done) => return done.map_err(anyhow::Error::from),
                Err(RecvTimeoutError::Timeout) => shown(std::fs::metadata(to).map(|m| m.len()).unwrap_or(0)),
                Err(RecvTimeoutError::Disconnected) => bail!("the copy of {} stopped", from.display()),
            }
        }
    })
}

/// The manifest of the copy `copy`: checksums, migrations and row counts read from the copy
/// itself, so they describe exactly what was written.
fn describe(copy: &SqliteFiles, now_ms: i64) -> anyhow::Result<Manifest> {
    let mut files = Vec::new();
    for (role, path) in [("main", &copy.main), ("logs", &copy.logs)] {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        let pb = crate::progress::bytes(size, &format!("checksum of {name}"));
        let (bytes, sha256) = backup::sha256(path, &|n| pb.set_position(n))?;
        pb.finish_and_clear();
        files.push(FileEntry { role: role.into(), name, bytes, sha256 });
    }
    let conn = backup::open_copy(copy)?;
    let state = db::sqlite_schema_state(&conn)?;
    let mut migrations: Vec<MigrationEntry> = state
        .applied
        .unwrap_or_default()
        .into_iter()
        .map(|a| MigrationEntry { module: a.module, version: a.version, name: a.name, checksum: a.checksum })
        .collect();
    migrations.sort_by(|a, b| (&a.module, a.version).cmp(&(&b.module, b.version)));
    let created_at = chrono::DateTime::from_timestamp_millis(now_ms)
        .context("the clock is out of range")?
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    Ok(Manifest {
        format: FORMAT,
        created_at,
        dancu_version: env!("CARGO_PKG_VERSION").into(),
        backend: "sqlite".into(),
        files,
        migrations,
        row_counts: backup::row_counts(&conn)?,
    })
}

/// The manifest of `dir` (when it can be read) and every problem of the backup.
fn read_and_verify(dir: &Path) -> (Option<Manifest>, Vec<String>) {
    let path = dir.join(MANIFEST);
    let manifest: Manifest = match std::fs::read_to_string(&path) {
        Err(e) => return (None, vec![format!("{}: {e}", path.display())]),
        Ok(text) => match serde_json::from_str(&text) {
            Ok(m) => m,
            Err(e) => return (None, vec![format!("{}: not a backup manifest: {e}", path.display())]),
        },
    };
    let mut problems = Vec::new();
    if manifest.format != FORMAT || manifest.backend != "sqlite" {
        problems.push(format!(
            "{}: format {} of backend {}; this dancu reads format {FORMAT} of sqlite",
            path.display(),
            manifest.format,
            manifest.backend
        ));
        return (Some(manifest), problems);
    }
    let mut copy = Vec::new();
    for role in ["main", "logs"] {
        let Some(entry) = manifest.files.iter().find(|f| f.role == role) else {
            problems.push(format!("{}: no {role} file listed", path.display()));
            continue;
        };
        // A plain file name: the manifest must not point outside the backup.
        if Path::new(&entry.name).file_name().is_none_or(|n| n != entry.name.as_str()) {
            problems.push(format!("{}: {role} file {:?} is not a plain file name", path.display(), entry.name));
            continue;
        }
        let file = dir.join(&entry.name);
        if !file.is_file() {
            problems.push(format!("{}: missing", file.display()));
            continue;
        }
        let pb = crate::progress::bytes(entry.bytes, &format!("checksum of {}", entry.name));
        let hashed = backup::sha256(&file, &|n| pb.set_position(n));
        pb.finish_and_clear();
        match hashed {
            Err(e) => problems.push(e.to_string()),
            Ok((bytes, _)) if bytes != entry.bytes => {
                problems.push(format!("{}: {bytes} bytes, the manifest says {}", file.display(), entry.bytes))
            }
            Ok((_, sha)) if sha != entry.sha256 => problems.push(format!(
                "{}: SHA-256 differs from the manifest (the file changed after the backup was taken)",
                file.display()
            )),
            Ok(_) => {}
        }
        copy.push(file);
    }
    if let [main, logs] = copy.as_slice() {
        problems.extend(check_copy(&SqliteFiles { main: main.clone(), logs: logs.clone() }));
    }
    (Some(manifest), problems)
}

/// SQLite's integrity check of both files, then the schema against this binary's migrations.
fn check_copy(copy: &SqliteFiles) -> Vec<String> {
    let mut problems: Vec<String> = Vec::new();
    for f in copy.both() {
        problems.extend(backup::integrity_problems(f).into_iter().map(|p| format!("{}: {p}", f.display())));
    }
    if !problems.is_empty() {
        return problems;
    }
    let state = backup::open_copy(copy)
        .map_err(anyhow::Error::from)
        .and_then(|conn| db::sqlite_schema_state(&conn).map_err(anyhow::Error::from));
    match state {
        Ok(state) => crate::migrations()
            .problems(db::Backend::Sqlite, &state)
            .into_iter()
            .map(|p| format!("{}: {p}", copy.main.display()))
            .collect(),
        Err(e) => vec![format!("{}: {e:#}", copy.main.display())],
    }
}

fn not_verified(dir: &Path, problems: &[String]) -> String {
    let list: Vec<String> = problems.iter().map(|p| format!("  - {p}")).collect();
    format!("the backup in {} does not verify ({} problem(s)):\n{}", dir.display(), problems.len(), list.join("\n"))
}

/// A word for a POSIX shell, in single quotes.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The URL for PostgreSQL's tools, without its password (which they read from `PGPASSWORD` or
/// `~/.pgpass`), and whether it had one.
fn tool_url(url: &str) -> (String, bool) {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(None);
            (u.to_string(), true)
        }
        _ => (url.to_string(), false),
    }
}

fn password_note(had_password: bool) -> &'static str {
    if had_password {
        "\nThe password is not printed: give it to the tools with PGPASSWORD or ~/.pgpass.\n"
    } else {
        ""
    }
}

fn pg_backup_commands(url: &str, dir: &Path) -> String {
    let (url, had_password) = tool_url(url);
    let (q_url, q_dir) = (sh_quote(&url), sh_quote(&dir.display().to_string()));
    let dump = sh_quote(&dir.join("dancu.dump").display().to_string());
    let base = sh_quote(&dir.join("base").display().to_string());
    format!(
        "The database is PostgreSQL: `dancu backup` copies SQLite files only, and wrote nothing.\n\
         Back it up with PostgreSQL's tools (docs/OPERATIONS.md, \"Backup and restore\"):\n\n\
         \x20 # a consistent logical dump, taken while the server runs\n\
         \x20 mkdir -p {q_dir}\n\
         \x20 pg_dump --format=custom --file={dump} {q_url}\n\
         \x20 pg_restore --list {dump} > /dev/null    # the archive reads back\n\n\
         \x20 # or a physical base backup, for point-in-time recovery with WAL archiving\n\
         \x20 pg_basebackup --dbname={q_url} --pgdata={base} --format=tar --gzip --wal-method=stream --checkpoint=fast --progress\n{}",
        password_note(had_password)
    )
}

fn pg_restore_commands(url: &str, dir: &Path) -> String {
    let (url, had_password) = tool_url(url);
    let q_url = sh_quote(&url);
    let dump = sh_quote(&dir.join("dancu.dump").display().to_string());
    format!(
        "The database is PostgreSQL: `dancu restore` puts SQLite files back only, and changed nothing.\n\
         Restore a pg_dump archive with PostgreSQL's tools, the server stopped (docs/OPERATIONS.md, \"Backup and restore\"):\n\n\
         \x20 pg_restore --list {dump} > /dev/null\n\
         \x20 pg_restore --clean --if-exists --no-owner --exit-on-error --single-transaction --dbname={q_url} {dump}\n\
         \x20 dancu migrate --database-url {q_url}    # a dump of an older version gets the newer migrations\n{}",
        password_note(had_password)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_commands_name_the_database_without_its_password() {
        let text = pg_backup_commands("postgres://app:hunter2@db.internal:5432/dancu", Path::new("/backups/it's"));
        assert!(
            text.contains(
                "pg_dump --format=custom --file='/backups/it'\\''s/dancu.dump' 'postgres://app@db.internal:5432/dancu'"
            ),
            "{text}"
        );
        assert!(text.contains("pg_basebackup --dbname='postgres://app@db.internal:5432/dancu'"), "{text}");
        assert!(!text.contains("hunter2") && text.contains("PGPASSWORD"), "{text}");
        let text = pg_restore_commands("postgres://app@db/dancu", Path::new("/b"));
        assert!(text.contains("pg_restore --clean --if-exists --no-owner --exit-on-error --single-transaction --dbname='postgres://app@db/dancu' '/b/dancu.dump'"), "{text}");
        assert!(!text.contains("PGPASSWORD"));
    }
}
