//! Backups, restores and the start-up schema check, with the built binary where the command line
//! is what an operator runs.
//!
//! - `dancu backup DIR` taken while writers keep committing to both SQLite files holds every write
//!   acknowledged before it started, and its copy verifies and opens.
//! - `dancu backup --verify` finds a flipped byte and a missing file; a backup never goes into a
//!   non-empty directory.
//! - `dancu restore` gives back the same rows, refuses an existing database without `--force`, a
//!   database another process has open, and a backup that does not verify, changing nothing.
//! - `dancu serve` refuses a missing, empty or partial database (SQLite and PostgreSQL) and names
//!   what is missing and `dancu migrate`, instead of creating an empty schema.
//! - On PostgreSQL, `backup` and `restore` print the pg_dump / pg_restore commands and exit 2.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use db::backup::SqliteFiles;
use db::sqlx::{self, Row};
use db::Db;

use crate::common;

/// Bound on waiting for the binary: a server that starts instead of refusing is killed after it.
const BOUND: Duration = Duration::from_secs(60);

/// The binary with no `DANCU_*` variable of the test environment.
fn dancu() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dancu"));
    for (var, _) in std::env::vars().filter(|(k, _)| k.starts_with("DANCU_")) {
        c.env_remove(var);
    }
    c.env("DANCU_LOG", "warn");
    c
}

fn text(out: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `dancu ARGS --database-url URL`, run to its end.
fn run(args: &[&str], url: &str) -> Output {
    dancu().args(args).args(["--database-url", url]).output().unwrap()
}

/// A migrated SQLite database in its own directory, with a small generated province.
async fn province(people: usize) -> (tempfile::TempDir, Db, String) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("dancu.db").display());
    let db = dancu::open_db(&url).await.unwrap();
    let opts = registry::generate::GenerateOptions::new("08", people, 6, kernel::clock::today_vn());
    dancu::generate_cmd::generate_into(&db, opts, None, false).await.unwrap();
    (dir, db, url)
}

/// An account whose API tokens the writers below create.
async fn account(db: &Db) -> String {
    let a = identity::create_account(
        db,
        &identity::PasswordHasher::new(1),
        identity::NewAccount {
            login: "sao.luu".into(),
            display_name: "Sao lưu".into(),
            role: web::Role::Admin,
            jurisdiction: web::Jurisdiction::Province("08".into()),
            password: common::PASSWORD.into(),
        },
        kernel::clock::now_ms(),
    )
    .await
    .unwrap();
    a.id
}

