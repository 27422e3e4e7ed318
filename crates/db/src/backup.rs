//! Copies of the SQLite files taken while the server writes, their checks, and putting them back.
//!
//! A copy of the live files with `cp` is not a backup: it misses what is still in the write-ahead
//! log (acknowledged commits that the checkpointer has not copied yet) and can catch a page half
//! written, which makes a malformed database. Copies here go through SQLite itself: [`snapshot`]
//! reads one consistent state of a database and writes it to a new file.
//!
//! PostgreSQL has its own tools (`pg_dump`, `pg_basebackup`); the binary prints the commands.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use rusqlite::{Connection, ErrorCode, OpenFlags};
use sha2::{Digest, Sha256};

use crate::handle::{logs_path, sqlite_path};

/// Errors of copying, checking and restoring SQLite files; each names its file.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: {source}")]
    Sqlite { path: PathBuf, source: rusqlite::Error },
    #[error("{0} is open in another process (a running `dancu serve`?): stop it first")]
    InUse(PathBuf),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io { path: path.to_path_buf(), source }
}

fn sql(path: &Path) -> impl FnOnce(rusqlite::Error) -> BackupError + '_ {
    move |source| BackupError::Sqlite { path: path.to_path_buf(), source }
}

/// The two files of a SQLite database: the main file and the logs file next to it
/// ([`crate::LOGS_SCHEMA`]). They are backed up and restored together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliteFiles {
    pub main: PathBuf,
    pub logs: PathBuf,
}

impl SqliteFiles {
    /// The files of a `sqlite://` URL; `None` for PostgreSQL.
    pub fn of_url(url: &str) -> Option<SqliteFiles> {
        if !url.starts_with("sqlite:") {
            return None;
        }
        let main = sqlite_path(url);
        Some(SqliteFiles { logs: PathBuf::from(logs_path(&main)), main: PathBuf::from(main) })
    }

    /// The files of a backup directory that holds copies of these files under the same names.
    pub fn in_dir(&self, dir: &Path) -> SqliteFiles {
        let name = |p: &Path| p.file_name().map(|n| dir.join(n)).unwrap_or_else(|| dir.to_path_buf());
        SqliteFiles { main: name(&self.main), logs: name(&self.logs) }
    }

    /// Both files, the main one first.
    pub fn both(&self) -> [&Path; 2] {
        [&self.main, &self.logs]
    }

    /// Both files with their write-ahead logs and shared-memory files: what a restore replaces.
    pub fn all_on_disk(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for f in self.both() {
            out.push(f.to_path_buf());
            for side in ["-wal", "-shm", "-journal"] {
                let mut name = f.as_os_str().to_owned();
                name.push(side);
                out.push(PathBuf::from(name));
            }
        }
        out
    }
}

/// Writes one consistent state of the SQLite database at `source` into the new file `dest`, while
/// other processes keep writing to it, then syncs `dest` to disk.
///
/// `VACUUM INTO` rather than the online backup API: it copies inside one read transaction, so it
/// sees a snapshot (everything committed when it starts, including what is still in the
/// write-ahead log) and writers go on meanwhile. The backup API instead copies a number of pages
/// per step and starts over when another connection writes between steps; under the server's
/// steady stream of commits (`sqlite3 .backup` uses it) it never finished. `VACUUM INTO` also
/// leaves the copy compact and in rollback-journal mode, a single self-contained file. Its cost:
/// the write-ahead log cannot be checkpointed past the snapshot while it runs, so it grows by what
/// is written during the copy and is truncated afterwards.
pub fn snapshot(source: &Path, dest: &Path) -> Result<(), BackupError> {
    let conn = Connection::open_with_flags(source, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(sql(source))?;
    conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(sql(source))?;
    let target = dest.to_str().ok_or_else(|| {
        io(dest)(std::io::Error::new(std::io::ErrorKind::InvalidInput, "the backup path is not valid UTF-8"))
    })?;
    conn.execute("VACUUM INTO ?1", [target]).map_err(sql(source))?;
    drop(conn);
    File::open(dest).and_then(|f| f.sync_all()).map_err(io(dest))
}

/// Syncs a directory, so that files created or renamed in it survive a crash.
pub fn sync_dir(dir: &Path) -> Result<(), BackupError> {
    File::open(dir).and_then(|f| f.sync_all()).map_err(io(dir))
}

/// The size and hex SHA-256 of a file; `progress` receives the bytes read so far.
pub fn sha256(path: &Path, progress: &dyn Fn(u64)) -> Result<(u64, String), BackupError> {
    let mut file = File::open(path).map_err(io(path))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(io(path))?;
        let Some(chunk) = buf.get(..n).filter(|c| !c.is_empty()) else { break };
        hasher.update(chunk);
        total += n as u64;
        progress(total);
    }
    Ok((total, hex::encode(hasher.finalize())))
}

