//! `dancu lodging purge-venue-scans` from the built binary: a retention below one day is refused
//! with a clear message and a failing exit status; a valid run reports what it deleted.

use std::process::Command;

fn dancu(data_dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_dancu"))
        .args(["lodging", "purge-venue-scans", "--data-dir"])
        .arg(data_dir)
        .args(args)
        .env("DANCU_LOG", "warn")
        .env_remove("DANCU_DATABASE_URL")
        .output()
        .expect("run dancu")
}

#[test]
fn purge_venue_scans_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let refused = dancu(dir.path(), &["--days", "0"]);
    assert!(!refused.status.success(), "a retention of 0 days must fail");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("retention is at least one day"), "{stderr}");

    let ran = dancu(dir.path(), &["--days", "30"]);
    let stdout = String::from_utf8_lossy(&ran.stdout);
    assert!(ran.status.success(), "{stdout} {}", String::from_utf8_lossy(&ran.stderr));
    assert!(stdout.contains("deleted 0 scans older than 30 days"), "{stdout}");
    assert!(dir.path().join("dancu.db").exists(), "the command opened the data directory's database");
}