/// Rows of the numbered writes below whose number is under `n`: access-log entries (logs file)
/// with subject `{i:012}` and API tokens (main file) named `w{i:08}`.
async fn writes_below(db: &Db, n: u64) -> (i64, i64) {
    let logged: i64 = sqlx::query(
        "SELECT COUNT(DISTINCT subject_id) FROM access_log WHERE action = 'backup.test' AND subject_id < $1",
    )
    .bind(format!("{n:012}"))
    .fetch_one(db.read())
    .await
    .unwrap()
    .get(0);
    let tokens: i64 = sqlx::query("SELECT COUNT(DISTINCT name) FROM api_tokens WHERE name LIKE 'w%' AND name < $1")
        .bind(format!("w{n:08}"))
        .fetch_one(db.read())
        .await
        .unwrap()
        .get(0);
    (logged, tokens)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_taken_while_writers_commit_holds_every_acknowledged_write() {
    let (_dir, db, url) = province(300).await;
    let account = account(&db).await;
    let access_log = audit::AccessLog::start(db.clone());
    // Writer i commits an access-log entry and an API token, in that order, and counts itself
    // acknowledged once both have returned.
    let acked = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (db, acked, stop) = (db.clone(), acked.clone(), stop.clone());
        tokio::spawn(async move {
            let mut i = 0u64;
            while !stop.load(Ordering::SeqCst) {
                access_log
                    .record(audit::AccessEntry {
                        at: kernel::clock::now_ms(),
                        actor_id: account.clone(),
                        actor_label: "Sao lưu".into(),
                        subject_id: format!("{i:012}"),
                        action: "backup.test".into(),
                        purpose: "investigation".into(),
                        released: "identity".into(),
                        channel: "api".into(),
                    })
                    .await
                    .unwrap();
                identity::issue_token(&db, &account, &format!("w{i:08}"), kernel::clock::now_ms()).await.unwrap();
                i += 1;
                acked.store(i, Ordering::SeqCst);
            }
        })
    };
    while acked.load(Ordering::SeqCst) < 50 {
        tokio::task::yield_now().await;
    }

    let out_dir = tempfile::tempdir().unwrap();
    let backup_dir = out_dir.path().join("b");
    let before = acked.load(Ordering::SeqCst);
    let out = {
        let (url, dir) = (url.clone(), backup_dir.clone());
        tokio::task::spawn_blocking(move || run(&["backup", dir.to_str().unwrap()], &url)).await.unwrap()
    };
    let after = acked.load(Ordering::SeqCst);
    stop.store(true, Ordering::SeqCst);
    writer.await.unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(after > before, "no write was committed while the backup ran: the test proves nothing");

    let verified = dancu().args(["backup", "--verify"]).arg(&backup_dir).output().unwrap();
    assert!(verified.status.success(), "{}", text(&verified));

    // The copy opens as a database and holds every write acknowledged before the backup started.
    let copy = Db::connect(&format!("sqlite://{}", backup_dir.join("dancu.db").display())).await.unwrap();
    assert_eq!(writes_below(&copy, before).await, (before as i64, before as i64));
    assert_eq!(dancu::migrations().check(&copy).await.unwrap(), []);
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(backup_dir.join("manifest.json")).unwrap()).unwrap();
    let persons: i64 = sqlx::query("SELECT COUNT(*) FROM persons").fetch_one(copy.read()).await.unwrap().get(0);
    assert_eq!(manifest["row_counts"]["persons"].as_i64(), Some(persons));
    assert!(manifest["row_counts"]["logs.access_log"].as_i64().unwrap() >= before as i64);
    assert_eq!(manifest["files"].as_array().unwrap().len(), 2);
    assert_eq!(manifest["migrations"].as_array().unwrap().len(), dancu::migrations().items().len());
    assert_eq!(manifest["dancu_version"].as_str(), Some(env!("CARGO_PKG_VERSION")));
}

/// A backup of a small province made by the library, in `parent/name`.
async fn small_backup(parent: &Path, name: &str) -> (tempfile::TempDir, Db, PathBuf) {
    let (dir, db, url) = province(100).await;
    let backup_dir = parent.join(name);
    let done = dancu::backup_cmd::backup(&url, &backup_dir, kernel::clock::now_ms()).unwrap();
    assert!(matches!(done, dancu::backup_cmd::Outcome::Done(_)), "{done:?}");
    (dir, db, backup_dir)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_finds_a_flipped_byte_and_a_missing_file() {
    let parent = tempfile::tempdir().unwrap();
    let (_src, _db, good) = small_backup(parent.path(), "good").await;
    assert_eq!(dancu::backup_cmd::problems(&good), Vec::<String>::new());

    let flipped = parent.path().join("flipped");
    copy_dir(&good, &flipped);
    let file = flipped.join("dancu.db");
    let mut bytes = std::fs::read(&file).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&file, bytes).unwrap();
    let out = dancu().args(["backup", "--verify"]).arg(&flipped).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(stderr.contains("dancu.db: SHA-256 differs from the manifest"), "{stderr}");

    let missing = parent.path().join("missing");
    copy_dir(&good, &missing);
    std::fs::remove_file(missing.join("dancu-logs.db")).unwrap();
    let out = dancu().args(["backup", "--verify"]).arg(&missing).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(stderr.contains("dancu-logs.db: missing"), "{stderr}");

    let no_manifest = parent.path().join("no-manifest");
    copy_dir(&good, &no_manifest);
    std::fs::remove_file(no_manifest.join("manifest.json")).unwrap();
    assert!(dancu::backup_cmd::problems(&no_manifest)[0].contains("manifest.json"));

    // A backup goes into a new or empty directory only; the one there is left as it was.
    let (_other, _db2, url) = province(10).await;
    let before = std::fs::read(good.join("manifest.json")).unwrap();
    let out = run(&["backup", good.to_str().unwrap()], &url);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("is not empty"), "{}", text(&out));
    assert_eq!(std::fs::read(good.join("manifest.json")).unwrap(), before);
}

