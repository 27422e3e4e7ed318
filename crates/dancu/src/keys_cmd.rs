//! `dancu keys`: list and rotate the platform's signing keys.

use clap::Subcommand;

use crate::cli::Place;

#[derive(Subcommand)]
pub enum KeysCommand {
    /// List signing keys (no private material): kid, algorithm, state and dates.
    List {
        #[command(flatten)]
        place: Place,
    },
    /// Create a new active signing key; the previous one keeps verifying during the overlap.
    Rotate {
        #[command(flatten)]
        place: Place,
        /// ES256 (default) or EdDSA.
        #[arg(long, default_value = "ES256")]
        alg: String,
        /// Hours the retired key stays published and accepted.
        #[arg(long, default_value_t = 48)]
        overlap_hours: i64,
    },
}

pub async fn run(command: KeysCommand, default_data_dir: &str) -> anyhow::Result<()> {
    match command {
        KeysCommand::List { place } => {
            let db = crate::open_db(&place.settings(default_data_dir)?.database_url).await?;
            println!("{:<44} {:<6} {:<8} {:<17} {:<17}", "kid", "alg", "state", "activated", "expires");
            for k in keys::list(&db, kernel::clock::now_ms()).await? {
                println!(
                    "{:<44} {:<6} {:<8} {:<17} {:<17}",
                    k.kid,
                    k.alg,
                    serde_json::to_value(k.state)?.as_str().unwrap_or_default(),
                    k.activated_at.map(kernel::clock::format_ms_vn).unwrap_or_default(),
                    k.expires_at.map(kernel::clock::format_ms_vn).unwrap_or_default()
                );
            }
            Ok(())
        }
        KeysCommand::Rotate { place, alg, overlap_hours } => {
            let alg =
                keys::KeyAlg::parse(&alg).ok_or_else(|| anyhow::anyhow!("unknown algorithm {alg} (ES256 or EdDSA)"))?;
            anyhow::ensure!(overlap_hours >= 0, "overlap must not be negative");
            let db = crate::open_db(&place.settings(default_data_dir)?.database_url).await?;
            let kid = keys::rotate(&db, alg, overlap_hours * 3600 * 1000, kernel::clock::now_ms()).await?;
            println!("new signing key {kid} ({}); running servers pick it up at their next key refresh", alg.code());
            Ok(())
        }
    }
}
