//! The database `dancu serve` starts on: complete, or refused.
//!
//! The server used to apply migrations at start-up. Pointed at a missing file, or at the partial
//! file of a failed copy, it created an empty schema there and served it as if the data were gone.
//! Now `dancu serve` changes no schema: a database without every migration of the binary, with a
//! recorded migration the binary does not know, or without a table a recorded migration creates,
//! is refused with what is wrong and what to run. `dancu migrate` (or `dancu serve --migrate`)
//! applies migrations explicitly.

use db::SchemaProblem;

/// Opens the database for serving. With `migrate`, pending migrations are applied first, as
/// `dancu migrate` does; without it, the schema is checked and nothing is created.
pub async fn open_for_serving(url: &str, migrate: bool) -> anyhow::Result<db::Db> {
    if migrate {
        return crate::open_db(url).await;
    }
    if let Some(files) = db::backup::SqliteFiles::of_url(url) {
        if !files.main.is_file() {
            anyhow::bail!(
                "no database at {}; the server does not create one. Create it with `dancu migrate` (same settings), \
                 restore a backup with `dancu restore DIR`, or start with `dancu serve --migrate`",
                files.main.display()
            );
        }
    }
    let db = db::Db::connect(url).await?;
    let problems = crate::migrations().check(&db).await?;
    if !problems.is_empty() {
        db.close().await;
        anyhow::bail!(refusal(&problems));
    }
    registry::admin_units::ensure_loaded(&db).await?;
    services::init(&db, kernel::clock::now_ms()).await?;
    Ok(db)
}

/// The message of a refused start: every problem, then what to do about each kind.
fn refusal(problems: &[SchemaProblem]) -> String {
    let mut text = String::from("the database does not have the schema this dancu needs; the server does not start:\n");
    for p in problems {
        text.push_str(&format!("  - {p}\n"));
    }
    let any = |f: fn(&SchemaProblem) -> bool| problems.iter().any(f);
    if any(|p| {
        matches!(p, SchemaProblem::NoSchema | SchemaProblem::NotApplied { .. } | SchemaProblem::NoChecksum { .. })
    }) {
        text.push_str(
            "Run `dancu migrate` with the same settings to apply what is missing (or start with `dancu serve --migrate`).\n",
        );
    }
    if any(|p| matches!(p, SchemaProblem::Unknown { .. })) {
        text.push_str(
            "A newer dancu migrated this database: run that version, or restore a backup made for this one.\n",
        );
    }
    if any(|p| matches!(p, SchemaProblem::MissingTable { .. } | SchemaProblem::Changed { .. })) {
        text.push_str(
            "Tables are missing or were made by other SQL: the database is damaged or incomplete. Restore a backup \
             with `dancu restore DIR` (docs/OPERATIONS.md, \"Backup and restore\").\n",
        );
    }
    text
}