/// Rows of every table of the SQLite files of `url`, read from the files.
fn counts(url: &str) -> std::collections::BTreeMap<String, i64> {
    let conn = db::backup::open_copy(&SqliteFiles::of_url(url).unwrap()).unwrap();
    db::backup::row_counts(&conn).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_round_trip_gives_the_same_rows_and_refuses_what_would_lose_data() {
    let parent = tempfile::tempdir().unwrap();
    let (_src, src_db, backup_dir) = small_backup(parent.path(), "b").await;
    let src_url = src_db.url().to_string();
    let target_dir = tempfile::tempdir().unwrap();
    let target = format!("sqlite://{}", target_dir.path().join("data").join("dancu.db").display());

    let out = run(&["restore", backup_dir.to_str().unwrap()], &target);
    assert!(out.status.success(), "{}", text(&out));
    let restored = counts(&target);
    assert_eq!(restored, counts(&src_url));
    assert!(restored["persons"] > 0 && restored.contains_key("logs.access_log"));
    let db = Db::connect(&target).await.unwrap();
    assert_eq!(dancu::migrations().check(&db).await.unwrap(), []);

    // The restored database exists now: refused without --force, and with it while open.
    // The server's checkpoints change the file's bytes; a replaced file is a new inode.
    use std::os::unix::fs::MetadataExt;
    let main = target_dir.path().join("data").join("dancu.db");
    let before = std::fs::metadata(&main).unwrap().ino();
    let out = run(&["restore", backup_dir.to_str().unwrap()], &target);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("--force"), "{}", text(&out));
    let out = run(&["restore", "--force", backup_dir.to_str().unwrap()], &target);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("is open in another process"), "{}", text(&out));
    assert_eq!(std::fs::metadata(&main).unwrap().ino(), before, "a refused restore replaced the database");
    assert!(target_dir.path().join("data").join("dancu.db-wal").exists(), "the open database left WAL mode");
    assert_eq!(dancu::migrations().check(&db).await.unwrap(), []);

    // A backup that does not verify is not restored, even with --force.
    let damaged = parent.path().join("damaged");
    copy_dir(&backup_dir, &damaged);
    std::fs::remove_file(damaged.join("dancu-logs.db")).unwrap();
    let elsewhere = format!("sqlite://{}", target_dir.path().join("other.db").display());
    let out = run(&["restore", "--force", damaged.to_str().unwrap()], &elsewhere);
    assert!(
        !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("does not verify"),
        "{}",
        text(&out)
    );
    assert!(!target_dir.path().join("other.db").exists());

    // With --force and no process holding it, the database is replaced: an account added since
    // (by another process, which has exited) is gone.
    let replaced = format!("sqlite://{}", target_dir.path().join("again.db").display());
    assert!(run(&["restore", backup_dir.to_str().unwrap()], &replaced).status.success());
    let added = run(
        &["accounts", "create", "--login", "moi.them", "--name", "Mới thêm", "--role", "admin", "--jurisdiction", "08"],
        &replaced,
    );
    assert!(added.status.success(), "{}", text(&added));
    assert_eq!(counts(&replaced)["accounts"], counts(&src_url)["accounts"] + 1);
    let out = run(&["restore", "--force", backup_dir.to_str().unwrap()], &replaced);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(counts(&replaced), counts(&src_url));
}

/// `dancu serve` on `url` (with `extra` flags): its output once it has exited. A server that
/// starts instead (it prints its address) is killed and fails the test.
async fn serve(url: &str, extra: &[&str]) -> Output {
    let mut child = dancu()
        .args(["serve", "--listen", "127.0.0.1:0", "--database-url", url])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let stdout = child.stdout.take().unwrap();
    let started = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        std::io::BufReader::new(stdout).lines().map_while(Result::ok).any(|l| l.contains("listening"))
    });
    match tokio::time::timeout(BOUND, started).await {
        Ok(Ok(false)) => {}
        other => {
            let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
            panic!("the server started (or did not exit within {BOUND:?}): {other:?}");
        }
    }
    tokio::task::spawn_blocking(move || child.wait_with_output()).await.unwrap().unwrap()
}