/// Opens a copy read-only: checking it must not change it (a read-write open of a database in
/// rollback-journal mode changes nothing either, but read-only says so).
fn open_read_only(path: &Path) -> Result<Connection, BackupError> {
    Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(sql(path))
}

/// `PRAGMA integrity_check` of a file: the problems it reports, empty when the file is sound. A
/// file SQLite cannot read at all is one problem.
pub fn integrity_problems(path: &Path) -> Vec<String> {
    let check = || -> Result<Vec<String>, BackupError> {
        let conn = open_read_only(path)?;
        let mut stmt = conn.prepare("PRAGMA integrity_check").map_err(sql(path))?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(sql(path))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(sql(path))
    };
    match check() {
        Ok(lines) => lines.into_iter().filter(|l| l != "ok").collect(),
        Err(e) => vec![e.to_string()],
    }
}

/// A read-only connection to a copied main file with its logs file attached as
/// [`crate::LOGS_SCHEMA`] (read-only too: attached files take the connection's open flags), for
/// [`crate::sqlite_schema_state`] and [`row_counts`].
pub fn open_copy(files: &SqliteFiles) -> Result<Connection, BackupError> {
    let conn = open_read_only(&files.main)?;
    let logs = files.logs.to_str().ok_or_else(|| {
        io(&files.logs)(std::io::Error::new(std::io::ErrorKind::InvalidInput, "the path is not valid UTF-8"))
    })?;
    conn.execute(&format!("ATTACH DATABASE ?1 AS {}", crate::LOGS_SCHEMA), [logs]).map_err(sql(&files.logs))?;
    Ok(conn)
}

/// The number of rows of every table of a connection from [`open_copy`], keyed like
/// [`crate::SchemaState::tables`] (`logs.` before the logs file's tables).
pub fn row_counts(conn: &Connection) -> rusqlite::Result<BTreeMap<String, i64>> {
    let mut counts = BTreeMap::new();
    for (schema, prefix) in [("main", ""), (crate::LOGS_SCHEMA, "logs.")] {
        let mut stmt = conn.prepare(&format!(
            "SELECT name FROM {schema}.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
        ))?;
        let names = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
        for name in names {
            // A name read from the schema, quoted as an identifier: names cannot be bound.
            let quoted = name.replace('"', "\"\"");
            let n: i64 = conn.query_row(&format!("SELECT COUNT(*) FROM {schema}.\"{quoted}\""), [], |r| r.get(0))?;
            counts.insert(format!("{prefix}{name}"), n);
        }
    }
    Ok(counts)
}

/// A database file no other process has open, kept locked until dropped.
pub struct LockedOut {
    _conn: Connection,
}

/// Makes sure no other process has the database at `path` open, and keeps others out until the
/// returned guard is dropped.
///
/// The server keeps its files open in WAL mode. Leaving WAL mode (`journal_mode = DELETE`) needs
/// every other connection closed: SQLite refuses it with "database is locked" while any process
/// holds the file open, even idle. Done here, it is the test, and on success it also copies the
/// write-ahead log into the file and removes the log and shared-memory files, so none is left to
/// be replayed onto a file put in its place. An exclusive lock is then held. A file SQLite cannot
/// read as a database cannot be held by a server either and needs no lock.
pub fn lock_out(path: &Path) -> Result<Option<LockedOut>, BackupError> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(sql(path))?;
    let in_use = |e: &rusqlite::Error| {
        matches!(e.sqlite_error_code(), Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked))
    };
    match conn.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get::<_, String>(0)) {
        Ok(mode) if mode.eq_ignore_ascii_case("delete") => {}
        Ok(_) => return Err(BackupError::InUse(path.to_path_buf())),
        Err(e) if in_use(&e) => return Err(BackupError::InUse(path.to_path_buf())),
        Err(e) if e.sqlite_error_code() == Some(ErrorCode::NotADatabase) => return Ok(None),
        Err(e) => return Err(sql(path)(e)),
    }
    match conn.execute_batch("BEGIN EXCLUSIVE") {
        Ok(()) => Ok(Some(LockedOut { _conn: conn })),
        Err(e) if in_use(&e) => Err(BackupError::InUse(path.to_path_buf())),
        Err(e) => Err(sql(path)(e)),
    }
}

