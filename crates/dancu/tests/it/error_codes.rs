//! Every error code a client can receive is documented in `docs/API.md` with its HTTP status and
//! raised somewhere in the code: a code nobody raises is dead API, a code nobody documented is
//! one clients cannot react to.

use std::path::{Path, PathBuf};

use kernel::ErrorCode;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rust_sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if !path.ends_with("target") && !path.ends_with("tests") {
                rust_sources(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_code_is_documented_with_its_status() {
    let api = std::fs::read_to_string(workspace().join("docs/API.md")).unwrap();
    for code in ErrorCode::ALL {
        let row = api
            .lines()
            .find(|l| l.starts_with('|') && l.contains(&format!("`{}`", code.as_str())))
            .unwrap_or_else(|| panic!("docs/API.md has no row for `{}`", code.as_str()));
        assert!(row.contains(&format!("| {} |", code.http_status())), "wrong status in: {row}");
    }
}

#[test]
fn every_code_is_raised_somewhere() {
    let mut files = Vec::new();
    rust_sources(&workspace().join("crates"), &mut files);
    let sources: Vec<(PathBuf, String)> = files
        .into_iter()
        .filter(|p| !p.ends_with("kernel/src/error.rs"))
        .map(|p| (p.clone(), std::fs::read_to_string(p).unwrap()))
        .collect();
    for code in ErrorCode::ALL {
        let name = format!("ErrorCode::{code:?}");
        assert!(
            sources.iter().any(|(_, text)| text.contains(&name)),
            "{name} is never raised outside kernel: remove it or use it"
        );
    }
}

#[test]
fn codes_are_unique_and_messages_present() {
    let mut seen = std::collections::HashSet::new();
    for code in ErrorCode::ALL {
        assert!(seen.insert(code.as_str()), "duplicate code {}", code.as_str());
        assert!(!code.message_vi().is_empty() && !code.message_en().is_empty());
        assert_ne!(code.message_vi(), code.message_en(), "{} has no Vietnamese message", code.as_str());
    }
}
