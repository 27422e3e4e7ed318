//! The migration files on disk and the migrations the binary applies agree: every file is used, a
//! portable migration is written once (`migrations/common/`), and only migrations whose SQL must
//! differ have a file per backend.

use std::path::{Path, PathBuf};

use db::Backend;

fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

#[test]
fn every_migration_file_is_applied_and_per_backend_files_differ() {
    let crates = crates_dir();
    let set = dancu::migrations();
    let mut used = Vec::new();
    for m in set.items() {
        let sqlite = crates.join(m.module).join(m.file(Backend::Sqlite));
        let postgres = crates.join(m.module).join(m.file(Backend::Postgres));
        assert_eq!(std::fs::read_to_string(&sqlite).unwrap(), m.sql_for(Backend::Sqlite), "{}", sqlite.display());
        if sqlite != postgres {
            assert_ne!(
                m.sql_for(Backend::Sqlite),
                m.sql_for(Backend::Postgres),
                "{}/{}: both backends' files are the same SQL; keep one in migrations/common/",
                m.module,
                m.version
            );
        }
        used.push(sqlite);
        used.push(postgres);
    }
    let mut unused = Vec::new();
    for krate in std::fs::read_dir(&crates).unwrap() {
        for dir in ["common", "sqlite", "postgres"] {
            let Ok(files) = std::fs::read_dir(krate.as_ref().unwrap().path().join("migrations").join(dir)) else {
                continue;
            };
            unused.extend(files.map(|f| f.unwrap().path()).filter(|f| !used.contains(f)));
        }
    }
    assert!(unused.is_empty(), "migration files that no MIGRATIONS list applies: {unused:?}");
}