/// Puts a copy of `src` at `dest` atomically: copied to a temporary name in `dest`'s directory,
/// synced, renamed over `dest`, and the directory synced. A crash leaves the old file or the new
/// one, never a mixture. Returns the hex SHA-256 of what was written; `progress` receives the
/// bytes copied so far.
pub fn place(src: &Path, dest: &Path, progress: &dyn Fn(u64)) -> Result<String, BackupError> {
    let dir = dest.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.restoring-{}", std::process::id()));
    let copy = || -> Result<String, BackupError> {
        let mut from = File::open(src).map_err(io(src))?;
        let mut to = File::create(&tmp).map_err(io(&tmp))?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        let mut done = 0u64;
        loop {
            let n = from.read(&mut buf).map_err(io(src))?;
            let Some(chunk) = buf.get(..n).filter(|c| !c.is_empty()) else { break };
            to.write_all(chunk).map_err(io(&tmp))?;
            hasher.update(chunk);
            done += n as u64;
            progress(done);
        }
        to.sync_all().map_err(io(&tmp))?;
        std::fs::rename(&tmp, dest).map_err(io(dest))?;
        sync_dir(dir)?;
        Ok(hex::encode(hasher.finalize()))
    };
    let placed = copy();
    if placed.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    placed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Db, MigrationSet};
    use sqlx::Executor;

    fn files_in(dir: &Path) -> SqliteFiles {
        SqliteFiles::of_url(&format!("sqlite://{}", dir.join("d.db").display())).unwrap()
    }

    #[test]
    fn files_of_a_url() {
        let f = SqliteFiles::of_url("sqlite:///var/lib/dancu/dancu.db?mode=rwc").unwrap();
        assert_eq!(f.main, Path::new("/var/lib/dancu/dancu.db"));
        assert_eq!(f.logs, Path::new("/var/lib/dancu/dancu-logs.db"));
        assert_eq!(f.in_dir(Path::new("/b")).logs, Path::new("/b/dancu-logs.db"));
        assert!(SqliteFiles::of_url("postgres://u@h/d").is_none());
    }

    /// A snapshot of an open database holds what was committed (also what is still only in the
    /// write-ahead log), is a rollback-journal file, and reads back with its logs file.
    #[tokio::test]
    async fn snapshot_of_a_live_database_holds_its_commits() {
        let dir = tempfile::tempdir().unwrap();
        let live = files_in(dir.path());
        let db = Db::connect(&format!("sqlite://{}", live.main.display())).await.unwrap();
        MigrationSet::new().run(&db, 0).await.unwrap();
        db.write()
            .execute("CREATE TABLE t (v INTEGER); CREATE TABLE logs.l (v INTEGER); INSERT INTO t VALUES (1), (2); INSERT INTO l VALUES (3);")
            .await
            .unwrap();
        let out = tempfile::tempdir().unwrap();
        let copy = live.in_dir(out.path());
        for (from, to) in live.both().into_iter().zip(copy.both()) {
            snapshot(from, to).unwrap();
        }
        for f in copy.both() {
            assert_eq!(integrity_problems(f), Vec::<String>::new());
        }
        let conn = open_copy(&copy).unwrap();
        let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        assert_eq!(mode, "delete");
        let counts = row_counts(&conn).unwrap();
        assert_eq!((counts["t"], counts["logs.l"], counts["schema_migrations"]), (2, 1, 0));
        assert!(crate::sqlite_schema_state(&conn).unwrap().tables.contains("logs.l"));
        drop(conn);
        let names: Vec<String> =
            std::fs::read_dir(out.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
        assert_eq!(names.len(), 2, "reading a copy leaves no side files: {names:?}");

        // While a server has the database open, it cannot be locked out.
        assert!(matches!(lock_out(&live.main), Err(BackupError::InUse(_))));
        assert!(matches!(lock_out(&live.logs), Err(BackupError::InUse(_))));
    }

    /// An idle connection of another handle is enough to refuse; once the last one is closed the
    /// file is locked and left without a write-ahead log.
    #[test]
    fn lock_out_waits_for_no_one_and_leaves_no_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let idle = Connection::open(&path).unwrap();
        idle.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE x (v INTEGER); INSERT INTO x VALUES (1);").unwrap();
        assert!(matches!(lock_out(&path), Err(BackupError::InUse(_))));
        assert!(dir.path().join("w.db-wal").exists());
        drop(idle);
        let guard = lock_out(&path).unwrap();
        assert!(guard.is_some());
        assert!(!dir.path().join("w.db-wal").exists() && !dir.path().join("w.db-shm").exists());
        // Held: another connection cannot even read.
        let other = Connection::open(&path).unwrap();
        other.busy_timeout(std::time::Duration::ZERO).unwrap();
        assert!(other.query_row("SELECT COUNT(*) FROM x", [], |r| r.get::<_, i64>(0)).is_err());
        drop(guard);
        assert_eq!(other.query_row("SELECT COUNT(*) FROM x", [], |r| r.get::<_, i64>(0)).unwrap(), 1);
    }

    #[test]
    fn placing_a_file_replaces_the_old_one_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let (src, dest) = (dir.path().join("src"), dir.path().join("dest"));
        std::fs::write(&src, b"new contents").unwrap();
        std::fs::write(&dest, b"old").unwrap();
        let written = place(&src, &dest, &|_| {}).unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"new contents");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
        assert_eq!(sha256(&dest, &|_| {}).unwrap(), (12, written));
        assert!(place(&dir.path().join("missing"), &dest, &|_| {}).is_err());
        assert_eq!(std::fs::read(&dest).unwrap(), b"new contents", "a failed copy changes nothing");
    }
}
