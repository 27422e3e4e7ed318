//! The demo's terminal output names where the logins are, and holds no password, API token or
//! personal id: a terminal is scrolled back, shared on screen and captured in logs. The file that
//! holds them is readable by its owner only.

use std::io::BufRead;
use std::time::Duration;

#[tokio::test]
async fn demo_prints_no_secret_and_keeps_them_in_an_owner_only_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap().to_string();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_dancu"))
        .args(["demo", "--people", "300", "--data-dir", &data, "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    // Everything up to the last line the demo prints before it serves.
    let printed = tokio::task::spawn_blocking(move || {
        let mut out = String::new();
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            out.push_str(&line);
            out.push('\n');
            if line.contains("Ctrl-C") {
                break;
            }
        }
        out
    });
    let printed = tokio::time::timeout(Duration::from_secs(300), printed).await;
    let _ = child.kill();
    let _ = child.wait();
    let printed = printed.expect("the demo did not get ready").unwrap();
    assert!(printed.contains("Ctrl-C"), "the demo stopped early:\n{printed}");

    let path = dir.path().join("demo-accounts.json");
    assert!(printed.contains(path.to_str().unwrap()), "the file is not named:\n{printed}");
    let accounts: Vec<serde_json::Value> = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert!(accounts.len() >= 10);
    for a in &accounts {
        for key in ["password", "api_token", "person_id"] {
            if let Some(secret) = a[key].as_str().filter(|s| !s.is_empty()) {
                assert!(!printed.contains(secret), "the {key} of {} is printed", a["role"]);
            }
        }
    }
    let twelve_digits = printed.split(|c: char| !c.is_ascii_digit()).any(|run| run.len() == 12);
    assert!(!twelve_digits, "a personal id is printed:\n{printed}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "demo-accounts.json is readable by others");
    }
}
