//! `dancu lodging`: maintenance of the lodging and venue data from the command line.

use clap::Subcommand;

use crate::cli::Place;

#[derive(Subcommand)]
pub enum LodgingCommand {
    /// Delete raw venue entry/exit scans older than the retention period now, as the server does
    /// every hour (the daily aggregates are kept).
    PurgeVenueScans {
        #[command(flatten)]
        place: Place,
        /// Days to keep; default the configured `lodging.venue_retention_days`.
        #[arg(long)]
        days: Option<i64>,
    },
}

pub async fn run(command: LodgingCommand, default_data_dir: &str) -> anyhow::Result<()> {
    match command {
        LodgingCommand::PurgeVenueScans { place, days } => {
            let settings = place.settings(default_data_dir)?;
            let days = days.unwrap_or(settings.lodging.venue_retention_days);
            let db = crate::open_db(&settings.database_url).await?;
            let deleted = lodging::venue_scans::purge(&db, days, kernel::clock::now_ms())
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.detail))?;
            println!("đã xóa {deleted} lượt quét cũ hơn {days} ngày / deleted {deleted} scans older than {days} days");
            Ok(())
        }
    }
}
