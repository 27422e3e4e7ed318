//! `dancu log`: the transparency log, offline.

use std::path::PathBuf;

use clap::Subcommand;

use crate::cli::Place;

#[derive(Subcommand)]
pub enum LogCommand {
    /// Recompute the transparency log from its stored entries and check it against every signed
    /// tree head (deleted, altered and reordered entries), then check every access-log row against
    /// its seal in the log (rows deleted, changed or slipped in). Exits with status 1 on a problem.
    Verify {
        #[command(flatten)]
        place: Place,
        /// A JWKS file (the platform's published keys, kept by an auditor) to check the heads'
        /// signatures with; by default the platform's live keys in the database.
        #[arg(long)]
        jwks: Option<PathBuf>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(command: LogCommand, default_data_dir: &str) -> anyhow::Result<()> {
    match command {
        LogCommand::Verify { place, jwks, json } => {
            let settings = place.settings(default_data_dir)?;
            let db = crate::open_db(&settings.database_url).await?;
            let keys = match jwks {
                Some(path) => {
                    let text = std::fs::read_to_string(&path)
                        .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
                    keys::JwksVerifier::from_jwks(&serde_json::from_str(&text)?)?
                }
                None => {
                    let ring = keys::KeyRing::load(&db, kernel::clock::now_ms).await?;
                    keys::JwksVerifier::from_jwks(&ring.jwks())?
                }
            };
            let total = translog::store::size(&db).await?;
            let bar = crate::progress::bar(total, "entries");
            bar.set_message("verifying the transparency log");
            let report = translog::verify_log(&db, &keys, &mut |n| bar.set_position(n)).await?;
            bar.finish_and_clear();
            let keys = crate::security_events::pseudonymizer(&db, &settings.security_events).await?;
            let bar = crate::progress::bar(total, "entries");
            bar.set_message("checking the access log against its seals");
            let access = audit::seal::check_all(&db, &keys, &mut |n| bar.set_position(n)).await?;
            bar.finish_and_clear();
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({"log": report, "access_log": access}))?
                );
            } else {
                let head = report
                    .latest_head
                    .as_ref()
                    .map(|h| format!("{} entries, signed {}", h.tree_size, kernel::clock::format_ms_vn(h.timestamp)))
                    .unwrap_or_else(|| "none".into());
                println!(
                    "{} entries read, {} signed tree heads verified (latest: {head}), {} heads signed by keys not given",
                    report.entries, report.heads_verified, report.heads_unchecked
                );
                for p in &report.problems {
                    println!("PROBLEM: {p}");
                }
                if report.more_problems {
                    println!("… and more problems");
                }
                println!(
                    "access log: {} rows match their seals, {} pruned by retention, {} awaiting their seal",
                    access.verified, access.pruned, access.pending
                );
                for f in &access.findings {
                    println!("ACCESS LOG: {}", serde_json::to_string(f)?);
                }
                if access.more_findings > 0 {
                    println!("… and {} more access-log findings", access.more_findings);
                }
            }
            anyhow::ensure!(report.ok(), "the transparency log does not verify ({} problems)", report.problems.len());
            anyhow::ensure!(
                access.ok(),
                "the access log does not match its seals ({} findings)",
                access.findings.len() as u64 + access.more_findings
            );
            if !json {
                println!("the transparency log and the access log verify");
            }
            Ok(())
        }
    }
}