#[tokio::test]
async fn serve_refuses_a_missing_or_empty_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("dancu.db");
    let url = format!("sqlite://{}", missing.display());
    let out = serve(&url, &[]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(stderr.contains("no database at") && stderr.contains("dancu migrate"), "{stderr}");
    assert!(!missing.exists(), "the server created the file it refused");

    // What a failed copy leaves: an empty file.
    std::fs::write(&missing, b"").unwrap();
    let out = serve(&url, &[]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(stderr.contains("schema_migrations does not exist") && stderr.contains("dancu migrate"), "{stderr}");
    let db = Db::connect(&url).await.unwrap();
    let tables: i64 = sqlx::query("SELECT COUNT(*) FROM main.sqlite_master").fetch_one(db.read()).await.unwrap().get(0);
    assert_eq!(tables, 0, "the refused start created tables");
}

/// A database with every migration recorded but one, and one whose bookkeeping is complete but
/// a table is gone: both refused with what is wrong; then the complete one serves.
async fn serve_refuses_a_partial_schema(db: Db) {
    let url = db.url().to_string();
    let last = dancu::migrations().items().last().copied().unwrap();
    sqlx::query("DELETE FROM schema_migrations WHERE module = $1 AND version = $2")
        .bind(last.module)
        .bind(last.version)
        .execute(db.write())
        .await
        .unwrap();
    let out = serve(&url, &[]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{}", text(&out));
    let named = format!("migration {}/{} ({}) is not applied", last.module, last.version, last.name);
    assert!(stderr.contains(&named) && stderr.contains("Run `dancu migrate`"), "{stderr}");

    // With the row back, a table missing under complete bookkeeping is damage: restore advice.
    sqlx::query(
        "INSERT INTO schema_migrations (module, version, name, applied_at, checksum) VALUES ($1, $2, $3, 0, $4)",
    )
    .bind(last.module)
    .bind(last.version)
    .bind(last.name)
    .bind(last.checksum(db.backend()))
    .execute(db.write())
    .await
    .unwrap();
    assert_eq!(dancu::migrations().check(&db).await.unwrap(), []);
    sqlx::query("DROP TABLE kpi_snapshots").execute(db.write()).await.unwrap();
    let out = serve(&url, &[]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        stderr.contains("table kpi_snapshots, created by migration") && stderr.contains("dancu restore"),
        "{stderr}"
    );
}

/// A database with the bookkeeping table and nothing applied (what an interrupted first
/// migration leaves on either backend).
async fn serve_refuses_a_database_without_migrations(db: Db) {
    let out = serve(db.url(), &[]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        stderr.contains("migration audit/1 (access_log) is not applied") && stderr.contains("dancu migrate"),
        "{stderr}"
    );
    let applied: i64 = sqlx::query("SELECT COUNT(*) FROM schema_migrations").fetch_one(db.read()).await.unwrap().get(0);
    assert_eq!(applied, 0, "the refused start applied migrations");
}

db::dual_tests!(crate::common::migrations(); serve_refuses_a_partial_schema);
db::dual_tests!(db::MigrationSet::new(); serve_refuses_a_database_without_migrations);

#[tokio::test]
async fn serve_with_migrate_creates_the_schema_and_starts() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("dancu.db").display());
    let mut child = dancu()
        .args(["serve", "--migrate", "--listen", "127.0.0.1:0", "--database-url", &url])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let started = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        std::io::BufReader::new(stdout).lines().map_while(Result::ok).any(|l| l.contains("listening"))
    });
    let started = tokio::time::timeout(BOUND, started).await;
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();
    assert!(matches!(started, Ok(Ok(true))), "{started:?}");
    // Now complete: a plain `serve` accepts it (checked without starting a second server).
    let db = Db::connect(&url).await.unwrap();
    assert_eq!(dancu::migrations().check(&db).await.unwrap(), []);
}

#[test]
fn on_postgres_backup_and_restore_print_the_tools_commands_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("pg");
    let url = "postgres://dancu:s3cret@127.0.0.1:5432/dancu";
    let out = run(&["backup", target.to_str().unwrap()], url);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        stdout.contains("pg_dump --format=custom") && stdout.contains("'postgres://dancu@127.0.0.1:5432/dancu'"),
        "{stdout}"
    );
    assert!(stdout.contains("pg_basebackup") && !stdout.contains("s3cret"), "{stdout}");
    assert!(!target.exists(), "nothing is written on PostgreSQL");
    let out = run(&["restore", target.to_str().unwrap()], url);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("pg_restore --clean"), "{}", text(&out));
}
